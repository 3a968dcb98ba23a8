"""Maximum mean discrepancy (MMD) with a Gaussian (RBF) kernel, and its permutation test.

Kernel convention: ``k(x, y) = exp(-||x - y||² / (2 sigma²))`` (Gretton et al.,
JMLR 2012). With ``sigma=None`` the bandwidth is the *median heuristic*: the
median of the Euclidean distances ``||z_i - z_j||`` over distinct pairs of the
pooled sample ``z = real ∪ fake`` (on a seeded subsample of at most
``median_subsample`` points; computed with :func:`scipy.spatial.distance.pdist`
in float64). A multi-bandwidth kernel is the *sum* of RBF kernels at several
sigmas (``bandwidths="multi"``: ``sigma * (0.25, 0.5, 1, 2, 4)``).

The statistic is the unbiased estimator (Gretton et al., eq. 3)::

    MMD²_u = 1/(n(n-1)) Σ_{i≠j} k(x_i, x_j) + 1/(m(m-1)) Σ_{i≠j} k(y_i, y_j)
             - 2/(nm) Σ_{i,j} k(x_i, y_j)

which is zero in expectation when both samples come from one distribution and
can then be slightly negative.

Computation
-----------
The three kernel sums are accumulated over square blocks of ``block_size``
rows and columns with torch, so memory stays at a few blocks (4096² float32 =
64 MiB each) whatever ``n`` and ``m`` are; the within-set sums use symmetry
(blocks on and above the diagonal only). Each block of (scaled) squared
distances is one float32 matrix product of augmented factors
``[x, |x|², 1] . [-2y, 1, |y|²]`` on data centred at the pooled mean (which
keeps the cancellation error small; norms are computed in float64), followed
by an in-place clamp and exp; every block sum is accumulated in float64. Against a float64 reference the
error is ~1e-7 absolute, far below the sampling noise of MMD² at any ``n``.

Permutation test
----------------
The full pooled kernel matrix at 20k + 20k does not fit in memory (40k² float64
is 12.8 GB), and recomputing it block by block for every permutation costs
``n_permutations`` times the statistic. The p-value therefore comes from a
permutation test on a seeded, stratified subsample of the pooled set of at most
``permutation_subsample`` points (default 4000, drawn in proportion to the two
set sizes; all points when the pooled set is smaller). On that subsample the
kernel matrix ``K`` (4000² float64 = 128 MB) is built once, with zero diagonal,
and every permutation's statistic follows from the label indicator ``u`` by
``u'Ku`` (one matrix product ``K @ U`` for all permutations at once) and
``u'K1``. The test is exact (valid at any level) for the subsample; its power
is that of a test at the subsample size. :class:`MMDResult` reports the
full-data ``mmd2``, the subsample statistic the p-value refers to, and the
subsample sizes. ``p = (1 + #{perm >= observed}) / (1 + n_permutations)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from scipy.spatial.distance import pdist

from deval.errors import ConfigError, DataError
from deval.metrics.inputs import as_feature_pair, check_positive_int
from deval.metrics.results import JSONResult

log = logging.getLogger(__name__)

#: multipliers of the base sigma for ``bandwidths="multi"``
MULTI_BANDWIDTH_FACTORS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
#: kernel exponents are clamped at -_MAX_EXPONENT (avoids slow float32 denormals)
_MAX_EXPONENT = 80.0


@dataclass(frozen=True)
class MMDResult(JSONResult):
    """Result of :func:`mmd_test`.

    Attributes
    ----------
    mmd2 : float
        Unbiased MMD² on all of ``real`` and ``fake`` (can be slightly negative).
    p_value : float
        Permutation p-value (on the permutation subsample); NaN when
        ``n_permutations == 0``.
    sigma : float
        Base bandwidth (median heuristic or the given one), in feature units.
    sigma_source : str
        ``"median"`` or ``"given"``.
    bandwidths : tuple of float
        Every sigma in the (sum) kernel.
    n_real, n_fake : int
        Sample sizes of the statistic.
    n_permutations : int
    n_real_permutation, n_fake_permutation : int
        Sizes of the permutation subsample.
    mmd2_permutation_subsample : float
        The statistic on the permutation subsample (what the p-value is about);
        NaN without permutations.
    median_subsample : int
        Points used by the median heuristic.
    block_size : int
    seed : int
    kernel : str
    """

    mmd2: float
    p_value: float
    sigma: float
    sigma_source: str
    bandwidths: tuple[float, ...]
    n_real: int
    n_fake: int
    n_permutations: int
    n_real_permutation: int
    n_fake_permutation: int
    mmd2_permutation_subsample: float
    median_subsample: int
    block_size: int
    seed: int
    kernel: str = "sum over bandwidths of exp(-||x-y||^2 / (2 sigma^2))"

    @property
    def mmd(self) -> float:
        """``sqrt(max(mmd2, 0))``, in kernel units."""
        return float(np.sqrt(max(self.mmd2, 0.0)))


def median_heuristic(
    real: Any, fake: Any, *, max_points: int = 2000, seed: int = 0
) -> float:
    """Median of pairwise Euclidean distances over the pooled sample.

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)
    max_points : int
        The pooled sample is subsampled (without replacement, seeded) to at
        most this many points; all distinct pairs of the subsample are used.
    seed : int

    Returns
    -------
    float
        The median distance, in feature units.

    Raises
    ------
    DataError
        When the median distance is zero (more than half the pairs coincide):
        pass ``sigma`` explicitly.
    """
    r, f = as_feature_pair(real, fake)
    return _median_distance(np.vstack([r, f]), check_positive_int(max_points, "max_points", minimum=2), seed)


def _median_distance(pooled: np.ndarray, max_points: int, seed: int) -> float:
    if len(pooled) > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(len(pooled), max_points, replace=False))
        pooled = pooled[idx]
    if len(pooled) < 2:
        raise DataError("real/fake", "need at least 2 points for the median heuristic")
    sigma = float(np.median(pdist(pooled)))
    if not sigma > 0:
        raise DataError("real/fake",
                        "median pairwise distance is 0 (mostly identical points); pass sigma explicitly")
    return sigma


def _augmented(x: np.ndarray, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Float32 factors whose product is ``scale * ||x_i - y_j||²``.

    ``[x, |x|², 1] . [-2 y, 1, |y|²] = |x|² + |y|² - 2 x.y``: one matrix
    product gives a block of scaled squared distances with no extra pass.
    Returns (left factor (N, D+2), right factor (D+2, N)); ``x`` is centred.
    """
    sq = np.einsum("ij,ij->i", x, x)[:, None]
    ones = np.ones_like(sq)
    left = np.hstack([x, sq, ones]) * scale
    right = np.hstack([-2.0 * x, ones, sq]).T
    return (torch.from_numpy(left.astype(np.float32)),
            torch.from_numpy(np.ascontiguousarray(right, np.float32)))


def _block_kernel_sums(
    a: np.ndarray, b: np.ndarray | None, gammas: Sequence[float], block_size: int
) -> float:
    """Σ_{i,j} Σ_gamma exp(-gamma ||a_i - b_j||²), over square blocks, in float64.

    With ``b`` None the pairs are those of ``a`` with itself, leaving out the
    diagonal ``i == j``; only blocks on and above the diagonal are computed.
    """
    symmetric = b is None
    single = len(gammas) == 1
    # one bandwidth: the product is -gamma d² directly; several: d², scaled per gamma
    scale = -gammas[0] if single else 1.0
    a_left, a_right = _augmented(a, scale)
    b_left, b_right = (a_left, a_right) if symmetric else _augmented(b, scale)
    n, m = a_left.shape[0], b_left.shape[0]
    total = 0.0
    buf = tmp = None
    for i0 in range(0, n, block_size):
        ai = a_left[i0:i0 + block_size]
        for j0 in range(i0 if symmetric else 0, m, block_size):
            bj = b_right[:, j0:j0 + block_size]
            shape = (ai.shape[0], bj.shape[1])
            if buf is None or buf.shape != shape:
                buf, tmp = torch.empty(shape), torch.empty(shape)
            torch.mm(ai, bj, out=buf)
            weight = 2.0 if symmetric and j0 != i0 else 1.0
            for gamma in gammas:
                # exponents below -87 underflow to float32 denormals, where exp is 10x
                # slower; exp(-80) = 1.8e-35 is zero for every sum here
                k = buf if single else torch.mul(buf, -gamma, out=tmp)
                k.clamp_(-_MAX_EXPONENT, 0.0).exp_()
                # row sums in float64, then their sum: the same bits whatever the thread count
                s = float(k.sum(dim=1).double().sum())
                if symmetric and j0 == i0:
                    s -= float(torch.diagonal(k).sum())
                total += weight * s
    return total


def _resolve_bandwidths(
    sigma: float | None,
    bandwidths: str | Sequence[float] | None,
    pooled: np.ndarray,
    median_subsample: int,
    seed: int,
) -> tuple[float, str, tuple[float, ...]]:
    if sigma is not None:
        sigma = float(sigma)
        if not np.isfinite(sigma) or sigma <= 0:
            raise ConfigError(f"sigma must be a positive number, got {sigma!r}")
        source = "given"
    if bandwidths is not None and not isinstance(bandwidths, str):
        sigmas = tuple(float(s) for s in np.atleast_1d(np.asarray(bandwidths, dtype=np.float64)))
        if not sigmas or not all(np.isfinite(s) and s > 0 for s in sigmas):
            raise ConfigError(f"bandwidths must be positive numbers, got {bandwidths!r}")
        if sigma is None:
            sigma, source = float(np.median(sigmas)), "given"
        return sigma, source, sigmas
    if sigma is None:
        sigma, source = _median_distance(pooled, median_subsample, seed), "median"
    if bandwidths is None:
        return sigma, source, (sigma,)
    if bandwidths != "multi":
        raise ConfigError(f"bandwidths must be None, 'multi' or a sequence of sigmas, got {bandwidths!r}")
    return sigma, source, tuple(sigma * f for f in MULTI_BANDWIDTH_FACTORS)


def _unbiased_mmd2(xr: np.ndarray, xf: np.ndarray, gammas: Sequence[float], block_size: int) -> float:
    """Unbiased MMD² of the sum kernel, blocked float32 with float64 accumulation."""
    n, m = len(xr), len(xf)
    center = np.vstack([xr, xf]).mean(axis=0)
    xr, xf = xr - center, xf - center
    with torch.no_grad():
        sxx = _block_kernel_sums(xr, None, gammas, block_size)
        syy = _block_kernel_sums(xf, None, gammas, block_size)
        sxy = _block_kernel_sums(xr, xf, gammas, block_size)
    return float(sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2.0 * sxy / (n * m))


def _permutation_test(
    xr: np.ndarray,
    xf: np.ndarray,
    gammas: Sequence[float],
    n_permutations: int,
    subsample: int,
    rng: np.random.Generator,
) -> tuple[float, float, int, int]:
    """(p-value, observed statistic, n_real used, n_fake used) on a pooled subsample."""
    n, m = len(xr), len(xf)
    if n + m > subsample:
        ns = int(np.clip(round(subsample * n / (n + m)), 2, n))
        ms = int(np.clip(subsample - ns, 2, m))
        xr = xr[np.sort(rng.choice(n, ns, replace=False))]
        xf = xf[np.sort(rng.choice(m, ms, replace=False))]
    ns, ms = len(xr), len(xf)
    s = ns + ms
    z = np.vstack([xr, xf])
    z = torch.from_numpy(z - z.mean(axis=0))
    with torch.no_grad():
        d2 = torch.cdist(z, z).square_()  # float64: the mm expansion is accurate to ~1e-13 here
        if len(gammas) == 1:
            k = d2.mul_(-gammas[0]).exp_()
        else:
            k, tmp = torch.zeros_like(d2), torch.empty_like(d2)
            for gamma in gammas:
                k.add_(torch.mul(d2, -gamma, out=tmp).exp_())
            del d2, tmp
        k.fill_diagonal_(0.0)
        row = k.sum(dim=1)
        total = row.sum()
        # column 0: the observed labelling (first ns are real); then the permutations
        labels = np.empty((s, n_permutations + 1), dtype=np.float64)
        labels[:, 0] = np.arange(s) < ns
        perm_rank = np.argsort(rng.random((n_permutations, s)), axis=1)
        labels[:, 1:] = (perm_rank < ns).T
        u = torch.from_numpy(labels)
        quad = (u * (k @ u)).sum(dim=0)  # Σ_{i≠j both real}
        lin = row @ u  # Σ_{i real, j any}
        sxx, sxy, syy = quad, lin - quad, total - 2.0 * lin + quad
        stats = (sxx / (ns * (ns - 1)) + syy / (ms * (ms - 1)) - 2.0 * sxy / (ns * ms)).numpy()
    observed = float(stats[0])
    p = (1.0 + float(np.sum(stats[1:] >= observed))) / (1.0 + n_permutations)
    return p, observed, ns, ms


def mmd_test(
    real: Any,
    fake: Any,
    *,
    sigma: float | None = None,
    bandwidths: str | Sequence[float] | None = None,
    n_permutations: int = 200,
    block_size: int = 4096,
    seed: int = 0,
    permutation_subsample: int = 4000,
    median_subsample: int = 2000,
) -> MMDResult:
    """Unbiased MMD² with an RBF kernel and a permutation p-value.

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)
        Feature matrices (N, M >= 2). Scale features comparably first (e.g.
        standardise with the real set's statistics): the kernel is isotropic.
    sigma : float, optional
        Bandwidth in feature units; None: median heuristic (see module docs).
    bandwidths : None, "multi" or sequence of float
        None: one RBF kernel at ``sigma``. ``"multi"``: the sum of RBF
        kernels at ``sigma * (0.25, 0.5, 1, 2, 4)``. A sequence: the sum of
        kernels at exactly these sigmas (``sigma`` is then only reported).
    n_permutations : int
        Permutations of the test (0: no p-value).
    block_size : int
        Rows/columns per kernel block (memory ~ 2 * block_size² * 4 bytes).
    seed : int
        Seeds the median-heuristic subsample, the permutation subsample and
        the permutations.
    permutation_subsample : int
        Most pooled points used by the permutation test (module docs).
    median_subsample : int
        Most pooled points used by the median heuristic.

    Returns
    -------
    MMDResult
    """
    xr, xf = as_feature_pair(real, fake, min_rows=2)
    n_permutations = check_positive_int(n_permutations, "n_permutations", minimum=0)
    block_size = check_positive_int(block_size, "block_size", minimum=16)
    permutation_subsample = check_positive_int(permutation_subsample, "permutation_subsample", minimum=4)
    median_subsample = check_positive_int(median_subsample, "median_subsample", minimum=2)
    rng = np.random.default_rng(seed)
    base, source, sigmas = _resolve_bandwidths(sigma, bandwidths, np.vstack([xr, xf]), median_subsample, seed)
    gammas = [1.0 / (2.0 * s * s) for s in sigmas]
    mmd2 = _unbiased_mmd2(xr, xf, gammas, block_size)
    p, observed, ns, ms = float("nan"), float("nan"), 0, 0
    if n_permutations > 0:
        p, observed, ns, ms = _permutation_test(xr, xf, gammas, n_permutations, permutation_subsample, rng)
    log.debug("MMD² %.6g (sigmas %s), p=%.4g on %d+%d points", mmd2, sigmas, p, ns, ms)
    return MMDResult(
        mmd2=mmd2,
        p_value=p,
        sigma=base,
        sigma_source=source,
        bandwidths=sigmas,
        n_real=len(xr),
        n_fake=len(xf),
        n_permutations=n_permutations,
        n_real_permutation=ns,
        n_fake_permutation=ms,
        mmd2_permutation_subsample=observed,
        median_subsample=min(median_subsample, len(xr) + len(xf)),
        block_size=block_size,
        seed=seed,
    )


def mmd_rbf(real: Any, fake: Any, sigma: float | None = None) -> float:
    """Unbiased MMD² between two feature sets with an RBF kernel.

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)
    sigma : float, optional
        Kernel bandwidth, ``k = exp(-d²/(2 sigma²))``; None: median of the
        pooled pairwise distances (seed 0 subsample of 2000 points).

    Returns
    -------
    float
        MMD²_u (zero in expectation for equal distributions; may be negative).
    """
    return mmd_test(real, fake, sigma=sigma, n_permutations=0).mmd2
