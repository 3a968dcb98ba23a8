"""Throughput and peak memory of each stage at scale: generate, features, score, compare.

Command::

    python benchmarks/bench_scale.py --n 100000 [--n 1000000] [--schedulers none,local:1,local:2]

Each stage runs as its own process (``deval`` on the command line), so its peak resident memory is its own: the
largest ``ru_maxrss`` among the processes it waited for (with Dask, the
workers are counted when they are reaped; the driver holds the whole output).
Stages: ``generate-negatives -s spline`` (N movements), ``deval features`` of that file (kinematic +
spectral, written to a CSV), ``score`` with an hgb detector trained on the shipped
sample, and ``compare`` of the shipped sample with the file (C2ST meter and MMD,
the meter's default cap of 5,000 movements per side, compare's default cap of 20,000 per set).
With ``--parts`` the negatives are written as a folder of ``.npz`` parts, which features, score and compare
stream (one part in memory at a time). Prints one row per
(N, scheduler, stage).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

RUNNER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
          "rc = subprocess.run(sys.argv[1:]).returncode; dt = time.perf_counter() - t; "
          "print(f'{rc} {dt:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')")


def measure(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of ``cmd`` run in a fresh process."""
    out = subprocess.run([sys.executable, "-c", RUNNER, *cmd], capture_output=True, text=True)
    last = out.stdout.strip().splitlines()[-1].split()
    if last[0] != "0":
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return float(last[1]), int(last[2]) / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="movements (repeatable; default 100000)")
    ap.add_argument("--schedulers", default="none,local:2")
    ap.add_argument("--parts", action="store_true", help="generate into a folder of .npz parts (--out DIR/)")
    args = ap.parse_args()
    from deval.data import sample_path

    deval = [sys.executable, "-c", "import sys; from deval.app.cli.main import main; sys.argv[0] = 'deval'; main()"]
    sample = str(sample_path())
    print(f"{'N':>9s} {'scheduler':>10s} {'stage':>10s} {'seconds':>9s} {'mov/s':>10s} {'peak MiB':>9s}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run([*deval, "generate-negatives", "-s", "spline", "--like", sample, "--n", "2000", "-q",
                        "-o", str(d / "train_neg.npz")], check=True)
        subprocess.run([*deval, "train-detector", "--real", sample, "--negatives", str(d / "train_neg.npz"),
                        "--out", str(d / "det"), "-q"], check=True, capture_output=True)
        for n in args.n or [100000]:
            for sched in args.schedulers.split(","):
                extra = [] if sched == "none" else ["--scheduler", sched]
                gen = d / f"gen_{n}" if args.parts else d / f"gen_{n}.npz"
                stages = {
                    "generate": [*deval, "generate-negatives", "-s", "spline", "--n", str(n), "--seed", "0", "-q",
                                 "--force", "-o", str(gen) + ("/" if args.parts else ""), *extra],
                    "features": [*deval, "features", str(gen), "-q", "--force", "-o", str(d / "f.csv"), *extra],
                    "score": [*deval, "score", str(d / "det"), str(gen), "-q", "--force", "-o", str(d / "s.csv"),
                              *extra],
                    "compare": [*deval, "compare", sample, str(gen), "-q", "--force", "--metrics", "c2st,mmd",
                                "--no-baselines", "--out", str(d / "rep")],
                }
                for stage, cmd in stages.items():
                    if sched != "none" and stage == "compare":
                        continue  # no --scheduler there
                    seconds, mib = measure(cmd)
                    print(f"{n:9d} {sched:>10s} {stage:>10s} {seconds:9.1f} {n / seconds:10.0f} {mib:9.0f}",
                          flush=True)


if __name__ == "__main__":
    main()
