"""Input coercion shared by the metrics: feature matrices as checked float64 numpy arrays.

Every metric takes feature matrices ``(N, D)`` as numpy arrays, torch tensors
(any device; detached and copied to the CPU) or anything :func:`numpy.asarray`
accepts. :func:`as_numpy_2d` turns one into a float64 array and raises a
:class:`~deval.errors.DataError` naming the argument when it is not 2-D, is
empty or holds NaN/inf; :func:`as_feature_pair` does it for a real/fake pair
and checks that both have the same number of features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deval.errors import ConfigError, DataError


def as_numpy_2d(x: Any, name: str, *, min_rows: int = 1, allow_nan: bool = False) -> np.ndarray:
    """A feature matrix as a C-contiguous float64 numpy array, checked.

    Parameters
    ----------
    x : numpy.ndarray, torch.Tensor or array-like, shape (N, D)
        One row per sample, one column per feature.
    name : str
        The argument's name, used in error messages (``"real"``, ``"fake"``, ...).
    min_rows : int
        Fewest rows the caller can work with.
    allow_nan : bool
        Let NaN through (infinities are still refused); for consumers that
        handle missing values themselves.

    Returns
    -------
    numpy.ndarray, shape (N, D), float64

    Raises
    ------
    DataError
        ``x`` is not numeric, not 2-D, has fewer than ``min_rows`` rows, no
        columns, or non-finite values.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch.Tensor without importing torch
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            name, f"expected a numeric (N, D) feature matrix, got {type(x).__name__} ({exc})"
        ) from None
    if arr.ndim != 2:
        raise DataError(name, f"expected a 2-D (N, D) feature matrix, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise DataError(name, f"feature matrix has no columns (shape {arr.shape})")
    if arr.shape[0] < min_rows:
        raise DataError(name, f"needs at least {min_rows} rows, got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if allow_nan:
        bad &= ~np.isnan(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        kind = "infinite" if allow_nan else "non-finite (NaN or inf)"
        raise DataError(
            name,
            f"{int(bad.sum())} {kind} value(s), first at row {int(rows[0])}, column {int(cols[0])}",
        )
    return np.ascontiguousarray(arr)


def as_feature_pair(
    real: Any, fake: Any, *, min_rows: int = 1, allow_nan: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Both feature matrices of a comparison, checked, with the same number of columns.

    Parameters
    ----------
    real, fake : array-like or torch.Tensor, shapes (N, D) and (M, D)
    min_rows, allow_nan
        As in :func:`as_numpy_2d`, applied to both.

    Returns
    -------
    real, fake : numpy.ndarray, float64, shapes (N, D) and (M, D)
    """
    r = as_numpy_2d(real, "real", min_rows=min_rows, allow_nan=allow_nan)
    f = as_numpy_2d(fake, "fake", min_rows=min_rows, allow_nan=allow_nan)
    if r.shape[1] != f.shape[1]:
        raise DataError("fake", f"has {f.shape[1]} features but real has {r.shape[1]}")
    return r, f


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """``value`` as an int that is at least ``minimum``; :class:`ConfigError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_action_batch(x: Any, name: str, mask: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """A batch of fixed-length action sequences ``(N, T, 3)`` (x, y, press) and its step mask, checked.

    Parameters
    ----------
    x : numpy.ndarray, torch.Tensor or array-like, shape (N, T, 3)
        Channels ``x, y`` (normalised screen units) and ``press`` (0..1).
    name : str
        The argument's name, used in error messages.
    mask : array-like or torch.Tensor of bool, shape (N, T), optional
        True on real steps (default: every step). Values on masked-out steps are ignored.

    Returns
    -------
    values : numpy.ndarray, float64, (N, T, 3)
        ``x`` with masked-out steps set to 0.
    mask : numpy.ndarray, bool, (N, T)

    Raises
    ------
    DataError
        Not numeric, not ``(N, T, 3)`` with N, T >= 1, a mask of another
        shape, or NaN/inf on a real step.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(name, f"expected a numeric (N, T, 3) x, y, press array, got {type(x).__name__} ({exc})") from None
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise DataError(name, f"expected an (N, T, 3) x, y, press array with N, T >= 1, got shape {arr.shape}")
    if mask is None:
        m = np.ones(arr.shape[:2], dtype=bool)
    else:
        if hasattr(mask, "detach") and hasattr(mask, "cpu"):
            mask = mask.detach().cpu().numpy()
        m = np.asarray(mask)
        if m.shape != arr.shape[:2]:
            raise DataError(name, f"mask has shape {m.shape}, expected {arr.shape[:2]}")
        m = m.astype(bool)
    bad = ~np.isfinite(arr).all(axis=2) & m
    if bad.any():
        i, t = np.argwhere(bad)[0]
        raise DataError(name, f"{int(bad.sum())} step(s) with NaN or inf, first in sequence {i} at step {t}")
    arr[~m] = 0.0
    return arr, m
