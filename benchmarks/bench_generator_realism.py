"""How human-like is each generator style? C2ST of every style against SapiMouse-dev.

Command::

    python benchmarks/bench_generator_realism.py [--data ../shared/data/sapimouse_dev.npz]
        [--n 2000] [--seed 0] [--pairwise] [--styles noise spline ...] [--threads 1]

For each registered scripted style (and ``replay``, fitted on one half of the
SapiMouse users and compared with the other half), ``n`` movements are
generated on endpoints drawn from the real file (so start/end distributions
match), turned into deval's features (:func:`deval.features.extract_features`,
kinematic + spectral) and compared with ``n`` real movements by deval's C2ST
(:func:`deval.metrics.c2st_test`: gradient-boosting probe, 5 folds). 0.5 means
the probe cannot tell the style from humans, 1.0 that it always can.
``--pairwise`` also prints the C2ST of every pair of styles.

The real movements compared against come from users not used to fit
``replay`` (odd user ids), so replay is not scored on the movements it replays.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "sapimouse_dev.npz"
SCRIPTED = ("noise", "spline", "pid", "minimum-jerk", "sigma-lognormal")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="real trajectory file (SapiMouse-dev)")
    ap.add_argument("--n", type=int, default=2000, help="movements per side")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairwise", action="store_true", help="also C2ST between every pair of styles")
    ap.add_argument("--styles", nargs="*", default=None, help="styles to score (default: scripted + replay)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads of the probe (1 avoids oversubscription on a shared machine)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.threads):
        return run(args)


def run(args: argparse.Namespace) -> int:

    from deval.features import extract_features
    from deval.generators import get
    from deval.io import load_trajectories
    from deval.metrics import c2st_test

    print("command: python benchmarks/bench_generator_realism.py " + " ".join(sys.argv[1:]))
    real_all = load_trajectories(args.data)
    users = real_all.user
    fit_part = real_all[users % 2 == 0]  # replay library
    test_part = real_all[users % 2 == 1]  # compared against
    real = test_part.subsample(args.n, seed=args.seed)
    cond = test_part.endpoints().resample(args.n, seed=args.seed + 1)
    real_feats = extract_features(real).to_numpy()
    styles = args.styles or [*SCRIPTED, "replay"]

    feats: dict[str, np.ndarray] = {}
    rows = []
    for k, style in enumerate(styles):
        cls = get(style)
        gen = cls().fit(fit_part) if style == "replay" else cls()
        t0 = time.perf_counter()
        fake = gen.sample(args.n, cond=cond, seed=args.seed + 10 + k)
        gen_s = time.perf_counter() - t0
        feats[style] = extract_features(fake).to_numpy()
        res = c2st_test(real_feats, feats[style], seed=args.seed)
        rows.append((style, res.accuracy, res.accuracy_std, res.roc_auc, res.p_value, np.median(fake.lengths),
                     np.median(fake.durations), gen_s))

    print(f"\nC2ST vs SapiMouse-dev ({args.data}), {args.n} movements per side, seed {args.seed}")
    print(f"{'style':<16} {'C2ST acc':>9} {'± sd':>7} {'AUC':>7} {'p-value':>9} {'med pts':>8} {'med dur s':>10}")
    print(f"{'human (ref)':<16} {'':>9} {'':>7} {'':>7} {'':>9} {np.median(real.lengths):>8.0f} "
          f"{np.median(real.durations):>10.3f}")
    for style, acc, sd, auc, p, pts, dur, _ in sorted(rows, key=lambda r: r[1]):
        print(f"{style:<16} {acc:>9.3f} {sd:>7.3f} {auc:>7.3f} {p:>9.1e} {pts:>8.0f} {dur:>10.3f}")

    if args.pairwise:
        half = args.n // 2
        print(f"\nC2ST between styles (accuracy, {half} movements per side)")
        names = list(feats)
        print(" " * 16 + "".join(f"{s[:15]:>16}" for s in names[1:]))
        for i, a in enumerate(names[:-1]):
            cells = [""] * i + [f"{c2st_test(feats[a][:half], feats[b][:half], seed=args.seed).accuracy:.3f}"
                                for b in names[i + 1:]]
            print(f"{a:<16}" + "".join(f"{c:>16}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
