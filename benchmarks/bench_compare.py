"""End-to-end ``compare`` benchmark: 20k real vs 20k fake movements.

Command::

    python benchmarks/bench_compare.py [--data ../shared/data/sapimouse_dev.npz] [--n 20000]

The real set is SapiMouse-dev resampled with replacement to ``--n`` movements
(with a little jitter so that copies are not identical); the fake set is the
``sigma-lognormal`` bot conditioned on the real endpoints. Prints the time of
each stage (features, each metric, report) and the peak resident memory.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from pathlib import Path

import numpy as np

from deval.compare import CompareSettings, compare_pair, distance_scaler, prepare, real_baselines
from deval.generators import get
from deval.io import load_trajectories

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sapimouse_dev.npz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    real = load_trajectories(args.data)
    real = real.take(rng.integers(0, len(real), args.n))
    real = real.with_points(real.x + rng.normal(0, 0.3, real.n_points), real.y + rng.normal(0, 0.3, real.n_points))
    fake = get("sigma-lognormal")().sample(args.n, cond=real.endpoints(), seed=args.seed)

    settings = CompareSettings(seed=args.seed)
    rows = []
    t0 = time.perf_counter()
    rp = prepare(real, "real", settings)
    fp = prepare(fake, "fake", settings)
    rows.append(("features + PSD (both sets)", time.perf_counter() - t0))
    scaler = distance_scaler(rp)
    total = rows[0][1]
    meter_parts = {"c2st: meter feature probe": dict(sequence_probe=False, aspects=False),
                   "c2st: + per-aspect probes": dict(sequence_probe=False, aspects=True),
                   "c2st: + sequence and stack probes (full meter)": dict(sequence_probe=True, aspects=True)}
    for name, kw in meter_parts.items():
        s = CompareSettings(seed=args.seed, metrics=("c2st",), **kw)
        t = time.perf_counter()
        compare_pair(rp, fp, s, scaler)
        rows.append((name, time.perf_counter() - t))
    total += rows[-1][1]
    for metric in ("mmd", "prd", "prdc", "distances", "spectral"):
        s = CompareSettings(seed=args.seed, metrics=(metric,))
        t = time.perf_counter()
        compare_pair(rp, fp, s, scaler)
        rows.append((metric, time.perf_counter() - t))
        total += rows[-1][1]
    t = time.perf_counter()
    real_baselines(rp, settings)
    rows.append(("baselines (real vs real, 2k per side)", time.perf_counter() - t))
    total += rows[-1][1]
    rows.append(("total (features, full meter, other metrics, baselines)", total))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"# deval compare, {args.n} vs {args.n} movements ({real.n_points + fake.n_points} points), "
          f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}")
    print(f"# command: python benchmarks/bench_compare.py --n {args.n}")
    print(f"{'stage':40s} {'seconds':>8s}")
    for name, sec in rows:
        print(f"{name:40s} {sec:8.2f}")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
