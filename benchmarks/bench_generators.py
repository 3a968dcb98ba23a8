"""Generation throughput of every scripted style (movements per second).

Command::

    python benchmarks/bench_generators.py [--n 20000] [--repeats 3] [--workers 2]
        [--styles noise spline ...] [--replay-data ../shared/data/sapimouse_dev.npz]

Each style samples ``n`` movements in one call on pre-drawn endpoints (1920x1080
screen, log-normal distances around 450 px), ``repeats`` times; the best time
counts. Generation is vectorised NumPy and single-threaded, so the 2-core figure
runs ``workers`` processes, each generating ``n`` movements with its own seed,
and divides all movements by the wall time of the slowest. Target: >= 20,000
movements/s for every scripted style. ``replay`` is included when its data file
exists. ``gestures`` (mixed click/swipe/drag sequences of 64 steps with a press
channel) ignores the endpoints.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "sapimouse_dev.npz"
SCRIPTED = ("noise", "spline", "pid", "minimum-jerk", "sigma-lognormal", "gestures")  # gestures: 64-step sequences

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _make(style: str, replay_data: str | None):
    from deval.generators import get

    return get(style)(data=replay_data) if style == "replay" else get(style)()


def _time_once(style: str, n: int, seed: int, replay_data: str | None) -> tuple[float, int]:
    import numpy as np

    from deval.generators.endpoints import draw_endpoints

    gen = _make(style, replay_data)
    cond = draw_endpoints(n, np.random.default_rng(seed))
    t0 = time.perf_counter()
    traj = gen.sample(n, cond=cond, seed=seed)
    return time.perf_counter() - t0, traj.n_points


def _worker(args: tuple[str, int, int, str | None]) -> tuple[float, int]:
    return _time_once(*args)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="movements per call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="processes for the multi-core figure")
    ap.add_argument("--styles", nargs="*", default=None)
    ap.add_argument("--replay-data", default=str(DEFAULT_DATA))
    args = ap.parse_args(argv)
    print("command: python benchmarks/bench_generators.py " + " ".join(sys.argv[1:]))
    print(f"cpus: {os.cpu_count()}, n = {args.n} movements per call, best of {args.repeats}")
    styles = list(args.styles or SCRIPTED)
    replay_data = args.replay_data if Path(args.replay_data).exists() else None
    if args.styles is None and replay_data:
        styles.append("replay")
        _make("replay", replay_data)  # warm the file cache

    header = f"{'style':<16}{'points/mov':>11}{'1 process mov/s':>17}{'points/s':>12}{f'{args.workers} processes mov/s':>20}"
    print(header)
    print("-" * len(header))
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers) as pool:
        for style in styles:
            best, points = min(_time_once(style, args.n, 1000 + r, replay_data) for r in range(args.repeats))
            par = float("inf")
            for r in range(args.repeats):
                t0 = time.perf_counter()
                pool.map(_worker, [(style, args.n, 2000 + 10 * r + w, replay_data) for w in range(args.workers)])
                par = min(par, time.perf_counter() - t0)
            print(f"{style:<16}{points / args.n:>11.1f}{args.n / best:>17,.0f}{points / best:>12,.0f}"
                  f"{args.workers * args.n / par:>20,.0f}", flush=True)
    print("(multi-process times include sending work to the pool; the machine may be shared)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
