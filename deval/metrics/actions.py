"""Reconstruction metrics of action sequences: predicted vs target ``(N, T, 3)`` x, y, press.

Inputs are numpy arrays or torch tensors of shape ``(N, T, 3)``: ``x, y`` in
normalised screen units (x / width, y / height) and ``press`` (0..1; a model
may predict probabilities), with an optional ``(N, T)`` boolean mask, True on
real steps; masked-out steps are ignored everywhere. Pair ``pred[i]`` with
``target[i]`` (e.g. a validation sequence noised and denoised back).

==========================  =======================================================================
metric                      definition (sums and means over real steps)
==========================  =======================================================================
``mse``, ``mae``            mean squared / absolute error over all three channels
``coord_mse``               mean squared error of x and y
``press_mse``               mean squared error of press (predicted values as given)
``active_coord_mse``        ``coord_mse`` on the steps where the target is pressed (NaN: none)
``press_accuracy``          fraction of steps with ``pred > 0.5`` equal to ``target > 0.5``
``variance_ratio``          per channel: mean over sequences of the variance in time of pred,
                            divided by the same of target (1: same spread; ``a * target + b``
                            gives ``a**2``; 0/0 counts as 1)
``smoothness_ratio``        per channel: mean squared second difference of pred divided by that
                            of target, over steps whose neighbours are real (1: as smooth; > 1:
                            rougher, e.g. residual noise; < 1: over-smoothed; 0/0 counts as 1)
``snr_db``                  ``10 log10(sum target**2 / sum (pred - target)**2)`` over all channels
                            (raw power, not centred; inf for a perfect reconstruction)
``temporal_iou``            per sequence, steps pressed in both / steps pressed in either
                            (threshold 0.5), averaged over sequences with a press in either
                            (NaN: none)
``spatial_accuracy``        fraction of steps whose position error ``hypot(dx * aspect, dy)`` is at
                            most ``spatial_threshold`` screen heights (default 0.05)
``gesture_accuracy``        fraction of sequences whose gesture type
                            (:func:`deval.metrics.gestures.classify_gestures`) is the target's
==========================  =======================================================================

:func:`action_metrics` computes all of them into an :class:`ActionMetrics`;
each also has its own function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from deval.errors import DataError
from deval.metrics.gestures import CLICK_THRESHOLD, classify_gestures
from deval.metrics.inputs import as_action_batch
from deval.metrics.results import JSONResult

__all__ = [
    "ActionMetrics", "CHANNELS", "action_metrics", "reconstruction_mse", "reconstruction_mae", "coordinate_mse",
    "press_mse", "active_coordinate_mse", "press_accuracy", "variance_ratio", "smoothness_ratio", "snr_db",
    "temporal_iou", "spatial_accuracy", "gesture_accuracy",
]

#: channel names of the last axis
CHANNELS = ("x", "y", "press")
#: default position tolerance of :func:`spatial_accuracy`, screen heights
SPATIAL_THRESHOLD = 0.05
PRESS_THRESHOLD = 0.5


def _pair(pred: Any, target: Any, mask: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked float64 pred/target ``(N, T, 3)`` and their shared mask ``(N, T)``."""
    p, m = as_action_batch(pred, "pred", mask)
    t, _ = as_action_batch(target, "target", m)
    if p.shape != t.shape:
        raise DataError("pred", f"has shape {p.shape} but target has {t.shape}")
    if not m.any():
        raise DataError("mask", "no real step (the mask is all False)")
    return p, t, m


def _ratio(num: float, den: float) -> float:
    if den == 0.0:
        return 1.0 if num == 0.0 else math.inf
    return float(num / den)


def reconstruction_mse(pred: Any, target: Any, mask: Any = None) -> float:
    """Mean squared error over real steps and all three channels (normalised units squared)."""
    p, t, m = _pair(pred, target, mask)
    return float(np.mean((p[m] - t[m]) ** 2))


def reconstruction_mae(pred: Any, target: Any, mask: Any = None) -> float:
    """Mean absolute error over real steps and all three channels (normalised units)."""
    p, t, m = _pair(pred, target, mask)
    return float(np.mean(np.abs(p[m] - t[m])))


def coordinate_mse(pred: Any, target: Any, mask: Any = None) -> float:
    """Mean squared error of x and y over real steps (normalised units squared)."""
    p, t, m = _pair(pred, target, mask)
    return float(np.mean((p[m][:, :2] - t[m][:, :2]) ** 2))


def press_mse(pred: Any, target: Any, mask: Any = None) -> float:
    """Mean squared error of the press channel over real steps (predicted values as given)."""
    p, t, m = _pair(pred, target, mask)
    return float(np.mean((p[m][:, 2] - t[m][:, 2]) ** 2))


def active_coordinate_mse(pred: Any, target: Any, mask: Any = None, press_threshold: float = PRESS_THRESHOLD) -> float:
    """Mean squared error of x and y on real steps where the target is pressed (NaN when none is)."""
    p, t, m = _pair(pred, target, mask)
    active = m & (t[..., 2] > press_threshold)
    if not active.any():
        return float("nan")
    return float(np.mean((p[active][:, :2] - t[active][:, :2]) ** 2))


def press_accuracy(pred: Any, target: Any, mask: Any = None, press_threshold: float = PRESS_THRESHOLD) -> float:
    """Fraction of real steps where ``pred press > threshold`` equals ``target press > threshold``."""
    p, t, m = _pair(pred, target, mask)
    return float(np.mean((p[m][:, 2] > press_threshold) == (t[m][:, 2] > press_threshold)))


def _temporal_variance(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Mean over sequences of each channel's variance in time over real steps, (3,)."""
    count = m.sum(axis=1)  # (N,)
    w = m[..., None]
    mean = (v * w).sum(axis=1) / np.maximum(count, 1)[:, None]
    var = (((v - mean[:, None, :]) ** 2) * w).sum(axis=1) / np.maximum(count, 1)[:, None]  # (N, 3)
    return var.mean(axis=0)


def variance_ratio(pred: Any, target: Any, mask: Any = None) -> tuple[float, float, float]:
    """Per channel (x, y, press): mean temporal variance of pred / that of target.

    The variance of each sequence is taken over its real steps (population
    variance) and averaged over sequences. ``pred = a * target + b`` gives ``a**2``.
    0/0 (both constant) is 1; only the target constant gives inf.
    """
    p, t, m = _pair(pred, target, mask)
    vp, vt = _temporal_variance(p, m), _temporal_variance(t, m)
    return tuple(_ratio(a, b) for a, b in zip(vp, vt))  # type: ignore[return-value]


def _second_difference_power(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Mean squared second difference per channel over steps whose both neighbours are real, (3,)."""
    if v.shape[1] < 3:
        return np.zeros(3)
    ok = m[:, :-2] & m[:, 1:-1] & m[:, 2:]
    if not ok.any():
        return np.zeros(3)
    d2 = v[:, 2:] - 2.0 * v[:, 1:-1] + v[:, :-2]
    return (d2[ok] ** 2).mean(axis=0)


def smoothness_ratio(pred: Any, target: Any, mask: Any = None) -> tuple[float, float, float]:
    """Per channel (x, y, press): mean squared second difference of pred / that of target.

    1: as smooth as the target; > 1: rougher (e.g. residual noise); < 1:
    smoother (over-smoothed). 0/0 is 1; only the target's being 0 gives inf.
    """
    p, t, m = _pair(pred, target, mask)
    sp, st = _second_difference_power(p, m), _second_difference_power(t, m)
    return tuple(_ratio(a, b) for a, b in zip(sp, st))  # type: ignore[return-value]


def snr_db(pred: Any, target: Any, mask: Any = None) -> float:
    """Signal-to-noise ratio ``10 log10(sum target**2 / sum (pred - target)**2)`` in dB over real steps.

    Raw (not centred) power of all three channels. A perfect reconstruction
    gives ``inf``; a zero target with any error gives ``-inf``.
    """
    p, t, m = _pair(pred, target, mask)
    signal = float(np.sum(t[m] ** 2))
    noise = float(np.sum((p[m] - t[m]) ** 2))
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def temporal_iou(pred: Any, target: Any, mask: Any = None, press_threshold: float = PRESS_THRESHOLD) -> float:
    """Temporal intersection over union of the pressed steps, averaged over sequences.

    Per sequence: steps pressed (``> threshold``) in both divided by steps
    pressed in either, over real steps. Sequences pressed in neither are left
    out; NaN when every sequence is.
    """
    p, t, m = _pair(pred, target, mask)
    a = (p[..., 2] > press_threshold) & m
    b = (t[..., 2] > press_threshold) & m
    union = (a | b).sum(axis=1)
    inter = (a & b).sum(axis=1)
    has = union > 0
    if not has.any():
        return float("nan")
    return float(np.mean(inter[has] / union[has]))


def spatial_accuracy(
    pred: Any, target: Any, mask: Any = None, threshold: float = SPATIAL_THRESHOLD, aspect: float = 1.0
) -> float:
    """Fraction of real steps whose position error ``hypot(dx * aspect, dy)`` is at most ``threshold``.

    ``aspect`` is the screen's width / height, so the error and the threshold
    are in screen heights (use 16/9 for coordinates normalised by 1920x1080).
    """
    p, t, m = _pair(pred, target, mask)
    err = np.hypot((p[..., 0] - t[..., 0]) * aspect, p[..., 1] - t[..., 1])
    return float(np.mean(err[m] <= threshold))


def gesture_accuracy(
    pred: Any,
    target: Any,
    mask: Any = None,
    aspect: float = 1.0,
    click_threshold: float = CLICK_THRESHOLD,
    press_threshold: float = PRESS_THRESHOLD,
) -> float:
    """Fraction of sequences whose gesture type (:func:`~deval.metrics.gestures.classify_gestures`) matches the target's."""
    p, t, m = _pair(pred, target, mask)
    kw = {"aspect": aspect, "click_threshold": click_threshold, "press_threshold": press_threshold}
    gp = classify_gestures(p, m, **kw)
    gt = classify_gestures(t, m, **kw)
    return float(np.mean(gp == gt))


@dataclass(frozen=True)
class ActionMetrics(JSONResult):
    """Every reconstruction metric of :mod:`deval.metrics.actions` and its settings.

    Attributes
    ----------
    mse, mae, coord_mse, press_mse, active_coord_mse, press_accuracy, snr_db,
    temporal_iou, spatial_accuracy, gesture_accuracy : float
        See the module docstring.
    variance_ratio, smoothness_ratio : tuple of 3 floats
        Per channel x, y, press.
    n_sequences, n_steps : int
        Sequences and real steps compared.
    spatial_threshold, aspect, click_threshold, press_threshold : float
        Settings.
    """

    mse: float
    mae: float
    coord_mse: float
    press_mse: float
    active_coord_mse: float
    press_accuracy: float
    variance_ratio: tuple[float, float, float]
    smoothness_ratio: tuple[float, float, float]
    snr_db: float
    temporal_iou: float
    spatial_accuracy: float
    gesture_accuracy: float
    n_sequences: int
    n_steps: int
    spatial_threshold: float = SPATIAL_THRESHOLD
    aspect: float = 1.0
    click_threshold: float = CLICK_THRESHOLD
    press_threshold: float = PRESS_THRESHOLD

    def scalars(self) -> dict[str, float]:
        """The metrics as one flat dict of floats (per-channel ratios as ``variance_ratio_x`` ...), for logs."""
        out: dict[str, float] = {}
        for name in ("mse", "mae", "coord_mse", "press_mse", "active_coord_mse", "press_accuracy", "snr_db",
                     "temporal_iou", "spatial_accuracy", "gesture_accuracy"):
            out[name] = float(getattr(self, name))
        for name in ("variance_ratio", "smoothness_ratio"):
            for ch, v in zip(CHANNELS, getattr(self, name)):
                out[f"{name}_{ch}"] = float(v)
        return out


def action_metrics(
    pred: Any,
    target: Any,
    mask: Any = None,
    *,
    spatial_threshold: float = SPATIAL_THRESHOLD,
    aspect: float = 1.0,
    click_threshold: float = CLICK_THRESHOLD,
    press_threshold: float = PRESS_THRESHOLD,
) -> ActionMetrics:
    """Every reconstruction metric of predicted vs target action sequences.

    Parameters
    ----------
    pred, target : array-like or torch.Tensor, (N, T, 3)
        x, y (normalised screen units) and press (0..1).
    mask : array-like of bool, (N, T), optional
        True on real steps (default: all).
    spatial_threshold : float
        Position tolerance of ``spatial_accuracy``, screen heights.
    aspect : float
        Screen width / height of the normalisation (16/9 for 1920x1080).
    click_threshold : float
        Longest displacement of a click for the gesture types, screen heights.
    press_threshold : float
        Press values above it count as pressed.

    Returns
    -------
    ActionMetrics
    """
    p, t, m = _pair(pred, target, mask)
    return ActionMetrics(
        mse=reconstruction_mse(p, t, m),
        mae=reconstruction_mae(p, t, m),
        coord_mse=coordinate_mse(p, t, m),
        press_mse=press_mse(p, t, m),
        active_coord_mse=active_coordinate_mse(p, t, m, press_threshold),
        press_accuracy=press_accuracy(p, t, m, press_threshold),
        variance_ratio=variance_ratio(p, t, m),
        smoothness_ratio=smoothness_ratio(p, t, m),
        snr_db=snr_db(p, t, m),
        temporal_iou=temporal_iou(p, t, m, press_threshold),
        spatial_accuracy=spatial_accuracy(p, t, m, spatial_threshold, aspect),
        gesture_accuracy=gesture_accuracy(p, t, m, aspect, click_threshold, press_threshold),
        n_sequences=int(p.shape[0]),
        n_steps=int(m.sum()),
        spatial_threshold=float(spatial_threshold),
        aspect=float(aspect),
        click_threshold=float(click_threshold),
        press_threshold=float(press_threshold),
    )
