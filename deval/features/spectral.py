"""Spectral features of the speed signal of pointer movements.

Each movement's position is resampled onto a uniform time grid (``rate_hz``,
60 Hz by default, starting at the movement's first point, linear interpolation
in time); the speed signal is ``|p[k+1] - p[k]| * rate_hz`` between grid
points, so a movement of duration ``D`` gives ``floor(D * rate_hz)`` speed
samples. Its power spectral density is Welch's estimate
(:func:`scipy.signal.welch`: Hann window, ``nperseg`` samples per segment, 50 %
overlap, constant detrend, density scaling), with one choice for the many
short signals:

* a signal of ``L >= nperseg`` samples is cut into the usual Welch segments
  (trailing samples that do not fill a segment are dropped, as SciPy does);
* a signal of ``MIN_SAMPLES <= L < nperseg`` samples is one segment with a
  Hann window of length ``L``, zero-padded to ``nperseg`` for the FFT, so all
  movements share the frequency grid ``rfftfreq(nperseg, 1 / rate_hz)`` and
  the density normalisation stays correct;
* a signal shorter than ``MIN_SAMPLES`` samples has no spectrum (all zeros),
  and neither has a signal whose fluctuation is rounding noise (RMS below
  ``NOISE_FLOOR`` = 1e-9 of its mean speed, e.g. an exactly constant speed).

Vectorisation: movements are grouped by their number of Welch segments (or by
``L`` for short signals) and each group is one 2-D :func:`scipy.signal.welch`
call; the number of calls is bounded by the longest movement, not by the number
of movements.

Features (see :data:`SPECTRAL_DOCS`) are shares of the total power in the
bands 0-2, 2-5 and 5-10 Hz and above 10 Hz (``spec_hf_share``, which is the
10-30 Hz band at 60 Hz; there is no separate 10-30 Hz column, which would
duplicate it), the spectral centroid, peak and entropy, and the log power. A speed signal without any power
(constant speed, or too short) is treated as having all its power at 0 Hz:
``spec_power_0_2hz`` = 1, other shares 0, centroid, peak and entropy 0.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from deval.errors import ConfigError
from deval.features.kinematic import CHUNK_POINTS, check_trajectories, map_chunks
from deval.trajectories import Trajectories

logger = logging.getLogger(__name__)

#: Default uniform resampling rate of the speed signal [Hz].
DEFAULT_RATE_HZ = 60.0
#: Default Welch segment length [samples] (0.53 s, 1.875 Hz resolution at 60 Hz).
DEFAULT_NPERSEG = 32
#: Speed signals shorter than this [samples] get an all-zero spectrum.
MIN_SAMPLES = 4
#: A PSD whose RMS is below this fraction of the mean speed is rounding noise and set to 0.
NOISE_FLOOR = 1e-9
#: Relative band powers [Hz): name -> (low, high).
BANDS_HZ: dict[str, tuple[float, float]] = {
    "spec_power_0_2hz": (0.0, 2.0),
    "spec_power_2_5hz": (2.0, 5.0),
    "spec_power_5_10hz": (5.0, 10.0),
}
#: Frequencies at or above this count as high frequency [Hz].
HF_CUTOFF_HZ = 10.0

#: Feature name -> "description [unit]" for every spectral feature, in column order.
SPECTRAL_DOCS: dict[str, str] = {
    "spec_power_0_2hz": "share of the speed-signal power in [0, 2) Hz [-]",
    "spec_power_2_5hz": "share of the speed-signal power in [2, 5) Hz [-]",
    "spec_power_5_10hz": "share of the speed-signal power in [5, 10) Hz [-]",
    "spec_hf_share": "share of the speed-signal power at or above 10 Hz, up to the Nyquist frequency "
                     "(the 10-30 Hz band at the default 60 Hz); the four shares sum to 1 [-]",
    "spec_centroid": "power-weighted mean frequency of the speed signal [Hz]",
    "spec_peak_freq": "frequency of the largest PSD bin [Hz]",
    "spec_entropy": "Shannon entropy of the normalised PSD divided by log(number of bins): "
                    "0 = one bin, 1 = flat [-]",
    "spec_log_power": "log10(1 + total power of the detrended speed signal in (px/s)^2) "
                      "[log10 (px/s)^2]",
}


def _check_params(rate_hz: float, nperseg: int) -> tuple[float, int]:
    try:
        rate = float(rate_hz)
    except (TypeError, ValueError):
        raise ConfigError(f"rate_hz must be a positive number, got {rate_hz!r}") from None
    if not (np.isfinite(rate) and rate > 0):
        raise ConfigError(f"rate_hz must be a positive finite number, got {rate_hz!r}")
    if isinstance(nperseg, bool) or not isinstance(nperseg, (int, np.integer)) or nperseg < MIN_SAMPLES:
        raise ConfigError(f"nperseg must be an integer >= {MIN_SAMPLES}, got {nperseg!r}")
    return rate, int(nperseg)


def uniform_speed(
    traj: Trajectories,
    rate_hz: float = DEFAULT_RATE_HZ,
    *,
    n_threads: int | None = None,
    chunk_points: int = CHUNK_POINTS,
) -> tuple[np.ndarray, np.ndarray]:
    """Speed of every movement on a uniform time grid, in CSR layout.

    Positions are linearly interpolated in time at ``k / rate_hz`` seconds
    after each movement's first point, ``k = 0 .. floor(D * rate_hz)``; speed
    sample ``k`` is the distance between grid points ``k`` and ``k+1`` times
    ``rate_hz`` (the mean speed over that interval).

    Parameters
    ----------
    traj : Trajectories
        N movements (pixels, seconds), finite values.
    rate_hz : float, default 60
        Grid rate [Hz].
    n_threads, chunk_points
        Parallel chunking, as in :func:`~deval.features.kinematic.kinematic_features`.

    Returns
    -------
    values : ndarray, float64, shape (K,)
        Speed samples of all movements [px/s].
    offsets : ndarray, int64, shape (N+1,)
        Movement ``i``'s samples are ``values[offsets[i]:offsets[i+1]]``
        (``floor(D_i * rate_hz)`` of them; none for 0- or 1-point movements).
    """
    check_trajectories(traj)
    rate, _ = _check_params(rate_hz, DEFAULT_NPERSEG)
    n = len(traj)
    if n == 0:
        return np.zeros(0), np.zeros(1, dtype=np.int64)

    def compute(x: np.ndarray, y: np.ndarray, t: np.ndarray, offsets: np.ndarray) -> dict[str, np.ndarray]:
        values, counts = _uniform_speed_arrays(x, y, t, offsets, rate)
        return {"values": values, "counts": counts}

    parts = map_chunks(compute, traj, n_threads, chunk_points)
    return parts["values"], np.concatenate([[0], np.cumsum(parts["counts"])]).astype(np.int64)


def _uniform_speed_arrays(
    x: np.ndarray, y: np.ndarray, t: np.ndarray, offsets: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform-grid speed samples (K,) and their count per movement (N,) for CSR arrays."""
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    counts = np.zeros(n, dtype=np.int64)
    if len(x) == 0:
        return np.zeros(0), counts
    first = offsets[:-1][nonempty]
    last = offsets[1:][nonempty] - 1
    seg = np.repeat(np.arange(n, dtype=np.int64), lengths)

    t0 = np.zeros(n)
    t0[nonempty] = t[first]
    t_rel = t - np.repeat(t0, lengths)
    # search time: movements laid end to end with a gap of 1 s
    span = np.zeros(n)
    span[nonempty] = np.maximum.reduceat(t_rel, first)
    np.maximum(span, 0.0, out=span)
    base = np.concatenate([[0.0], np.cumsum(span + 1.0)[:-1]])
    t_glob = t_rel + base[seg]
    if not np.all(t_glob[1:] >= t_glob[:-1]):  # time runs backwards somewhere: use its running maximum
        t_glob = np.maximum.accumulate(t_glob)
        t_rel = t_glob - base[seg]

    n_grid = np.zeros(n, dtype=np.int64)
    n_grid[nonempty] = np.floor(span[nonempty] * rate + 1e-9).astype(np.int64) + 1
    g_off = np.concatenate([[0], np.cumsum(n_grid)])
    g_seg = np.repeat(np.arange(n, dtype=np.int64), n_grid)
    tau = np.arange(g_off[-1], dtype=np.float64)
    tau -= np.repeat(g_off[:-1].astype(np.float64), n_grid)
    tau /= rate  # seconds after the movement's first point
    # lo: the movement's last point at or before tau (searched on the global axis,
    # then settled on the local times so that rounding of the global axis cannot
    # move a grid point across a sample, e.g. a jump with dt = 0)
    first_of = np.zeros(n, dtype=np.int64)
    first_of[nonempty] = first
    last_of = np.zeros(n, dtype=np.int64)
    last_of[nonempty] = last
    lo_bound, hi_bound = first_of[g_seg], last_of[g_seg]
    lo = np.clip(np.searchsorted(t_glob, tau + base[g_seg], side="right") - 1, lo_bound, hi_bound)
    todo = np.arange(len(tau))
    while todo.size:
        i = todo
        up = (lo[i] < hi_bound[i]) & (t_rel[np.minimum(lo[i] + 1, hi_bound[i])] <= tau[i])
        down = (lo[i] > lo_bound[i]) & (t_rel[lo[i]] > tau[i])
        lo[i] += up.astype(np.int64) - down
        todo = i[up | down]
    hi = np.minimum(lo + 1, hi_bound)
    t_lo = t_rel[lo]
    gap = t_rel[hi] - t_lo  # > 0 unless lo is the last point
    frac = np.zeros(len(tau))
    np.divide(tau - t_lo, gap, out=frac, where=gap > 0)
    np.clip(frac, 0.0, 1.0, out=frac)
    x_lo, y_lo = x[lo], y[lo]
    xg = x_lo + frac * (x[hi] - x_lo)
    yg = y_lo + frac * (y[hi] - y_lo)

    # speed between consecutive grid points of the same movement
    dx = xg[1:] - xg[:-1]
    dy = yg[1:] - yg[:-1]
    speed = np.sqrt(dx * dx + dy * dy)
    speed *= rate
    keep = np.ones(len(speed), dtype=bool)
    ends = g_off[1:][n_grid > 0] - 1  # a movement's last grid point starts no interval
    keep[ends[ends < len(speed)]] = False
    counts = np.maximum(n_grid - 1, 0)
    return speed[keep], counts


def speed_psd(
    traj: Trajectories,
    rate_hz: float = DEFAULT_RATE_HZ,
    nperseg: int = DEFAULT_NPERSEG,
    *,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density of every movement's uniformly resampled speed.

    See the module docstring for the resampling and the handling of short
    movements.

    Parameters
    ----------
    traj : Trajectories
        N movements (pixels, seconds), finite values.
    rate_hz : float, default 60
        Resampling rate [Hz]; the PSD extends to ``rate_hz / 2``.
    nperseg : int, default 32
        Welch segment length [samples], >= 4; also the FFT length.
    n_threads : int, optional
        Threads for the resampling (see :func:`uniform_speed`).

    Returns
    -------
    freqs : ndarray, float64, shape (F,)
        ``rfftfreq(nperseg, 1 / rate_hz)``, F = nperseg // 2 + 1 [Hz].
    psd : ndarray, float64, shape (N, F)
        One-sided PSD of the speed [(px/s)^2 / Hz]; all zeros for movements
        with fewer than ``MIN_SAMPLES`` speed samples or a constant speed.
    """
    rate, nperseg = _check_params(rate_hz, nperseg)
    values, offsets = uniform_speed(traj, rate, n_threads=n_threads)
    freqs, psd = _welch_csr(values, offsets, rate, nperseg)
    # rounding noise of a constant speed is no spectrum: drop rows whose RMS
    # fluctuation is below NOISE_FLOOR of the mean speed
    counts = np.diff(offsets)
    mean_speed = np.zeros(len(counts))
    has = counts > 0
    if has.any():
        mean_speed[has] = np.add.reduceat(values, offsets[:-1][has]) / counts[has]
    power = psd.sum(axis=1) * (freqs[1] - freqs[0])
    psd[power <= (NOISE_FLOOR * mean_speed) ** 2] = 0.0
    return freqs, psd


def _welch_csr(
    values: np.ndarray, offsets: np.ndarray, rate: float, nperseg: int
) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of each CSR signal, one :func:`scipy.signal.welch` call per length group."""
    import scipy.signal  # imported here: loading deval.features stays light

    n = len(offsets) - 1
    freqs = np.fft.rfftfreq(nperseg, 1.0 / rate)
    psd = np.zeros((n, len(freqs)))
    lengths = np.diff(offsets)
    step = nperseg - nperseg // 2
    long_ = lengths >= nperseg
    # group key: number of Welch segments for long signals, the length for short ones
    key = np.where(long_, 1 + (lengths - nperseg) // step, 0)
    groups: list[tuple[np.ndarray, int, int]] = []  # (movements, width used, window length)
    for n_seg in np.unique(key[long_]):
        groups.append((np.flatnonzero(long_ & (key == n_seg)), nperseg + (int(n_seg) - 1) * step, nperseg))
    short = (lengths >= MIN_SAMPLES) & ~long_
    for length in np.unique(lengths[short]):
        groups.append((np.flatnonzero(short & (lengths == length)), int(length), int(length)))
    for rows, width, window_len in groups:
        block = values[offsets[rows][:, None] + np.arange(width)]
        _, p = scipy.signal.welch(
            block, fs=rate, window="hann", nperseg=window_len,
            noverlap=window_len // 2 if window_len == nperseg else 0,
            nfft=nperseg, detrend="constant", scaling="density", axis=-1,
        )
        psd[rows] = p
    return freqs, psd


def spectral_features(
    traj: Trajectories,
    rate_hz: float = DEFAULT_RATE_HZ,
    nperseg: int = DEFAULT_NPERSEG,
    *,
    n_threads: int | None = None,
) -> pd.DataFrame:
    """Spectral features of every movement's speed signal (see :data:`SPECTRAL_DOCS`).

    Parameters
    ----------
    traj : Trajectories
        N movements (pixels, seconds), finite values.
    rate_hz : float, default 60
        Resampling rate of the speed signal [Hz].
    nperseg : int, default 32
        Welch segment length [samples].
    n_threads : int, optional
        Threads for the resampling (see :func:`uniform_speed`).

    Returns
    -------
    DataFrame, N rows, columns ``list(SPECTRAL_DOCS)``, float64, all finite.

    Raises
    ------
    DataError
        ``traj`` is not a Trajectories or holds NaN/inf.
    ConfigError
        ``rate_hz`` is not a positive number or ``nperseg`` < 4.
    """
    freqs, psd = speed_psd(traj, rate_hz, nperseg, n_threads=n_threads)
    logger.debug("spectral features: %d movements, %d frequency bins", len(psd), len(freqs))
    return pd.DataFrame(psd_features(freqs, psd), columns=list(SPECTRAL_DOCS))


def psd_features(freqs: np.ndarray, psd: np.ndarray) -> dict[str, np.ndarray]:
    """Band shares, centroid, peak, entropy and log power of PSD rows.

    Parameters
    ----------
    freqs : ndarray, shape (F,)
        Bin frequencies [Hz], evenly spaced.
    psd : ndarray, shape (N, F)
        Power spectral densities [(px/s)^2 / Hz].

    Returns
    -------
    dict of name -> ndarray (N,), keys ``list(SPECTRAL_DOCS)``.
    """
    psd = np.asarray(psd, dtype=np.float64)
    n, n_bins = psd.shape
    total = psd.sum(axis=1)
    has_power = total > 0
    safe_total = np.where(has_power, total, 1.0)
    share = psd / safe_total[:, None]
    out: dict[str, np.ndarray] = {}
    for name, (low, high) in BANDS_HZ.items():
        in_band = (freqs >= low) & (freqs < high)
        out[name] = share[:, in_band].sum(axis=1)
    out["spec_hf_share"] = share[:, freqs >= HF_CUTOFF_HZ].sum(axis=1)
    out["spec_power_0_2hz"] = np.where(has_power, out["spec_power_0_2hz"], 1.0)
    out["spec_centroid"] = share @ freqs
    out["spec_peak_freq"] = np.where(has_power, freqs[np.argmax(psd, axis=1)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(share > 0, share * np.log(share), 0.0)
    out["spec_entropy"] = -plogp.sum(axis=1) / np.log(n_bins) if n_bins > 1 else np.zeros(n)
    df = freqs[1] - freqs[0] if n_bins > 1 else 1.0
    out["spec_log_power"] = np.log10(1.0 + total * df)
    return {name: out[name] for name in SPECTRAL_DOCS}
