"""Logger fidelity: does a fitted logger record like the logger it was fitted on, the hand held fixed?

For each dataset, the people are split in two halves A and B (by user). The
logger is fitted on A (``Logger.fit``) and B's own recorded movements are
re-recorded through it (``Logger.relog``: continuous motion recovered, then
sampled). deval's meter then reads

* ``A vs B``: people vs people of the same logger (the baseline), and
* ``A vs relog(B)``: the same people of B seen through the fitted logger.

A faithful logger model puts the second within +0.03 of the first. The
datasets are SapiMouse-dev as recorded, and SapiMouse-dev's continuous motion
(recovered from its samples, :class:`deval.loggers.ContinuousMotion`)
recorded through every named logger of :data:`deval.loggers.LOGGERS`: a known
logger, known truth. ``--negatives SOURCE`` also generates negatives
``--timing like`` each A and reports the timing aspect of the meter (bar:
<= 0.60).

    python benchmarks/bench_logger_fidelity.py --data ../shared/data/sapimouse_dev.npz --n 2000 \\
        [--kinds poll-125hz-ms,remote-desktop-120ms] [--negatives diffusion] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from deval import generate_negatives, load_trajectories
from deval.compare import CompareSettings, compare_pair, prepare
from deval.loggers import LOGGERS, Logger

SETTINGS = CompareSettings(seed=0, metrics=("c2st",), baselines=False)


def meter(a_prep, other) -> dict:
    row = compare_pair(a_prep, prepare(other, "other", SETTINGS), SETTINGS).metrics
    return {"c2st": row["c2st_acc"], "timing": row.get("c2st_aspect_timing", float("nan")),
            "geometry": row.get("c2st_aspect_geometry", float("nan"))}


def halves(traj, seed: int = 0):
    users = np.unique(traj.meta["user"])
    rng = np.random.default_rng(seed)
    a_users = rng.choice(users, size=len(users) // 2, replace=False)
    in_a = np.isin(traj.meta["user"].to_numpy(), a_users)
    return traj[in_a], traj[~in_a]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/sapimouse_dev.npz")
    ap.add_argument("--n", type=int, default=2000, help="movements per half")
    ap.add_argument("--kinds", default=",".join(LOGGERS), help="named loggers to test (comma-separated)")
    ap.add_argument("--negatives", default=None, help="also generate negatives --timing like each A (a source)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    real = load_trajectories(args.data)
    datasets = {"sapimouse-dev (as recorded)": real}
    for name in filter(None, args.kinds.split(",")):
        datasets[name] = LOGGERS[name].relog(real, 0)
    print(f"{args.n} movements per half, halves split by user; meter C2ST (0.5 = indistinguishable)\n")
    head = ("| dataset | fitted logger (on A) | A vs B | A vs relog(B) | gap | timing aspect A vs B / relog "
            "| fit+relog s |")
    if args.negatives:
        head += f" {args.negatives} --timing like: C2ST / timing aspect |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    rows = []
    for name, data in datasets.items():
        a, b = halves(data)
        a, b = a.subsample(args.n, seed=1), b.subsample(args.n, seed=2)
        a_prep = prepare(a, "A", SETTINGS)
        t0 = time.perf_counter()
        lg = Logger.fit(a, seed=0)
        rb = lg.relog(b, 3)
        elapsed = time.perf_counter() - t0
        base, fid = meter(a_prep, b), meter(a_prep, rb)
        row = {"dataset": name, "logger": lg.describe(), "a_vs_b": base, "a_vs_relog_b": fid,
               "gap": fid["c2st"] - base["c2st"], "seconds": elapsed}
        line = (f"| {name} | {lg.describe()} | {base['c2st']:.3f} | {fid['c2st']:.3f} | {row['gap']:+.3f} | "
                f"{base['timing']:.3f} / {fid['timing']:.3f} | {elapsed:.1f} |")
        if args.negatives:
            neg = generate_negatives([args.negatives], n=args.n, like=a, timing="like", seed=0)
            row["negatives"] = meter(a_prep, neg)
            line += f" {row['negatives']['c2st']:.3f} / {row['negatives']['timing']:.3f} |"
        print(line, flush=True)
        rows.append(row)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"command": "python benchmarks/bench_logger_fidelity.py " + " ".join(sys.argv[1:]),
                       "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
