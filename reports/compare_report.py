"""Write the ``deval compare`` report: ``report.html``, ``metrics.csv``, ``metrics.json``.

``report.html`` is one self-contained file (inline CSS and PNG images, no
external links); ``feature_distances.csv`` holds the per-feature distances of
every fake set.
"""

from __future__ import annotations

import base64
import datetime as _dt
import os
from pathlib import Path
from typing import Mapping

import pandas as pd

from deval import __version__
from deval.atomic import staged_directory, write_text
from deval.compare import CompareResult
from deval.errors import DataError
from deval.reports.figures import feature_histograms, figure_to_data_uri, prd_curves, psd_overlay, trajectory_gallery
from deval.reports.files import prepare_report_dir, report_json
from deval.reports.html import html_table, render

REPORT_FILES = ("report.html", "metrics.csv", "metrics.json", "feature_distances.csv")

#: columns shown in the kinematic histogram panel (when present)
HISTOGRAM_COLUMNS = (
    "duration", "n_points", "dt_mean", "path_length", "straightness", "speed_mean", "speed_max",
    "accel_mean_abs", "jerk_mean_abs", "time_to_peak_speed", "n_speed_peaks", "heading_change_mean_abs",
    "curvature_mean", "lateral_rms", "overshoot", "end_slowdown",
)


#: leading bytes of a GIF file
GIF_SIGNATURES = (b"GIF87a", b"GIF89a")


def gif_data_uri(path: str | os.PathLike) -> str:
    """The GIF file ``path`` as a base64 ``data:image/gif`` URI (the report stays self-contained).

    Raises :class:`~deval.errors.DataError` naming the file when it cannot be
    read or is not a GIF.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(p, f"cannot read the animation ({exc.strerror})") from None
    if not data.startswith(GIF_SIGNATURES):
        raise DataError(p, "not a GIF file (an animation to embed must be a .gif, e.g. from "
                           "deval generate-negatives --save-diffusion-frames)")
    return "data:image/gif;base64," + base64.b64encode(data).decode("ascii")


def write_compare_report(
    result: CompareResult, out_dir: str | os.PathLike, *, force: bool = False, figures: bool = True,
    animations: Mapping[str, str | os.PathLike] | None = None,
) -> Path:
    """Write the report files into ``out_dir`` (created if needed); returns the HTML path.

    ``animations`` maps a caption to a GIF file (e.g. the ``denoising.gif`` of
    ``deval generate-negatives --save-diffusion-frames``); each is embedded in
    ``report.html`` as a base64 image. Raises
    :class:`~deval.errors.OutputExistsError` before writing anything if a
    report file exists there and ``force`` is false, and
    :class:`~deval.errors.DataError` if an animation is not a readable GIF.
    """
    embedded = [(caption, gif_data_uri(path)) for caption, path in (animations or {}).items()]
    final = prepare_report_dir(out_dir, REPORT_FILES, force)
    with staged_directory(final) as out:
        _write_files(result, out, figures, embedded)
    return final / "report.html"


def _write_files(result: CompareResult, out: Path, figures: bool, embedded: list) -> None:
    """Every file of the report into ``out`` (the staging folder)."""
    force = True
    summary = result.summary()
    payload = result.to_dict()
    payload["deval_version"] = __version__
    write_text(out / "metrics.csv", summary.to_csv(index=False), force=force)
    write_text(out / "metrics.json", report_json(payload), force=force)
    dist_frames = [r.distances.rename_axis("feature").reset_index().assign(fake=r.name)
                   for r in result.rows if r.distances is not None]
    if dist_frames:
        dist = pd.concat(dist_frames, ignore_index=True)
        cols = ["fake", "feature"] + [c for c in dist.columns if c not in ("fake", "feature")]
        write_text(out / "feature_distances.csv", dist[cols].to_csv(index=False), force=force)

    ctx: dict = {}
    if figures:
        sets = {result.real_name: result.real.traj, **{f.name: f.traj for f in result.fakes}}
        ctx["gallery"] = figure_to_data_uri(trajectory_gallery(sets, n=6 if len(sets) > 3 else 12, seed=result.settings.seed))
        cols = [c for c in HISTOGRAM_COLUMNS if c in result.real.features.columns]
        if cols:
            ctx["histograms"] = figure_to_data_uri(
                feature_histograms(result.real.features, {f.name: f.features for f in result.fakes}, cols)
            )
        ctx["psd"] = figure_to_data_uri(
            psd_overlay(result.real.freqs, result.real.psd, {f.name: f.psd for f in result.fakes})
        )
        curves = {r.name: r.prd_curve for r in result.rows if r.prd_curve is not None}
        if curves:
            ctx["prd"] = figure_to_data_uri(prd_curves(curves))
    actions_table = _actions_table(result)
    breakdowns = [_breakdown(result, r, i, figures) for i, r in enumerate(result.rows) if "c2st" in r.details]
    distances_tables = []
    for r in result.rows:
        if r.distances is not None:
            d = r.distances.sort_values("ks", ascending=False).head(15)
            distances_tables.append((r.name, html_table(d.rename_axis("feature").reset_index())))
    html = render(
        "compare.html",
        real_name=result.real_name,
        n_real=len(result.real.traj),
        version=__version__,
        seed=result.settings.seed,
        created=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        bar=f"{result.settings.bar:.2f}",
        c2st_classifier=result.settings.c2st_classifier,
        c2st_folds=result.settings.c2st_folds,
        verdicts=result.verdicts(),
        loggers=payload["loggers"],
        sessions=payload["sessions"],
        baselines=result.baselines,
        baseline_note=(
            "Random halves show the probe's floor (~0.50). Two groups of different people are not the same "
            "distribution (devices and habits differ): read a fake set's C2ST against that human-vs-human figure "
            "when the fake was conditioned on, or trained on, other people."
        ),
        summary_table=html_table(summary),
        distances_tables=distances_tables,
        breakdowns=breakdowns,
        actions_table=actions_table,
        settings_json=report_json(payload["settings"]),
        animations=embedded,
        **ctx,
    )
    return write_text(out / "report.html", html, force=force)


#: features shown per fake set in "where the difference lies"
TOP_FEATURES = 5


def _breakdown(result: CompareResult, row, index: int, figures: bool) -> dict:
    """Where the difference lies for one fake set: the meter's probes, the per-aspect probes, the top features."""
    from deval.features import FEATURE_DOCS
    from deval.features.shape import SHAPE_DOCS
    from deval.metrics import feature_distances

    meter = row.details["c2st"]
    probes = pd.DataFrame([{"probe": name, "C2ST accuracy": v["accuracy"], "95% CI low": v["ci_low"],
                            "95% CI high": v["ci_high"], "ROC-AUC": v["roc_auc"]}
                           for name, v in meter["probes"].items()])
    aspects = sorted(meter.get("aspects", {}).items(), key=lambda kv: -kv[1]["accuracy"])
    aspect_table = pd.DataFrame([{"aspect": name, "C2ST accuracy": v["accuracy"], "95% CI low": v["ci_low"],
                                  "95% CI high": v["ci_high"]} for name, v in aspects])
    dist = row.distances if row.distances is not None else feature_distances(
        result.real.features, next(f for f in result.fakes if f.name == row.name).features)
    top = list(dist.sort_values("ks", ascending=False).head(TOP_FEATURES).index)
    docs = {**FEATURE_DOCS, **SHAPE_DOCS}
    top_table = pd.DataFrame([{"feature": c, "KS": dist.loc[c, "ks"], "meaning": docs.get(c, "")} for c in top])
    out = {
        "name": row.name,
        "headline": meter["accuracy"],
        "chosen": ", ".join(dict.fromkeys(meter["chosen"])),
        "n_per_side": meter["n_per_side"],
        "probes": html_table(probes),
        "aspects": html_table(aspect_table) if len(aspect_table) else None,
        "top_aspect": aspects[0][0] if aspects else None,
        "top_aspect_acc": aspects[0][1]["accuracy"] if aspects else None,
        "top_features": html_table(top_table),
        "top_plot": None,
    }
    if figures and top:
        fake = next(f for f in result.fakes if f.name == row.name)
        out["top_plot"] = figure_to_data_uri(
            feature_histograms(result.real.features, {row.name: fake.features}, top, ncols=len(top)))
    return out


def _actions_table(result: CompareResult) -> str | None:
    """HTML table of the ``actions`` group: one row for the real set, one per fake set with a press channel."""
    rows = [r for r in result.rows if "actions" in r.details]
    if not rows:
        return None

    def side(name: str, d: dict, extra: dict) -> dict:
        mix = {f"{g} %": v for g, v in d["gesture_mix_pct"].items()}
        return {"set": name, "press duty": d["press_duty"], "presses / seq": d["presses_per_seq"],
                "median press s": d["press_duration_median_s"], **mix, **extra}

    table = [side(result.real_name, rows[0].details["actions"]["real"], {})]
    for r in rows:
        table.append(side(r.name, r.details["actions"]["fake"], {
            "press duration KS": r.metrics.get("press_duration_ks"),
            "press duration W1 s": r.metrics.get("press_duration_w1_s"),
            "gesture mix max diff pts": r.metrics.get("gesture_mix_max_diff_pts"),
        }))
    return html_table(pd.DataFrame(table))
