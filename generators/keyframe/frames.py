"""Pictures of one movement being generated: a PNG per step, an animated GIF, and an MP4 when ffmpeg exists.

``write_denoising_frames(frames, DIR)`` writes ``frame_000.png``, ... (one per
:class:`~.two_stage_sampling.DenoisingFrame`), ``denoising.gif`` (those PNGs
assembled with Pillow, which ships with matplotlib; what matplotlib's
``PillowWriter`` does, without drawing every frame twice) and, when
matplotlib finds an ``ffmpeg`` binary, ``denoising.mp4`` (``FFMpegWriter``). Each picture has the path in the
canonical frame (start (0, 0), target (1, 0)) on the left and time against
point index on the right. Files are written atomically and never overwrite
without ``force``. Matplotlib runs with the Agg backend; figures are closed.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from deval.atomic import check_writable, write_bytes  # noqa: E402
from deval.errors import ConfigError  # noqa: E402

from .two_stage_sampling import DenoisingFrame  # noqa: E402

GIF_NAME = "denoising.gif"
MP4_NAME = "denoising.mp4"
FIGSIZE = (8.0, 3.4)
DPI = 80


def frame_name(i: int) -> str:
    """File name of frame ``i`` (``frame_000.png``)."""
    return f"frame_{i:03d}.png"


def mp4_available() -> bool:
    """Whether matplotlib can write MP4 (an ``ffmpeg`` binary is on the PATH)."""
    return bool(animation.writers.is_available("ffmpeg"))


def _limits(frames: list[DenoisingFrame]) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Axis limits from the clean estimates of the last frames (noisy early steps fall outside)."""
    pts = [f.points for f in frames if f.points is not None] + [f.keypoints for f in frames[-3:]
                                                                if f.keypoints is not None]
    xy = np.concatenate([p[:, :2] for p in pts]) if pts else np.array([[0.0, 0.0], [1.0, 0.0]])
    xy = np.vstack([xy, [[0.0, 0.0], [1.0, 0.0]]])
    lo, hi = xy.min(0), xy.max(0)
    pad = 0.15 * max(float((hi - lo).max()), 1e-3)
    t_max = max(float(np.max([p[:, 2].max() for p in pts])) if pts else 1.0, 1e-3)
    return (lo[0] - pad, hi[0] + pad), (lo[1] - pad, hi[1] + pad), 1.15 * t_max


def draw_frame(fig: Figure, frame: DenoisingFrame, limits) -> None:
    """Draw ``frame`` into ``fig`` (cleared first)."""
    (x0, x1), (y0, y1), t_max = limits
    fig.clear()
    ax, at = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    ax.plot([0, 1], [0, 0], "x", color="0.5", ms=6)
    if frame.noisy_keypoints is not None:
        nk = frame.noisy_keypoints
        ax.plot(nk[:, 0], nk[:, 1], "o", color="0.75", ms=4, label="noisy keypoints")
        at.plot(np.arange(len(nk)), nk[:, 2], "o", color="0.75", ms=4)
    if frame.scaffold is not None:
        sc = frame.scaffold
        ax.plot(sc[:, 0], sc[:, 1], "--", color="tab:orange", lw=1, label="interpolated input")
        at.plot(np.arange(len(sc)), sc[:, 2], "--", color="tab:orange", lw=1)
    if frame.points is not None:
        p = frame.points
        ax.plot(p[:, 0], p[:, 1], ".-", color="tab:blue", lw=1.2, ms=3, label="movement")
        at.plot(np.arange(len(p)), p[:, 2], ".-", color="tab:blue", lw=1.2, ms=3)
        if frame.anchors is not None:
            a = np.asarray(frame.anchors, bool)[: len(p)]
            ax.plot(p[a, 0], p[a, 1], "s", mfc="none", color="tab:red", ms=6, label="anchors")
    elif frame.keypoints is not None:
        kp = frame.keypoints
        ax.plot(kp[:, 0], kp[:, 1], "s-", color="tab:red", lw=1, ms=5, label="keypoint estimate")
        at.plot(np.arange(len(kp)), kp[:, 2], "s-", color="tab:red", lw=1, ms=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)  # screen convention: y down
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x / distance")
    ax.set_ylabel("y / distance")
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    at.set_ylim(-0.05 * t_max, t_max)
    at.set_xlabel("keypoint" if frame.stage == "keypoints" else "point")
    at.set_ylabel("t (s)")
    fig.suptitle(frame.label, fontsize=10)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.86, wspace=0.3)


def write_denoising_frames(frames: list[DenoisingFrame], out_dir: str | os.PathLike, *, force: bool = False,
                           fps: float = 4.0, gif: bool = True, mp4: bool | None = None,
                           hold_s: float = 1.5) -> list[Path]:
    """Write the frames of one movement's generation into ``out_dir``; returns the paths written.

    Parameters
    ----------
    frames : list of DenoisingFrame
        From :func:`.two_stage_sampling.record_denoising`.
    out_dir : path
        Created if needed.
    force : bool
        Replace existing files (checked for every file before anything is written).
    fps : float
        Frames per second of the animations.
    gif : bool
        Write ``denoising.gif`` (the PNG frames, assembled with Pillow, which
        matplotlib depends on; the last frame shows for ``hold_s`` seconds).
    mp4 : bool or None
        Write ``denoising.mp4`` with matplotlib's ``FFMpegWriter``; None: when ffmpeg is available.
    hold_s : float
        How long the animations show the last frame, seconds.
    """
    out = Path(out_dir)
    if not frames:
        return []
    if fps <= 0:
        raise ConfigError(f"fps must be > 0, got {fps}")
    want_mp4 = mp4_available() if mp4 is None else bool(mp4)
    names = [frame_name(i) for i in range(len(frames))]
    names += ([GIF_NAME] if gif else []) + ([MP4_NAME] if want_mp4 else [])
    for name in names:
        check_writable(out / name, force)
    out.mkdir(parents=True, exist_ok=True)
    limits = _limits(frames)
    fig = plt.figure(figsize=FIGSIZE)
    written: list[Path] = []
    pngs: list[bytes] = []
    try:
        for i, frame in enumerate(frames):
            draw_frame(fig, frame, limits)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI)
            pngs.append(buf.getvalue())
            written.append(write_bytes(out / frame_name(i), pngs[-1], force=force))
        if want_mp4:
            written.append(_mp4(fig, frames, limits, out / MP4_NAME, fps, hold_s))
    finally:
        plt.close(fig)
    if gif:
        written.append(write_bytes(out / GIF_NAME, _gif(pngs, fps, hold_s), force=force))
    return written


def _gif(pngs: list[bytes], fps: float, hold_s: float) -> bytes:
    """An animated GIF (bytes, looping) of PNG images, ``1 / fps`` s each and ``hold_s`` for the last."""
    from PIL import Image

    images = [Image.open(io.BytesIO(p)).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE) for p in pngs]
    ms = int(round(1000 / fps))
    durations = [ms] * (len(images) - 1) + [max(ms, int(round(1000 * hold_s)))]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return buf.getvalue()


def _mp4(fig: Figure, frames: list[DenoisingFrame], limits, path: Path, fps: float, hold_s: float) -> Path:
    """Render every frame through matplotlib's FFMpegWriter into a temporary file, then rename it onto ``path``."""
    writer = animation.FFMpegWriter(fps=fps)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        with writer.saving(fig, tmp, DPI):
            for frame in frames:
                draw_frame(fig, frame, limits)
                writer.grab_frame()
            for _ in range(max(0, int(round(hold_s * fps)) - 1)):
                writer.grab_frame()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
