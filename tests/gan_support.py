"""Helpers shared by the GAN, hook and harness tests: synthetic movements of known shape and a
diffusion checkpoint trained once per test session (in a temporary directory)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deval.trajectories import Trajectories

BOW = 0.15  # lateral bow of the synthetic arcs, as a fraction of the start-end distance


def arcs(n: int = 400, seed: int = 0, bow: float = BOW, n_users: int = 10, dt: float = 0.016) -> Trajectories:
    """Movements along a circular-ish arc with a minimum-jerk speed profile.

    In the canonical frame (start at the origin, end at (d, 0)) the path is
    ``(d s, bow d sin(pi s))`` with ``s`` the minimum-jerk progress; 12-16
    points every ``dt`` seconds; distances log-normal around 300 px; random
    directions, starts and users (1..n_users).
    """
    rng = np.random.default_rng(seed)
    npts = rng.integers(12, 17, n)
    dist = np.exp(rng.normal(np.log(300), 0.4, n))
    ang = rng.uniform(-np.pi, np.pi, n)
    start = np.column_stack([rng.uniform(300, 1600, n), rng.uniform(200, 900, n)])
    k = np.arange(int(npts.max()))[None, :]
    s = np.clip(k / (npts[:, None] - 1), 0, 1)
    s = 10 * s**3 - 15 * s**4 + 6 * s**5
    z = (s + 1j * bow * np.sin(np.pi * s)) * dist[:, None] * np.exp(1j * ang)[:, None]
    vals = np.stack([start[:, :1] + z.real, start[:, 1:] + z.imag, k * dt * np.ones((n, 1))], -1)
    return Trajectories.from_padded(vals, mask=k < npts[:, None], meta={"user": rng.integers(1, n_users + 1, n)})


def signed_bow(traj: Trajectories) -> np.ndarray:
    """Per movement: the canonical-frame lateral offset of largest magnitude, divided by the distance (signed)."""
    from deval.canonical import canonicalize

    c, _ = canonicalize(traj)
    d = np.hypot(*(c.end - c.start).T)
    seg = c.segment_ids
    rel = c.y / d[seg]
    hi = np.zeros(len(c))
    lo = np.zeros(len(c))
    np.maximum.at(hi, seg, rel)
    np.minimum.at(lo, seg, rel)
    return np.where(np.abs(lo) > hi, lo, hi)


_CACHE: dict[str, Path] = {}


def diffusion_checkpoint(tmp_path_factory) -> Path:
    """A diffusion run directory trained briefly with the ``smoke`` preset on synthetic arcs (once per session).

    Only the mechanics matter to the hook tests (the model is far from realistic,
    which the tests use: its C2ST is high).
    """
    if "run" not in _CACHE:
        import torch

        from deval.generators.diffusion.config import preset
        from deval.generators.diffusion.trainer import DiffusionTraining

        out = tmp_path_factory.mktemp("diffusion_smoke") / "run"
        cfg = preset("smoke").override({"train.steps": 30, "train.val_samples": 40, "train.num_threads": 1})
        threads = torch.get_num_threads()
        try:
            DiffusionTraining(arcs(300, seed=11), out, cfg).run()
        finally:  # the trainer sets the thread count for the process
            torch.set_num_threads(threads)
        _CACHE["run"] = out
    return _CACHE["run"]
