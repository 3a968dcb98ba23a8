"""Checkpoints of the keyframe diffusion generator (the shared learned-generator layout).

``model.safetensors`` holds both networks (EMA weights), ``config.json`` the
:class:`~.config.KeyframeConfig` (tagged ``"generator": "keyframe-diffusion"``),
``normalizer.json`` the step normaliser of the movement encoder and
``encoder.json`` the encoder's settings and statistics with the position
normaliser (:meth:`.positions.KeyframeRepresentation.to_dict`).
"""

from __future__ import annotations

import json
from pathlib import Path

from deval.atomic import write_text
from deval.canonical import Normalizer
from deval.generators.learned.checkpoint import CheckpointFormat

from .config import KeyframeConfig
from .positions import KeyframeRepresentation


class KeyframeCheckpointFormat(CheckpointFormat):
    """:class:`CheckpointFormat` whose representation is a :class:`KeyframeRepresentation`."""

    def write_encoder(self, directory: Path, encoder: KeyframeRepresentation, extra: dict | None) -> None:
        encoder.encoder.normalizer.save(directory / "normalizer.json", force=True)
        d = encoder.to_dict()
        del d["step_normalizer"]  # in normalizer.json
        if extra:
            d["extra"] = extra
        write_text(directory / "encoder.json", json.dumps(d), force=True)

    def read_encoder(self, directory: Path) -> KeyframeRepresentation:
        d = json.loads((directory / "encoder.json").read_text(encoding="utf-8"))
        if not isinstance(d, dict):
            d = {}
        d["step_normalizer"] = Normalizer.load(directory / "normalizer.json").to_dict()
        return KeyframeRepresentation.from_dict(d)


KEYFRAME_CHECKPOINTS = KeyframeCheckpointFormat(KeyframeConfig, "keyframe-diffusion", "keyframe-diffusion")
