"""Save and load detectors without pickles.

A saved detector is a directory:

``detector.json``
    Head name, every constructor parameter, the view (raw / resampled rate,
    jitter, seed), the pre-processing (canonical frame, feature columns or
    step normaliser statistics), the fitted state that is plain numbers
    (logistic coefficients...), a training summary and the deval version.
``arrays.npz``
    Numeric arrays of the fitted state (gradient-boosting trees), read with
    ``allow_pickle=False``.
``weights.pt``
    A torch state dict (sequence heads, module head), read with
    ``torch.load(..., weights_only=True)``.

``detector.json`` may also hold ``thresholds`` calibrated to a site's traffic
(:mod:`deval.detectors.calibration`, ``deval calibrate``); the loaded detector
has them as ``thresholds_`` and ``score`` decides with them.

Scoring with a loaded detector applies exactly the training pre-processing,
because all of it is rebuilt from ``detector.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from deval import __version__
from deval.atomic import atomic_write, check_files_writable, write_text
from deval.detectors.base import TrajectoryDetector
from deval.detectors.registry import HEADS, head_class
from deval.errors import CheckpointError

__all__ = ["DETECTOR_FILES", "FORMAT", "load_detector", "read_detector_info", "save_detector"]

FORMAT = "deval-detector"
FORMAT_VERSION = 1
DETECTOR_FILES = ("detector.json", "arrays.npz", "weights.pt")
#: parameters that hold Python objects; they are given again to :func:`load_detector`
RUNTIME_PARAMS = ("module", "input_fn", "normalizer")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def _preprocessing(det: TrajectoryDetector) -> dict:
    """Human-readable record of what happens to a movement before the model."""
    out: dict[str, Any] = {"view": det.get_view().to_dict(), "canonicalize": {"recenter": True, "rotate": "+x",
                                                                               "mirror": False}}
    if det.head in ("hgb", "logistic"):
        out["input"] = "deval.features.extract_features of canonical movements"
        out["feature_columns"] = list(det.columns_)
    elif det.head in ("cnn", "gru"):
        out["input"] = "canonical steps (dx, dy, dt), deval.canonical.to_deltas"
        out["max_len"] = int(det.max_len)
        out["normalizer"] = det.normalizer_.to_dict()
    elif det.head == "module":
        out["input"] = "custom input_fn" if det.input_fn is not None else "canonical steps (dx, dy, dt)"
        out["feature_layer"] = det.layer or "input of the last nn.Linear"
    return out


def save_detector(det: TrajectoryDetector, out_dir: str | os.PathLike, *, force: bool = False,
                  training: dict | None = None) -> Path:
    """Write a fitted detector into ``out_dir`` (see module docstring); returns the JSON path.

    Parameters
    ----------
    det : TrajectoryDetector
        A fitted detector.
    out_dir : path
        Directory (created if needed).
    force : bool
        Overwrite existing detector files; otherwise raise
        :class:`~deval.errors.OutputExistsError` before writing anything.
    training : dict, optional
        JSON-ready summary of the training data (files, counts, styles...).
    """
    import torch

    if not hasattr(det, "classes_"):
        raise CheckpointError("cannot save an unfitted detector; call fit() first")
    out = check_files_writable(out_dir, DETECTOR_FILES, force)
    state, arrays, torch_state = det._export()
    params = {k: _jsonable(v) for k, v in det.get_params(deep=False).items() if k not in RUNTIME_PARAMS}
    record = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "deval_version": __version__,
        "head": det.head, "class": type(det).__name__, "params": params,
        "preprocessing": _preprocessing(det), "n_parameters": det.n_parameters(), "n_train": det.n_train_,
        "state": state, "training": training or {},
        "files": {"arrays": "arrays.npz" if arrays else None, "weights": "weights.pt" if torch_state else None},
    }
    out.mkdir(parents=True, exist_ok=True)
    if arrays:
        with atomic_write(out / "arrays.npz", "wb", force=force) as f:
            np.savez(f, **arrays)
    if torch_state:
        with atomic_write(out / "weights.pt", "wb", force=force) as f:
            torch.save(torch_state, f)
    # stale files of another head would be confusing: remove them (force was checked above)
    for name, used in (("arrays.npz", bool(arrays)), ("weights.pt", bool(torch_state))):
        if not used and (out / name).exists():
            (out / name).unlink()
    write_text(out / "detector.json", json.dumps(record, indent=2), force=force)
    return out / "detector.json"


def read_detector_info(path: str | os.PathLike) -> dict:
    """The ``detector.json`` record of a saved detector (a directory or the JSON file itself)."""
    p = Path(path)
    p = p / "detector.json" if p.is_dir() else p
    try:
        with open(p, encoding="utf-8") as f:
            record = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{p}: no saved detector here (detector.json missing)") from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{p}: cannot read detector.json ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{p}: not a deval detector file")
    if int(record.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{p}: written by a newer deval (format {record.get('format_version')})")
    if record.get("head") not in HEADS:
        raise CheckpointError(f"{p}: unknown head {record.get('head')!r}")
    return record


def load_detector(path: str | os.PathLike, *, module=None, input_fn=None, normalizer=None,
                  device: str | None = None) -> TrajectoryDetector:
    """Read a detector written by :func:`save_detector`.

    Parameters
    ----------
    path : path
        The directory (or its ``detector.json``).
    module, input_fn, normalizer
        For the ``module`` head: the torch module (its saved weights are
        loaded into it), and the input function / normaliser if training used
        custom ones.
    device : str, optional
        Override the torch device used for scoring.
    """
    import torch

    record = read_detector_info(path)
    base = Path(path) if Path(path).is_dir() else Path(path).parent
    cls = head_class(record["head"])
    params = dict(record.get("params", {}))
    valid = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - valid)
    if unknown:
        raise CheckpointError(f"{base}: parameters {', '.join(unknown)} are unknown to the {record['head']} head")
    if record["head"] == "module":
        if module is None:
            raise CheckpointError(f"{base}: a module-head detector needs the torch module: load_detector(..., module=)")
        params.update(module=module, input_fn=input_fn, normalizer=normalizer)
    if device is not None and "device" in valid:
        params["device"] = device
    try:
        det = cls(**params)
        det.get_view()  # validates the view settings
    except Exception as exc:  # noqa: BLE001 - any bad value in the JSON is a checkpoint problem
        raise CheckpointError(f"{base}: invalid parameters ({exc})") from None
    files = record.get("files", {})
    arrays: dict = {}
    if files.get("arrays"):
        try:
            with np.load(base / files["arrays"], allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{base / files['arrays']}: cannot read arrays ({exc})") from None
    torch_state = None
    if files.get("weights"):
        try:
            torch_state = torch.load(base / files["weights"], map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - unpickling errors come in many types
            raise CheckpointError(f"{base / files['weights']}: cannot read weights safely ({str(exc)[:200]})") from None
        if not isinstance(torch_state, dict):
            raise CheckpointError(f"{base / files['weights']}: not a state dict")
    try:
        det._restore(record.get("state", {}), arrays, torch_state)
    except CheckpointError as exc:
        raise CheckpointError(f"{base}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{base}: invalid fitted state ({exc})") from None
    det.classes_ = np.array([0, 1])
    det.n_train_ = int(record.get("n_train", 0))
    det.training_info_ = record.get("training", {})
    if record.get("thresholds"):
        from deval.detectors.calibration import Thresholds

        det.thresholds_ = Thresholds.from_dict(record["thresholds"])
    return det
