"""Write the ``deval evaluate`` report: ``report.html``, ``metrics.csv``, ``scores.csv``, ``summary.json``.

``report.html`` is one self-contained file (inline CSS and PNG images):
the held-out style table (ROC-AUC and TPR at FPR 1% with bootstrap
intervals per view), session fusion, ROC curves, score distributions, a
gallery of the easiest and hardest movements, the seen-style reference and
every metric.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from deval import __version__
from deval.atomic import staged_directory, write_text
from deval.detectors.evaluation import EvaluationResult
from deval.reports.detector_figures import movement_gallery, roc_figure, score_distributions
from deval.reports.figures import figure_to_data_uri
from deval.reports.files import prepare_report_dir, report_json
from deval.reports.html import html_table, render

__all__ = ["EVALUATION_FILES", "format_table", "headline_table", "write_evaluation_report"]

EVALUATION_FILES = ("report.html", "metrics.csv", "scores.csv", "summary.json", "cross_logger.csv")


def _with_ci(row: pd.Series, metric: str) -> str:
    v = row.get(metric, np.nan)
    if pd.isna(v):
        return ""
    lo, hi = row.get(f"{metric}_lo", np.nan), row.get(f"{metric}_hi", np.nan)
    if pd.isna(lo) or pd.isna(hi):
        return f"{v:.3f}"
    return f"{v:.3f} [{lo:.3f}, {hi:.3f}]"


def headline_table(result: EvaluationResult, level: str = "movement",
                   metrics: tuple[str, ...] = ("roc_auc", "tpr_at_fpr_1pct")) -> pd.DataFrame:
    """Held-out styles and the human baseline: one row per style, ``metric (view)`` columns with CIs."""
    m = result.metrics[(result.metrics["level"] == level) & result.metrics["setting"].isin(["held-out", "baseline"])]
    views = list(dict.fromkeys(m["view"]))
    styles = list(dict.fromkeys(m["style"]))
    rows = []
    for style in styles:
        row = {"style": style}
        for metric in metrics:
            for view in views:
                hit = m[(m["style"] == style) & (m["view"] == view)]
                row[f"{metric} ({view})"] = _with_ci(hit.iloc[0], metric) if len(hit) else ""
        rows.append(row)
    return pd.DataFrame(rows)


def format_table(result: EvaluationResult, setting: str) -> pd.DataFrame:
    """Point estimates of one setting's rows (all levels), for display."""
    from deval.detectors.metrics import METRIC_NAMES

    m = result.metrics[result.metrics["setting"] == setting]
    return m[["view", "style", "level", "n_bot", "n_human", *METRIC_NAMES]].reset_index(drop=True)


def _session_table(result: EvaluationResult) -> pd.DataFrame | None:
    if not result.settings.session_k:
        return None
    m = result.metrics[result.metrics["setting"].isin(["held-out", "baseline"])]
    rows = []
    for (view, style), part in m.groupby(["view", "style"], sort=False):
        row = {"view": view, "style": style}
        for _, r in part.iterrows():
            row[f"ROC-AUC {r['level']}"] = r["roc_auc"]
            row[f"TPR@1% {r['level']}"] = r["tpr_at_fpr_1pct"]
            row[f"n bot {r['level']}"] = int(r["n_bot"])
        rows.append(row)
    return pd.DataFrame(rows)


def _cross_logger_table(result: EvaluationResult) -> pd.DataFrame:
    """One row per logger, two columns per view: movement FPR and session FPR [low, high]."""
    c = result.cross_logger

    def cell(r, key):
        return f"{r[key]:.3f} [{r[key + '_lo']:.3f}, {r[key + '_hi']:.3f}]" if key in r and r[key] == r[key] else "-"

    c = c.assign(movement=c.apply(lambda r: cell(r, "fpr"), axis=1),
                 session=c.apply(lambda r: cell(r, "session_fpr"), axis=1))
    parts = []
    for key, label in (("movement", "FPR per movement"), ("session", "FPR per session of 10")):
        wide = c.pivot_table(index="logger", columns="view", values=key, aggfunc="first", sort=False)
        wide.columns = [f"{label} ({v})" for v in wide.columns]
        parts.append(wide)
    return pd.concat(parts, axis=1).reset_index()


def write_evaluation_report(
    result: EvaluationResult, out_dir: str | os.PathLike, *, force: bool = False, figures: bool = True,
    real_name: str = "real", gallery_n: int = 4,
) -> Path:
    """Write the report files into ``out_dir`` (created if needed); returns the HTML path.

    Raises :class:`~deval.errors.OutputExistsError` before writing anything if
    a report file exists there and ``force`` is false.
    """
    final = prepare_report_dir(out_dir, EVALUATION_FILES, force)
    with staged_directory(final) as out:
        _write_files(result, out, figures, real_name, gallery_n)
    return final / "report.html"


def _write_files(result: EvaluationResult, out: Path, figures: bool, real_name: str, gallery_n: int) -> None:
    """Every file of the report into ``out`` (the staging folder)."""
    force = True
    write_text(out / "metrics.csv", result.metrics.to_csv(index=False), force=force)
    write_text(out / "scores.csv", result.scores.to_csv(index=False), force=force)
    if len(result.cross_logger):
        write_text(out / "cross_logger.csv", result.cross_logger.to_csv(index=False), force=force)
    payload = result.to_dict()
    payload["deval_version"] = __version__
    payload["real_name"] = real_name
    write_text(out / "summary.json", report_json(payload), force=force)

    views = [v.name for v in result.settings.parsed_views()]
    ctx: dict = {"distributions": [], "galleries": []}
    if figures:
        ctx["roc"] = figure_to_data_uri(roc_figure(result.scores, views))
        for view in views:
            ctx["distributions"].append((view, figure_to_data_uri(score_distributions(result.scores, view))))
            ctx["galleries"].append((view, figure_to_data_uri(
                movement_gallery(result.scores, result.sets, view, n=gallery_n))))
    split = result.split
    test_only = set()
    if result.settings.holdout == "test-negatives":
        test_only = set(result.scores.loc[result.scores["setting"] == "held-out", "style"])
    sets_table = pd.DataFrame([
        {"set": name, "movements": len(t), "label": "human" if name == "real" else "bot",
         "role": "real" if name == "real" else ("test only" if name in test_only else "train and test")}
        for name, t in result.sets.items()
    ])
    models_table = pd.DataFrame([
        {"view": v, "model": "all styles" if m == "all" else f"without {m}", "parameters": n,
         "train s": result.timings.get(f"train {v} {m}", np.nan),
         "score s": result.timings.get(f"score {v} {m}", np.nan)}
        for (v, m), n in result.models.items()
    ])
    protocol = {"leave-one-style-out": "leave-one-style-out",
                "leave-one-family-out": f"leave-one-family-out ({result.settings.family})",
                }.get(result.settings.holdout, "trained on --negatives, tested on --test-negatives")
    linked = ", ".join(s for s, ok in split.get("bots_linked_to_people", {}).items() if ok)
    session = _session_table(result)
    seen = format_table(result, "seen")
    full = result.metrics.copy()
    html = render(
        "evaluate.html",
        real_name=real_name, n_real=len(result.sets["real"]),
        n_groups=len(split["train_groups"]) + len(split["test_groups"]), group_kind=split["group_kind"],
        n_train_groups=len(split["train_groups"]), n_test_groups=len(split["test_groups"]),
        n_real_train=split["n_real_train"], n_real_test=split["n_real_test"], linked=linked,
        head=result.settings.head, views=", ".join(views), protocol=protocol, version=__version__,
        seed=result.settings.seed, created=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        ci_level=f"{100 * (1 - result.settings.alpha):g}",
        headline_table=html_table(headline_table(result)),
        session_k=", ".join(str(k) for k in result.settings.session_k),
        session_table=html_table(session) if session is not None else None,
        cross_logger_table=html_table(_cross_logger_table(result)) if len(result.cross_logger) else None,
        seen_table=html_table(seen) if len(seen) else None,
        full_table=html_table(full),
        sets_table=html_table(sets_table),
        models_table=html_table(models_table, float_format="{:.2f}"),
        settings_json=report_json({"settings": payload["settings"], "timings": result.timings}),
        **ctx,
    )
    write_text(out / "report.html", html, force=force)
