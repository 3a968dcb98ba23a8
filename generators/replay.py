"""``replay``: the classic "recorded human" bot.

The bot owns a library of real movements (``data=PATH`` or :meth:`ReplayBot.fit`)
and, for each new pair of endpoints, replays one of them:

1. pick a library movement whose net distance is close to the requested one
   (one of the ``candidates`` nearest in log-distance, at random; or any
   movement when ``match_distance`` is false);
2. warp it onto the new endpoints with a similarity transform: in the
   canonical frame (start at the origin, end on +x) scale it by
   ``new distance / old distance``, mirror it with probability
   ``mirror_prob``, then rotate and translate it onto the screen (so the
   shape is kept and the end point is hit exactly);
3. stretch its time stamps by a factor log-uniform in ``time_stretch`` (or to
   the requested duration with ``use_duration``), keeping the human timing
   pattern;
4. add Gaussian noise (``noise`` px) to the interior points, round to whole
   pixels, and record like a browser (millisecond time stamps, move events
   only; :mod:`deval.generators.recording`), as the original was recorded.

A fitted bot is saved as ``config.json`` plus ``library.npz`` (the canonical
library, in deval's native ``.npz`` layout) and restored with :meth:`ReplayBot.load`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from deval.atomic import write_text
from deval.canonical import canonicalize
from deval.errors import CheckpointError, ConfigError, DataError
from deval.generators.base import TrainableGenerator
from deval.generators.parameters import ParamSpec, draw_log_uniform, draw_uniform
from deval.generators.ragged import RaggedIndex
from deval.generators.recording import record, recording_params
from deval.generators.scripted import place_on_screen
from deval.trajectories import Endpoints, Trajectories

__all__ = ["ReplayBot"]

CONFIG_FILE = "config.json"
LIBRARY_FILE = "library.npz"
FORMAT_VERSION = 1


class ReplayBot(TrainableGenerator):
    """Replays real movements warped onto new endpoints, time-stretched and noised."""

    name = "replay"
    description = "replays recorded human movements: similarity warp onto new endpoints, time stretch, noise"
    param_specs = (
        ParamSpec("data", None, "trajectory file of real movements to replay (or call fit / --checkpoint)",
                  "path", nullable=True),
        ParamSpec("match_distance", True, "replay a movement of similar distance", "bool"),
        ParamSpec("candidates", 25, "pick among this many nearest movements in log-distance", "int", 1, 1_000_000),
        ParamSpec("time_stretch", (0.85, 1.2), "time scale factor (log-uniform per movement)", "float-range",
                  0.05, 20.0),
        ParamSpec("noise", (0.0, 1.0), "Gaussian noise added to interior points, px", "float-range", 0.0, 100.0),
        ParamSpec("mirror_prob", 0.5, "probability of mirroring the path across its chord", "float", 0.0, 1.0),
        ParamSpec("min_distance", 10.0, "library movements shorter than this are not replayed, px", "float",
                  0.0, 1e4),
        ParamSpec("use_duration", False, "stretch each movement to the duration given with the endpoints", "bool"),
        ParamSpec("integer_pixels", True, "round interior points to whole pixels", "bool"),
    ) + recording_params(ms_timestamps=True, event_driven=True)

    cheap_fit = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._library: Trajectories | None = None
        self._log_dist: np.ndarray | None = None
        if self.params["data"] is not None:
            from deval.io import load_trajectories

            self.fit(load_trajectories(self.params["data"]))

    # ---------------------------------------------------------------- fit
    @property
    def is_fitted(self) -> bool:
        """True once there are movements to replay."""
        return self._library is not None

    @property
    def library(self) -> Trajectories | None:
        """The canonical library (starts at (0, 0), ends on +x), or None before fitting."""
        return self._library

    def fit(self, trajectories: Trajectories, **kwargs: Any) -> "ReplayBot":
        """Store the real movements to replay.

        Parameters
        ----------
        trajectories : Trajectories
            Real movements in pixels and seconds (validated here).

        Raises
        ------
        DataError
            The movements are invalid or none is long enough (``min_distance``).
        ConfigError
            An unknown keyword argument.
        """
        if kwargs:
            raise ConfigError(f"replay: fit() takes no options, got {', '.join(kwargs)}")
        trajectories.validate(trajectories.attrs.get("source") or "<replay data>")
        dist = trajectories.endpoints().distance
        keep = dist >= max(self.params["min_distance"], 1e-9)
        if not keep.any():
            raise DataError(None, f"replay: no movement of at least {self.params['min_distance']:g} px to replay")
        canon, _ = canonicalize(trajectories[keep])
        self._set_library(canon)
        return self

    def _set_library(self, canon: Trajectories) -> None:
        dist = canon.x[canon.last_index]
        order = np.argsort(dist, kind="stable")
        self._library = canon.take(order)
        self._log_dist = np.log(dist[order])

    # --------------------------------------------------------------- save
    def save(self, directory: str | os.PathLike, force: bool = False) -> None:
        """Write ``config.json`` and ``library.npz`` into ``directory``."""
        if self._library is None:
            raise ConfigError("replay: nothing to save; fit the bot first")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items() if k != "data"}
        config = {"generator": self.name, "format": FORMAT_VERSION, "params": params}
        from deval.io import save_trajectories

        save_trajectories(self._library, d / LIBRARY_FILE, force=force)
        write_text(d / CONFIG_FILE, json.dumps(config, indent=2) + "\n", force=force)

    @classmethod
    def load(cls, directory: str | os.PathLike, **params: Any) -> "ReplayBot":
        """Restore a bot saved with :meth:`save`; ``params`` override the saved ones."""
        d = Path(directory)
        cfg_path, lib_path = d / CONFIG_FILE, d / LIBRARY_FILE
        if not cfg_path.is_file() or not lib_path.is_file():
            raise CheckpointError(f"{d}: not a replay checkpoint (needs {CONFIG_FILE} and {LIBRARY_FILE})")
        try:
            config = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{cfg_path}: unreadable ({exc})") from None
        if not isinstance(config, dict) or config.get("generator") != cls.name:
            raise CheckpointError(f"{cfg_path}: not a {cls.name!r} checkpoint")
        saved = dict(config.get("params") or {})
        saved.pop("data", None)
        bot = cls(**{**saved, **params})
        if bot._library is None:
            from deval.io import load_trajectories

            try:
                library = load_trajectories(lib_path)
            except DataError as exc:
                raise CheckpointError(str(exc)) from None
            bot._set_library(library)
        return bot

    # ------------------------------------------------------------- sample
    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        if self._library is None:
            raise ConfigError("replay: no movements to replay; pass data=PATH, call fit(), or load a checkpoint")
        p = self.params
        lib, log_lib = self._library, self._log_dist
        n, m = len(cond), len(lib)
        dist = cond.distance
        if p["match_distance"]:
            # a window of `w` library movements around the requested log-distance
            w = min(p["candidates"], m)
            centre = np.searchsorted(log_lib, np.log(np.maximum(dist, 1e-9)))
            lo = np.clip(centre - w // 2, 0, m - w)
            pick = lo + rng.integers(0, w, n)
        else:
            pick = rng.integers(0, m, n)
        src = lib.take(pick)
        index = RaggedIndex.from_lengths(src.lengths)
        seg = index.seg
        scale = dist / np.exp(log_lib[pick])
        mirror = np.where(rng.random(n) < p["mirror_prob"], -1.0, 1.0)
        if p["use_duration"] and cond.duration is not None:
            stretch = np.maximum(cond.duration, 1e-3) / src.durations
        else:
            stretch = draw_log_uniform(rng, p["time_stretch"], n)
        sd = draw_uniform(rng, p["noise"], n)[seg]
        x = src.x * scale[seg] + sd * rng.standard_normal(len(seg))
        y = src.y * (scale * mirror)[seg] + sd * rng.standard_normal(len(seg))
        t = src.t * stretch[seg]
        anchor = np.zeros(index.n_points, dtype=np.int8)
        anchor[index.first] = 1
        anchor[index.last] = 2
        x, y = place_on_screen(cond, index, x, y, anchor, p["integer_pixels"])
        index, x, y, t = record(index, x, y, t, ms_timestamps=p["ms_timestamps"], event_driven=p["event_driven"])
        return Trajectories(x, y, t, index.offsets)
