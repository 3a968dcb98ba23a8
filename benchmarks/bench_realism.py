"""The fixed realism protocol of the diffusion generator: every method is measured the same way.

* Split: SapiMouse-dev users, the seed-0 user split of ``train-generator``
  (``--val-split user``, 15 % of the people held out: users 2, 3, 6, 13, 18,
  21, 33, 41, 47, 53, 58). Every run given must have been trained on that
  split (its ``split.json`` is checked).
* Conditions: ``--n`` (2,000) held-out movements, drawn with seed 0; the model
  generates one movement for each, with its endpoints, duration and point
  count (``--like``).
* Probes: the realism meter of ``deval compare`` (headline, and the
  feature, sequence and stack probes; per-aspect probes), k-NN precision /
  recall / coverage (k = 5) and the ``generation`` group's goal errors.
* Reference: the same meter on ``--n`` training-user movements against the
  held-out ones (human vs human on this split).
* The five features with the largest standardised mean gap.
* Cost: training wall time (from the run's ``metrics.jsonl``) and sampling
  movements/s on this machine (``--threads`` torch threads).

Rows are printed as Markdown; several ``--run`` values (e.g. training seeds)
give a mean +- sd row as well.

    python benchmarks/bench_realism.py --data ../shared/data/sapimouse_dev.npz --run runs/diff_split \\
        --timing model --timing own --threads 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from deval import load_trajectories
from deval.compare import CompareSettings, compare_pair, prepare
from deval.generators import get
from deval.generators.learned.split import train_val_split
from deval.loggers import Logger

KEYS = ("c2st_acc", "c2st_features_acc", "c2st_sequence_acc", "c2st_stack_acc", "knn_precision", "knn_recall",
        "coverage")


def measure(real_p, fake, settings) -> tuple[dict, list[str]]:
    fp = prepare(fake, "fake", settings)
    row = compare_pair(real_p, fp, settings).metrics
    r, f = real_p.features, fp.features
    smd = ((f.mean() - r.mean()) / np.sqrt(0.5 * (f.var() + r.var()) + 1e-12)).abs().sort_values(ascending=False)
    return row, [f"{k} {v:.2f}" for k, v in smd.head(5).items()]


def training_minutes(run: Path) -> float:
    f = run / "metrics.jsonl"
    if not f.is_file():
        return float("nan")
    lines = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return lines[-1].get("elapsed_s", float("nan")) / 60 if lines else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/sapimouse_dev.npz")
    ap.add_argument("--run", action="append", default=[], help="run or checkpoint directory (repeatable)")
    ap.add_argument("--timing", action="append", default=[], choices=["own", "model", "like"],
                    help="logger of the generated movements (repeatable; default: model)")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="sampling seed")
    ap.add_argument("--json-out", default=None, help="write the first run's figures (first --timing) as JSON "
                                                     "(the model card's held_out section)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    timings = args.timing or ["model"]

    real = load_trajectories(args.data)
    train_idx, val_idx, split = train_val_split(real, "user", 0.15, seed=0)
    held, train = real.take(val_idx), real.take(train_idx)
    cond_set = held.subsample(args.n, seed=0)
    settings = CompareSettings(seed=0, metrics=("c2st", "prdc", "generation"), baselines=False)
    real_p = prepare(cond_set, "held-out", settings)

    hh, _ = measure(real_p, train.subsample(args.n, seed=1), settings)
    print(f"split: {len(split['val_users'])} held-out users {split['val_users']}, {args.n} movements per side")
    print(f"human vs human (training users vs held-out users): meter {hh['c2st_acc']:.3f} "
          f"(features {hh['c2st_features_acc']:.3f}, sequence {hh['c2st_sequence_acc']:.3f}); "
          f"k-NN precision {hh['knn_precision']:.3f}, recall {hh['knn_recall']:.3f}, coverage {hh['coverage']:.3f}")
    print()
    print("| run | timing | meter C2ST | features | sequence | stack | precision | recall | coverage | goal err |"
          " top aspect | largest gaps (SMD) | train min | samples/s |")
    print("|" + "---|" * 14)
    like_logger = Logger.fit(cond_set, seed=0)
    per_timing: dict[str, list[dict]] = {t: [] for t in timings}
    first: dict = {}
    for run in args.run:
        rdir = Path(run)
        sfile = rdir / "split.json"
        if sfile.is_file() and json.loads(sfile.read_text()).get("val_users") != split["val_users"]:
            raise SystemExit(f"{run}: trained on another split than the protocol's; retrain with --seed 0")
        gen = get("diffusion").load(run, timing="own")
        gen.sample(50, cond=cond_set.endpoints().take(np.arange(50)), seed=args.seed)  # warm-up
        t0 = time.perf_counter()
        fake = gen.sample(args.n, cond=cond_set.endpoints(), seed=args.seed)
        elapsed = time.perf_counter() - t0
        if gen.logger is not None:  # the default sampling path re-records with the stored logger: time it too
            t0 = time.perf_counter()
            gen.logger.relog(fake, args.seed)
            elapsed += time.perf_counter() - t0
        rate = args.n / elapsed
        for timing in timings:
            if timing == "model" and gen.logger is None:
                print(f"| {run} | model | (no logger.json in the checkpoint) |" + " |" * 11)
                continue
            f = fake if timing == "own" else (gen.logger if timing == "model" else like_logger).relog(fake, args.seed)
            row, gaps = measure(real_p, f, settings)
            per_timing[timing].append(row)
            if not first:
                first = {"n_users": len(split["val_users"]), "users": split["val_users"], "n_per_side": args.n,
                         "run": str(run), "timing": timing, "c2st": round(row["c2st_acc"], 3),
                         "c2st_ci": [round(row["c2st_ci_low"], 3), round(row["c2st_ci_high"], 3)],
                         "probes": {k: round(row[f"c2st_{k}_acc"], 3) for k in ("features", "sequence", "stack")},
                         "aspects": {k[len("c2st_aspect_"):]: round(v, 3) for k, v in row.items()
                                     if k.startswith("c2st_aspect_")},
                         "knn_precision": round(row["knn_precision"], 3), "knn_recall": round(row["knn_recall"], 3),
                         "coverage": round(row["coverage"], 3), "human_vs_human": round(hh["c2st_acc"], 3),
                         "largest_gaps": gaps, "samples_per_s": round(rate), "threads": args.threads,
                         "command": "python benchmarks/bench_realism.py " + " ".join(sys.argv[1:])}
            aspects = {k[len("c2st_aspect_"):]: v for k, v in row.items() if k.startswith("c2st_aspect_")}
            top = max(aspects, key=aspects.get)
            print(f"| {run} | {timing} | " + " | ".join(f"{row[k]:.3f}" for k in KEYS)
                  + f" | {row.get('goal_distance_err_rel', float('nan')):.3f} | {top} {aspects[top]:.3f} | "
                  + f"{', '.join(gaps)} | {training_minutes(rdir):.0f} | {rate:.0f} |", flush=True)
    for timing, rows in per_timing.items():
        if len(rows) > 1:
            stats = [f"{np.mean([r[k] for r in rows]):.3f} +- {np.std([r[k] for r in rows], ddof=1):.3f}"
                     for k in KEYS]
            print(f"| mean +- sd of {len(rows)} runs | {timing} | " + " | ".join(stats) + " | | | | | |")
    if args.json_out and first:
        Path(args.json_out).write_text(json.dumps(first, indent=2))


if __name__ == "__main__":
    main()
