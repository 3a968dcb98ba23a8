"""k-NN precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020).

Definitions (exactly those of the reference ``prdc.compute_prdc``, Euclidean
distance, strict inequalities): let ``r_i`` be the distance from real sample
``x_i`` to its k-th nearest *other* real sample and ``s_j`` the same for fake
``y_j`` among the fakes. Then

- precision = fraction of fakes inside at least one real ball: ``∃i: d(x_i, y_j) < r_i``;
- recall    = fraction of reals inside at least one fake ball: ``∃j: d(x_i, y_j) < s_j``;
- density   = ``1/(k M) Σ_j #{i: d(x_i, y_j) < r_i}`` (can exceed 1);
- coverage  = fraction of reals whose ball holds at least one fake: ``min_j d(x_i, y_j) < r_i``.

Computation
-----------
Never materialises an ``N x M`` matrix: rows are processed in blocks of
``block_size`` against all columns (memory ~ 2 * block_size * max(N, M) * 4
bytes), keeping only per-row radii, per-row minima and per-column counts.

Squared distances come from the expansion ``|x|² + |y|² - 2 x·y`` in float32
(data centred at the pooled mean first), which is fast but carries a rounding
error. The result is nevertheless *exact* (equal to a float64 computation):
every float32 value comes with a rigorous error bound ``tol`` (the standard
dot-product bound ``(D + c) u (|x|² + |y|²)``, u = 2⁻²⁴, with a safety
factor), and every decision that falls within ``tol`` of its threshold is
recomputed from exact float64 differences:

- radii: the ``k + 1 + margin`` float32 nearest candidates of each row are
  re-measured in float64 and sorted; rows where a non-candidate could still
  be nearer (the float32 margin does not clear ``tol``) are redone in float64;
- counts: each block counts ``d² - r_i² < -tol`` and ``< +tol``; columns whose
  two counts differ are recounted in float64 for that block;
- row minima (recall, coverage) within ``tol`` of zero are recomputed in float64.

On continuous data only a handful of pairs per million need the float64 path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from deval.metrics.inputs import as_feature_pair, check_positive_int
from deval.metrics.results import JSONResult

log = logging.getLogger(__name__)

_UNIT_ROUNDOFF = 2.0**-24  # float32
#: float32 nearest candidates beyond the k + 1 needed, re-measured in float64
_CANDIDATE_MARGIN = 3
#: default matrix entries per block (2**24 float32 = 64 MiB per buffer, two buffers)
_BLOCK_ENTRIES = 2**24
#: strided column groups of the nearest-candidate search (see _nearest_candidates)
_GROUPS = 16


@dataclass(frozen=True)
class PRDCResult(JSONResult):
    """Result of :func:`knn_prdc`.

    Attributes
    ----------
    precision, recall, coverage : float
        In [0, 1].
    density : float
        >= 0; about 1 when fake matches real, can exceed 1.
    k : int
        Neighbours defining the ball radii.
    n_real, n_fake : int
    block_size : int
        Rows per block.
    n_float64_rechecks : int
        Decisions recomputed in float64 because float32 was too close to call
        (diagnostic; does not change the values).
    distance : str
    """

    precision: float
    recall: float
    density: float
    coverage: float
    k: int
    n_real: int
    n_fake: int
    block_size: int
    n_float64_rechecks: int
    distance: str = "euclidean"


def _exact_sq_dist(a: torch.Tensor, b: torch.Tensor, max_elements: int = 2**22) -> torch.Tensor:
    """Squared Euclidean distances from float64 differences, shape (len(a), len(b)).

    Every float64 distance in this module goes through the same expression
    (:func:`_sq_diff_sum`), so a pair measured twice gives the same bits and
    exact ties (a fake equal to a real sample's k-th neighbour) are decided as
    in the reference: not strictly inside.
    """
    step = max(1, max_elements // max(1, a.shape[0] * a.shape[1]))
    parts = [_sq_diff_sum(a[:, None, :], b[None, j:j + step, :]) for j in range(0, b.shape[0], step)]
    return torch.cat(parts, dim=1)


def _sq_diff_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``sum((a - b)², axis=-1)`` in float64 for broadcastable (..., D) tensors."""
    return (a - b).square_().sum(dim=-1)


class _Blocks:
    """Float32 copies, float64 originals and norms of one centred feature set."""

    def __init__(self, x64: np.ndarray):
        self.exact = torch.from_numpy(x64)
        self.f32 = torch.from_numpy(x64.astype(np.float32))
        self.sq = np.einsum("ij,ij->i", x64, x64)  # float64 |x|²
        self.sq32 = torch.from_numpy(self.sq.astype(np.float32))
        # [z_i, 1] . [-2 z_j, |z_j|²] = |z_j|² - 2 z_i.z_j: one product, no broadcast pass
        self.left = torch.cat([self.f32, torch.ones(len(x64), 1)], dim=1)
        self.right = torch.cat([-2.0 * self.f32, self.sq32[:, None]], dim=1).T.contiguous()

    def __len__(self) -> int:
        return self.exact.shape[0]


def _nearest_candidates(buf: torch.Tensor, kk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``kk`` smallest values of each row of ``buf`` and their columns, sorted.

    Same result as ``torch.topk(buf, kk, largest=False)`` (up to the order of
    ties) at a fraction of the cost on long rows: columns are split into
    ``_GROUPS`` strided groups ``{c, c + W, c + 2W, ...}``, the per-group
    minima (a cheap vertical reduction) pick the ``kk`` groups with the
    smallest minima, and only those groups (plus the few columns left over
    when the width is not a multiple of ``_GROUPS``) are searched. Any column
    outside them is >= the ``kk``-th smallest group minimum >= the returned
    ``kk``-th value, so nothing nearer is missed.
    """
    b, n = buf.shape
    width = n // _GROUPS
    if width < 4 * kk:
        return torch.topk(buf, kk, dim=1, largest=False, sorted=True)
    n0 = width * _GROUPS
    group_min = buf[:, :n0].view(b, _GROUPS, width).amin(dim=1)  # (b, width)
    _, groups = torch.topk(group_min, kk, dim=1, largest=False, sorted=False)
    cols = (groups[:, :, None] + torch.arange(_GROUPS)[None, None, :] * width).reshape(b, kk * _GROUPS)
    if n0 < n:
        cols = torch.cat([cols, torch.arange(n0, n).expand(b, n - n0)], dim=1)
    vals, pos = torch.topk(torch.gather(buf, 1, cols), kk, dim=1, largest=False, sorted=True)
    return vals, torch.gather(cols, 1, pos)


def _kth_neighbour_sq(z: _Blocks, k: int, rows: int, tol: float) -> tuple[np.ndarray, int]:
    """Exact squared distance of each point to its k-th nearest *other* point.

    The (k+1)-th smallest distance of the row including the point itself (0),
    as ``prdc`` computes it. Returns (float64 array (N,), number of rows redone
    in float64).
    """
    n = len(z)
    kk = min(k + 1 + _CANDIDATE_MARGIN, n)
    out = np.empty(n)
    redone = 0
    buf = None
    for i0 in range(0, n, rows):
        zb = z.left[i0:i0 + rows]
        if buf is None or buf.shape[0] != zb.shape[0]:
            buf = torch.empty((zb.shape[0], n), dtype=torch.float32)
        torch.mm(zb, z.right, out=buf)  # d² - |z_i|²
        vals, idx = _nearest_candidates(buf, kk)
        exact_rows = z.exact[i0:i0 + zb.shape[0]]
        cand = _sq_diff_sum(exact_rows[:, None, :], z.exact[idx])  # (b, kk) float64
        r2 = torch.sort(cand, dim=1).values[:, k].numpy()
        if kk < n:
            # a non-candidate's exact d² is >= (last candidate's float32 value) - tol
            floor = vals[:, -1].double().numpy() + z.sq[i0:i0 + zb.shape[0]] - tol
            unsure = np.flatnonzero(floor < r2)
            if unsure.size:
                d2 = _exact_sq_dist(exact_rows[unsure], z.exact)
                r2[unsure] = torch.kthvalue(d2, k + 1, dim=1).values.numpy()
                redone += unsure.size
        out[i0:i0 + zb.shape[0]] = r2
    return out, redone


def _default_rows(n_cols: int) -> int:
    return int(max(16, min(8192, _BLOCK_ENTRIES // max(n_cols, 1))))


def knn_prdc(real: Any, fake: Any, k: int = 5, block_size: int | None = None) -> PRDCResult:
    """k-NN precision, recall, density and coverage of ``fake`` against ``real``.

    Parameters
    ----------
    real : array-like or torch.Tensor, shape (N, D)
        Real feature matrix, N > k.
    fake : array-like or torch.Tensor, shape (M, D)
        Fake feature matrix, M > k. Scale features comparably first (e.g. by
        the real set's statistics): the distance is Euclidean.
    k : int
        Nearest neighbours that define each sample's ball (5 in both papers).
    block_size : int, optional
        Rows per block; None picks ``2**24 // max(N, M)`` (two float32 buffers
        of at most 64 MiB each).

    Returns
    -------
    PRDCResult
        Equal to ``prdc.compute_prdc(real, fake, k)`` (float64 arithmetic) on the
        same arrays.
    """
    k = check_positive_int(k, "k")
    xr, xf = as_feature_pair(real, fake, min_rows=k + 1)
    n, m = len(xr), len(xf)
    rows = _default_rows(max(n, m)) if block_size is None else check_positive_int(block_size, "block_size")
    center = np.vstack([xr, xf]).mean(axis=0)
    x, y = _Blocks(xr - center), _Blocks(xf - center)
    d = xr.shape[1]
    max_sq = max(float(x.sq.max()), float(y.sq.max()))
    with torch.no_grad():
        # radii: the bound only involves |z|² terms
        tol_self = 4.0 * (d + 8) * _UNIT_ROUNDOFF * 2.0 * max_sq
        r2, redone_r = _kth_neighbour_sq(x, k, rows, tol_self)
        s2, redone_s = _kth_neighbour_sq(y, k, rows, tol_self)
        # cross pass: values also carry the (cast) radii terms
        tol = 4.0 * (d + 8) * _UNIT_ROUNDOFF * (2.0 * max_sq + float(r2.max()) + float(s2.max()))
        # one product gives d² - r_i²: [x_i, |x_i|² - r_i², 1] . [-2 y_j, 1, |y_j|²]
        x_aug = torch.cat([x.f32, torch.from_numpy((x.sq - r2).astype(np.float32))[:, None],
                           torch.ones(n, 1)], dim=1)
        y_aug = torch.cat([-2.0 * y.f32, torch.ones(m, 1), y.sq32[:, None]], dim=1).T.contiguous()
        s2_32 = torch.from_numpy(s2.astype(np.float32))[None, :]
        r2_t, s2_t = torch.from_numpy(r2), torch.from_numpy(s2)
        counts = np.zeros(m, dtype=np.int64)
        recall = np.zeros(n, dtype=bool)
        covered = np.zeros(n, dtype=bool)
        rechecks = redone_r + redone_s
        buf = flag = None
        for i0 in range(0, n, rows):
            xb = x_aug[i0:i0 + rows]
            b = xb.shape[0]
            sl = slice(i0, i0 + b)
            if buf is None or buf.shape[0] != b:
                buf, flag = torch.empty((b, m), dtype=torch.float32), torch.empty((b, m), dtype=torch.float32)
            torch.mm(xb, y_aug, out=buf)  # d² - r_i²
            # coverage: some d² - r_i² < 0 in the row
            cmin = buf.amin(dim=1).numpy()
            covered[sl] = cmin < -tol
            unsure_cover = np.flatnonzero(np.abs(cmin) <= tol)
            # density / precision: per column, rows with d² - r_i² < 0
            torch.lt(buf, -tol, out=flag)
            lo = flag.sum(dim=0)
            torch.lt(buf, tol, out=flag)
            hi = flag.sum(dim=0)
            block_counts = lo.numpy().astype(np.int64)
            unsure_cols = torch.nonzero(hi != lo).flatten()
            if unsure_cols.numel():
                d2 = _exact_sq_dist(x.exact[sl], y.exact[unsure_cols])
                block_counts[unsure_cols.numpy()] = (d2 < r2_t[sl, None]).sum(dim=0).numpy()
                rechecks += int(unsure_cols.numel())
            counts += block_counts
            # recall: some d² - s_j² < 0 in the row, i.e. min_j (d² - r_i² - s_j²) < -r_i²
            rmin = buf.sub_(s2_32).amin(dim=1).double().numpy() + r2[sl]
            recall[sl] = rmin < -tol
            unsure_recall = np.flatnonzero(np.abs(rmin) <= tol)
            unsure_rows = np.union1d(unsure_recall, unsure_cover)
            if unsure_rows.size:
                d2 = _exact_sq_dist(x.exact[i0 + unsure_rows], y.exact)
                recall[i0 + unsure_rows] = (d2 < s2_t[None, :]).any(dim=1).numpy()
                covered[i0 + unsure_rows] = (d2 < r2_t[i0 + unsure_rows, None]).any(dim=1).numpy()
                rechecks += int(unsure_rows.size)
    if rechecks:
        log.debug("knn_prdc: %d decisions recomputed in float64", rechecks)
    return PRDCResult(
        precision=float(np.mean(counts > 0)),
        recall=float(np.mean(recall)),
        density=float(counts.sum() / (k * m)),
        coverage=float(np.mean(covered)),
        k=k,
        n_real=n,
        n_fake=m,
        block_size=rows,
        n_float64_rechecks=rechecks,
    )
