"""The representation of ``action-diffusion``: fixed-length ``x, y, press`` sequences in model units, and back.

Encoding (training data, :meth:`ActionEncoder.encode_batch`):

1. positions divided by the screen size (``x / width``, ``y / height``: screen
   units in ``[0, 1]``) and ``press`` as 0.0 / 1.0, padded to ``seq_len`` steps
   with a mask (:func:`deval.io.actions.to_action_array`);
2. with ``velocity`` (the default), two more channels: the per-step
   displacements ``dx_i = x_i - x_{i-1}``, ``dy_i`` (0 at the first step),
   square-root companded: ``sign(d) * sqrt(|d| / c)``, with ``c`` per axis
   such that the companded values of the training data have std 0.5;
3. ``x, y, press`` mapped from ``[0, 1]`` to ``[-1, 1]`` (``2 v - 1``, so
   press is ``-1`` up or ``+1`` down) by a fixed
   :class:`~deval.canonical.Normalizer` (``normalizer.json``; identity on the
   companded displacements);
4. the gesture type of every sequence
   (:func:`deval.metrics.gestures.classify_gestures` with the screen's aspect
   ratio) as the condition label, an index into
   :data:`~deval.metrics.gestures.GESTURE_TYPES`.

With ``still`` (the default, needs the displacement channels), one more
channel marks the steps that hold still: displacement below
``still_threshold`` screen heights (0.002, about 2 px at 1080 p: tremor, not
motion), 0 / 1 like press (``-1`` / ``+1`` in model units). Decoding sets
the displacement of a step whose still value is ``> 0.5`` to zero, so a held
press stays where it is instead of drifting by the network's small
displacement errors, which add up like a random walk (without it, holds
drifted 20-60 px and pressed clicks came out as short swipes).

Why displacements: the structure that tells gestures apart is relative (a
click holds still while pressed, a swipe moves straight along its class
axis); as displacements it is a local pattern (zeros, a constant direction)
instead of an equality between distant absolute values. Why companding: the
inverse ``c * v**2`` is flat at 0, so a small error of the network around
"no motion" becomes a sub-pixel drift instead of a jitter that turns a click
into a short swipe (with independent noise of std 0.1 on these channels,
98.6% of the gesture types of a gestures dataset survive, against 88% with
linearly scaled displacements).

Decoding (:meth:`ActionEncoder.to_unit`, :meth:`ActionEncoder.decode`): back
to screen units; with displacement channels the positions are the integrated
displacements placed at the mean of the position channels (the least-squares
fit of the positions under the displacements), then clipped to the screen and
multiplied by its size (pixels); ``press`` is ``value > 0.5`` in the ``0..1``
scale (``> 0`` in model units); point ``i`` is at ``t = i / rate_hz`` seconds.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from deval.canonical import Normalizer
from deval.errors import DataError
from deval.io.actions import parse_screen, to_action_array
from deval.metrics.gestures import GESTURE_TYPES, classify_gestures
from deval.trajectories import Trajectories

__all__ = ["ActionBatch", "ActionEncoder", "ACTION_CHANNELS", "VELOCITY_CHANNELS", "STILL_CHANNELS", "DEFAULT_SCREEN", "DEFAULT_ASPECT"]

log = logging.getLogger(__name__)

#: the channels of an action sequence (screen units)
ACTION_CHANNELS = ("x", "y", "press")
#: the displacement channels added with ``velocity``
VELOCITY_CHANNELS = ("dx", "dy")
#: the hold-still channel added with ``still_threshold``
STILL_CHANNELS = ("still",)
#: screen assumed by ``data.screen=auto`` for pixel data that fit in it
DEFAULT_SCREEN = (1920.0, 1080.0)
#: aspect ratio assumed for data already in screen units (``data.screen=auto``, ``data.aspect=0``)
DEFAULT_ASPECT = 16 / 9


@dataclass
class ActionBatch:
    """Sequences in model units, as tensors.

    Attributes
    ----------
    values : Tensor, float32, (N, T, C)
        ``x, y, press`` in ``[-1, 1]`` (and companded ``dx, dy`` with std 0.5, ``still`` in ``[-1, 1]``), 0 on padding.
    mask : BoolTensor, (N, T)
        True on real steps.
    label : LongTensor, (N,)
        Gesture type, an index into :data:`~deval.metrics.gestures.GESTURE_TYPES`.
    """

    values: torch.Tensor
    mask: torch.Tensor
    label: torch.Tensor

    def __len__(self) -> int:
        return len(self.label)

    def take(self, idx: torch.Tensor) -> "ActionBatch":
        """Rows ``idx``."""
        return ActionBatch(self.values[idx], self.mask[idx], self.label[idx])

    def to(self, device) -> "ActionBatch":
        """Move every tensor to ``device``."""
        return ActionBatch(self.values.to(device), self.mask.to(device), self.label.to(device))


def _auto_screen(traj: Trajectories) -> tuple[float, float]:
    """``data.screen=auto``: (1, 1) for data in ``[0, 1]``, 1920x1080 when the pixels fit, else the data's extent."""
    lo = min(float(traj.x.min()), float(traj.y.min()))
    if lo >= 0 and max(float(traj.x.max()), float(traj.y.max())) <= 1:
        log.info("coordinates lie in [0, 1]: taken as screen units (samples come back in the same units)")
        return 1.0, 1.0
    if lo >= 0 and traj.x.max() <= DEFAULT_SCREEN[0] and traj.y.max() <= DEFAULT_SCREEN[1]:
        return DEFAULT_SCREEN
    w, h = math.ceil(float(traj.x.max())), math.ceil(float(traj.y.max()))
    log.warning("positions exceed 1920x1080; screen taken as %dx%d (set data.screen=WxH)", w, h)
    return float(max(w, 1)), float(max(h, 1))


class ActionEncoder:
    """Fixed-length action sequences <-> model units (see the module docstring).

    Parameters
    ----------
    seq_len : int
        Steps per sequence T (the longest training sequence; shorter ones are masked).
    rate_hz : float
        Sampling rate; point ``i`` is at ``i / rate_hz`` s.
    screen : (float, float)
        Width and height in pixels that screen units refer to ((1, 1) for data in screen units).
    aspect : float
        Screen width / height used for gesture types.
    condition : {"gesture", "none"}
        Condition on gesture-type labels or on nothing.
    velocity_scale : (float, float) or None
        Companding scale ``c`` of the displacements ``dx, dy`` (screen units;
        see the module docstring); None: no displacement channels.
    still_threshold : float or None
        Displacement (screen heights) below which a step holds still (the
        ``still`` channel, with displacement channels only); None: no such channel.
    lengths, length_counts : int arrays
        Sequence lengths of the training data and how often each occurs (sampled lengths follow them).
    label_counts : int array, (len(GESTURE_TYPES),)
        Gesture types of the training data.
    """

    def __init__(self, seq_len: int, rate_hz: float, screen: tuple[float, float], aspect: float,
                 condition: str = "gesture", velocity_scale=None, lengths=None, length_counts=None,
                 label_counts=None, still_threshold: float | None = None):
        self.seq_len = int(seq_len)
        self.rate_hz = float(rate_hz)
        self.screen = (float(screen[0]), float(screen[1]))
        self.aspect = float(aspect)
        self.condition = condition
        self.velocity_scale = None if velocity_scale is None else (float(velocity_scale[0]), float(velocity_scale[1]))
        self.still_threshold = None if still_threshold is None else float(still_threshold)
        self.lengths = np.asarray(lengths if lengths is not None else [self.seq_len], np.int64)
        self.length_counts = np.asarray(length_counts if length_counts is not None else [1], np.int64)
        self.label_counts = np.asarray(label_counts if label_counts is not None else np.ones(len(GESTURE_TYPES)),
                                       np.int64)

    # ------------------------------------------------------------- fitting
    @classmethod
    def fit(cls, traj: Trajectories, *, screen: str = "auto", aspect: float = 0.0, rate_hz: float = 0.0,
            condition: str = "gesture", velocity: bool = True, still_threshold: float = 0.0) -> "ActionEncoder":
        """The representation of the training sequences ``traj`` (pixels or screen units, seconds, press).

        ``screen="auto"``: data whose coordinates all lie in ``[0, 1]`` are
        taken as screen units (samples come back in the same units, gesture
        types use ``aspect`` or 16/9); pixel data that fit in 1920x1080 are on
        that screen; otherwise the data's extent is the screen. ``aspect`` 0
        is the screen's width / height; ``rate_hz`` 0 is the data's median
        rate; ``velocity`` adds the displacement channels and, with them,
        ``still_threshold > 0`` the hold-still channel.

        Raises
        ------
        DataError
            No sequences, sequences of fewer than 2 points, or no press channel.
        """
        if len(traj) == 0:
            raise DataError(None, "no action sequences to train on")
        if traj.press is None:
            raise DataError(None, "action-diffusion needs sequences with a press channel (x, y, press): "
                                  "read flat *_actions.npy files or a .npz with press")
        if int(traj.lengths.min()) < 2:
            raise DataError(None, "action sequences need at least 2 points each")
        wh = _auto_screen(traj) if screen == "auto" else parse_screen(screen, "data.screen")
        if aspect <= 0:
            aspect = DEFAULT_ASPECT if wh == (1.0, 1.0) else wh[0] / wh[1]
        if rate_hz <= 0:
            dt = np.diff(traj.t)[np.diff(traj.segment_ids) == 0]
            dt = dt[dt > 0]
            rate_hz = float(1.0 / np.median(dt)) if dt.size else 60.0
        lengths, counts = np.unique(traj.lengths, return_counts=True)
        enc = cls(int(lengths.max()), rate_hz, wh, aspect, condition, None, lengths, counts)
        unit, mask = enc.unit_values(traj)
        if velocity:  # std of sign(d) sqrt(|d| / c) is std(sign(d) sqrt|d|) / sqrt(c): c for a std of 0.5
            d, real = _displacements(unit, mask)
            enc.velocity_scale = tuple(float(max((np.std(np.sign(v) * np.sqrt(np.abs(v))) / 0.5) ** 2, 1e-12))
                                       for v in d[real].T)
            enc.still_threshold = float(still_threshold) if still_threshold > 0 else None
        enc.label_counts = np.bincount(enc.gesture_labels(unit, mask), minlength=len(GESTURE_TYPES))
        return enc

    # ------------------------------------------------------------ encoding
    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names of the model units: ``x, y, press`` (and ``dx, dy``, and ``still``)."""
        return (ACTION_CHANNELS + (VELOCITY_CHANNELS if self.velocity_scale is not None else ())
                + (STILL_CHANNELS if self.has_still else ()))

    @property
    def has_still(self) -> bool:
        """Whether the model units have the hold-still channel."""
        return self.velocity_scale is not None and self.still_threshold is not None

    @property
    def n_channels(self) -> int:
        """Channels C of the model units."""
        return len(self.channels)

    @property
    def normalizer(self) -> Normalizer:
        """The fixed map from :meth:`features` to model units (``normalizer.json``; identity on ``dx, dy``)."""
        n = self.n_channels
        mean, std = np.zeros(n), np.ones(n)
        mean[:3], std[:3] = 0.5, 0.5
        if self.has_still:
            mean[5], std[5] = 0.5, 0.5
        return Normalizer(channels=self.channels, mean_=mean, std_=std)

    @property
    def goal_dim(self) -> int:
        """Size of the condition vector: one-hot gesture types (or 1 constant zero without conditioning)."""
        return len(GESTURE_TYPES) if self.condition == "gesture" else 1

    def unit_values(self, traj: Trajectories) -> tuple[np.ndarray, np.ndarray]:
        """Sequences in screen units: ``(N, seq_len, 3)`` float64 x, y (``[0, 1]`` on screen), press 0/1; mask (N, seq_len).

        Raises
        ------
        DataError
            A sequence longer than ``seq_len``, or no press channel.
        """
        if traj.press is None:
            raise DataError(None, "action sequences need a press channel")
        if len(traj) and int(traj.lengths.max()) > self.seq_len:
            raise DataError(None, f"sequences of up to {int(traj.lengths.max())} points; this model has "
                                  f"seq_len={self.seq_len} (resample them first)")
        return to_action_array(traj, self.screen, max_len=self.seq_len)

    def gesture_labels(self, unit: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Gesture-type codes (N,) int64 of unit sequences ``(N, T, 3)`` (indices into ``GESTURE_TYPES``)."""
        names = np.asarray(classify_gestures(unit, mask, aspect=self.aspect)).astype(str)
        codes = np.zeros(len(names), dtype=np.int64)
        for code, name in enumerate(GESTURE_TYPES):  # a handful of types, vectorised over sequences
            codes[names == name] = code
        return codes

    def features(self, unit: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Features (N, T, C): ``x, y, press`` (screen units) and, with displacement channels, companded ``dx, dy``
        (and ``still``: 1.0 on real steps that move less than ``still_threshold`` screen heights)."""
        if self.velocity_scale is None:
            return unit
        d, real = _displacements(unit, mask)
        parts = [unit, np.sign(d) * np.sqrt(np.abs(d) / np.asarray(self.velocity_scale))]
        if self.has_still:
            still = real & (np.hypot(d[..., 0] * self.aspect, d[..., 1]) < self.still_threshold)
            parts.append(still[..., None].astype(np.float64))
        return np.concatenate(parts, axis=-1)

    def encode_batch(self, traj: Trajectories) -> ActionBatch:
        """Sequences as an :class:`ActionBatch` in model units (CPU tensors)."""
        unit, mask = self.unit_values(traj)
        label = self.gesture_labels(unit, mask)
        values = self.normalizer.transform(self.features(unit, mask), mask)
        return ActionBatch(torch.as_tensor(values, dtype=torch.float32), torch.as_tensor(mask),
                           torch.as_tensor(label, dtype=torch.long))

    #: :class:`~deval.generators.learned.training_run.TrainingRun` encodes its data with ``encoder.canonical``
    canonical = encode_batch

    def goal(self, label: torch.Tensor) -> torch.Tensor:
        """Condition vectors (N, goal_dim) float32 for gesture codes (N,): one-hot, or zeros without conditioning."""
        if self.condition != "gesture":
            return torch.zeros(len(label), 1, device=label.device)
        return torch.nn.functional.one_hot(label.long(), len(GESTURE_TYPES)).float()

    # ------------------------------------------------------------ decoding
    def to_unit(self, values: torch.Tensor | np.ndarray, mask: torch.Tensor | np.ndarray,
                binary_press: bool = True) -> np.ndarray:
        """Model units (N, T, C) -> action sequences (N, T, 3) in screen units, as sampled.

        Positions: integrated (de-companded) displacements, zero where ``still > 0.5``,
        placed at the mean of the position channels (with displacement channels), else the position channels;
        clipped to ``[0, 1]``. Press: 0.0 / 1.0 (``> 0.5``), or with
        ``binary_press=False`` the denoised value clipped to ``[0, 1]``.
        0 on padding.
        """
        v = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
        m = (mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)).astype(bool)
        raw = self.normalizer.inverse_transform(v.astype(np.float64))
        pos = raw[..., :2]
        if self.velocity_scale is not None:
            v = raw[..., 3:5]
            d = np.sign(v) * v ** 2 * np.asarray(self.velocity_scale) * _steps_after_real(m)[..., None]
            if self.has_still:
                d[raw[..., 5] > 0.5] = 0.0
            path = np.cumsum(d, axis=1)
            w = m[..., None].astype(np.float64)
            anchor = ((pos - path) * w).sum(axis=1, keepdims=True) / np.maximum(w.sum(axis=1, keepdims=True), 1.0)
            pos = path + anchor
        out = np.empty(raw.shape[:2] + (3,))
        out[..., :2] = np.clip(pos, 0.0, 1.0)
        out[..., 2] = (raw[..., 2] > 0.5) if binary_press else np.clip(raw[..., 2], 0.0, 1.0)
        out[~m] = 0.0
        return out

    def decode(self, values: torch.Tensor | np.ndarray, mask: torch.Tensor | np.ndarray) -> Trajectories:
        """Sequences in pixels and seconds with press, from model units (N, T, C) and mask (N, T).

        Row ``i`` keeps its first ``mask[i].sum()`` steps (masks are prefixes).
        """
        return self.unit_to_trajectories(self.to_unit(values, mask), mask)

    def unit_to_trajectories(self, unit: np.ndarray, mask: torch.Tensor | np.ndarray) -> Trajectories:
        """Sequences in pixels and seconds with press from :meth:`to_unit`'s output (N, T, 3) and mask (N, T)."""
        m = (mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)).astype(bool)
        t = np.broadcast_to(np.arange(unit.shape[1], dtype=np.float64) / self.rate_hz, m.shape)
        return Trajectories.from_arrays(unit[..., 0][m] * self.screen[0], unit[..., 1][m] * self.screen[1], t[m],
                                        lengths=m.sum(axis=1), press=unit[..., 2][m] > 0.5)

    # ------------------------------------------------------------ sampling
    def draw_lengths(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Sequence lengths (n,) drawn from the training lengths."""
        p = self.length_counts / self.length_counts.sum()
        return rng.choice(self.lengths, size=n, p=p)

    def draw_labels(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Gesture codes (n,) drawn from the training mix."""
        p = self.label_counts / self.label_counts.sum()
        return rng.choice(len(GESTURE_TYPES), size=n, p=p)

    @property
    def label_mix(self) -> dict[str, float]:
        """Fraction of each gesture type among the training sequences."""
        p = self.label_counts / max(int(self.label_counts.sum()), 1)
        return {g: float(v) for g, v in zip(GESTURE_TYPES, p)}

    # --------------------------------------------------------------- state
    def to_dict(self) -> dict:
        """JSON-ready settings and statistics (``encoder.json``)."""
        return {"kind": "actions", "seq_len": self.seq_len, "rate_hz": self.rate_hz, "screen": list(self.screen),
                "aspect": self.aspect, "condition": self.condition,
                "velocity_scale": None if self.velocity_scale is None else list(self.velocity_scale),
                "still_threshold": self.still_threshold,
                "lengths": self.lengths.tolist(), "length_counts": self.length_counts.tolist(),
                "label_counts": self.label_counts.tolist(), "gesture_types": list(GESTURE_TYPES)}

    @classmethod
    def from_dict(cls, d: dict) -> "ActionEncoder":
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        DataError
            Missing keys or gesture types other than this version's.
        """
        try:
            if list(d.get("gesture_types", GESTURE_TYPES)) != list(GESTURE_TYPES):
                raise ValueError(f"gesture types {d['gesture_types']} differ from {list(GESTURE_TYPES)}")
            return cls(d["seq_len"], d["rate_hz"], tuple(d["screen"]), d["aspect"], d["condition"], d["velocity_scale"],
                       d["lengths"], d["length_counts"], d["label_counts"], d.get("still_threshold"))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(None, f"invalid action encoder settings ({exc})") from None


def _steps_after_real(mask: np.ndarray) -> np.ndarray:
    """(N, T) bool: real steps whose previous step is real too (where a displacement is defined)."""
    out = np.zeros_like(mask, dtype=bool)
    out[:, 1:] = mask[:, 1:] & mask[:, :-1]
    return out


def _displacements(unit: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step displacements (N, T, 2) of unit positions (0 where undefined) and where they are defined (N, T)."""
    real = _steps_after_real(np.asarray(mask, dtype=bool))
    d = np.zeros(unit.shape[:2] + (2,))
    d[:, 1:] = unit[:, 1:, :2] - unit[:, :-1, :2]
    d[~real] = 0.0
    return d, real
