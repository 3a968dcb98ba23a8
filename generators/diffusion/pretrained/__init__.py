"""Pretrained diffusion checkpoints shipped with deval (package data).

``sapimouse-small-fast`` (:data:`DEFAULT_MODEL`) is what ``deval generate-negatives
--source diffusion`` samples from when no ``--checkpoint`` is given: ``sapimouse-small``
distilled to 5 DDIM steps (``deval distill``). ``sapimouse-small``, its 10-step teacher,
ships too (``--checkpoint diffusion=sapimouse-small``). Each has a model card,
``<name>/MODEL_CARD.md`` (data, command, hardware, wall time, measured quality, limits). A checkpoint directory holds tensors only
(``model.safetensors``) and JSON
(``config.json``, ``normalizer.json``, ``encoder.json``, ``logger.json``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["DEFAULT_MODEL", "available", "checkpoint_path", "model_card", "card"]

#: Name of the default pretrained model.
DEFAULT_MODEL = "sapimouse-small-fast"


def checkpoint_path(name: str = DEFAULT_MODEL) -> Path:
    """Directory of the shipped checkpoint ``name`` (it may be absent in a development checkout)."""
    return Path(str(resources.files(__name__) / name))


def available(name: str = DEFAULT_MODEL) -> bool:
    """The shipped checkpoint ``name`` is installed (its weights file exists)."""
    return (checkpoint_path(name) / "model.safetensors").is_file()


def model_card(name: str = DEFAULT_MODEL) -> str:
    """The model card (Markdown) of the shipped checkpoint ``name``."""
    return (checkpoint_path(name) / "MODEL_CARD.md").read_text(encoding="utf-8")


def card(name: str = DEFAULT_MODEL) -> dict:
    """The measured figures of the model card (``card.json``: data, training, realism on held-out people)."""
    import json

    f = checkpoint_path(name) / "card.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}
