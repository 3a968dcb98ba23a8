"""Independent, seeded jobs (cross-validation folds, sampling chunks) run side by side in threads.

A probe's folds do not depend on each other: each has its own seed and data. :func:`run_jobs`
calls them in up to ``n_jobs`` threads, each job under its own thread limits (``n_threads`` OpenMP/BLAS
threads through ``threadpoolctl``; torch's intra-op threads are the caller's), so every job computes the
same numbers whatever ``n_jobs`` is: only the wall time changes. scikit-learn's histogram GBM and
torch release the GIL while they compute, so two jobs use two cores.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

from threadpoolctl import threadpool_limits

__all__ = ["default_jobs", "run_jobs", "torch_threads"]

T = TypeVar("T")


def default_jobs() -> int:
    """Jobs side by side by default: the CPUs this process may use (``DEVAL_JOBS`` overrides)."""
    env = os.environ.get("DEVAL_JOBS")
    if env and env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_jobs(jobs: Sequence[Callable[[], T]], n_jobs: int | None = None, n_threads: int | None = 1) -> list[T]:
    """Results of ``job()`` for every job, in order; up to ``n_jobs`` at a time (None: :func:`default_jobs`)."""
    n_jobs = default_jobs() if n_jobs is None else max(1, int(n_jobs))

    def call(job: Callable[[], T]) -> T:
        limits = contextlib.nullcontext() if n_threads is None else threadpool_limits(limits=n_threads)
        with limits:
            return job()

    if n_jobs == 1 or len(jobs) <= 1:
        return [call(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(n_jobs, len(jobs)), thread_name_prefix="deval-fold") as pool:
        return list(pool.map(call, jobs))


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Torch's intra-op threads set to ``n`` inside the block (None: unchanged)."""
    import torch

    previous = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
