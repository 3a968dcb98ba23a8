"""Distance between the average power spectra of two sets of signals.

Inputs are power spectral densities on one shared frequency grid, one row per
movement (e.g. :func:`deval.features.spectral.speed_psd`), shapes ``[N, F]``
and ``[M, F]``. Each set is summarised by its mean PSD (:func:`mean_psd`;
all-zero rows, movements too short to have a spectrum, are left out by
default) and the two means are compared with the log-spectral distance::

    LSD = sqrt( mean_f ( 10 log10(P_real(f) / P_fake(f)) )² )     [dB]

i.e. the RMS over frequency bins of the level difference in decibels. 0 dB
means identical mean spectra; a fake whose spectrum is uniformly 2x too
strong reads 10 log10(2) = 3.01 dB. Powers are floored at ``floor_db`` below
the larger spectrum's peak (default 100 dB) so empty bins do not give infinite
distances.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deval.errors import ConfigError, DataError
from deval.metrics.inputs import as_numpy_2d


def mean_psd(psd: Any, *, skip_empty: bool = True, name: str = "psd") -> np.ndarray:
    """Mean power spectral density over a set.

    Parameters
    ----------
    psd : array-like or torch.Tensor, shape (N, F)
        Non-negative PSDs, one row per movement, on a shared frequency grid
        (units e.g. (px/s)²/Hz).
    skip_empty : bool
        Leave out rows that are all zero (no spectrum).
    name : str
        Argument name for error messages.

    Returns
    -------
    numpy.ndarray, shape (F,)
        The mean PSD, in the input's units.
    """
    p = as_numpy_2d(psd, name)
    if np.any(p < 0):
        raise DataError(name, "power spectral densities must be non-negative")
    if skip_empty:
        p = p[p.any(axis=1)]
        if len(p) == 0:
            raise DataError(name, "every PSD row is zero (no movement has a spectrum)")
    return p.mean(axis=0)


def log_spectral_distance(
    psd_real: Any, psd_fake: Any, *, floor_db: float = 100.0, skip_empty: bool = True
) -> float:
    """Log-spectral distance between the mean PSDs of two sets (see module docs).

    Parameters
    ----------
    psd_real : array-like or torch.Tensor, shape (N, F)
    psd_fake : array-like or torch.Tensor, shape (M, F)
        Non-negative PSDs on the same F frequency bins.
    floor_db : float
        Powers below ``max(peak) * 10**(-floor_db / 10)`` are raised to it.
    skip_empty : bool
        Leave all-zero rows out of the means.

    Returns
    -------
    float
        RMS level difference over the frequency bins, in dB (>= 0).
    """
    if not (np.isfinite(floor_db) and floor_db > 0):
        raise ConfigError(f"floor_db must be a positive number of dB, got {floor_db!r}")
    real = mean_psd(psd_real, skip_empty=skip_empty, name="psd_real")
    fake = mean_psd(psd_fake, skip_empty=skip_empty, name="psd_fake")
    if real.shape != fake.shape:
        raise DataError("psd_fake", f"has {fake.shape[0]} frequency bins but psd_real has {real.shape[0]}")
    peak = max(real.max(), fake.max())
    if peak <= 0:
        return 0.0
    floor = peak * 10.0 ** (-floor_db / 10.0)
    diff_db = 10.0 * np.log10(np.maximum(real, floor) / np.maximum(fake, floor))
    return float(np.sqrt(np.mean(diff_db**2)))
