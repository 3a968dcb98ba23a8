"""Safe checkpoints of learned generators: a tensor state dict, a JSON config, a JSON normaliser and encoder.

A checkpoint directory holds

``model.safetensors`` the sampling weights (a flat dict of tensors in the ``safetensors`` format: no code,
                     nothing to unpickle); checkpoints written before it hold ``model.pt``, read with
                     ``torch.load(..., weights_only=True)`` only
``config.json``      the full configuration (:class:`~.sectioned_config.SectionedConfig`)
``normalizer.json``  the per-channel statistics (:class:`deval.canonical.Normalizer`)
``encoder.json``     representation settings and condition statistics (plus ``extra``, e.g. the
                     metrics line of a ``best/`` checkpoint)
``logger.json``      optional: the logger of the training data
                     (:class:`deval.loggers.Logger`), used by ``timing=model``

A training run directory has ``best/`` and ``final/`` checkpoints,
``metrics.jsonl`` and ``last/training_state.pt`` (optimisers etc., for
``--resume``). Every file is replaced atomically; every ``.pt`` file is read
with ``torch.load(..., weights_only=True)`` and anything that is not a plain
tensor state dict is refused with :class:`~deval.errors.CheckpointError`.

A :class:`CheckpointFormat` binds this layout to one generator: its
configuration class (whose ``GENERATOR_TAG`` tells its checkpoints from
other generators'), the name used in messages and the registry name used in
the ``train-generator`` hint. A generator with another representation than
:class:`~deval.generators.diffusion.representation.MovementEncoder`
subclasses it and overrides :meth:`CheckpointFormat.write_encoder` /
:meth:`CheckpointFormat.read_encoder`.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from deval.atomic import json_text, write_bytes, write_text
from deval.canonical import Normalizer
from deval.errors import CheckpointError, ConfigError, DataError
from deval.generators.diffusion.representation import MovementEncoder

__all__ = ["FILES", "WEIGHTS", "LEGACY_WEIGHTS", "weights_file", "save_weights", "load_weights", "save_tensor_dict",
           "load_tensor_dict", "CheckpointFormat"]

#: the weights file written, and the one of older checkpoints (still read, with ``weights_only=True``)
WEIGHTS = "model.safetensors"
LEGACY_WEIGHTS = "model.pt"
FILES = (WEIGHTS, "config.json", "normalizer.json", "encoder.json")


def weights_file(directory: str | os.PathLike) -> Path:
    """The weights file of a checkpoint directory: ``model.safetensors``, else an older ``model.pt``."""
    d = Path(directory)
    return d / WEIGHTS if (d / WEIGHTS).is_file() or not (d / LEGACY_WEIGHTS).is_file() else d / LEGACY_WEIGHTS


def save_weights(path: str | os.PathLike, state: dict, force: bool = True) -> None:
    """Atomically write a flat dict of tensors as ``safetensors``."""
    from safetensors.torch import save

    data = save({k: v.detach().cpu().contiguous().clone() for k, v in state.items()})
    write_bytes(path, data, force=force)


def load_weights(path: str | os.PathLike, map_location="cpu") -> dict:
    """Tensors of a weights file: ``safetensors`` (never runs code), or a legacy ``.pt`` through
    :func:`load_tensor_dict` (``weights_only=True``)."""
    p = Path(path)
    if p.suffix != ".safetensors":
        return load_tensor_dict(p, map_location)
    if not p.is_file():
        raise CheckpointError(f"{p}: missing")
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        state = load(p.read_bytes())
    except (SafetensorError, ValueError, OSError) as exc:
        raise CheckpointError(f"{p}: not a readable safetensors file ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    dev = torch.device(map_location) if isinstance(map_location, str) else map_location
    return {k: v.to(dev) for k, v in state.items()} if dev is not None and str(dev) != "cpu" else state


def save_tensor_dict(path: str | os.PathLike, state: dict, force: bool = True) -> None:
    """Atomically ``torch.save`` a (nested) dict of tensors and plain values."""
    buf = io.BytesIO()
    torch.save(state, buf)
    write_bytes(path, buf.getvalue(), force=force)


def load_tensor_dict(path: str | os.PathLike, map_location="cpu") -> dict:
    """``torch.load(path, weights_only=True)``; refuse anything else with :class:`CheckpointError`."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: missing")
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or "Weights only" in str(exc):  # torch's hint to unpickle: never do that
            first = "it holds pickled objects; deval loads tensors only and never runs code from a checkpoint"
        raise CheckpointError(f"{p}: not a plain tensor state dict, refusing to load it ({first})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{p}: expected a state dict, found {type(state).__name__}")
    return state


@dataclass(frozen=True)
class CheckpointFormat:
    """The checkpoint layout of one learned generator.

    Parameters
    ----------
    config_cls : type of SectionedConfig
        Configuration class; its ``GENERATOR_TAG`` must match ``config.json``'s
        top-level ``generator`` (absent for an untagged format).
    label : str
        How messages name the generator (``"GAN"``, ``"diffusion"``).
    source : str
        Registry name, for the hint ``deval train-generator SOURCE ...``.
    """

    config_cls: type
    label: str
    source: str

    @property
    def train_hint(self) -> str:
        """How to make a checkpoint, appended to "not found" errors."""
        return f"train one with: deval train-generator {self.source} --data REAL.npz --out DIR"

    # ---------------------------------------------------------------- write
    def save(self, directory: str | os.PathLike, state_dict: dict, config: Any, encoder: Any,
             extra: dict | None = None, logger: Any = None) -> Path:
        """Write a checkpoint directory; each file is replaced atomically.

        Parameters
        ----------
        directory : path
            Created if missing.
        state_dict : dict of str -> Tensor
            Sampling weights (detached and moved to the CPU).
        config : SectionedConfig
            Anything with ``to_dict()``.
        encoder : MovementEncoder
            The fitted representation (see :meth:`write_encoder`).
        extra : dict, optional
            Stored under ``"extra"`` in ``encoder.json``.
        logger : deval.loggers.Logger, optional
            Written to ``logger.json``.
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        save_weights(d / WEIGHTS, state_dict)
        (d / LEGACY_WEIGHTS).unlink(missing_ok=True)  # a directory rewritten in the new format keeps no stale .pt
        write_text(d / "config.json", json_text(config.to_dict(), indent=2), force=True)
        self.write_encoder(d, encoder, extra)
        if logger is not None:
            write_text(d / "logger.json", json_text(logger.to_dict()), force=True)
        return d

    def read_logger(self, path: str | os.PathLike) -> Any:
        """The :class:`~deval.loggers.Logger` of a checkpoint (or run) directory, or None."""
        from deval.loggers import Logger

        f = self.resolve(path) / "logger.json"
        if not f.is_file():
            return None
        try:
            return Logger.from_dict(json.loads(f.read_text(encoding="utf-8")))
        except (ValueError, OSError, AttributeError, TypeError, KeyError, DataError) as exc:
            raise CheckpointError(f"{f}: invalid logger record ({exc})") from None

    def write_encoder(self, directory: Path, encoder: Any, extra: dict | None) -> None:
        """Write ``normalizer.json`` and ``encoder.json`` (``extra`` under ``"extra"``) for a MovementEncoder."""
        encoder.normalizer.save(directory / "normalizer.json", force=True)
        enc = encoder.to_dict()
        if extra:
            enc["extra"] = extra
        write_text(directory / "encoder.json", json_text(enc), force=True)

    def read_encoder(self, directory: Path) -> Any:
        """The fitted encoder of a checkpoint directory (raises ``DataError``/``OSError``/``JSONDecodeError``)."""
        normalizer = Normalizer.load(directory / "normalizer.json")
        return MovementEncoder.from_dict(json.loads((directory / "encoder.json").read_text(encoding="utf-8")),
                                         normalizer)

    # ----------------------------------------------------------------- read
    def resolve(self, path: str | os.PathLike) -> Path:
        """A checkpoint directory from ``path``: itself, or ``best/`` (else ``final/``) inside a run directory."""
        p = Path(path)
        if not p.exists():
            raise CheckpointError(f"{p}: no such {self.label} checkpoint directory; {self.train_hint}")
        if p.is_file():
            raise CheckpointError(f"{p}: give the checkpoint directory, not a file; {self.train_hint}")
        if (p / WEIGHTS).exists() or (p / LEGACY_WEIGHTS).exists():
            return p
        for sub in ("best", "final"):
            if (p / sub / WEIGHTS).exists() or (p / sub / LEGACY_WEIGHTS).exists():
                return p / sub
        raise CheckpointError(f"{p}: no {self.label} checkpoint here (no {WEIGHTS}, best/ or final/); {self.train_hint}")

    def load(self, path: str | os.PathLike, map_location="cpu") -> tuple[dict, Any, Any]:
        """Read ``(state_dict, config, encoder)`` from a checkpoint or run directory.

        Raises
        ------
        CheckpointError
            Missing or incomplete directory, a checkpoint of another generator,
            a ``model.pt`` that is not a flat state dict of tensors (pickled
            objects are never loaded), or invalid metadata.
        """
        d = self.resolve(path)
        missing = [f for f in FILES[1:] if not (d / f).is_file()]
        if not weights_file(d).is_file():
            missing.insert(0, WEIGHTS)
        if missing:
            raise CheckpointError(f"{d}: incomplete checkpoint, missing {', '.join(missing)}")
        try:
            cfg_d = json.loads((d / "config.json").read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise CheckpointError(f"{d / 'config.json'}: unreadable ({exc})") from None
        self._check_tag(d, cfg_d)
        wf = weights_file(d)
        state = load_weights(wf, map_location)
        if not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise CheckpointError(f"{wf}: expected a flat state dict of tensors")
        try:
            config = self.config_cls.from_dict(cfg_d)
            encoder = self.read_encoder(d)
        except (ValueError, TypeError, KeyError, AttributeError, ConfigError, DataError, OSError) as exc:
            raise CheckpointError(f"{d}: invalid checkpoint metadata ({exc})") from None
        return state, config, encoder

    def _check_tag(self, d: Path, cfg_d: Any) -> None:
        tag = self.config_cls.GENERATOR_TAG
        found = cfg_d.get("generator") if isinstance(cfg_d, dict) else None
        if isinstance(cfg_d, dict) and found == tag:
            return
        if found is not None:
            what = f"config.json names generator {found!r}; load it with --source {found}"
        elif tag is not None:
            what = f'config.json has no "generator": "{tag}"; a diffusion checkpoint goes with --source diffusion'
        else:
            return  # not a mapping: reported as invalid metadata
        raise CheckpointError(f"{d}: not a {self.label} checkpoint ({what})")
