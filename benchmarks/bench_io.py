"""Speed, size and memory of every trajectory format, on SapiMouse-dev.

    python benchmarks/bench_io.py [--data ../shared/data/sapimouse_dev.npz] [--repeat 3]

Writes SapiMouse-dev (15,046 movements, 558,627 points) in every format to a
temporary folder, then reads each back with :func:`deval.io.load_trajectories`
(detection + loading + validation) and prints, per format: file size, write
time, read time (best of ``--repeat``), read throughput in points per second
and the peak Python heap allocated while reading (``tracemalloc``). The event
"same" column checks that each file reads back to the movements written (for the
event log: that cutting the written log gives the same movements).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from deval.canonical import resample
from deval.io import load_trajectories, save_trajectories
from deval.io.actions import save_actions
from deval.io.event_log import save_event_log
from deval.io.json_lists import save_json_lists
from deval.io.long_csv import save_long_csv
from deval.io.padded import save_padded

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sapimouse_dev.npz"


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    traj = load_trajectories(args.data)
    fixed = resample(traj, n_points=32)  # equal-length movements for the flat actions format

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cases = [
            ("npz", d / "a.npz", lambda p: save_trajectories(traj, p), {}, traj),
            ("padded (NaN)", d / "a.npy", lambda p: save_padded(traj, p), {}, traj),
            ("actions [N*32,3]", d / "b_actions.npy", lambda p: save_actions(fixed, p), {"seq_len": 32}, fixed),
            ("csv (long)", d / "a.csv", lambda p: save_long_csv(traj, p), {}, traj),
            ("json", d / "a.json", lambda p: save_json_lists(traj, p), {}, traj),
            ("events (cut)", d / "log.csv", lambda p: save_event_log(traj, p), {}, traj),
        ]
        rows = []
        for name, path, write, opts, ref in cases:
            t_write, _ = best_of(lambda: (path.unlink(missing_ok=True), write(path)), 1)
            t_read, back = best_of(lambda: load_trajectories(path, **opts), args.repeat)
            mem = peak_mib(lambda: load_trajectories(path, **opts))
            same = (
                np.array_equal(back.offsets, ref.offsets) and np.array_equal(back.x, ref.x)
                and (name.startswith("actions") or np.allclose(back.t, ref.t, atol=1e-9))
            )  # flat actions carry no time: their t is the 60 Hz grid
            rows.append((name, path.stat().st_size / 2**20, t_write, t_read, ref.n_points / t_read, mem, same))

    print(f"deval I/O benchmark: {len(traj)} movements, {traj.n_points} points ({args.data.name}); "
          f"read = best of {args.repeat}")
    print(f"{'format':<18}{'MiB':>8}{'write s':>10}{'read s':>9}{'Mpts/s':>9}{'peak MiB':>10}  same")
    for name, size, tw, tr, rate, mem, same in rows:
        print(f"{name:<18}{size:>8.1f}{tw:>10.2f}{tr:>9.3f}{rate / 1e6:>9.2f}{mem:>10.0f}  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
