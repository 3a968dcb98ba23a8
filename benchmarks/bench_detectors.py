"""Detector heads: parameter counts, training time, batch scoring throughput, single-movement latency.

Command::

    python benchmarks/bench_detectors.py [--real ../shared/data/sapimouse_dev.npz] [--n-train 2000]
        [--n-score 5000] [--latency-calls 200] [--epochs 3] [--views raw,60hz] [--heads hgb,logistic,cnn,gru]

Each head is trained on ``n-train`` real movements against as many bot movements
(the scripted ``spline`` and ``minimum-jerk`` generators on the real endpoints),
then scores ``n-score`` real movements in one call (throughput, best of 3,
including the view, canonicalisation and features / step padding) and single
movements one at a time (latency: median and 95th percentile over
``latency-calls`` calls). Torch heads run with one thread (the heads' default).
Prints one table row per (head, view).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _bots(real, seed: int):
    from deval.trajectories import Trajectories

    try:
        from deval.generators import available, get

        names = [n for n in ("spline", "minimum-jerk") if n in available()]
    except ImportError:
        names = []
    if not names:
        raise SystemExit("the spline / minimum-jerk generators are not available")
    half = len(real) // len(names)
    parts = [get(n)().sample(half, cond=real.endpoints().take(np.arange(half)), seed=seed) for n in names]
    return Trajectories.concat(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", default=str(REPO.parent / "shared" / "data" / "sapimouse_dev.npz"))
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-score", type=int, default=5000)
    parser.add_argument("--latency-calls", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--views", default="raw,60hz")
    parser.add_argument("--heads", default="hgb,logistic,cnn,gru")
    args = parser.parse_args(argv)

    from deval.detectors import make_detector
    from deval.detectors.metrics import roc_auc
    from deval.io import load_trajectories
    from deval.trajectories import Trajectories

    real = load_trajectories(args.real).with_meta(label=0)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(real))
    train_real = real.take(np.sort(perm[: args.n_train]))
    score_set = real.take(np.sort(perm[args.n_train: args.n_train + args.n_score]))
    train = Trajectories.concat([train_real, _bots(train_real, 0)])
    check = Trajectories.concat([score_set[:1000], _bots(score_set[:1000], 1)])
    print(f"# bench_detectors: {' '.join(sys.argv)}")
    print(f"# train {len(train)} movements ({args.n_train} real + bots), score {len(score_set)} real movements; "
          f"{args.latency_calls} single-movement calls")
    header = (f"{'head':9s} {'view':5s} {'params':>8s} {'train s':>8s} {'batch mov/s':>12s} "
              f"{'latency ms (median)':>20s} {'latency ms (p95)':>17s} {'AUC':>6s}")
    print(header)
    print("-" * len(header))
    for view in [v.strip() for v in args.views.split(",") if v.strip()]:
        for head in [h.strip() for h in args.heads.split(",") if h.strip()]:
            params = {"view": view}
            if head in ("cnn", "gru"):
                params["epochs"] = args.epochs
            det = make_detector(head, **params)
            t0 = time.perf_counter()
            det.fit(train)
            train_s = time.perf_counter() - t0
            auc = roc_auc(check.label, det.decision_function(check))
            best = np.inf
            for _ in range(3):
                t0 = time.perf_counter()
                det.decision_function(score_set)
                best = min(best, time.perf_counter() - t0)
            singles = [score_set[i] for i in range(min(args.latency_calls, len(score_set)))]
            det.decision_function(singles[0])  # warm-up
            lat = []
            for one in singles:
                t0 = time.perf_counter()
                det.decision_function(one)
                lat.append(time.perf_counter() - t0)
            lat_ms = np.asarray(lat) * 1e3
            print(f"{head:9s} {view:5s} {det.n_parameters():8d} {train_s:8.1f} {len(score_set) / best:12.0f} "
                  f"{np.median(lat_ms):20.2f} {np.percentile(lat_ms, 95):17.2f} {auc:6.3f}", flush=True)
    print("# params: learned numbers (tree nodes for hgb, coefficients for logistic, weights for cnn/gru)")
    print("# AUC: real (held-out movements) vs spline + minimum-jerk bots, a sanity check of training")


if __name__ == "__main__":
    main()
