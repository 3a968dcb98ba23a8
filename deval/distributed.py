"""Run seeded shards on one process or on a Dask cluster, with the same result.

Commands that split their work into seeded shards (``generate-negatives``,
``score``) take ``--scheduler``:

* none (the default): the shards run one after another in this process;
* ``local:N``: a ``dask.distributed.LocalCluster`` of N single-threaded worker processes;
* an address (``tcp://host:8786``): an existing ``dask.distributed`` scheduler.

Every shard carries its own seed, fixed before any shard runs, and results
come back in shard order, so the output is the same whatever the number of
workers, or none. Dask is an optional extra: ``pip install 'deval[distributed]'``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any, Callable, Iterable, Iterator

from deval.errors import ConfigError

__all__ = ["ShardRunner", "parse_scheduler", "shard_runner"]

log = logging.getLogger(__name__)
INSTALL_HINT = "the scheduler needs Dask: pip install 'deval[distributed]'"


def parse_scheduler(spec: str | None) -> tuple[str, int | str] | None:
    """``None``, ``("local", N)`` or ``("address", "tcp://...")`` from a ``--scheduler`` value."""
    if spec is None or str(spec).strip() in ("", "none"):
        return None
    text = str(spec).strip()
    m = re.fullmatch(r"local:(\d+)", text)
    if m:
        if int(m.group(1)) < 1:
            raise ConfigError(f"--scheduler local:N needs N >= 1, got {text!r}")
        return "local", int(m.group(1))
    if re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", text):
        return "address", text
    raise ConfigError(f"--scheduler must be local:N or a dask.distributed address (tcp://host:port), got {text!r}")


class ShardRunner:
    """``run(fn, shards, *shared)``: ``fn(shard, *shared)`` for every shard, in order, on a cluster or here."""

    def __init__(self, client=None, window: int | None = None):
        self.client = client
        self.window = window

    def run(self, fn: Callable[..., Any], shards: Iterable[Any], *shared: Any) -> Iterator[Any]:
        """The results in shard order, as they are consumed; shards are made lazily.

        Here, one by one. On a cluster, at most ``window`` shards are in flight (default: twice the
        workers' threads): a new shard is made and submitted only when the oldest result is taken, so
        neither this process nor the cluster ever holds more than a window of inputs and results.
        """
        if self.client is None:
            return (fn(shard, *shared) for shard in shards)
        return self._windowed(fn, iter(shards), shared)

    def run_frames(self, fn: Callable[..., Any], chunks: Iterable[Any], *shared: Any) -> Iterator[Any]:
        """:meth:`run` for shards that each return a DataFrame with one row per movement of their chunk: every
        frame gets a first column ``index``, the row of the movement in the whole input."""
        import numpy as np

        offset = 0
        for frame in self.run(fn, chunks, *shared):
            frame.insert(0, "index", np.arange(offset, offset + len(frame), dtype=np.int64))
            offset += len(frame)
            yield frame

    def _windowed(self, fn: Callable[..., Any], shards: Iterator[Any], shared: tuple) -> Iterator[Any]:
        from collections import deque

        # large shared objects (a generator, a detector) travel once to every worker
        scattered = [self.client.scatter(obj, broadcast=True, hash=False) for obj in shared]
        window = self.window or max(2, 2 * sum(self.client.nthreads().values()))
        pending: deque = deque()
        for shard in shards:
            data = self.client.scatter(shard, hash=False)  # the shard's data goes to a worker, not into the graph
            pending.append(self.client.submit(fn, data, *scattered, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@contextlib.contextmanager
def shard_runner(spec: str | None) -> Iterator[ShardRunner]:
    """A :class:`ShardRunner` for ``--scheduler spec`` (the cluster it starts is closed on exit)."""
    parsed = parse_scheduler(spec)
    if parsed is None:
        yield ShardRunner()
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    kind, value = parsed
    logging.getLogger("distributed").setLevel(logging.WARNING)  # the scheduler's INFO lines are not ours
    if kind == "local":
        with LocalCluster(n_workers=int(value), threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            log.info("dask LocalCluster with %d workers", value)
            yield ShardRunner(client)
    else:
        try:
            client = Client(str(value), timeout="10s")
        except OSError as exc:
            raise ConfigError(f"cannot reach the dask scheduler at {value} ({exc})") from None
        with client:
            yield ShardRunner(client)
