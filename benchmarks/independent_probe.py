"""An independent C2ST probe, written apart from deval's features: the yardstick of the meter's agreement test.

About thirty per-movement features of the kind mouse-dynamics papers use
(timing, velocity, acceleration, jerk, angles, curvature, straightness), each
computed here from the raw points with plain numpy (one Python loop per
movement: this is a yardstick, not a hot path), then scikit-learn's
``HistGradientBoostingClassifier`` with its defaults, 5 stratified folds.
Nothing is shared with :mod:`deval.features` or :mod:`deval.realism_meter`.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict


def _stats(v: np.ndarray, prefix: str) -> dict[str, float]:
    if v.size == 0:
        v = np.zeros(1)
    return {f"{prefix}_mean": float(np.mean(v)), f"{prefix}_std": float(np.std(v)),
            f"{prefix}_min": float(np.min(v)), f"{prefix}_max": float(np.max(v))}


def movement_features(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """Features of one movement (pixels, seconds)."""
    dx, dy, dt = np.diff(x), np.diff(y), np.diff(t)
    dt_ms = np.round(dt * 1000.0, 3)
    ds = np.hypot(dx, dy)
    ok = dt > 0
    v = ds[ok] / dt[ok]
    tv = (t[1:][ok] + t[:-1][ok]) / 2
    a = np.diff(v) / np.maximum(np.diff(tv), 1e-6) if v.size > 1 else np.zeros(0)
    j = np.diff(a) / np.maximum(np.diff(tv)[1:], 1e-6) if a.size > 1 else np.zeros(0)
    ang = np.arctan2(dy[ds > 0], dx[ds > 0])
    dang = np.angle(np.exp(1j * np.diff(ang))) if ang.size > 1 else np.zeros(0)
    path = float(ds.sum())
    net = float(np.hypot(x[-1] - x[0], y[-1] - y[0]))
    f = {
        "n": float(len(x)), "duration": float(t[-1] - t[0]), "path": path,
        "straightness": net / path if path > 0 else 1.0,
        "dt_median": float(np.median(dt_ms)), "dt_share_lt10": float(np.mean(dt_ms < 10)),
        "dt_share_10_14": float(np.mean((dt_ms >= 10) & (dt_ms < 15))),
        "dt_share_gt40": float(np.mean(dt_ms > 40)), "dt_unique": float(len(np.unique(dt_ms)) / len(dt_ms)),
        "pause_share": float(np.mean(ds == 0)),
    }
    f.update(_stats(dt_ms, "dt"))
    f.update(_stats(v, "vel"))
    f.update(_stats(np.abs(a), "acc"))
    f.update(_stats(np.abs(j), "jerk"))
    f.update(_stats(np.abs(dang), "turn"))
    return f


def feature_matrix(traj) -> np.ndarray:
    """(N, D) independent features of a :class:`deval.Trajectories`."""
    rows = []
    for i in range(len(traj)):
        sl = slice(traj.offsets[i], traj.offsets[i + 1])
        rows.append(movement_features(traj.x[sl], traj.y[sl], traj.t[sl]))
    cols = list(rows[0])
    return np.array([[r[c] for c in cols] for r in rows], dtype=np.float64)


def independent_c2st(real, fake, seed: int = 0, n: int | None = None) -> float:
    """Out-of-fold accuracy of the independent probe on balanced samples of ``real`` and ``fake``."""
    n = min(len(real), len(fake), n or len(real))
    real, fake = real.subsample(n, seed=seed), fake.subsample(n, seed=seed + 1)
    X = np.vstack([feature_matrix(real), feature_matrix(fake)])
    y = np.r_[np.zeros(n), np.ones(n)]
    proba = cross_val_predict(HistGradientBoostingClassifier(random_state=seed), X, y,
                              cv=StratifiedKFold(5, shuffle=True, random_state=seed), method="predict_proba")[:, 1]
    return float(np.mean((proba > 0.5) == (y == 1)))
