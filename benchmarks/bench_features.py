"""Speed and memory of deval.features on real mouse movements.

Command::

    python benchmarks/bench_features.py [--data PATH] [--repeats 5] [--replicate 2] [--no-peer]

Times :func:`deval.features.kinematic_features` (1 thread and the default
thread count) and :func:`deval.features.spectral_features` on SapiMouse-dev and
on a replicated batch (SapiMouse-dev concatenated ``--replicate`` times), and
compares the kinematic features with a *peer* implementation: the same
features computed movement by movement in a Python loop (NumPy inside each
movement, the way one would write it without the CSR layout). The peer's
output is checked against the vectorised one before timing counts.

Prints a table: wall-clock points/s (best of ``--repeats`` runs) and points per
CPU-second of that run (all threads), the speed-up over the peer (wall clock),
and the peak memory of one call (``tracemalloc``, NumPy allocations included),
plus the machine and its load. Timings on a shared machine are pessimistic.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from deval.features import extract_features, kinematic_features, spectral_features
from deval.features.kinematic import END_FRACTION, KINEMATIC_DOCS, PAUSE_MIN_S, PAUSE_SPEED, PEAK_FRACTION
from deval.io import load_trajectories
from deval.trajectories import Trajectories

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sapimouse_dev.npz"
COMMAND = "python benchmarks/bench_features.py"


# --------------------------------------------------------------------- peer
def peer_movement(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> list[float]:
    """The kinematic features of one movement, NumPy within the movement (column order of KINEMATIC_DOCS)."""
    T = len(x)
    dx, dy = np.diff(x), np.diff(y)
    dt = np.maximum(np.diff(t), 0.0)
    ds = np.sqrt(dx * dx + dy * dy)
    steps = max(T - 1, 0)
    duration = dt.sum()
    dt_mean = duration / steps if steps else 0.0
    dt_std = math.sqrt(np.mean((dt - dt_mean) ** 2)) if steps else 0.0
    dt_cv = dt_std / dt_mean if dt_mean > 0 else 0.0
    dt_max = dt.max() if steps else 0.0
    path = ds.sum()
    ex, ey = (x[-1] - x[0], y[-1] - y[0]) if T else (0.0, 0.0)
    net = math.hypot(ex, ey)
    straightness = min(net / path, 1.0) if path > 0 else 1.0

    timed = dt > 0
    v = np.zeros(steps)
    v[timed] = ds[timed] / dt[timed]
    speed_mean = ds[timed].sum() / duration if duration > 0 else 0.0
    speed_std = math.sqrt(np.sum(dt * (v - speed_mean) ** 2) / duration) if duration > 0 else 0.0
    speed_max = v.max() if steps else 0.0
    peak_ratio = speed_max / speed_mean if speed_mean > 0 else 1.0

    ok = timed[:-1] & timed[1:]
    span = 0.5 * (dt[:-1] + dt[1:])
    dv = np.where(ok, np.diff(v), 0.0)
    acc = np.where(ok, dv / np.where(ok, span, 1.0), 0.0)
    acc_span = np.where(ok, span, 0.0)
    accel_mean_abs = np.abs(dv).sum() / acc_span.sum() if acc_span.sum() > 0 else 0.0
    accel_max = max(acc.max(initial=0.0), 0.0)
    decel_max = max(-acc.min(initial=0.0), 0.0)
    jok = ok[:-1] & ok[1:]
    jspan = 0.5 * (acc_span[:-1] + acc_span[1:])
    da = np.where(jok, np.diff(acc), 0.0)
    jerk = np.abs(da) / np.where(jok, jspan, 1.0)
    jerk_mean_abs = np.abs(da).sum() / np.where(jok, jspan, 0.0).sum() if np.any(jok) else 0.0
    jerk_max_abs = jerk.max(initial=0.0)

    idx = np.flatnonzero(timed)
    vv = v[idx]
    k = len(vv)
    before = np.concatenate([[0.0], vv[:-1]]) if k else vv
    after = np.concatenate([vv[1:], [0.0]]) if k else vv
    weight = np.full(k, 4.0)
    if k:
        weight[0] -= 1.0
        weight[-1] -= 1.0
    smooth = (2.0 * vv + before + after) / weight
    peak = smooth.max() if k else 0.0
    up = np.diff(smooth) > 1e-9 * peak
    rises = np.concatenate([[True], up]) if k else up
    falls = np.concatenate([~up, [True]]) if k else up
    n_peaks = int(np.sum(rises & falls & (smooth > 0) & (smooth >= PEAK_FRACTION * peak)))
    if k and peak > 0 and duration > 0:
        j = idx[int(np.argmax(smooth))]
        ttp = min(max((t[j] - t[0] + 0.5 * dt[j]) / duration, 0.0), 1.0)
    else:
        ttp = 0.5

    m = ds > 0
    mdx, mdy, mds = dx[m], dy[m], ds[m]
    cross = mdx[:-1] * mdy[1:] - mdy[:-1] * mdx[1:]
    turn = np.abs(np.arctan2(cross, mdx[:-1] * mdx[1:] + mdy[:-1] * mdy[1:]))
    heading_total = turn.sum()
    heading_mean = turn.mean() if len(turn) else 0.0
    arc = (0.5 * (mds[:-1] + mds[1:])).sum()
    curvature = heading_total / arc if arc > 0 else 0.0

    relx, rely = (x - x[0], y - y[0]) if T else (x, y)
    if net > 0:
        ux, uy = ex / net, ey / net
        along, lat = relx * ux + rely * uy, np.abs(ux * rely - uy * relx)
    else:
        along, lat = np.zeros(T), np.hypot(relx, rely)
    w = np.zeros(T)
    w[:-1] += 0.5 * dt
    w[1:] += 0.5 * dt
    ms = (w * lat**2).sum() / duration if duration > 0 else (lat**2).mean() if T else 0.0
    lat_rms = math.sqrt(ms)
    lat_max = lat.max() if T else 0.0
    overshoot = max(along.max() - net, 0.0) if (T and net > 0) else 0.0

    inside = np.clip((t[:-1] - t[0]) + dt - (1 - END_FRACTION) * duration, 0.0, dt) if steps else dt
    end_speed = (v * inside).sum() / (END_FRACTION * duration) if duration > 0 else 0.0
    end_slowdown = end_speed / speed_mean if speed_mean > 0 else 1.0

    slow = ds <= PAUSE_SPEED * dt
    edges = np.diff(np.concatenate([[0], slow.astype(np.int8), [0]]))
    elapsed = np.concatenate([[0.0], np.cumsum(dt)])
    run_time = elapsed[np.flatnonzero(edges == -1)] - elapsed[np.flatnonzero(edges == 1)]
    long_runs = run_time[run_time >= PAUSE_MIN_S - 1e-9]
    pause_frac = min(long_runs.sum() / duration, 1.0) if duration > 0 else 0.0

    def rel(value: float) -> float:
        return value / net if net > 0 else 0.0

    return [
        duration, T, dt_mean, dt_std, dt_cv, dt_max, path, net, straightness, heading_mean, heading_total,
        curvature, lat_rms, lat_max, rel(lat_rms), rel(lat_max), overshoot, rel(overshoot), speed_mean,
        speed_max, speed_std, peak_ratio, accel_mean_abs, accel_max, decel_max, jerk_mean_abs, jerk_max_abs,
        ttp, n_peaks, end_slowdown, len(long_runs), pause_frac,
    ]


def peer_kinematic(traj: Trajectories) -> pd.DataFrame:
    """Per-movement Python loop over :func:`peer_movement`."""
    rows = []
    off = traj.offsets
    for i in range(len(traj)):
        s = slice(off[i], off[i + 1])
        rows.append(peer_movement(traj.x[s], traj.y[s], traj.t[s]))
    return pd.DataFrame(rows, columns=list(KINEMATIC_DOCS))


# ------------------------------------------------------------------ harness
def best_time(func: Callable[[], object], repeats: int, warm_up: bool = True) -> tuple[float, float]:
    """Wall-clock seconds of the fastest of ``repeats`` runs and the CPU seconds of that run.

    On a shared machine the CPU time (all threads of this process) is the less
    disturbed of the two.
    """
    if warm_up:
        func()
    best = (math.inf, math.inf)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        run = (time.perf_counter() - wall, time.process_time() - cpu)
        best = min(best, run)
    return best


def peak_memory_mb(func: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {cpus} CPUs available, load average {load}; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, pandas {pd.__version__}, {platform.system()} {platform.release()}")


def fmt(value: float) -> str:
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SapiMouse-dev .npz")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (best is reported)")
    parser.add_argument("--replicate", type=int, default=2, help="copies of the data in the large batch")
    parser.add_argument("--no-peer", action="store_true", help="skip the per-movement loop peer")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"{args.data}: not found (give --data PATH)", file=sys.stderr)
        return 2

    real = load_trajectories(args.data)
    batches = {
        "SapiMouse-dev": real,
        f"SapiMouse-dev x{args.replicate}": Trajectories.concat([real] * args.replicate),
    }
    rows = []
    for name, traj in batches.items():
        cases: dict[str, Callable[[], object]] = {
            "kinematic, 1 thread": lambda traj=traj: kinematic_features(traj, n_threads=1),
            "kinematic, default threads": lambda traj=traj: kinematic_features(traj),
            "spectral": lambda traj=traj: spectral_features(traj),
            "extract_features (all)": lambda traj=traj: extract_features(traj),
        }
        if not args.no_peer:
            got = kinematic_features(traj.take(np.arange(min(2000, len(traj)))))
            ref = peer_kinematic(traj.take(np.arange(min(2000, len(traj)))))
            np.testing.assert_allclose(got.to_numpy(float), ref.to_numpy(float), rtol=1e-9, atol=1e-9)
            cases["kinematic, peer loop"] = lambda traj=traj: peer_kinematic(traj)
        times = {}
        for case, func in cases.items():
            peer_case = "peer" in case
            times[case], cpu = best_time(func, 1 if peer_case else args.repeats, warm_up=not peer_case)
            rows.append({
                "batch": name, "case": case, "movements": len(traj), "points": traj.n_points,
                "seconds": times[case], "Mpoints/s": traj.n_points / times[case] / 1e6,
                "CPU s": cpu, "Mpoints/CPU-s": traj.n_points / cpu / 1e6,
                "peak MiB": float("nan") if peer_case else peak_memory_mb(func),
            })
        peer = times.get("kinematic, peer loop")
        for r in rows:
            if r["batch"] == name:
                is_kinematic = r["case"].startswith("kinematic")
                r["x peer"] = peer / r["seconds"] if (peer and is_kinematic) else float("nan")

    table = pd.DataFrame(rows)
    print(f"# {COMMAND} {' '.join(sys.argv[1:])}".rstrip())
    print(f"# machine: {machine()}")
    print(f"# best of {args.repeats} runs (peer: 1 run); peak memory by tracemalloc during one call")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=fmt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
