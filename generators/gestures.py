"""``gestures``: scripted click, swipe and drag sequences of fixed length with a press channel.

For building action datasets (``[x, y, press]`` sequences, e.g. to export as
``*_actions.npy`` with ``deval convert ... --screen WxH``) rather than
pointing movements. Every sequence has ``seq_len`` points sampled at a fixed
``rate_hz`` (``t = i / rate_hz`` seconds), in pixels of a
``screen_width x screen_height`` screen, and a ``press`` flag per point.

A sequence is laid out on its step grid as

    [idle at a random start] then, for each action: [hover to the action's start
    point, press up] [the action, press down] ... then [idle at the last position]

with these actions:

* **click**: press and hold still for the click duration;
* **swipe**: press and move from the start point to the end point with an
  easing profile (ease-in-out-sine, ease-out-quad or ease-in-out-quad, chosen
  per swipe) along a slightly bowed path (``curvature``); the press is released
  on arrival;
* **drag**: press, hold still briefly, move to the end point (minimum-jerk
  profile), hold still briefly, release.

Hovers follow a minimum-jerk profile (smootherstep) with a slight bow; every
point carries a small tremor (Gaussian AR(1) noise, coefficient 0.7, sigma
``jitter_px``). Swipe and drag directions come in three classes, with the
direction drawn within ``angle_spread`` degrees of the class axis (in pixels):
**horizontal** (0 or 180 degrees), **vertical** (90 or 270), **diagonal** (45,
135, 225 or 315); their length is a ``swipe_length`` fraction of the screen
height (shortened where the screen is too small).

``action_type``
    ``click``, ``swipe-horizontal``, ``swipe-vertical``, ``swipe-diagonal``:
    one action of that kind per sequence; ``swipe``: one swipe of a direction
    class drawn uniformly; ``mixed``: ``n_actions`` actions per sequence, each a
    click, a swipe or a drag (uniformly), e.g. a click then a swipe.
``complexity``
    Action durations in seconds (``any`` draws a level per sequence):

    ======  ===========  ===========  ===========  ==================
    level   click press  swipe        drag move    drag holds (each)
    ======  ===========  ===========  ===========  ==================
    short   0.05-0.12    0.10-0.20    0.20-0.35    0.03-0.08
    medium  0.12-0.25    0.20-0.35    0.35-0.55    0.06-0.12
    long    0.30-0.60    0.35-0.60    0.55-0.90    0.10-0.20
    ======  ===========  ===========  ===========  ==================

    Hovers take ``hover_time`` seconds. Durations become whole steps (at least
    2 for a click, 3 for a swipe, 1 per drag hold and 3 for its move, 2 per
    hover). When a sequence's actions and hovers do not fit in ``seq_len - 1``
    steps, the part of every duration above its minimum is shrunk by the same
    factor; the steps left over are split at random between the idle start and
    the idle end (which has at least one step, so every press is released
    inside the sequence).

Per-movement metadata: ``gesture`` (the gesture type: ``click``,
``horizontal``, ``vertical`` or ``diagonal``), ``actions`` (e.g.
``click+swipe+drag``), ``n_presses`` and ``complexity``. ``gesture`` follows
the rule of :func:`deval.metrics.gestures.classify_gestures`: for a sequence
with several actions it is the type of the *dominant* press, the one whose
pressed net displacement (first to last pressed point) is the longest, so a
click then a swipe is the swipe's direction, and ``click`` only when every
action is a click. It is computed from the plan (directions and step counts),
not measured on the points, so :func:`~deval.metrics.gestures.classify_gestures`
on the sequences (normalised by the screen, ``aspect = width / height``) is an
independent check of it. So that the type of a mixed sequence is never a near
tie, the other swipes and drags of a sequence are shortened where needed until
their pressed displacement is at most 0.8 times the dominant one's.

Endpoints: the generator places its own actions and **ignores** ``cond``
(and so ``--like`` only sets how many sequences are drawn): mouse-movement
endpoints say nothing about where clicks and swipes happen.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy.signal import lfilter

from deval.errors import ConfigError
from deval.generators.base import Generator
from deval.generators.easing import EASINGS, ease
from deval.generators.parameters import ParamSpec, draw_integers, draw_uniform
from deval.trajectories import Endpoints, Trajectories

__all__ = ["GesturesBot", "ACTION_TYPES", "COMPLEXITY", "DURATIONS"]

log = logging.getLogger(__name__)

ACTION_TYPES = ("mixed", "click", "swipe", "swipe-horizontal", "swipe-vertical", "swipe-diagonal")
LEVELS = ("short", "medium", "long")
COMPLEXITY = LEVELS + ("any",)
#: seconds (low, high) per complexity level: click press, swipe move, drag move, each drag hold
DURATIONS: dict[str, dict[str, tuple[float, float]]] = {
    "short": {"click": (0.05, 0.12), "swipe": (0.10, 0.20), "drag": (0.20, 0.35), "hold": (0.03, 0.08)},
    "medium": {"click": (0.12, 0.25), "swipe": (0.20, 0.35), "drag": (0.35, 0.55), "hold": (0.06, 0.12)},
    "long": {"click": (0.30, 0.60), "swipe": (0.35, 0.60), "drag": (0.55, 0.90), "hold": (0.10, 0.20)},
}

# action kinds and direction classes (codes)
NONE, CLICK, SWIPE, DRAG = -1, 0, 1, 2
KIND_NAMES = ("click", "swipe", "drag")
DIRECTIONS = ("horizontal", "vertical", "diagonal")
#: minimum steps: click press, swipe move, drag hold (each end), drag move, hover
MIN_CLICK, MIN_SWIPE, MIN_HOLD, MIN_DRAG_MOVE, MIN_HOVER = 2, 3, 1, 3, 2
#: most steps an action of each kind can need at its minimum (drag: hold + move + hold)
MIN_ACTION = {CLICK: MIN_CLICK, SWIPE: MIN_SWIPE, DRAG: 2 * MIN_HOLD + MIN_DRAG_MOVE}
#: segments per action slot: hover, then up to three pressed phases (drag: hold, move, hold)
SEGMENTS_PER_ACTION = 4
TREMOR_AR = 0.7
SWIPE_EASINGS = np.array([EASINGS.index(e) for e in ("ease-in-out-sine", "ease-out-quad", "ease-in-out-quad")])
HOVER_EASING = EASINGS.index("smootherstep")  # minimum-jerk profile
DRAG_EASING = EASINGS.index("smootherstep")
STILL_EASING = EASINGS.index("linear")


#: in a sequence with several moving actions, the others' pressed displacement is at most this
#: fraction of the dominant one's (so that the gesture type is never a near tie)
DOMINANCE = 0.8


def _pressed_fraction(kinds: np.ndarray, steps: np.ndarray, swipe_ease: np.ndarray) -> np.ndarray:
    """Pressed net displacement of each action as a fraction of its length, (N, K).

    A drag is pressed from start to end (1); a swipe's last pressed point is
    at phase ``(L - 1) / L`` of its ``L`` steps (the release lands on the end
    point); a click does not move (0).
    """
    n, k = kinds.shape
    swipe_steps = np.maximum(steps[..., 1], 1)
    progress = ease(((swipe_steps - 1) / swipe_steps).ravel(), swipe_ease.ravel()).reshape(n, k)
    return np.select([kinds == SWIPE, kinds == DRAG], [progress, 1.0], 0.0)


class GesturesBot(Generator):
    """Fixed-length click / swipe / drag sequences with a press channel (see the module docstring)."""

    name = "gestures"
    kind = "actions"
    description = "click, swipe and drag sequences of fixed length with a press channel, for action datasets"
    param_specs = (
        ParamSpec("action_type", "mixed", "actions per sequence: one click, one swipe (of a direction class or "
                  "any), or mixed (n_actions clicks, swipes and drags)", "choice", choices=ACTION_TYPES),
        ParamSpec("complexity", "medium", "action durations (see the table in generators/gestures.py; any: a "
                  "level per sequence)", "choice", choices=COMPLEXITY),
        ParamSpec("seq_len", 64, "points per sequence", "int", 8, 100_000),
        ParamSpec("rate_hz", 60.0, "sampling rate, Hz (points are 1 / rate_hz s apart)", "float", 1.0, 10_000.0),
        ParamSpec("screen_width", 1920, "screen width, px", "int", 64, 100_000),
        ParamSpec("screen_height", 1080, "screen height, px", "int", 64, 100_000),
        ParamSpec("n_actions", (2, 3), "actions per sequence when action_type is mixed", "int-range", 1, 8),
        ParamSpec("swipe_length", (0.15, 0.5), "swipe and drag length, fraction of the screen height",
                  "float-range", 0.05, 1.5),
        ParamSpec("angle_spread", 12.0, "largest deviation of a swipe direction from its class axis, degrees "
                  "(class boundaries are 22.5 degrees away)", "float", 0.0, 20.0),
        ParamSpec("curvature", (0.0, 0.06), "sideways bow of swipes and hovers, fraction of their length",
                  "float-range", 0.0, 0.5),
        ParamSpec("hover_time", (0.10, 0.30), "seconds to move (press up) to each action's start",
                  "float-range", 0.0, 5.0),
        ParamSpec("jitter_px", (0.2, 1.0), "tremor sigma (AR(1) noise on every point), px", "float-range",
                  0.0, 20.0),
    )

    def __init__(self, **params) -> None:
        super().__init__(**params)
        p = self.params
        k_max = p["n_actions"][1] if p["action_type"] == "mixed" else 1
        kind = {"click": CLICK, "mixed": DRAG}.get(p["action_type"], SWIPE)
        need = k_max * (MIN_HOVER + MIN_ACTION[kind]) + 1
        if need > p["seq_len"]:
            raise ConfigError(f"{self.name}: seq_len={p['seq_len']} is too short for {k_max} {p['action_type']} "
                              f"action(s) (at least {need} steps)")

    def draw_endpoints(self, n: int, rng: np.random.Generator) -> Endpoints:
        """Placeholder endpoints (the generator places its own actions and ignores them)."""
        z = np.zeros((n, 2))
        return Endpoints(z, z)

    # ------------------------------------------------------------------ plan
    def _kinds(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Action kind (N, K) (-1: unused slot) and direction class (N, K) of every action slot."""
        p = self.params
        a = p["action_type"]
        if a == "mixed":
            k_max = p["n_actions"][1]
            count = draw_integers(rng, p["n_actions"], n)
            kinds = rng.integers(0, 3, size=(n, k_max))
            kinds[np.arange(k_max)[None, :] >= count[:, None]] = NONE
            direction = rng.integers(0, 3, size=(n, k_max))
        else:
            kinds = np.full((n, 1), CLICK if a == "click" else SWIPE)
            if a.startswith("swipe-"):
                direction = np.full((n, 1), DIRECTIONS.index(a[len("swipe-"):]))
            else:
                direction = rng.integers(0, 3, size=(n, 1))
        return kinds.astype(np.int64), direction.astype(np.int64)

    def _durations(self, kinds: np.ndarray, level: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Seconds of each phase (N, K, 4): hover, then pressed phases (click/swipe: one; drag: hold, move, hold)."""
        n, k = kinds.shape
        out = np.zeros((n, k, SEGMENTS_PER_ACTION))
        out[..., 0] = draw_uniform(rng, self.params["hover_time"], n * k).reshape(n, k)
        u = rng.random((n, k, 3))
        for li, name in enumerate(LEVELS):  # three levels: a fixed handful of vectorised branches
            table = DURATIONS[name]
            at = level[:, None] == li
            for kind, key, col, r in ((CLICK, "click", 1, 0), (SWIPE, "swipe", 1, 0), (DRAG, "hold", 1, 0),
                                      (DRAG, "drag", 2, 1), (DRAG, "hold", 3, 2)):
                lo, hi = table[key]
                m = at & (kinds == kind)
                out[..., col][m] = lo + (hi - lo) * u[..., r][m]
        out[kinds == NONE] = 0.0
        return out

    def _steps(self, seconds: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Whole steps of each phase (N, K, 4), shrunk where a sequence does not fit (module docstring)."""
        rate, total = self.params["rate_hz"], self.params["seq_len"]
        minimum = np.zeros(seconds.shape, dtype=np.int64)
        minimum[..., 0] = MIN_HOVER
        minimum[..., 1] = np.select([kinds == CLICK, kinds == SWIPE, kinds == DRAG], [MIN_CLICK, MIN_SWIPE, MIN_HOLD])
        minimum[..., 2] = np.where(kinds == DRAG, MIN_DRAG_MOVE, 0)
        minimum[..., 3] = np.where(kinds == DRAG, MIN_HOLD, 0)
        minimum[kinds == NONE] = 0
        raw = np.maximum(seconds * rate, minimum)
        extra = raw - minimum
        room = total - 1 - minimum.sum(axis=(1, 2))  # one step is kept for the idle end
        want = extra.sum(axis=(1, 2))
        scale = np.where(want > room, room / np.maximum(want, 1e-12), 1.0)[:, None, None]
        rounded = minimum + np.rint(extra * scale).astype(np.int64)
        floored = minimum + np.floor(extra * scale).astype(np.int64)  # always fits: sum <= room
        fits = rounded.sum(axis=(1, 2)) <= total - 1
        return np.where(fits[:, None, None], rounded, floored)

    def _directions(self, direction: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Angles in radians (screen frame, y down) for direction classes (N, K)."""
        n, k = direction.shape
        sign = rng.integers(0, 4, size=(n, k))  # which of the class's 2 or 4 axes
        base = np.select(
            [direction == 0, direction == 1],
            [np.pi * (sign % 2), np.pi / 2 + np.pi * (sign % 2)],
            np.pi / 4 + np.pi / 2 * sign,
        )
        spread = math.radians(self.params["angle_spread"])
        return base + rng.uniform(-spread, spread, size=(n, k))

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        p = self.params
        n, T = len(cond), p["seq_len"]
        w, h = float(p["screen_width"]), float(p["screen_height"])
        margin = 0.02 * min(w, h)
        lo, hi = np.array([margin, margin]), np.array([w - margin, h - margin])

        level = (rng.integers(0, 3, size=n) if p["complexity"] == "any"
                 else np.full(n, LEVELS.index(p["complexity"])))
        kinds, direction = self._kinds(n, rng)
        k = kinds.shape[1]
        moving = (kinds == SWIPE) | (kinds == DRAG)
        steps = self._steps(self._durations(kinds, level, rng), kinds)  # (N, K, 4)

        # action geometry in pixels: start A, end B (clicks: B = A)
        angle = self._directions(direction, rng)
        c, s = np.cos(angle), np.sin(angle)
        length = h * draw_uniform(rng, p["swipe_length"], n * k).reshape(n, k)
        fit = np.minimum((hi[0] - lo[0]) / np.maximum(np.abs(c), 1e-9), (hi[1] - lo[1]) / np.maximum(np.abs(s), 1e-9))
        length = np.where(moving, np.minimum(length, 0.999 * fit), 0.0)
        swipe_ease = SWIPE_EASINGS[rng.integers(0, len(SWIPE_EASINGS), size=(n, k))]
        length = self._separate_dominant(length, _pressed_fraction(kinds, steps, swipe_ease))
        d = np.stack([length * c, length * s], axis=-1)  # (N, K, 2)
        a_lo = lo + np.maximum(-d, 0.0)
        a_hi = hi - np.maximum(d, 0.0)
        a = a_lo + rng.random((n, k, 2)) * (a_hi - a_lo)
        b = a + d
        p0 = lo + rng.random((n, 2)) * (hi - lo)

        # segments: lead idle, then per action slot (hover, pressed x 3), then the idle end
        n_seg = 2 + SEGMENTS_PER_ACTION * k
        seg_len = np.zeros((n, n_seg), dtype=np.int64)
        seg_len[:, 1:-1] = steps.reshape(n, -1)
        slack = T - seg_len.sum(axis=1)  # >= 1 by construction
        lead = np.floor(rng.random(n) * slack).astype(np.int64)
        seg_len[:, 0] = lead
        seg_len[:, -1] = slack - lead
        start_pt = np.zeros((n, n_seg, 2))
        end_pt = np.zeros((n, n_seg, 2))
        easing = np.full((n, n_seg), STILL_EASING, dtype=np.int64)
        press = np.zeros((n, n_seg), dtype=bool)
        bow = np.zeros((n, n_seg))
        last = p0.copy()  # where the cursor is before each slot
        curv = draw_uniform(rng, p["curvature"], 2 * n * k).reshape(n, k, 2) * rng.choice([-1.0, 1.0], (n, k, 2))
        for j in range(k):  # a handful of action slots, each vectorised over all sequences
            used = kinds[:, j] != NONE
            base = 1 + SEGMENTS_PER_ACTION * j
            hov = base
            start_pt[:, hov], end_pt[:, hov] = last, np.where(used[:, None], a[:, j], last)
            easing[:, hov] = HOVER_EASING
            bow[:, hov] = curv[:, j, 0] * np.hypot(*(end_pt[:, hov] - last).T)
            is_click, is_swipe = kinds[:, j] == CLICK, kinds[:, j] == SWIPE
            # first pressed phase: click hold, swipe move, drag hold at A
            start_pt[:, base + 1] = a[:, j]
            end_pt[:, base + 1] = np.where(is_swipe[:, None], b[:, j], a[:, j])
            easing[:, base + 1] = np.where(is_swipe, swipe_ease[:, j], STILL_EASING)
            bow[:, base + 1] = np.where(is_swipe, curv[:, j, 1] * length[:, j], 0.0)
            # drag move, then drag hold at B
            start_pt[:, base + 2], end_pt[:, base + 2] = a[:, j], b[:, j]
            easing[:, base + 2] = DRAG_EASING
            start_pt[:, base + 3], end_pt[:, base + 3] = b[:, j], b[:, j]
            press[:, base + 1: base + 4] = used[:, None]
            last = np.where(used[:, None], np.where(is_click[:, None], a[:, j], b[:, j]), last)
        start_pt[:, 0] = end_pt[:, 0] = p0
        start_pt[:, -1] = end_pt[:, -1] = last

        # evaluate every step: the segment it falls in (zero-length segments are never picked), its phase
        seg_start = np.cumsum(seg_len, axis=1) - seg_len
        step = np.arange(T)
        seg = (seg_start[:, :, None] <= step[None, None, :]).sum(axis=1) - 1  # (N, T)
        rows = np.arange(n)[:, None]
        s0 = seg_start[rows, seg]
        u = (step[None, :] - s0) / seg_len[rows, seg]
        e = ease(u.ravel(), easing[rows, seg].ravel()).reshape(n, T)
        q0, q1 = start_pt[rows, seg], end_pt[rows, seg]
        delta = q1 - q0
        dist = np.hypot(delta[..., 0], delta[..., 1])
        normal = np.stack([-delta[..., 1], delta[..., 0]], axis=-1) / np.maximum(dist, 1e-9)[..., None]
        pos = q0 + e[..., None] * delta + (bow[rows, seg] * np.sin(np.pi * e))[..., None] * normal
        sigma = draw_uniform(rng, p["jitter_px"], n)
        z = rng.standard_normal((n, T, 2))
        tremor = lfilter([math.sqrt(1.0 - TREMOR_AR ** 2)], [1.0, -TREMOR_AR], z, axis=1)
        pos = pos + sigma[:, None, None] * tremor
        pos = np.clip(pos, 0.0, [w - 1.0, h - 1.0])
        pressed = press[rows, seg]

        meta = self._meta(kinds, direction, length, steps, swipe_ease, level)
        t = np.tile(step / p["rate_hz"], n)
        return Trajectories.from_arrays(pos[..., 0].ravel(), pos[..., 1].ravel(), t, lengths=np.full(n, T),
                                        press=pressed.ravel(), meta=meta)

    @staticmethod
    def _separate_dominant(length: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """Shorten moving actions whose pressed displacement is within ``DOMINANCE`` of the longest one's."""
        disp = length * fraction
        top = disp.max(axis=1, keepdims=True)
        is_top = disp == top
        cap = DOMINANCE * top
        shrink = ~is_top & (disp > cap)
        return np.where(shrink, length * cap / np.maximum(disp, 1e-12), length)

    @staticmethod
    def _meta(
        kinds: np.ndarray, direction: np.ndarray, length: np.ndarray, steps: np.ndarray, swipe_ease: np.ndarray,
        level: np.ndarray,
    ) -> dict:
        """Per-sequence ``gesture``, ``actions``, ``n_presses``, ``complexity`` from the plan."""
        n, k = kinds.shape
        pressed_disp = length * _pressed_fraction(kinds, steps, swipe_ease)
        dominant = np.argmax(pressed_disp, axis=1)  # first on ties
        rows = np.arange(n)
        any_move = pressed_disp[rows, dominant] > 0
        gesture = np.where(any_move, np.asarray(DIRECTIONS, dtype=object)[direction[rows, dominant]], "click")
        names = np.asarray(("",) + KIND_NAMES, dtype=object)[kinds + 1]  # NONE -> ""
        actions = names[:, 0].copy()
        for j in range(1, k):
            actions = np.where(names[:, j] != "", actions + "+" + names[:, j], actions)
        return {
            "gesture": gesture.astype(object), "actions": actions.astype(object),
            "n_presses": (kinds != NONE).sum(axis=1).astype(np.int64),
            "complexity": np.asarray(LEVELS, dtype=object)[level],
        }
