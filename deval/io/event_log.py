"""Raw pointer event logs cut into single movements.

Input: a CSV with a header and the columns ``timestamp, button, state, x, y``
(SapiMouse / Balabit logs name the time column ``client timestamp``; it is
found under that name, ``client_timestamp``, ``time``, ``t`` or
``record timestamp`` as well). States are ``Move``, ``Pressed``, ``Released``,
``Drag`` (case-insensitive; ``down``/``up``/``mousedown``/``mouseup`` are read
as press/release) and scroll events are rows whose button is ``Scroll``/``Wheel``
or whose state is ``Scroll``/``Wheel``. A folder is read too (``format="events"``):
every ``.csv``/``.txt``/``.log``/extension-less file below it, in natural order.

How a log is cut (the rules of ``shared/data/README.md``, which built
SapiMouse-dev; :func:`cut_events` reproduces those movements exactly):

* a movement ends at a button press, and the press sample is its last point;
* it also ends at a pause longer than ``max_gap_s`` (default 0.3 s) between two
  samples, and at a scroll event;
* while a button is held (from a press to its release) the samples form a
  *drag*: a separate movement from the press sample to the release sample,
  dropped by default and kept with ``press=True`` when ``keep_drags=True``;
  release samples are never part of a free movement;
* within a movement, samples that repeat the previous timestamp are dropped
  (the first sample of each timestamp is kept);
* movements with fewer than ``min_points`` points (default 10) or less than
  ``min_disp_px`` pixels (default 20) between first and last point are dropped.

Per-movement metadata: ``t_start`` (seconds from the log's first row),
``click_end`` (ended by a press), ``drag``, plus ``user`` and ``session`` (from
options, else from the path: ``.../user37/session_3min.csv`` gives user 37 and
session ``user37/session_3min``). The cutting is vectorised (``np.diff`` /
``cumsum`` of break flags); the only loop is over files of a folder.
"""

from __future__ import annotations

import io as _io
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deval.errors import DataError
from deval.io.long_csv import numeric_column, read_csv_table
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

MOVE, DRAG, PRESS, RELEASE, SCROLL = range(5)
STATE_KINDS = {
    "move": MOVE, "moved": MOVE, "mousemove": MOVE, "motion": MOVE,
    "drag": DRAG, "dragged": DRAG,
    "pressed": PRESS, "press": PRESS, "down": PRESS, "mousedown": PRESS,
    "released": RELEASE, "release": RELEASE, "up": RELEASE, "mouseup": RELEASE,
    "scroll": SCROLL, "wheel": SCROLL,
}
SCROLL_BUTTONS = ("scroll", "wheel")
TIME_ALIASES = ("client timestamp", "client_timestamp", "clienttimestamp", "time", "t", "record timestamp")
#: divisor that turns a time unit into seconds (division, not multiplication,
#: so that millisecond integers give the same floats as ``ms / 1000``)
TIME_DIVISORS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
LOG_SUFFIXES = (".csv", ".txt", ".log", ".tsv", "")


@dataclass
class CutSettings:
    """How a log is cut into movements (saved in the ``params`` attribute)."""

    max_gap_s: float = 0.3
    min_points: int = 10
    min_disp_px: float = 20.0
    keep_drags: bool = False


@dataclass
class CutCounts:
    """What happened to the segments of a log."""

    segments: int = 0
    too_short: int = 0
    too_small: int = 0
    drag_dropped: int = 0
    kept: int = 0

    def __iadd__(self, other: "CutCounts") -> "CutCounts":
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)
        return self


@dataclass(frozen=True)
class CutResult:
    """Movements of one log as flat arrays (times in seconds)."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray  # from each movement's start
    lengths: np.ndarray
    t_start: np.ndarray  # from the log's first row
    click_end: np.ndarray
    drag: np.ndarray
    counts: CutCounts


def cut_events(
    timestamp: np.ndarray,
    kind: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    settings: CutSettings | None = None,
    time_divisor: float = 1.0,
) -> CutResult:
    """Cut one event log into movements (vectorised; see the module docstring).

    Parameters
    ----------
    timestamp : ndarray, float64, (R,)
        Event times in the log's unit, non-decreasing.
    kind : ndarray, int, (R,)
        ``MOVE``, ``DRAG``, ``PRESS``, ``RELEASE`` or ``SCROLL`` per row.
    x, y : ndarray, float64, (R,)
        Pointer position in pixels (ignored on scroll rows).
    settings : CutSettings, optional
        Gap, minimum size and drag rules (default: those of SapiMouse-dev).
    time_divisor : float
        ``timestamp / time_divisor`` is in seconds (1000 for milliseconds).
    """
    settings = settings or CutSettings()
    timestamp, kind = np.asarray(timestamp, dtype=np.float64), np.asarray(kind, dtype=np.int64)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    r = len(timestamp)
    rows = np.arange(r)
    is_event = (kind == PRESS) | (kind == RELEASE)
    last_event = np.maximum.accumulate(np.where(is_event, rows, -1)) if r else rows
    before = np.concatenate([[-1], last_event[:-1]]) if r else rows
    held = (before >= 0) & (kind[np.maximum(before, 0)] == PRESS)  # a button is down before this row

    # a press that starts from a free state closes the movement (copy 0) and opens a drag (copy 1)
    copies = np.where(kind == SCROLL, 0, np.where((kind == PRESS) & ~held, 2, 1))
    src = np.repeat(rows, copies)  # row of each point of the point stream
    copy = np.arange(len(src)) - np.repeat(np.cumsum(copies) - copies, copies)
    pk, ph = kind[src], held[src]
    drag_pt = (pk == DRAG) | (pk == RELEASE) | ((pk == MOVE) & ph) | ((pk == PRESS) & ((copy == 1) | ph))
    closes_click = (pk == PRESS) & (copy == 0) & ~ph

    if len(src) == 0:  # only scroll events
        e = np.zeros(0)
        return CutResult(e, e, e, np.zeros(0, np.int64), e, np.zeros(0, bool), np.zeros(0, bool), CutCounts())
    ts = timestamp[src]
    scrolls_before = np.cumsum(kind == SCROLL)[src]
    gap_limit = settings.max_gap_s * time_divisor
    # a pause of exactly max_gap_s does not cut, even after float rounding of large timestamps
    gap_tol = max(gap_limit * 1e-9, 16 * float(np.spacing(np.abs(ts).max())))
    new_seg = np.ones(len(src), dtype=bool)
    new_seg[1:] = (
        closes_click[:-1]
        | (pk[:-1] == RELEASE)
        | (drag_pt[1:] != drag_pt[:-1])
        | (scrolls_before[1:] != scrolls_before[:-1])
        | (np.diff(ts) > gap_limit + gap_tol)
    )
    seg = np.cumsum(new_seg) - 1
    n_seg = int(seg[-1]) + 1 if len(seg) else 0
    last_pt = np.flatnonzero(np.append(new_seg[1:], True))
    seg_click = closes_click[last_pt]
    seg_drag = drag_pt[np.flatnonzero(new_seg)]
    # drags that moved (not just a press and its release)
    seg_real_drag = np.bincount(seg, weights=((pk == DRAG) | ((pk == MOVE) & ph)), minlength=n_seg) > 0

    # duplicated timestamps: keep the first sample of each time within a movement
    dup = np.zeros(len(src), dtype=bool)
    dup[1:] = ~new_seg[1:] & (ts[1:] == ts[:-1])
    keep = ~dup
    seg_k, src_k = seg[keep], src[keep]
    lengths = np.bincount(seg_k, minlength=n_seg)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    last = first + lengths - 1
    px, py = x[src_k], y[src_k]
    disp = np.hypot(px[last] - px[first], py[last] - py[first]) if n_seg else np.zeros(0)

    counts = CutCounts(segments=int(np.sum(~seg_drag | seg_real_drag)))
    ok = ~(seg_drag & ~seg_real_drag)  # a click (press, release, nothing between) is no movement
    if not settings.keep_drags:
        counts.drag_dropped = int(np.sum(seg_drag & seg_real_drag))
        ok &= ~seg_drag
    short = ok & (lengths < settings.min_points)
    counts.too_short = int(short.sum())
    ok &= ~short
    small = ok & (disp < settings.min_disp_px)
    counts.too_small = int(small.sum())
    ok &= ~small
    counts.kept = int(ok.sum())

    pts = ok[seg_k]
    secs = timestamp / time_divisor
    t_abs = secs[src_k[pts]]
    lens = lengths[ok]
    t0 = secs[src_k[first[ok]]]
    return CutResult(
        x=px[pts], y=py[pts], t=t_abs - np.repeat(t0, lens), lengths=lens.astype(np.int64),
        t_start=t0 - secs[0] if r else t0, click_end=seg_click[ok], drag=seg_drag[ok], counts=counts,
    )


def _natural_key(path: Path) -> list:
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", str(path))]


def _user_from_path(p: Path) -> int:
    for part in [p.stem, *[q.name for q in p.parents]]:
        m = re.fullmatch(r"user[_-]?(\d+)([._-]\w+)?", part, flags=re.IGNORECASE)  # user35, user35.1
        if m:
            return int(m.group(1))
    m = re.search(r"user[_-]?(\d+)", p.stem, flags=re.IGNORECASE)
    return int(m.group(1)) if m else -1


def _kinds(df: pd.DataFrame, source: Path) -> np.ndarray:
    """Event kind of each row from the ``state`` and ``button`` columns."""
    s_codes, s_names = pd.factorize(df["state"])  # normalise the few distinct names, not every row
    s_names = [str(n).strip().lower() for n in s_names]
    lut = np.array([STATE_KINDS.get(n, -1) for n in s_names], dtype=np.int64)
    unknown = [n for n in s_names if n not in STATE_KINDS]
    if unknown:
        raise DataError(
            source, f"unknown event state(s) {', '.join(map(repr, unknown[:5]))}; "
            "expected Move, Drag, Pressed, Released (or Scroll)"
        )
    kind = lut[s_codes]
    b_codes, b_names = pd.factorize(df["button"])
    is_scroll_button = np.array([str(n).strip().lower() in SCROLL_BUTTONS for n in b_names], dtype=bool)
    kind[is_scroll_button[b_codes]] = SCROLL
    return kind


def _detect_divisor(raw: np.ndarray, time_unit: str, source: Path) -> tuple[str, float]:
    if time_unit != "auto":
        if time_unit not in TIME_DIVISORS:
            raise DataError(source, f"time_unit must be auto or one of {', '.join(TIME_DIVISORS)}, got {time_unit!r}")
        return time_unit, TIME_DIVISORS[time_unit]
    steps = np.diff(raw)
    steps = steps[steps > 0]
    unit = "ms" if steps.size and np.median(steps) >= 0.5 else "s"
    log.debug("%s: median step %.4g -> timestamps in %s", source, np.median(steps) if steps.size else 0, unit)
    return unit, TIME_DIVISORS[unit]


def _load_one(
    p: Path, settings: CutSettings, time_unit: str, time_column: str | None, user: int | None, session: str | None
) -> tuple[Trajectories, CutCounts]:
    aliases = {"timestamp": [time_column.strip().lower()] if time_column else list(TIME_ALIASES)}
    df = read_csv_table(p, ("timestamp", "button", "state", "x", "y"), "an event log (timestamp, button, state, x, y)",
                        aliases=aliases)
    raw = numeric_column(df, "timestamp", p)
    back = np.flatnonzero(np.diff(raw) < 0)
    if back.size:
        k = int(back[0]) + 1
        raise DataError(p, f"timestamps go backwards on line {k + 2} ({raw[k - 1]:g} then {raw[k]:g})")
    kind = _kinds(df, p)
    pts = kind != SCROLL
    x = pd.to_numeric(df["x"], errors="coerce").to_numpy(dtype=np.float64)
    y = pd.to_numeric(df["y"], errors="coerce").to_numpy(dtype=np.float64)
    bad = pts & ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(p, f"missing or non-numeric x/y on line {k + 2} ({str(df['x'].iloc[k])!r}, {str(df['y'].iloc[k])!r})")
    unit, divisor = _detect_divisor(raw, time_unit, p)
    cut = cut_events(raw, kind, x, y, settings, divisor)
    n = len(cut.lengths)
    if session is None:
        session = f"{p.parent.name}/{p.stem}" if p.parent.name else p.stem
    meta = pd.DataFrame({
        "style": np.full(n, "human", dtype=object),
        "user": np.full(n, _user_from_path(p) if user is None else int(user), dtype=np.int64),
        "session": np.full(n, session, dtype=object),
        "label": np.zeros(n, dtype=np.int64),
        "t_start": cut.t_start,
        "click_end": cut.click_end,
        "drag": cut.drag,
    })
    press = np.repeat(cut.drag, cut.lengths) if settings.keep_drags else None
    log.info("%s: %d rows (%s) -> %d movements %s", p, len(raw), unit, n, asdict(cut.counts))
    traj = Trajectories.from_arrays(cut.x, cut.y, cut.t, lengths=cut.lengths, press=press, meta=meta)
    return traj, cut.counts


def list_event_logs(folder: Path) -> list[Path]:
    """Event-log files below ``folder`` (hidden files skipped), in natural order."""
    files = [
        f for f in folder.rglob("*")
        if f.is_file() and f.suffix.lower() in LOG_SUFFIXES
        and not any(part.startswith(".") for part in f.relative_to(folder).parts)
    ]
    return sorted(files, key=_natural_key)


def load_event_log(
    path: str | os.PathLike,
    *,
    max_gap_s: float = 0.3,
    min_points: int = 10,
    min_disp_px: float = 20.0,
    keep_drags: bool = False,
    time_unit: str = "auto",
    time_column: str | None = None,
    user: int | None = None,
    session: str | None = None,
) -> Trajectories:
    """Read a raw event log (or a folder of them) and cut it into movements.

    Parameters
    ----------
    path : path-like
        A CSV event log, or a folder searched recursively for logs.
    max_gap_s : float
        A pause longer than this (seconds) ends a movement.
    min_points : int
        Movements with fewer points are dropped.
    min_disp_px : float
        Movements whose first and last points are closer than this are dropped.
    keep_drags : bool
        Keep drags (button held) as their own movements with ``press=True``.
    time_unit : {"auto", "s", "ms", "us", "ns"}
        Unit of the timestamps; ``auto`` picks ms when the median step is
        at least 0.5, else seconds.
    time_column : str, optional
        Name of the time column when it is none of the usual ones.
    user, session : optional
        Metadata for every movement (default: from the path).

    Returns
    -------
    Trajectories
        Pixels and seconds; metadata ``t_start``, ``click_end``, ``drag``;
        ``attrs["params"]`` holds the settings and segment counts as JSON.
    """
    p = Path(path)
    try:
        settings = CutSettings(float(max_gap_s), int(min_points), float(min_disp_px), bool(keep_drags))
    except (TypeError, ValueError) as exc:
        raise DataError(p, f"bad cutting option ({exc})") from None
    if settings.max_gap_s <= 0 or settings.min_points < 1 or settings.min_disp_px < 0:
        raise DataError(p, "max_gap_s must be > 0, min_points >= 1 and min_disp_px >= 0")
    if p.is_dir():
        files = list_event_logs(p)
        if not files:
            raise DataError(p, "no event-log files (.csv, .txt, .log) in this folder")
        if session is not None and len(files) > 1:
            raise DataError(p, "session= names one log; a folder holds several (leave it out)")
    elif p.is_file():
        files = [p]
    else:
        raise DataError(p, "no such file")
    parts, counts = [], CutCounts()
    for f in files:  # one iteration per log file; the cutting itself is vectorised
        traj, c = _load_one(f, settings, time_unit, time_column, user, session)
        counts += c
        if len(traj):
            parts.append(traj)
    params = json.dumps({**asdict(settings), "dedupe": "keep first sample of each timestamp",
                         "segment_counts": asdict(counts)})
    attrs = {"source": "event log", "origin": str(p), "params": params}
    if not parts:
        c = counts
        raise DataError(
            p, f"no movements left after cutting ({c.segments} segments: {c.too_short} under {settings.min_points} "
            f"points, {c.too_small} under {settings.min_disp_px:g} px, {c.drag_dropped} drags dropped)"
        )
    out = Trajectories.concat(parts) if len(parts) > 1 else parts[0]
    return Trajectories(out.x, out.y, out.t, out.offsets, out.press, out.meta, attrs)


def save_event_log(
    traj: Trajectories, path: str | os.PathLike, force: bool = False, gap_s: float = 1.0, release_s: float = 0.05
) -> Path:
    """Write movements as a raw event log that :func:`load_event_log` cuts back into them (atomic).

    Movements are laid end to end with ``gap_s`` seconds of silence between
    them. A movement with ``click_end`` (metadata; default True) ends with a
    ``Pressed`` sample and is followed by a ``Released`` row ``release_s``
    later; a movement with ``drag`` True is written as a drag (``Pressed``,
    ``Drag`` samples, ``Released`` as its last point). Times are in seconds
    (``timestamp`` column, first movement at 0).

    Parameters
    ----------
    gap_s : float
        Pause between movements; must exceed the ``max_gap_s`` used to read
        the log back, and every pause inside a movement must not.
    release_s : float
        Delay of a click's release after its press (less than ``gap_s``).
    """
    from deval.atomic import atomic_write

    n, lengths = len(traj), traj.lengths
    if np.any(lengths < 1):
        raise DataError(path, "cannot write movements without points as an event log")
    if not 0 < release_s < gap_s:
        raise DataError(path, f"need 0 < release_s < gap_s, got release_s={release_s}, gap_s={gap_s}")
    meta = traj.meta
    drag = meta["drag"].to_numpy(dtype=bool) if "drag" in meta.columns else np.zeros(n, dtype=bool)
    click = (meta["click_end"].to_numpy(dtype=bool) if "click_end" in meta.columns else np.ones(n, dtype=bool)) & ~drag
    t0 = traj.t[traj.first_index]
    starts = np.concatenate([[0.0], np.cumsum(traj.durations + gap_s)[:-1]])
    ts = np.repeat(starts - t0, lengths) + traj.t
    seg = traj.segment_ids
    state = np.where(drag[seg], "Drag", "Move").astype(object)
    state[traj.first_index[drag]] = "Pressed"
    state[traj.last_index[drag]] = "Released"
    state[traj.last_index[click]] = "Pressed"
    button = np.where(state == "Move", "NoButton", "Left").astype(object)
    rel = traj.last_index[click]  # the release rows that follow clicks
    table = pd.DataFrame({
        "timestamp": np.concatenate([ts, ts[rel] + release_s]),
        "button": np.concatenate([button, np.full(len(rel), "Left", dtype=object)]),
        "state": np.concatenate([state, np.full(len(rel), "Released", dtype=object)]),
        "x": np.concatenate([traj.x, traj.x[rel]]),
        "y": np.concatenate([traj.y, traj.y[rel]]),
    })
    table = table.iloc[np.argsort(table["timestamp"].to_numpy(), kind="stable")]
    buf = _io.StringIO()
    table.to_csv(buf, index=False, lineterminator="\n")
    with atomic_write(path, "w", force=force) as f:
        f.write(buf.getvalue())
    return Path(path)
