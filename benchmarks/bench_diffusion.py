"""Diffusion generator: training speed, sampling throughput per sampler/steps, realism vs cost.

Usage::

    python benchmarks/bench_diffusion.py                       # speed only (untrained small-preset model)
    python benchmarks/bench_diffusion.py --checkpoint RUN_DIR --data ../shared/data/sapimouse_dev.npz
                                                               # + realism-vs-cost table on validation users
    python benchmarks/bench_diffusion.py --threads 2 --n 2000 --steps 5,10,20

Tables:

1. training: optimiser steps/s and movements/s of the configured model (batch of the preset);
2. sampling: movements/s for each sampler x step count, guided (cfg 2) and not, and a plain
   baseline of the same size (stride-1 UNet, no length bucketing, DDIM 20 steps);
3. with --checkpoint and --data: C2ST / MMD / coverage of generated movements against the
   run's validation movements (its split.json), for 5/10/20/50 steps of each sampler.

Timings depend on the machine and its load; the shared development machine gives pessimistic numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch


def _table(rows: list[dict], title: str) -> None:
    print(f"\n## {title}")
    if not rows:
        return
    cols = list(rows[0])
    width = {c: max(len(c), *(len(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c])) for r in rows)) for c in cols}
    print(" | ".join(c.ljust(width[c]) for c in cols))
    print("-|-".join("-" * width[c] for c in cols))
    for r in rows:
        print(" | ".join((f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c])).ljust(width[c]) for c in cols))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None, help="trained run or checkpoint directory")
    ap.add_argument("--data", default=None, help="real data (for training-speed batches and the realism table)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--n", type=int, default=2000, help="movements per sampling measurement")
    ap.add_argument("--steps", default="5,10,20", help="step counts of the throughput table")
    ap.add_argument("--quality-steps", default="5,10,20,50", help="step counts of the realism table")
    ap.add_argument("--train-steps", type=int, default=10, help="optimiser steps timed")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("# " + " ".join(["python", *sys.argv]))
    print(f"torch {torch.__version__}, {args.threads} thread(s)")

    from deval.generators.diffusion.checkpoint import load_checkpoint
    from deval.generators.diffusion.config import preset
    from deval.generators.diffusion.model import DiffusionModel
    from deval.generators.diffusion.representation import MovementEncoder
    from deval.generators.diffusion.sampling import sample_movements
    from deval.generators.diffusion.trainer import build_encoder
    from deval.io import load_trajectories

    data = load_trajectories(args.data) if args.data else None
    if args.checkpoint:
        state, cfg, encoder = load_checkpoint(args.checkpoint)
        model = DiffusionModel.from_config(cfg, encoder.n_channels, encoder.goal_dim)
        model.load_state_dict(state)
    else:
        cfg = preset("small")
        if data is None:
            from deval.generators.registry import get

            data = get("spline")().sample(3000, seed=0)
        encoder = build_encoder(cfg).fit(data)
        model = DiffusionModel.from_config(cfg, encoder.n_channels, encoder.goal_dim)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {cfg.model.denoiser} {cfg.model.channels} stem {cfg.model.stem_stride}, {n_params / 1e6:.2f} M parameters")

    # ---------------------------------------------------------------- training
    train_src = data if data is not None else None
    b = encoder.canonical(train_src.subsample(4000, seed=0))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    bs = cfg.train.batch_size
    model.train()
    times = []
    for i in range(args.train_steps + 2):
        t0 = time.perf_counter()
        bb = b.take(torch.randint(0, len(b), (bs,), generator=g))
        x, mask = encoder.features_of(bb)
        loss = model.loss(x, mask, encoder.goal(bb.distance, bb.angle, bb.duration), g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    dt = float(np.median(times[2:]))
    _table([{"batch": bs, "s/step": dt, "steps/s": 1 / dt, "movements/s": bs / dt,
             f"min for {cfg.train.steps} steps": cfg.train.steps * dt / 60}], "training speed")

    # ---------------------------------------------------------------- sampling
    model.eval()
    real = (data if data is not None else train_src)
    cond = real.endpoints().resample(args.n, seed=0)
    rows = []
    for sampler in ("dpm-solver", "ddim", "ddpm"):
        for steps in [int(s) for s in args.steps.split(",")]:
            for cfg_scale in (1.0, 2.0):
                if sampler == "ddpm" and cfg_scale != 1.0:
                    continue
                with torch.inference_mode():
                    t0 = time.perf_counter()
                    sample_movements(model, encoder, cond, seed=0, sampler=sampler, steps=steps, cfg_scale=cfg_scale)
                    el = time.perf_counter() - t0
                rows.append({"sampler": sampler, "steps": steps, "cfg": cfg_scale, "movements/s": args.n / el})
    # plain baseline: same width, stride-1 stem, no length bucketing, DDIM 20 steps, full padding
    base_cfg = preset("small").override({"model.stem_stride": 1})
    base = DiffusionModel.from_config(base_cfg, encoder.n_channels, encoder.goal_dim).eval()
    nb = sum(p.numel() for p in base.parameters())
    mask = torch.ones(args.n, encoder.max_len, dtype=torch.bool)
    goal = torch.randn(args.n, encoder.goal_dim)
    with torch.inference_mode():
        t0 = time.perf_counter()
        for lo in range(0, args.n, 1000):
            base.sample(mask[lo:lo + 1000], goal[lo:lo + 1000], sampler="ddim", steps=20,
                        generator=torch.Generator().manual_seed(0), channels=encoder.n_channels)
        el = time.perf_counter() - t0
    rows.append({"sampler": f"baseline UNet stride-1 ({nb / 1e6:.2f} M), ddim", "steps": 20, "cfg": 1.0,
                 "movements/s": args.n / el})
    _table(rows, f"sampling throughput ({args.n} movements, endpoints of real movements)")

    # ----------------------------------------------------------------- quality
    if args.checkpoint and data is not None:
        from deval.generators.diffusion.checkpoint import resolve_checkpoint_dir
        from deval.compare import realism_scores
        from deval.metrics.generation import goal_accuracy

        run = resolve_checkpoint_dir(args.checkpoint).parent
        split_file = run / "split.json"
        if split_file.exists():
            split = json.loads(split_file.read_text())
            if split["how"] == "user":
                val = data[np.isin(data.user, split["val_users"])]
            else:
                print("(random split: using a seeded random 15% of the data as the reference)")
                val = data.subsample(max(100, int(0.15 * len(data))), seed=split["seed"])
        else:
            val = data
        val = val.subsample(args.n, seed=1)
        vcond = val.endpoints()
        qrows = []
        for sampler in ("dpm-solver", "ddim"):
            for steps in [int(s) for s in args.quality_steps.split(",")]:
                with torch.inference_mode():
                    t0 = time.perf_counter()
                    fake, raw_end = sample_movements(model, encoder, vcond, seed=0, sampler=sampler, steps=steps,
                                                     cfg_scale=cfg.sample.cfg_scale)
                    el = time.perf_counter() - t0
                m = realism_scores(val, fake, seed=0, metrics=("c2st", "mmd", "prdc"))
                ga = goal_accuracy(raw_end, vcond)
                qrows.append({"sampler": sampler, "steps": steps, "movements/s": len(val) / el,
                              "c2st": m["c2st_acc"], "mmd2": m["mmd2"], "coverage": m["coverage"],
                              "goal_dist_err": ga.distance_error_rel_mean, "goal_angle_deg": ga.angle_error_deg_mean})
        _table(qrows, f"realism vs cost against {len(val)} validation movements")


if __name__ == "__main__":
    main()
