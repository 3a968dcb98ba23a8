"""Data-parallel training across processes started by ``torchrun`` (``torch.distributed``).

``torchrun --nproc-per-node N -m deval.app.cli.main train-generator ...`` starts N processes with
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` set; :meth:`DataParallel.from_env` reads them and
:meth:`~DataParallel.start` joins the process group: NCCL when training on CUDA (rank ``r`` on
``cuda:LOCAL_RANK``), gloo on the CPU. Without ``torchrun`` the world has one process and every method
is a no-op, so a one-process run is byte-for-byte what it was.

How a step is split: every rank holds the same model, optimiser and run ``torch.Generator`` (same seed,
weights broadcast from rank 0 at the start) and draws the same global batch of ``train.batch_size``
movements; rank ``r`` trains on rows ``[r*B/N, (r+1)*B/N)`` of it (the shard a ``DistributedSampler``
would give it: together the ranks cover every row once), and the gradients are averaged across ranks
with one all-reduce of a flat buffer after ``backward`` (what ``DistributedDataParallel`` does in buckets)
before clipping and the optimiser step. Because the per-row random draws are made at the global batch's
shape and then sliced (``rows`` of :meth:`DiffusionModel.loss`), a diffusion step on N processes
computes the same loss and gradient as one process on the whole batch, up to float summation order.
Only rank 0 validates, writes checkpoints and ``metrics.jsonl``, shows progress and prints the summary.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

import torch

from deval.errors import ConfigError

__all__ = ["DataParallel"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class DataParallel:
    """This process's place among the ranks of a data-parallel run (one process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    _started: bool = False
    _device: torch.device = torch.device("cpu")

    @classmethod
    def from_env(cls) -> "DataParallel":
        """The ranks ``torchrun`` set in the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``)."""
        try:
            world = int(os.environ.get("WORLD_SIZE", "1"))
            rank = int(os.environ.get("RANK", "0"))
            local = int(os.environ.get("LOCAL_RANK", str(rank)))
        except ValueError as exc:
            raise ConfigError(f"bad torchrun environment (RANK/WORLD_SIZE/LOCAL_RANK): {exc}") from None
        if world < 1 or not 0 <= rank < world:
            raise ConfigError(f"bad torchrun environment: RANK={rank}, WORLD_SIZE={world}")
        return cls(rank, world, local)

    @property
    def active(self) -> bool:
        """More than one process."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: validates, writes and reports."""
        return self.rank == 0

    # ------------------------------------------------------------ lifecycle
    def start(self, device: torch.device) -> torch.device:
        """Join the process group (gloo on the CPU, NCCL on CUDA) and return this rank's device."""
        if not self.active:
            return device
        import torch.distributed as dist

        if device.type == "cuda":
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
            self._started = True
        if dist.get_world_size() != self.world_size:
            raise ConfigError(f"process group has {dist.get_world_size()} ranks, WORLD_SIZE says {self.world_size}")
        log.info("data-parallel rank %d of %d on %s", self.rank, self.world_size, device)
        self._device = device
        return device

    def close(self) -> None:
        """Leave the process group if :meth:`start` joined it."""
        if self._started:
            import torch.distributed as dist

            dist.destroy_process_group()
            self._started = False

    # ----------------------------------------------------------- collectives
    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def on_main(self, fn: Callable[[], T]) -> T | None:
        """Run ``fn`` on rank 0 only; an error there is raised on every rank (no rank is left waiting)."""
        if not self.active:
            return fn()
        import torch.distributed as dist

        result, error = None, None
        if self.is_main:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - re-raised below, and told to the other ranks
                error = exc
        box = [None if error is None else f"{type(error).__name__}: {error}"]
        dist.broadcast_object_list(box, src=0)
        if error is not None:
            raise error
        if box[0] is not None:
            raise ConfigError(f"rank 0 failed: {box[0]}")
        return result

    def broadcast_parameters(self, modules: Iterable[torch.nn.Module]) -> None:
        """Make every rank's weights rank 0's (they are equal already when seeded alike; this makes sure)."""
        if not self.active:
            return
        import torch.distributed as dist

        for module in modules:
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor.data, src=0)

    def rows(self, n_global: int) -> slice:
        """This rank's rows of a global batch of ``n_global`` (which the world size must divide)."""
        if n_global % self.world_size:
            raise ConfigError(f"train.batch_size {n_global} must be a multiple of the {self.world_size} processes")
        per = n_global // self.world_size
        return slice(self.rank * per, (self.rank + 1) * per)

    def average_gradients(self, params: Iterable[torch.nn.Parameter]) -> None:
        """Average the gradients across ranks in place (one all-reduce of a flat buffer)."""
        if not self.active:
            return
        import torch.distributed as dist

        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for g in grads:
            g.copy_(flat[offset: offset + g.numel()].view_as(g))
            offset += g.numel()

    def mean(self, row: dict[str, float]) -> dict[str, float]:
        """Each number of ``row`` averaged across ranks (the global batch's loss from the shards' losses)."""
        if not self.active or not row:
            return row
        import torch.distributed as dist

        keys = sorted(row)
        t = torch.tensor([float(row[k]) for k in keys], dtype=torch.float64, device=self._device)
        dist.all_reduce(t)
        return dict(zip(keys, (t / self.world_size).cpu().tolist()))
