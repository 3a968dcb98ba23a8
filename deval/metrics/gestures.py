"""Press periods and rule-based gesture types of action sequences, and gesture-mix distances.

An action sequence is ``(T, 3)``: ``x, y`` (screen coordinates normalised to
``[0, 1]``: x by the screen width, y by its height) and ``press`` (0..1). A
**press period** is a maximal run of real steps with ``press > press_threshold``
(0.5); a masked-out step ends a run.

Gesture type of a sequence (:func:`classify_gestures`), one of
:data:`GESTURE_TYPES`:

1. no press period: ``none``;
2. otherwise take the *dominant* press period: the one whose net displacement
   (position at its last pressed step minus position at its first) is the
   longest (the earliest on ties). The displacement is measured in units of
   the screen height: ``(dx * aspect, dy)`` with ``aspect = width / height``
   of the screen the coordinates were normalised by (16/9 for 1920x1080), so
   that angles are angles on the screen;
3. length below ``click_threshold`` (default 0.02, about 22 px on a 1080 px
   high screen): ``click``;
4. else by the angle of the displacement from the horizontal axis, folded
   into [0, 90] degrees: below 22.5 ``horizontal``, above 67.5 ``vertical``,
   22.5 to 67.5 (inclusive) ``diagonal``. Direction signs (left/right,
   up/down) are not distinguished.

So a click followed by a swipe is the swipe's direction class, and a drag
(press, hold, move, release) is classified by its move like a swipe.
:class:`deval.generators.gestures.GesturesBot` labels its sequences with this
same rule.

:func:`gesture_mix` turns labels into the fraction of each type, and
:func:`gesture_mix_difference` gives the largest per-type difference between
two mixes in percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from deval.errors import ConfigError
from deval.metrics.inputs import as_action_batch

__all__ = [
    "GESTURE_TYPES", "CLICK_THRESHOLD", "HORIZONTAL_MAX_DEG", "VERTICAL_MIN_DEG", "PressPeriods", "press_periods",
    "classify_gestures", "gesture_mix", "gesture_mix_difference",
]

#: gesture type names, in the order of their integer codes
GESTURE_TYPES: tuple[str, ...] = ("none", "click", "horizontal", "vertical", "diagonal")
#: largest net displacement of a click, in screen heights
CLICK_THRESHOLD = 0.02
#: displacement angles (degrees from horizontal) below this are horizontal
HORIZONTAL_MAX_DEG = 22.5
#: displacement angles above this are vertical
VERTICAL_MIN_DEG = 67.5


@dataclass(frozen=True, eq=False)
class PressPeriods:
    """Press periods of a batch of sequences, in sequence order then time order.

    Attributes
    ----------
    seq : ndarray, int64, (K,)
        Sequence of each period.
    start, stop : ndarray, int64, (K,)
        First pressed step and one past the last (steps ``start .. stop - 1`` are pressed).
    n_sequences : int
        N, the number of sequences of the batch.
    """

    seq: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    n_sequences: int

    def __len__(self) -> int:
        return len(self.seq)

    @property
    def lengths(self) -> np.ndarray:
        """Pressed steps of each period, (K,)."""
        return self.stop - self.start

    def per_sequence(self) -> np.ndarray:
        """Number of press periods of each sequence, int64 (N,)."""
        return np.bincount(self.seq, minlength=self.n_sequences).astype(np.int64)


def press_periods(press: Any, mask: Any = None, threshold: float = 0.5) -> PressPeriods:
    """Maximal runs of pressed real steps.

    Parameters
    ----------
    press : array-like, (N, T)
        Press value of every step (0..1; bool works).
    mask : array-like of bool, (N, T), optional
        True on real steps (default: all); a masked-out step ends a run.
    threshold : float
        A step is pressed when ``press > threshold``.

    Returns
    -------
    PressPeriods
    """
    if hasattr(press, "detach") and hasattr(press, "cpu"):
        press = press.detach().cpu().numpy()
    p = np.asarray(press, dtype=np.float64)
    if p.ndim != 2:
        raise ConfigError(f"press must be an (N, T) array, got shape {p.shape}")
    pressed = p > threshold
    if mask is not None:
        pressed &= np.asarray(mask, dtype=bool)
    before = np.zeros_like(pressed)
    before[:, 1:] = pressed[:, :-1]
    after = np.zeros_like(pressed)
    after[:, :-1] = pressed[:, 1:]
    s_seq, s_t = np.nonzero(pressed & ~before)
    _, e_t = np.nonzero(pressed & ~after)  # row-major order: the k-th end closes the k-th start
    return PressPeriods(s_seq.astype(np.int64), s_t.astype(np.int64), e_t.astype(np.int64) + 1, p.shape[0])


def classify_gestures(
    actions: Any,
    mask: Any = None,
    *,
    aspect: float = 1.0,
    click_threshold: float = CLICK_THRESHOLD,
    press_threshold: float = 0.5,
) -> np.ndarray:
    """Gesture type of every sequence by the rule of the module docstring.

    Parameters
    ----------
    actions : array-like or torch.Tensor, (N, T, 3)
        ``x, y`` normalised by the screen width and height, ``press`` 0..1.
    mask : array-like of bool, (N, T), optional
        True on real steps.
    aspect : float
        Screen width / height of the normalisation (16/9 for 1920x1080);
        1.0 when x and y share a unit (e.g. both pixels divided by the height).
    click_threshold : float
        Longest net displacement of a click, in screen heights.
    press_threshold : float
        A step is pressed when ``press > press_threshold``.

    Returns
    -------
    ndarray of str, (N,)
        One of :data:`GESTURE_TYPES` per sequence.
    """
    if not (np.isfinite(aspect) and aspect > 0):
        raise ConfigError(f"aspect must be positive, got {aspect!r}")
    if not (np.isfinite(click_threshold) and click_threshold >= 0):
        raise ConfigError(f"click_threshold must be >= 0, got {click_threshold!r}")
    values, m = as_action_batch(actions, "actions", mask)
    periods = press_periods(values[..., 2], m, press_threshold)
    codes = np.zeros(len(values), dtype=np.int64)
    if len(periods):
        first = values[periods.seq, periods.start, :2]
        last = values[periods.seq, periods.stop - 1, :2]
        dx = (last[:, 0] - first[:, 0]) * aspect
        dy = last[:, 1] - first[:, 1]
        dist = np.hypot(dx, dy)
        order = np.lexsort((np.arange(len(dist)), -dist, periods.seq))  # per sequence: longest, then earliest
        seqs, pick = np.unique(periods.seq[order], return_index=True)
        k = order[pick]
        angle = np.degrees(np.arctan2(np.abs(dy[k]), np.abs(dx[k])))
        kind = np.where(angle < HORIZONTAL_MAX_DEG, 2, np.where(angle > VERTICAL_MIN_DEG, 3, 4))
        codes[seqs] = np.where(dist[k] < click_threshold, 1, kind)
    return np.asarray(GESTURE_TYPES)[codes]


def gesture_mix(labels: Sequence[str] | np.ndarray) -> dict[str, float]:
    """Fraction of each gesture type among ``labels`` (every type of :data:`GESTURE_TYPES`, summing to 1).

    Raises
    ------
    ConfigError
        No labels, or a label that is not a gesture type.
    """
    arr = np.asarray(labels).astype(str)
    if arr.size == 0:
        raise ConfigError("gesture_mix needs at least one label")
    unknown = sorted(set(arr.tolist()) - set(GESTURE_TYPES))
    if unknown:
        raise ConfigError(f"unknown gesture type(s) {', '.join(unknown)}; known: {', '.join(GESTURE_TYPES)}")
    return {g: float(np.mean(arr == g)) for g in GESTURE_TYPES}


def gesture_mix_difference(
    a: Mapping[str, float] | Sequence[str] | np.ndarray, b: Mapping[str, float] | Sequence[str] | np.ndarray
) -> float:
    """Largest per-type difference between two gesture mixes, in percentage points (0..100).

    ``a`` and ``b`` are mixes (:func:`gesture_mix`) or label arrays.
    """
    ma = a if isinstance(a, Mapping) else gesture_mix(a)
    mb = b if isinstance(b, Mapping) else gesture_mix(b)
    return float(100.0 * max(abs(ma.get(g, 0.0) - mb.get(g, 0.0)) for g in GESTURE_TYPES))
