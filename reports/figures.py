"""Matplotlib figures for reports (Agg backend; figures are returned, never shown).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`figure_to_data_uri`
turns one into an inline PNG (and closes it) for a self-contained HTML page.
"""

from __future__ import annotations

import base64
import io
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from deval.trajectories import Trajectories  # noqa: E402

#: colour of the real (reference) set; fake sets cycle through ``FAKE_COLORS``. Both come from the
#: colour-blind-safe Okabe-Ito palette (Okabe & Ito 2008), black for the reference.
REAL_COLOR = "#000000"
FAKE_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442", "#999999")


def fake_color(i: int) -> str:
    """Colour of the ``i``-th fake set."""
    return FAKE_COLORS[i % len(FAKE_COLORS)]


def figure_to_data_uri(fig: Figure, dpi: int = 90) -> str:
    """Render ``fig`` as a base64 PNG ``data:`` URI and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def trajectory_gallery(
    sets: Mapping[str, Trajectories], n: int = 12, seed: int = 0, canonical: bool = True
) -> Figure:
    """Grid of example movements: one row per set, ``n`` movements each.

    With ``canonical`` the movements are shown in the canonical frame (start at
    the origin, end on +x), which makes shapes comparable across sets.
    """
    from deval.canonical import canonicalize

    rng = np.random.default_rng(seed)
    rows = len(sets)
    cols = min(n, 6)
    per_row = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows * per_row, cols, figsize=(1.9 * cols, 1.6 * rows * per_row), squeeze=False)
    for r, (name, traj) in enumerate(sets.items()):
        pick = np.sort(rng.choice(len(traj), size=min(n, len(traj)), replace=False)) if len(traj) else []
        shown = canonicalize(traj.take(np.asarray(pick, dtype=np.int64)))[0] if canonical else traj.take(pick)
        color = REAL_COLOR if r == 0 else fake_color(r - 1)
        for k in range(per_row * cols):
            ax = axes[r * per_row + k // cols, k % cols]
            ax.set_xticks([])
            ax.set_yticks([])
            if k < len(shown):
                m = shown.movement(k)
                ax.plot(m[:, 0], m[:, 1], "-", color=color, lw=1)
                ax.plot(m[:, 0], m[:, 1], ".", color=color, ms=2)
                ax.plot(m[0, 0], m[0, 1], "o", color="k", ms=3)
                ax.set_aspect("equal", adjustable="datalim")
                if not canonical:
                    ax.invert_yaxis()
            else:
                ax.axis("off")
            if k == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle("Example movements" + (" (canonical frame: start at origin, end on +x)" if canonical else ""),
                 fontsize=9)
    fig.tight_layout()
    return fig


def feature_histograms(
    real: "np.ndarray | object",
    fakes: Mapping[str, object],
    columns: Sequence[str],
    bins: int = 40,
    ncols: int = 4,
) -> Figure:
    """Overlaid density histograms of feature columns, real vs every fake set.

    ``real`` and each fake are DataFrames of features; bins span the 1st-99th
    percentile of the real values so that outliers do not squash the plot.
    """
    nrows = int(np.ceil(len(columns) / ncols)) or 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.2 * nrows), squeeze=False)
    for k, col in enumerate(columns):
        ax = axes[k // ncols, k % ncols]
        rv = np.asarray(real[col], dtype=float)
        lo, hi = np.nanpercentile(rv, [1, 99]) if len(rv) else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
        ax.hist(np.clip(rv, lo, hi), bins=edges, density=True, color=REAL_COLOR, alpha=0.25, label="real")
        for i, (name, f) in enumerate(fakes.items()):
            fv = np.clip(np.asarray(f[col], dtype=float), lo, hi)
            ax.hist(fv, bins=edges, density=True, histtype="step", lw=1.4, color=fake_color(i), label=name)
        ax.set_title(col, fontsize=8)
        ax.tick_params(labelsize=7)
    for k in range(len(columns), nrows * ncols):
        axes[k // ncols, k % ncols].axis("off")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="upper center", ncol=min(len(labels), 6), frameon=False,
               bbox_to_anchor=(0.5, 1.0))  # one legend above the panels, covering no histogram
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def psd_overlay(freqs: np.ndarray, real_psd: np.ndarray, fake_psds: Mapping[str, np.ndarray]) -> Figure:
    """Mean speed power spectra (log scale), real vs fakes.

    ``real_psd`` and each fake are (N, F) arrays of per-movement PSDs on ``freqs`` (Hz).
    """
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.semilogy(freqs, real_psd.mean(axis=0), color=REAL_COLOR, lw=2, label="real")
    for i, (name, p) in enumerate(fake_psds.items()):
        ax.semilogy(freqs, p.mean(axis=0), color=fake_color(i), lw=1.4, label=name)
    ax.set_xlabel("frequency [Hz]")
    ax.set_ylabel("mean PSD of speed [(px/s)²/Hz]")
    ax.set_title("Velocity spectrum", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside the curves
    fig.tight_layout()
    return fig


def prd_curves(curves: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """PRD curves (Sajjadi et al. 2018): ``name -> (precision, recall)`` arrays."""
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for i, (name, (p, r)) in enumerate(curves.items()):
        ax.plot(r, p, color=fake_color(i), lw=1.5, label=name)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("PRD curve", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside the curves
    fig.tight_layout()
    return fig
