"""``action-diffusion`` on a gestures dataset: mid-schedule recreation and the sampled gesture mix (issue 7's bars).

Usage::

    # a dataset of mixed click / swipe / drag sequences (train 4000, val 1000, test 1000; seq_len 64)
    for s in "train 4000 1" "val 1000 2" "test 1000 3"; do set -- $s
        deval generate-negatives --source gestures --param action_type=mixed --param complexity=any \
            --n $2 --seed $3 --out g_$1.npz
        deval convert g_$1.npz --out dataset/$1/gestures_actions.npy --screen 1920x1080
    done
    deval train-generator action-diffusion --data dataset --out runs/actions --preset small train.num_threads=1
    python benchmarks/bench_action_diffusion.py --data dataset --run runs/actions --split test --threads 1

It reads ``--split`` (default ``test``: sequences that neither trained the
model nor selected its checkpoint) of the dataset folder and the run's
checkpoint (``best/``, or ``--checkpoint final``), and prints:

1. the **recreation**: every sequence noised to ``t = T/2`` and denoised back
   with the checkpoint's sampler and ``train.val_steps`` steps, conditioned on
   its gesture type (:func:`deval.generators.action_diffusion.recreation.recreate`):
   press accuracy, temporal IoU, SNR (dB) and the other action metrics, against
   the bars press accuracy >= 0.9, temporal IoU >= 0.8, SNR >= 15 dB;
2. the **gesture mix** of ``--n`` sampled sequences (the checkpoint's sampler
   and steps) against the split's, per type and the largest difference in
   points (bar: <= 5), for ``gesture=unconditional`` (the learned null
   condition) and ``gesture=mix`` (types drawn from the training mix, then
   the guided conditional model; the default of ``sample.gesture``);
3. the accuracy of conditional sampling: the share of sequences conditioned on
   each type that come out as that type;
4. the training time and the selected step from ``metrics.jsonl``.

Every draw is seeded (``--seed``); timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

BARS = {"press_accuracy": 0.9, "temporal_iou": 0.8, "snr_db": 15.0}
MIX_BAR_PTS = 5.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="dataset folder with train/ val/ test/ *_actions.npy")
    ap.add_argument("--run", required=True, help="training run directory of deval train-generator action-diffusion")
    ap.add_argument("--checkpoint", default="best", choices=("best", "final"))
    ap.add_argument("--split", default="test", choices=("train", "validation", "test"))
    ap.add_argument("--n", type=int, default=1000, help="sampled sequences for the gesture mix")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cfg-scale", type=float, default=-1.0,
                    help="guidance of conditional sampling (-1: the checkpoint's sample.cfg_scale)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("# " + " ".join(["python", *sys.argv]))
    print(f"torch {torch.__version__}, {args.threads} thread(s)")

    from deval.generators.action_diffusion.generator import ActionDiffusionGenerator
    from deval.generators.action_diffusion.recreation import recreate
    from deval.io import load_action_splits
    from deval.metrics.gestures import GESTURE_TYPES, gesture_mix, gesture_mix_difference

    run = Path(args.run)
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    best = [x for x in lines if x.get("best")]
    chosen = best[-1] if args.checkpoint == "best" and best else lines[-1]
    print(f"run {run}: {lines[-1]['step']} steps in {lines[-1]['elapsed_s']:.0f} s; "
          f"{args.checkpoint}/ = step {chosen['step']}")
    gen = ActionDiffusionGenerator.load(run / args.checkpoint)
    cfg, enc = gen.config, gen.encoder
    data = load_action_splits(args.data)[args.split]
    print(f"{args.split}: {len(data)} sequences of {enc.seq_len} steps")

    t0 = time.perf_counter()
    rec = recreate(gen.net, enc, enc.encode_batch(data), seed=args.seed, sampler=cfg.sample.sampler,
                   steps=cfg.train.val_steps, noise=cfg.train.recreation_noise)
    m = rec.metrics
    print(f"\n## recreation from t = {rec.timestep} of {cfg.diffusion.timesteps} ({cfg.sample.sampler}, "
          f"{cfg.train.val_steps} steps; {time.perf_counter() - t0:.1f} s)")
    for key, bar in BARS.items():
        value = getattr(m, key)
        print(f"{key:>16}: {value:.4f}  (bar >= {bar}: {'met' if value >= bar else 'MISSED'})")
    for key in ("mse", "coord_mse", "press_mse", "spatial_accuracy", "gesture_accuracy"):
        print(f"{key:>16}: {getattr(m, key):.4f}")

    real_mix = gesture_mix(data.meta["gesture"].to_numpy()) if "gesture" in data.meta.columns else \
        gesture_mix(np.asarray(GESTURE_TYPES)[enc.gesture_labels(*enc.unit_values(data))])
    print(f"\n## gesture mix of {args.n} samples vs the {args.split} split (percent)")
    print(f"{'mode':<15}" + "".join(f"{g:>12}" for g in GESTURE_TYPES) + f"{'max diff':>10}{'s':>7}")
    print(f"{args.split:<15}" + "".join(f"{100 * real_mix[g]:>12.1f}" for g in GESTURE_TYPES))
    for mode in ("unconditional", "mix"):
        t0 = time.perf_counter()
        fake = ActionDiffusionGenerator.load(run / args.checkpoint, gesture=mode, cfg_scale=args.cfg_scale
                                             ).sample(args.n, seed=args.seed)
        seconds = time.perf_counter() - t0
        mix = gesture_mix(fake.meta["gesture"].to_numpy())
        diff = gesture_mix_difference(real_mix, mix)
        print(f"{mode:<15}" + "".join(f"{100 * mix[g]:>12.1f}" for g in GESTURE_TYPES)
              + f"{diff:>9.1f}{'' if diff <= MIX_BAR_PTS else '!':1}{seconds:>7.1f}")
    if enc.condition == "gesture":
        print("\n## conditional sampling: share of 200 sequences that come out as the requested type")
        for g in GESTURE_TYPES[1:]:
            fake = ActionDiffusionGenerator.load(run / args.checkpoint, gesture=g, cfg_scale=args.cfg_scale
                                                 ).sample(200, seed=args.seed)
            print(f"{g:>12}: {np.mean(fake.meta['gesture'].to_numpy() == g):.3f}")


if __name__ == "__main__":
    main()
