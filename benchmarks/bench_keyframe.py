"""Keyframe diffusion next to the main diffusion model (and the GAN): held-out realism and sampling speed.

Usage::

    python benchmarks/bench_keyframe.py --data ../shared/data/sapimouse_dev.npz \
        --run keyframe-diffusion=/tmp/keyframe_runs/small --run diffusion=/tmp/diffusion_runs/small \
        --run gan=/tmp/gan_runs/small_v3 --n 2000 --threads 1

For each ``SOURCE=RUN_DIR`` (a training run of ``deval train-generator SOURCE``):

1. from its ``metrics.jsonl``: the validation C2ST of the best checkpoint (what the trainer
   records: deval's C2ST of generated vs held-out users' movements) and the training time;
2. sampling throughput: movements/s for ``--n`` movements on the endpoints (and point counts) of
   the held-out users' movements, with the checkpoint's default sampler settings, best of
   ``--repeats`` runs after one warm-up call, in this process (same machine, same moment);
3. with ``--c2st``: C2ST / MMD / coverage of those ``--n`` movements against the same held-out
   movements, computed here for every model alike.

The held-out users are those of the first run's ``split.json`` (all runs of the default seed
share them). Timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diffusion import _table  # noqa: E402


def _best_line(run: Path) -> dict:
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    best = [x for x in lines if x.get("best")]
    return (best or lines)[-1] if lines else {}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="real data the runs were trained on")
    ap.add_argument("--run", action="append", required=True, metavar="SOURCE=RUN_DIR",
                    help="training run directory of a registered generator (repeat)")
    ap.add_argument("--n", type=int, default=2000, help="movements per measurement")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2, help="timed sampling runs per model (best is reported)")
    ap.add_argument("--c2st", action="store_true", help="also compute realism here on the same held-out movements")
    ap.add_argument("--param", action="append", default=[], metavar="SOURCE.KEY=VALUE",
                    help="sampling parameter of one source, e.g. keyframe-diffusion.steps=10 (repeat)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("# " + " ".join(["python", *sys.argv]))
    print(f"torch {torch.__version__}, {args.threads} thread(s)")

    import yaml

    from deval.generators import get
    from deval.io import load_trajectories
    from deval.compare import realism_scores

    runs = []
    for item in args.run:
        source, _, path = item.partition("=")
        runs.append((source, Path(path)))
    params: dict[str, dict] = {s: {} for s, _ in runs}
    for item in args.param:
        key, _, value = item.partition("=")
        source, _, name = key.partition(".")
        params.setdefault(source, {})[name] = yaml.safe_load(value)

    data = load_trajectories(args.data)
    split = json.loads((runs[0][1] / "split.json").read_text())
    val = data[np.isin(data.user, split["val_users"])] if split["how"] == "user" else data
    val = val[val.endpoints().distance > 0].subsample(args.n, seed=1)
    cond = val.endpoints()
    print(f"held-out movements: {len(val)} of users {split.get('val_users', 'random split')}")

    rows = []
    for source, run in runs:
        gen = get(source).load(run, **params.get(source, {}))
        best = _best_line(run)
        with torch.inference_mode():
            gen.sample(min(50, args.n), cond=cond.take(np.arange(min(50, args.n))), seed=0)  # warm-up
            times = []
            for r in range(args.repeats):
                t0 = time.perf_counter()
                fake = gen.sample(len(val), cond=cond, seed=r)
                times.append(time.perf_counter() - t0)
        row = {"source": source, "val C2ST (best, metrics.jsonl)": best.get("c2st_acc", float("nan")),
               "at step": best.get("step", "-"),
               "train min to best": round(best.get("elapsed_s", float("nan")) / 60, 1),
               "movements/s": len(val) / min(times)}
        if args.c2st:
            m = realism_scores(val, fake, seed=0, metrics=("c2st", "mmd", "prdc"))
            row.update({"C2ST here": m["c2st_acc"], "MMD2 here": m["mmd2"], "coverage here": m["coverage"]})
        rows.append(row)
    _table(rows, f"realism and sampling throughput ({len(val)} movements, held-out users' endpoints)")


if __name__ == "__main__":
    main()
