"""Figures of the detector evaluation report (Agg backend; figures are returned, never shown).

All functions take the per-movement score table of an
:class:`~deval.detectors.evaluation.EvaluationResult` (``result.scores``:
columns ``view, model, setting, style, source, index, user, label, score,
baseline_bot``; ``score`` is the log-odds of "bot").
"""

from __future__ import annotations

from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from deval.detectors.metrics import roc_curve  # noqa: E402
from deval.reports.figures import REAL_COLOR, fake_color  # noqa: E402
from deval.trajectories import Trajectories  # noqa: E402

__all__ = ["held_out_pairs", "movement_gallery", "roc_figure", "score_distributions"]

BASELINE_COLOR = "#6e7781"


def held_out_pairs(scores: pd.DataFrame, view: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``style -> (human scores, bot scores)`` of the held-out rows of one view.

    Each held-out style is paired with the real test people scored by the
    *same* model (the one that did not see the style); the human-vs-human
    baseline (test people of group B against group A, all-styles model) is
    added under ``"human (other people)"``.
    """
    from deval.detectors.evaluation import HUMAN_BASELINE

    v = scores[scores["view"] == view]
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    baseline = None
    for model, part in v.groupby("model", sort=False):
        humans = part[part["label"] == 0]
        held = part[(part["label"] == 1) & (part["setting"] == "held-out")]
        for style, bots in held.groupby("style", sort=False):
            out[str(style)] = (humans["score"].to_numpy(), bots["score"].to_numpy())
        if model == "all":
            base_h = humans[~humans["baseline_bot"].astype(bool)]["score"].to_numpy()
            base_b = humans[humans["baseline_bot"].astype(bool)]["score"].to_numpy()
            if len(base_h) and len(base_b):
                baseline = (base_h, base_b)
    if baseline is not None:
        out[HUMAN_BASELINE] = baseline
    return out


def roc_figure(scores: pd.DataFrame, views: list[str]) -> Figure:
    """ROC curves of every held-out style (and the human baseline), linear and log FPR, one row per view."""
    from deval.detectors.evaluation import HUMAN_BASELINE

    fig, axes = plt.subplots(len(views), 2, figsize=(10, 4.0 * len(views)), squeeze=False)
    for r, view in enumerate(views):
        pairs = held_out_pairs(scores, view)
        for i, (style, (h, b)) in enumerate(pairs.items()):
            if not len(h) or not len(b):
                continue
            curve = roc_curve(np.r_[np.zeros(len(h)), np.ones(len(b))], np.r_[h, b])
            base = style == HUMAN_BASELINE
            kw = dict(color=BASELINE_COLOR if base else fake_color(i), lw=1.2 if base else 1.6,
                      ls="--" if base else "-", label=style)
            axes[r, 0].plot(curve.fpr, curve.tpr, **kw)
            fpr = np.maximum(curve.fpr, 1e-4)
            axes[r, 1].step(fpr, curve.tpr, where="post", **kw)
        axes[r, 0].plot([0, 1], [0, 1], color="#d0d7de", lw=0.8)
        axes[r, 0].set_title(f"{view}: ROC of held-out styles", fontsize=9)
        axes[r, 1].set_xscale("log")
        axes[r, 1].set_xlim(1e-3, 1)
        for x in (1e-3, 1e-2):
            axes[r, 1].axvline(x, color="#d0d7de", lw=0.8)
        axes[r, 1].set_title(f"{view}: low false-positive region", fontsize=9)
        for ax in axes[r]:
            ax.set_xlabel("false-positive rate (humans flagged)")
            ax.set_ylabel("true-positive rate (bots caught)")
            ax.set_ylim(-0.02, 1.02)
        axes[r, 0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def score_distributions(scores: pd.DataFrame, view: str, bins: int = 50) -> Figure:
    """Histograms of the log-odds: held-out test people vs each held-out style (one panel per style).

    Bars are fractions of each set per bin on a log scale, so that a narrow
    spike of one style does not hide the other distribution.
    """
    from deval.detectors.evaluation import HUMAN_BASELINE

    pairs = held_out_pairs(scores, view)
    n = max(len(pairs), 1)
    ncols = min(n, 3)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows), squeeze=False)
    for i, (style, (h, b)) in enumerate(pairs.items()):
        ax = axes[i // ncols, i % ncols]
        both = np.r_[h, b]
        lo, hi = (np.percentile(both, [0.5, 99.5]) if len(both) else (-1.0, 1.0))
        if hi <= lo:
            lo, hi = lo - 1, hi + 1
        edges = np.linspace(lo, hi, bins + 1)
        color = BASELINE_COLOR if style == HUMAN_BASELINE else fake_color(i)
        ax.hist(np.clip(h, lo, hi), bins=edges, weights=np.full(len(h), 1.0 / max(len(h), 1)), color=REAL_COLOR,
                alpha=0.45, label="humans (test)")
        ax.hist(np.clip(b, lo, hi), bins=edges, weights=np.full(len(b), 1.0 / max(len(b), 1)), histtype="step",
                lw=1.5, color=color, label=style)
        ax.set_yscale("log")
        ax.set_ylabel("fraction per bin", fontsize=7)
        ax.axvline(0.0, color="k", lw=0.6, ls=":")
        ax.set_title(style, fontsize=8)
        ax.set_xlabel("log-odds of bot", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    for k in range(len(pairs), nrows * ncols):
        axes[k // ncols, k % ncols].axis("off")
    fig.suptitle(f"{view}: detector scores of held-out styles (each scored by the model that never saw it)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def movement_gallery(scores: pd.DataFrame, sets: Mapping[str, Trajectories], view: str, n: int = 4) -> Figure:
    """Hardest and easiest movements of every held-out style, and the most bot-like humans.

    One row per held-out style: its ``n`` movements with the lowest bot score
    (hardest: the detector took them for human) and its ``n`` highest
    (easiest). A last row shows the ``n`` real test movements with the highest
    bot score under the all-styles model (false alarms). Movements are drawn
    in the canonical frame (start at the origin, end on +x); titles give P(bot).
    """
    from deval.canonical import canonicalize

    v = scores[scores["view"] == view]
    rows: list[tuple[str, pd.DataFrame]] = []
    held = v[(v["label"] == 1) & (v["setting"] == "held-out")]
    for style, part in held.groupby("style", sort=False):
        part = part.sort_values("score", kind="stable")
        rows.append((str(style), pd.concat([part.head(n), part.tail(n)])))
    humans = v[(v["label"] == 0) & (v["model"] == "all")]
    if len(humans):
        rows.append(("humans (false alarms)", humans.sort_values("score", kind="stable").tail(2 * n)))
    if not rows:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no held-out movements", ha="center")
        return fig
    cols = 2 * n
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.7 * cols, 1.75 * len(rows)), squeeze=False)
    for r, (title, part) in enumerate(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(part):
                ax.axis("off")
                continue
            item = part.iloc[c]
            traj = sets[str(item["source"])].take(np.array([int(item["index"])]))
            canon = canonicalize(traj)[0]
            m = canon.movement(0)
            color = REAL_COLOR if item["label"] == 0 else fake_color(r)
            ax.plot(m[:, 0], m[:, 1], "-", color=color, lw=1)
            ax.plot(m[:, 0], m[:, 1], ".", color=color, ms=2)
            ax.plot(m[0, 0], m[0, 1], "o", color="k", ms=3)
            ax.set_aspect("equal", adjustable="datalim")
            p = 1.0 / (1.0 + np.exp(-float(item["score"])))
            ax.set_title(f"P(bot) {p:.3f}", fontsize=7)
            if c == 0:
                ax.set_ylabel(title, fontsize=7)
    fig.suptitle(f"{view}: the {n} hardest (left) and {n} easiest (right) movements of each held-out style; "
                 f"last row: the humans scored most bot-like", fontsize=9)
    fig.tight_layout()
    return fig
