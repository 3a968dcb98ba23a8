"""Checkpoints of ``action-diffusion`` (the shared learned-generator layout).

``model.safetensors`` holds the EMA network's state dict, ``config.json`` the
:class:`~.config.ActionDiffusionConfig` (tagged ``"generator":
"action-diffusion"``), ``normalizer.json`` the fixed
``[0, 1] -> [-1, 1]`` map of ``x, y, press`` (identity on the companded
displacements), and ``encoder.json`` the
:class:`~.representation.ActionEncoder` settings: ``seq_len``, ``rate_hz``,
``screen`` (pixels), ``aspect``, the condition, the displacement companding
scales, and the training lengths and gesture mix.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from deval.atomic import write_text
from deval.canonical import Normalizer
from deval.errors import DataError
from deval.generators.learned.checkpoint import CheckpointFormat

from .config import ActionDiffusionConfig
from .representation import ActionEncoder

__all__ = ["ActionCheckpointFormat", "ACTION_CHECKPOINTS"]


class ActionCheckpointFormat(CheckpointFormat):
    """:class:`CheckpointFormat` whose representation is an :class:`ActionEncoder`."""

    @property
    def train_hint(self) -> str:
        return f"train one with: deval train-generator {self.source} --data DATASET_DIR --out DIR"

    def write_encoder(self, directory: Path, encoder: ActionEncoder, extra: dict | None) -> None:
        encoder.normalizer.save(directory / "normalizer.json", force=True)
        d = encoder.to_dict()
        if extra:
            d["extra"] = extra
        write_text(directory / "encoder.json", json.dumps(d), force=True)

    def read_encoder(self, directory: Path) -> ActionEncoder:
        d = json.loads((directory / "encoder.json").read_text(encoding="utf-8"))
        if not isinstance(d, dict):
            raise DataError(directory / "encoder.json", "expected a JSON object")
        encoder = ActionEncoder.from_dict(d)
        saved, expected = Normalizer.load(directory / "normalizer.json"), encoder.normalizer
        if not (np.allclose(saved.mean_, expected.mean_) and np.allclose(saved.std_, expected.std_)):
            raise DataError(directory / "normalizer.json", "does not match the settings in encoder.json")
        return encoder


ACTION_CHECKPOINTS = ActionCheckpointFormat(ActionDiffusionConfig, "action-diffusion", "action-diffusion")
