"""The realism meter against known differences built from real movements (the calibration suite).

For each case of :data:`deval.calibration.KNOWN_DIFFERENCES`, real movements of
one half of the people are compared with the changed movements of the other
half; two reference rows compare unchanged halves (random halves, and two
groups of people). Every probe of the meter is shown, with the headline and
the aspect that reads highest.

    python benchmarks/bench_meter_calibration.py --data ../shared/data/sapimouse_dev.npz --n 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deval import load_trajectories
from deval.calibration import KNOWN_DIFFERENCES
from deval.compare import CompareSettings, compare_pair, prepare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/sapimouse_dev.npz")
    ap.add_argument("--n", type=int, default=2000, help="movements per side")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", default="", help="comma-separated subset of the cases")
    args = ap.parse_args()

    real = load_trajectories(args.data)
    rng = np.random.default_rng(args.seed)
    users = np.unique(real.user)
    half = rng.permutation(users)[: len(users) // 2]
    a = real[np.isin(real.user, half)].subsample(args.n, seed=args.seed)
    b = real[~np.isin(real.user, half)].subsample(args.n, seed=args.seed + 1)
    perm = rng.permutation(len(real))
    r1, r2 = real.take(np.sort(perm[: args.n])), real.take(np.sort(perm[args.n: 2 * args.n]))
    settings = CompareSettings(seed=args.seed, metrics=("c2st",), baselines=False)
    cases = {"real vs real (random halves)": (r1, r2), "human vs human (two groups of people)": (a, b)}
    wanted = [c for c in args.cases.split(",") if c]
    for name, fn in KNOWN_DIFFERENCES.items():
        if not wanted or name in wanted:
            cases[name] = (a, fn(b, args.seed))
    print("| case | headline | features | sequence | stack | strongest aspect | s |")
    print("|---|---|---|---|---|---|---|")
    for name, (ref, other) in cases.items():
        t0 = time.perf_counter()
        row = compare_pair(prepare(ref, "real", settings), prepare(other, "fake", settings), settings).metrics
        aspects = {k[len("c2st_aspect_"):]: v for k, v in row.items() if k.startswith("c2st_aspect_")}
        top = max(aspects, key=aspects.get)
        print(f"| {name} | {row['c2st_acc']:.3f} [{row['c2st_ci_low']:.3f}, {row['c2st_ci_high']:.3f}] | "
              f"{row['c2st_features_acc']:.3f} | {row['c2st_sequence_acc']:.3f} | {row['c2st_stack_acc']:.3f} | "
              f"{top} {aspects[top]:.3f} | {time.perf_counter() - t0:.1f} |", flush=True)


if __name__ == "__main__":
    main()
