"""Kinematic and spectral overlays of generated against validation movements: PNG figures and numbers.

Inputs are the prepared sets of :func:`deval.compare.prepare` (features and
speed power spectra computed by the same path as ``deval compare``).
Matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Mapping

import numpy as np

from deval.atomic import write_bytes

__all__ = ["KINEMATIC_OVERLAY", "SPECTRAL_SUMMARY", "kinematic_summary", "spectral_summary", "save_overlays"]

#: features shown in the kinematic overlay and summarised by their medians
KINEMATIC_OVERLAY = (
    "duration", "n_points", "dt_mean", "path_length", "straightness", "lateral_max_rel",
    "speed_mean", "speed_max", "time_to_peak_speed", "n_speed_peaks", "end_slowdown", "jerk_mean_abs",
)
#: spectral features summarised by their medians
SPECTRAL_SUMMARY = ("spec_centroid", "spec_peak_freq", "spec_hf_share", "spec_entropy")


def _medians(features, columns) -> dict[str, float]:
    return {c: float(np.nanmedian(features[c].to_numpy(dtype=float))) for c in columns if c in features.columns}


def kinematic_summary(real, fake, metrics: Mapping[str, float]) -> dict:
    """Medians of :data:`KINEMATIC_OVERLAY` features (real and fake) and the KS summary of every feature."""
    return {
        "mean_ks": float(metrics.get("mean_ks", float("nan"))),
        "max_ks": float(metrics.get("max_ks", float("nan"))),
        "median_real": _medians(real.features, KINEMATIC_OVERLAY),
        "median_fake": _medians(fake.features, KINEMATIC_OVERLAY),
    }


def spectral_summary(real, fake, metrics: Mapping[str, float]) -> dict:
    """Log-spectral distance (dB) of the mean speed spectra and medians of :data:`SPECTRAL_SUMMARY` features."""
    return {
        "log_spectral_distance_db": float(metrics.get("log_spectral_distance_db", float("nan"))),
        "median_real": _medians(real.features, SPECTRAL_SUMMARY),
        "median_fake": _medians(fake.features, SPECTRAL_SUMMARY),
    }


def _save_png(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    write_bytes(path, buf.getvalue(), force=True)


def save_overlays(real, fakes: Mapping[str, object], out_dir: str | os.PathLike, stem: str) -> dict[str, str]:
    """Write ``{stem}_kinematic.png`` (feature histograms) and ``{stem}_spectral.png`` (mean speed PSDs).

    Parameters
    ----------
    real : PreparedSet
        Validation movements.
    fakes : mapping name -> PreparedSet
        Generated sets (e.g. ``diffusion``, ``gan``).
    out_dir : path
        Directory of the PNGs (created if needed).
    stem : str
        File-name prefix, e.g. ``epoch0003``.

    Returns
    -------
    dict
        ``{"kinematic": path, "spectral": path}``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from deval.reports.figures import feature_histograms, psd_overlay

    out = Path(out_dir)
    cols = [c for c in KINEMATIC_OVERLAY if c in real.features.columns]
    kin, spec = out / f"{stem}_kinematic.png", out / f"{stem}_spectral.png"
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # a set whose values of a feature are all undefined draws an empty histogram
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = feature_histograms(real.features, {k: v.features for k, v in fakes.items()}, cols, ncols=4)
        fig.suptitle(f"{stem}: kinematic features, validation (filled) vs generated", fontsize=9, y=1.01)
        _save_png(fig, kin)
        fig = psd_overlay(real.freqs, real.psd, {k: v.psd for k, v in fakes.items()})
        _save_png(fig, spec)
    return {"kinematic": str(kin), "spectral": str(spec)}
