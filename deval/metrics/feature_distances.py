"""Per-feature distances between a real and a fake feature table.

For every feature column, on its finite values only (NaN/inf are dropped per
column, and the counts are reported):

- ``ks``, ``ks_pvalue``: two-sample Kolmogorov-Smirnov statistic (largest gap
  between the two empirical CDFs, in [0, 1]) and its p-value
  (:func:`scipy.stats.ks_2samp`, two-sided, exact or asymptotic as scipy picks);
- ``wasserstein``: Wasserstein-1 (earth mover's) distance between the two
  empirical distributions (:func:`scipy.stats.wasserstein_distance`), in the
  feature's unit; for a pure shift it equals the shift;
- ``wasserstein_scaled``: ``wasserstein / std_real`` (unit-free; NaN when the
  real column is constant);
- ``smd``: standardised mean difference ``(mean_fake - mean_real) /
  sqrt((var_real + var_fake) / 2)`` (Cohen's d with the average variance,
  ddof=1; signed; 0 when both columns are the same constant, NaN when only
  the means differ and both are constant).
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp, wasserstein_distance

from deval.errors import DataError

log = logging.getLogger(__name__)

#: columns of the table :func:`feature_distances` returns
COLUMNS: tuple[str, ...] = (
    "n_real", "n_fake", "mean_real", "mean_fake", "std_real", "std_fake",
    "ks", "ks_pvalue", "wasserstein", "wasserstein_scaled", "smd",
)


def _column_stats(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out: dict[str, float] = dict.fromkeys(COLUMNS, np.nan)
    out["n_real"], out["n_fake"] = len(a), len(b)
    if len(a) == 0 or len(b) == 0:
        return out
    mean_a, mean_b = float(a.mean()), float(b.mean())
    std_a = float(a.std(ddof=1)) if len(a) > 1 else 0.0
    std_b = float(b.std(ddof=1)) if len(b) > 1 else 0.0
    ks = ks_2samp(a, b)
    w1 = float(wasserstein_distance(a, b))
    pooled = np.sqrt((std_a**2 + std_b**2) / 2.0)
    if pooled > 0:
        smd = (mean_b - mean_a) / pooled
    else:
        smd = 0.0 if mean_a == mean_b else np.nan
    out.update(
        mean_real=mean_a, mean_fake=mean_b, std_real=std_a, std_fake=std_b,
        ks=float(ks.statistic), ks_pvalue=float(ks.pvalue), wasserstein=w1,
        wasserstein_scaled=w1 / std_a if std_a > 0 else np.nan, smd=float(smd),
    )
    return out


def feature_distances(
    real_df: pd.DataFrame, fake_df: pd.DataFrame, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """KS, Wasserstein-1 and standardised mean difference for every feature.

    Parameters
    ----------
    real_df, fake_df : pandas.DataFrame
        One row per movement, one numeric column per feature.
    columns : sequence of str, optional
        Features to compare; default: every numeric column of ``real_df``
        (all of which ``fake_df`` must have).

    Returns
    -------
    pandas.DataFrame
        Indexed by feature name (index name ``"feature"``), with the columns of
        :data:`COLUMNS` (see module docs). Features without finite values on
        one side get NaN statistics and a logged warning.
    """
    for name, df in (("real_df", real_df), ("fake_df", fake_df)):
        if not isinstance(df, pd.DataFrame):
            raise DataError(name, f"expected a pandas DataFrame of features, got {type(df).__name__}")
    if columns is None:
        columns = [c for c in real_df.columns if pd.api.types.is_numeric_dtype(real_df[c])]
    columns = list(columns)
    if not columns:
        raise DataError("real_df", "has no numeric feature columns")
    for name, df in (("real_df", real_df), ("fake_df", fake_df)):
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise DataError(name, f"missing feature column(s): {', '.join(map(str, missing[:10]))}")
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise DataError(name, f"non-numeric feature column(s): {', '.join(map(str, bad[:10]))}")
    rows = {}
    for c in columns:
        rows[c] = _column_stats(real_df[c].to_numpy(np.float64), fake_df[c].to_numpy(np.float64))
        if rows[c]["n_real"] == 0 or rows[c]["n_fake"] == 0:
            log.warning("feature %r has no finite values in one set; its distances are NaN", c)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    table[["n_real", "n_fake"]] = table[["n_real", "n_fake"]].astype(np.int64)
    table.index.name = "feature"
    return table
