"""Speed and memory of the realism metrics, side by side with plain reference implementations.

Command::

    python benchmarks/bench_metrics.py                 # 20k vs 20k, the default cases
    python benchmarks/bench_metrics.py --n 5000 --cases mmd_deval,mmd_cdist
    python benchmarks/bench_metrics.py --threads 1     # torch / OpenMP / BLAS threads per case

Cases (each runs in its own subprocess, so peak memory is per case):

==============  =============================================================
mmd_deval       ``deval.metrics.mmd_rbf`` (blocked float32 torch), d = --mmd-d
mmd_cdist       plain full-matrix MMD²: three ``torch.cdist`` matrices (float32)
mmd_test        ``deval.metrics.mmd_test``, 200 permutations
knn_deval       ``deval.metrics.knn_prdc`` (blocked), d = --knn-d
prdc_ref        ``prdc.compute_prdc`` on the same arrays (as float32, its
                documented input; needs ~5 n² x 4 bytes of memory)
c2st_hgb        ``deval.metrics.c2st_test`` (gradient-boosting probe, 5 folds),
                --c2st-d features
==============  =============================================================

Peak memory is the subprocess's ``ru_maxrss`` (tracemalloc does not see torch
allocations); "extra" is the peak minus the high-water mark after imports and
data generation, i.e. what the metric itself added. CPU time is the process's
user+system time (with 2 threads busy it is ~2x the wall time). The load
average before and after is printed because the benchmark machine may be shared
(a busy machine inflates the wall times, OpenMP-heavy cases the most).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import time

CASES = ("mmd_deval", "mmd_cdist", "mmd_test", "knn_deval", "prdc_ref", "c2st_hgb")


def _data(n: int, d: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n, d))
    fake = rng.normal(size=(n, d)) * 1.05 + 0.05
    return real, fake


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _mmd_cdist(real, fake, sigma: float) -> float:
    import torch

    x, y = torch.from_numpy(real).float(), torch.from_numpy(fake).float()
    gamma = 1.0 / (2.0 * sigma * sigma)
    n, m = len(x), len(y)
    kxx = torch.exp(-gamma * torch.cdist(x, x).square_())
    sxx = float(kxx.sum() - kxx.diagonal().sum())
    del kxx
    kyy = torch.exp(-gamma * torch.cdist(y, y).square_())
    syy = float(kyy.sum() - kyy.diagonal().sum())
    del kyy
    sxy = float(torch.exp(-gamma * torch.cdist(x, y).square_()).sum())
    return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2.0 * sxy / (n * m)


def worker(case: str, args: argparse.Namespace) -> dict:
    """Run one case in this process; return its figures."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    from deval import metrics

    if args.threads:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    d = {"mmd_deval": args.mmd_d, "mmd_cdist": args.mmd_d, "mmd_test": args.mmd_d, "knn_deval": args.knn_d,
         "prdc_ref": args.knn_d, "c2st_hgb": args.c2st_d}[case]
    real, fake = _data(args.n, d, args.seed)
    if case == "prdc_ref":
        real, fake = real.astype(np.float32), fake.astype(np.float32)
    sigma = metrics.median_heuristic(real, fake) if case.startswith("mmd") else None
    baseline = _maxrss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    if case == "mmd_deval":
        out = {"mmd2": metrics.mmd_rbf(real, fake, sigma=sigma)}
    elif case == "mmd_cdist":
        out = {"mmd2": _mmd_cdist(real, fake, sigma)}
    elif case == "mmd_test":
        res = metrics.mmd_test(real, fake, sigma=sigma, n_permutations=200)
        out = {"mmd2": res.mmd2, "p_value": res.p_value}
    elif case == "knn_deval":
        res = metrics.knn_prdc(real, fake, k=5)
        out = {key: getattr(res, key) for key in ("precision", "recall", "density", "coverage")}
        out["float64_rechecks"] = res.n_float64_rechecks
    elif case == "prdc_ref":
        from prdc import compute_prdc

        with contextlib.redirect_stdout(io.StringIO()):
            out = {key: float(v) for key, v in compute_prdc(real, fake, 5).items()}
    elif case == "c2st_hgb":
        res = metrics.c2st_test(real, fake)
        out = {"accuracy": res.accuracy, "roc_auc": res.roc_auc}
    else:
        raise SystemExit(f"unknown case {case}")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"case": case, "n": args.n, "d": d, "wall_s": wall, "cpu_s": cpu, "peak_mb": _maxrss_mb(),
            "extra_mb": _maxrss_mb() - baseline, "values": out}


def _mem_available_gb() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="samples per set")
    parser.add_argument("--mmd-d", type=int, default=32)
    parser.add_argument("--knn-d", type=int, default=64)
    parser.add_argument("--c2st-d", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="threads per case (0: library defaults)")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return

    cases = [c for c in args.cases.split(",") if c]
    print(f"# {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(f"# cpus {os.cpu_count()}, load average before {os.getloadavg()[0]:.2f}")
    rows = {}
    for case in cases:
        if case == "prdc_ref":
            need = 5 * args.n**2 * 4 / 2**30 + 1
            if need > 0.8 * _mem_available_gb():
                print(f"# skip prdc_ref: needs ~{need:.1f} GB, {_mem_available_gb():.1f} GB available")
                continue
        cmd = [sys.executable, __file__, "--worker", case, "--n", str(args.n), "--mmd-d", str(args.mmd_d),
               "--knn-d", str(args.knn_d), "--c2st-d", str(args.c2st_d), "--seed", str(args.seed),
               "--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"# {case} failed:\n{proc.stderr[-2000:]}")
            continue
        rows[case] = json.loads(proc.stdout.strip().splitlines()[-1])

    header = ["wall s", "cpu s", "peak MB", "extra MB"]
    print(f"{'case':10s} {'n':>6s} {'d':>3s} " + " ".join(f"{h:>8s}" for h in header) + "  values")
    for case, r in rows.items():
        vals = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in r["values"].items())
        print(f"{case:10s} {r['n']:6d} {r['d']:3d} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_mb']:8.0f} "
              f"{r['extra_mb']:8.0f}  {vals}")
    for fast, slow in (("mmd_deval", "mmd_cdist"), ("knn_deval", "prdc_ref")):
        if fast in rows and slow in rows:
            a, b = rows[fast], rows[slow]
            diff = max(abs(a["values"][k] - b["values"][k]) for k in b["values"] if k in a["values"])
            print(f"# {slow} / {fast}: wall x{b['wall_s'] / a['wall_s']:.2f}, extra memory "
                  f"x{b['extra_mb'] / max(a['extra_mb'], 1.0):.1f}, max |difference| of values {diff:.2e}")
    print(f"# load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
