"""Which features move with the logger? People as logged vs the same people re-recorded by other loggers.

For every feature, the largest Kolmogorov-Smirnov distance between the
features of real movements under a view and those of the same movements
re-recorded by each logger of ``deval.loggers.LOGGERS`` (then the same view).
Features above 0.1 under ``logger-robust`` are the list
``deval.detectors.views.LOGGER_CONFOUNDED``.

    python benchmarks/bench_logger_confounds.py --data ../shared/data/sapimouse_dev.npz --n 3000
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import ks_2samp

from deval.detectors.featurizer import TrajectoryFeaturizer
from deval.detectors.views import LOGGER_CONFOUNDED, parse_view
from deval.io import load_trajectories
from deval.loggers import LOGGERS


def worst_ks(real, view_name: str) -> tuple[list[str], np.ndarray, list[str]]:
    view = parse_view(view_name)
    fz = TrajectoryFeaturizer("all").fit(real)
    base = fz.transform(view.apply(real))
    worst, which = np.zeros(base.shape[1]), [""] * base.shape[1]
    for name, logger in LOGGERS.items():
        other = fz.transform(view.apply(logger.relog(real, 0)))
        for j in range(base.shape[1]):
            a, b = base[:, j], other[:, j]
            ks = ks_2samp(a[np.isfinite(a)], b[np.isfinite(b)], method="asymp").statistic
            if ks > worst[j]:
                worst[j], which[j] = ks, name
    return fz.columns_, worst, which


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/sapimouse_dev.npz")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--views", default="raw,60hz,logger-robust")
    args = ap.parse_args()
    real = load_trajectories(args.data).subsample(args.n, seed=0)
    views = args.views.split(",")
    results = {v: worst_ks(real, v) for v in views}
    cols = results[views[0]][0]
    order = np.argsort(-results[views[-1]][1])
    print(f"{'feature':32s} " + " ".join(f"{v:>14s}" for v in views) + "  worst logger (last view)   in LOGGER_CONFOUNDED")
    for j in order:
        print(f"{cols[j]:32s} " + " ".join(f"{results[v][1][j]:14.3f}" for v in views)
              + f"  {results[views[-1]][2][j]:26s} {cols[j] in LOGGER_CONFOUNDED}")


if __name__ == "__main__":
    main()
