"""Compare fake movement sets with a real one: the engine behind ``deval compare``.

Real and fake sets go through exactly the same path: validate, canonicalise
(:func:`deval.canonical.canonicalize`), extract kinematic + spectral features
(:func:`deval.features.extract_features`), scale with statistics of the real
set (:class:`deval.features.scaling.FeatureScaler`), then every metric. The
result carries every setting and sample size, so a report can show them.

Two reference points are computed on the real data alone: C2ST between two
random halves (should read ~0.50: the probe's floor) and, when user ids are
known, between two disjoint groups of people (the human-vs-human figure: two
groups of people are not the same distribution; a generator conditioned on
one group's endpoints cannot be expected to do better than this).

When both the real and a fake set have a press channel (action sequences:
clicks, swipes, drags), the ``actions`` metric group compares presses
(:func:`action_comparison`): press duty cycle, press periods per sequence,
the distance between the press-duration distributions (KS statistic and
Wasserstein-1 in seconds) and the gesture-type mix of each set
(:func:`deval.metrics.classify_gestures` on pixels divided by
:data:`GESTURE_SCREEN_HEIGHT`, so a click moves less than 0.02 x 1080 px)
with the largest per-type difference in percentage points.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from deval.canonical import canonicalize
from deval.errors import ConfigError, DataError
from deval.registry import Registry
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

ALL_METRICS = ("c2st", "mmd", "prd", "prdc", "distances", "spectral", "actions", "generation")
#: pixels per unit when compare classifies gestures (the click threshold is 0.02 of it)
GESTURE_SCREEN_HEIGHT = 1080.0
#: the acceptance bar on C2ST accuracy
C2ST_BAR = 0.60
#: below this many movements per side a verdict says "too few movements to judge" (the 95 % interval of the
#: accuracy is then wider than about +-0.07)
JUDGE_MIN_PER_SIDE = 100
#: movements per set that compare keeps by default (a 1M-movement file would make MMD's pair sums take hours)
DEFAULT_MAX_SAMPLES = 20_000


@dataclass(frozen=True)
class CompareSettings:
    """Everything that changes a comparison's numbers.

    Attributes
    ----------
    seed : int
        Seeds subsampling, folds, k-means and permutations.
    max_samples : int or None
        Movements kept per set (subsampled with ``seed``; default 20,000: MMD and the distance metrics are
        quadratic in the set size); None keeps all.
    features : str or tuple of str
        ``"all"``, ``"kinematic"``, ``"spectral"`` or explicit column names.
    metrics : tuple of str
        Subset of :data:`ALL_METRICS`.
    c2st_classifier : str
        ``"hgb"`` (gradient boosting), ``"logistic"`` or ``"mlp"``.
    c2st_folds : int
        Stratified folds of the C2ST.
    group_by_user : bool
        Keep each person's movements in one C2ST fold.
    mmd_permutations : int
        Permutations of the MMD test.
    prdc_k : int
        Neighbours of the k-NN precision/recall/density/coverage.
    baselines : bool
        Compute the real-vs-real reference points.
    bar : float
        C2ST acceptance bar.
    meter_max_samples : int
        Movements per side that the realism meter's probes are fitted on
        (subsampled with ``seed``; :mod:`deval.realism_meter`).
    sequence_probe : bool
        Run the meter's sequence-level probe (a 1-D CNN on the steps) and the
        stacked probe; off, the headline is the feature probe alone.
    aspects : bool
        Run the per-aspect probes (timing, geometry, speed profile, ...).
    view : {"raw", "60hz"}
        ``"60hz"`` resamples every set at 60 Hz (10 % seeded jitter) before
        anything else, so that realism is judged apart from the logger.
    session_k : int
        Also judge sessions of this many movements (:mod:`deval.session_realism`; 0: off).
    """

    seed: int = 0
    max_samples: int | None = DEFAULT_MAX_SAMPLES
    features: str | tuple[str, ...] = "all"
    metrics: tuple[str, ...] = ALL_METRICS
    c2st_classifier: str = "hgb"
    c2st_folds: int = 5
    group_by_user: bool = False
    mmd_permutations: int = 200
    prdc_k: int = 5
    baselines: bool = True
    bar: float = C2ST_BAR
    meter_max_samples: int = 5000
    sequence_probe: bool = True
    aspects: bool = True
    view: str = "raw"
    session_k: int = 0

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ConfigError(f"unknown metric(s) {', '.join(unknown)}; choose from {', '.join(metric_names())}")
        if self.view not in ("raw", "60hz"):
            raise ConfigError(f"view must be 'raw' or '60hz', got {self.view!r}")
        if self.max_samples is not None and self.max_samples < 10:
            raise ConfigError(f"max_samples must be >= 10, got {self.max_samples}")


@dataclass
class PreparedSet:
    """A set after the shared pre-processing: the trajectories (as given and canonical), features, speed PSDs."""

    name: str
    traj: Trajectories
    features: pd.DataFrame
    freqs: np.ndarray
    psd: np.ndarray
    canon: Trajectories | None = None
    _own_sequences: tuple | None = field(default=None, repr=False)
    _scaled: tuple | None = field(default=None, repr=False)

    def scaled(self, scaler) -> np.ndarray:
        """The distance features standardised by ``scaler`` (kept for the last scaler asked for)."""
        if self._scaled is None or self._scaled[0] is not scaler:
            self._scaled = (scaler, scaler.transform(self.features))
        return self._scaled[1]

    def sequences(self, scale: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray, tuple]:
        """The meter's sequence-probe inputs (:func:`deval.realism_meter.sequence_inputs`) of the canonical set,
        on ``scale`` or (computed once and kept) on the set's own scale."""
        from deval.realism_meter import sequence_inputs

        if scale is None and self._own_sequences is not None:
            return self._own_sequences
        out = sequence_inputs(self.canon if self.canon is not None else canonicalize(self.traj)[0], scale=scale)
        if scale is None:
            self._own_sequences = out
        return out


@dataclass
class FakeComparison:
    """Every number for one fake set against the real one."""

    name: str
    n: int
    metrics: dict[str, float]
    details: dict[str, dict] = field(default_factory=dict)
    distances: pd.DataFrame | None = None
    prd_curve: tuple[np.ndarray, np.ndarray] | None = None

    def passed(self, bar: float) -> bool | None:
        """C2ST at or under the bar (None when C2ST was not computed or too few movements to judge)."""
        acc = self.metrics.get("c2st_acc")
        if acc is None or np.isnan(acc) or self.too_few():
            return None
        return bool(acc <= bar)

    def too_few(self) -> bool:
        """The meter ran on fewer than :data:`JUDGE_MIN_PER_SIDE` movements per side."""
        n = self.details.get("c2st", {}).get("n_per_side")
        return n is not None and n < JUDGE_MIN_PER_SIDE


@dataclass
class CompareResult:
    """Output of :func:`compare_sets`."""

    real: PreparedSet
    fakes: list[PreparedSet]
    rows: list[FakeComparison]
    baselines: list[dict]
    settings: CompareSettings
    real_name: str = "real"
    sessions: list = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """One row per fake set: name, n and every scalar metric."""
        return pd.DataFrame([{"fake": r.name, "n_fake": r.n, "n_real": len(self.real.traj), **r.metrics}
                             for r in self.rows])

    def verdicts(self) -> list[dict]:
        """One verdict line per fake set against the acceptance bar."""
        out = []
        for r in self.rows:
            acc = r.metrics.get("c2st_acc", float("nan"))
            ok = r.passed(self.settings.bar)
            ci = f" [{r.metrics.get('c2st_ci_low', float('nan')):.3f}, {r.metrics.get('c2st_ci_high', float('nan')):.3f}]"
            if r.too_few():
                text = (f"too few movements to judge: {r.details['c2st']['n_per_side']} per side "
                        f"(C2ST {acc:.3f}{ci}; at least {JUDGE_MIN_PER_SIDE} are needed for a verdict)")
            elif ok is None:
                text = "C2ST not computed"
            elif ok:
                text = (f"passes: C2ST {acc:.3f}{ci} <= {self.settings.bar:.2f} "
                        "(the meter cannot reliably tell it from real)")
            else:
                text = f"different: C2ST {acc:.3f}{ci} > {self.settings.bar:.2f} (the meter tells it from real)"
            out.append({"name": r.name, "passed": ok, "c2st_acc": acc, "text": text})
        return out

    def loggers(self) -> dict[str, str]:
        """The logger found in each set, in words (:meth:`deval.loggers.Logger.fit`): real set first, then fakes."""
        from deval.loggers import describe_logger

        return {p.name: describe_logger(p.traj) for p in [self.real, *self.fakes]}

    def to_dict(self) -> dict:
        """JSON-ready record: settings, sample sizes, baselines, the logger of each set, metrics and details."""
        return {
            "real": {"name": self.real_name, "n": len(self.real.traj)},
            "loggers": self.loggers(),
            "sessions": self.sessions,
            "settings": asdict(self.settings),
            "feature_columns": list(self.real.features.columns),
            "baselines": self.baselines,
            "fakes": [
                {"name": r.name, "n": r.n, "metrics": r.metrics, "details": r.details,
                 "verdict": v["text"], "passed": v["passed"]}
                for r, v in zip(self.rows, self.verdicts())
            ],
        }


def select_features(df: pd.DataFrame, features: str | Sequence[str]) -> pd.DataFrame:
    """Columns of a feature table by group name (``all``/``kinematic``/``spectral``/``shape``) or explicit names."""
    from deval.features import feature_names
    from deval.features.shape import SHAPE_DOCS

    if isinstance(features, str) and features in ("all", "kinematic", "spectral", "shape"):
        if features == "all":
            cols = list(df.columns)
        elif features == "shape":
            cols = [c for c in SHAPE_DOCS if c in df.columns]
        else:
            cols = [c for c in feature_names(features) if c in df.columns]
    else:
        cols = [features] if isinstance(features, str) else list(features)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ConfigError(f"unknown feature(s) {', '.join(missing)}; available: {', '.join(df.columns)}")
    if not cols:
        raise ConfigError("no feature selected")
    return df[cols]


def prepare(traj: Trajectories, name: str, settings: CompareSettings) -> PreparedSet:
    """The one pre-processing path for real and fake sets: subsample, canonicalise, featurise.

    Kinematic and spectral features come from the canonical movements (times
    rounded to whole microseconds, so that the float noise of how a file stores
    its times cannot separate two sets); the shape features (:func:`deval.features.shape.shape_features`) from the
    movements as recorded, since the pixel grid is part of what they measure.
    """
    from deval.features import extract_features, speed_psd
    from deval.features.shape import shape_features

    if settings.max_samples is not None:
        traj = traj.subsample(settings.max_samples, seed=settings.seed)
    if settings.view == "60hz":
        from deval.canonical import resample

        traj = resample(traj, rate_hz=60.0, jitter=0.1, seed=settings.seed)
    canon, _ = canonicalize(traj)
    # times to whole microseconds: how a file stores its times (ms / 1000 in float64, float32 arrays, ...) must
    # not separate two sets
    canon = canon.with_points(canon.x, canon.y, np.round(canon.t, 6))
    feats = pd.concat([extract_features(canon), shape_features(traj)], axis=1)
    feats = select_features(feats, settings.features)
    freqs, psd = speed_psd(canon)
    return PreparedSet(name, traj, feats, freqs, psd, canon)


def run_meter(real: PreparedSet, fake: PreparedSet, settings: CompareSettings, *, groups: bool | None = None,
              aspects: bool | None = None):
    """The realism meter (:func:`deval.realism_meter.measure_realism`) on two prepared sets.

    ``groups`` (default: ``settings.group_by_user``) keeps each person in one
    fold; ``aspects`` (default: ``settings.aspects``) adds the per-aspect probes.
    """
    from deval.realism_meter import measure_realism

    seq_r = seq_f = None
    if settings.sequence_probe:
        *seq_r, scale = real.sequences()
        *seq_f, _ = fake.sequences(scale)
    kw = {}
    if settings.group_by_user if groups is None else groups:
        kw = {"groups_real": _groups(real.traj, 10**9), "groups_fake": _groups(fake.traj, 2 * 10**9)}
    return measure_realism(real.features, fake.features, seq_r, seq_f, folds=settings.c2st_folds,
                           seed=settings.seed, max_samples=settings.meter_max_samples,
                           aspects=settings.aspects if aspects is None else aspects,
                           classifier=settings.c2st_classifier, **kw)


#: distance bin edges (px) and direction sectors of :func:`condition_labels`
CONDITION_DISTANCE_EDGES = (0.0, 200.0, 500.0, 1000.0, float("inf"))
CONDITION_SECTORS = 8


def condition_labels(traj: Trajectories, distance_edges: Sequence[float] = CONDITION_DISTANCE_EDGES,
                     sectors: int = CONDITION_SECTORS) -> np.ndarray:
    """One label per movement: its start-to-end distance bin x direction sector, e.g. ``"200-500px/E"``.

    Directions are screen directions (y down): sector 0 is centred on +x (E), then clockwise on screen
    (SE, S, ...) for 8 sectors; other counts are numbered.
    """
    d = traj.end - traj.start
    dist = np.hypot(d[:, 0], d[:, 1])
    edges = np.asarray(distance_edges, dtype=np.float64)
    b = np.clip(np.searchsorted(edges, dist, side="right") - 1, 0, len(edges) - 2)
    ang = np.arctan2(d[:, 1], d[:, 0])
    sec = np.floor((ang + np.pi / sectors) / (2 * np.pi / sectors)).astype(int) % sectors
    names = ("E", "SE", "S", "SW", "W", "NW", "N", "NE") if sectors == 8 else tuple(str(k) for k in range(sectors))
    fmt = lambda v: "inf" if np.isinf(v) else f"{v:g}"  # noqa: E731
    bins = [f"{fmt(edges[k])}-{fmt(edges[k + 1])}px" for k in range(len(edges) - 1)]
    return np.array([f"{bins[i]}/{names[j]}" for i, j in zip(b, sec)], dtype=object)


def distance_scaler(real: PreparedSet):
    """The scaler of the distance-based metrics (MMD, PRD, k-NN), fitted on the real set.

    It keeps the kinematic + spectral columns only: the shape features are for the probes, and a column that is
    constant in the real set (e.g. ``whole_ms_share``) would dominate every distance.
    """
    from deval.features.scaling import FeatureScaler
    from deval.features.shape import SHAPE_DOCS

    cols = [c for c in real.features.columns if c not in SHAPE_DOCS] or list(real.features.columns)
    return FeatureScaler().fit(real.features[cols])


def aspect_key(name: str) -> str:
    """Column-safe key of an aspect name (``"speed profile"`` -> ``"speed_profile"``)."""
    return name.replace("/", "_").replace(" ", "_")


def _groups(traj: Trajectories, offset: int) -> np.ndarray:
    """User ids as C2ST groups; movements without a user each get their own group."""
    users = traj.user.astype(np.int64)
    unknown = users < 0
    g = users.copy()
    g[unknown] = offset + np.arange(unknown.sum())
    return g


@dataclass
class MetricOutput:
    """What one metric adds to a comparison row.

    ``scalars`` become columns of ``metrics.csv``; ``details`` are merged into
    the fake set's details in ``metrics.json`` (keyed by the metric's name or
    its own keys); ``distances`` (the per-feature table) and ``curve`` (a PRD
    curve) feed the report.
    """

    scalars: dict[str, float] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    distances: pd.DataFrame | None = None
    curve: tuple[np.ndarray, np.ndarray] | None = None

    def to_dict(self) -> dict:
        return {"scalars": dict(self.scalars), "details": self.details}


#: A metric: ``fn(real, fake, settings, scaler) -> MetricOutput`` (``scaler`` standardises the distance features).
MetricFn = Callable[["PreparedSet", "PreparedSet", CompareSettings, object], MetricOutput]


def _check_metric(name: str, fn: object) -> MetricFn:
    if not callable(fn):
        raise ConfigError(f"metric {name!r}: {fn!r} is not callable")
    return fn


#: The metric registry; plugins register through the entry-point group ``deval.metrics``.
METRICS: Registry[MetricFn] = Registry("metric", group="deval.metrics", check=_check_metric)


def register_metric(name: str):
    """Decorator: register ``fn(real, fake, settings, scaler) -> MetricOutput`` as metric ``name``."""
    def wrap(fn: MetricFn) -> MetricFn:
        return METRICS.register(name, fn)
    return wrap


@register_metric("c2st")
def _c2st_metric(real, fake, settings, scaler) -> MetricOutput:
    res = run_meter(real, fake, settings)
    out = dict(c2st_acc=res.accuracy, c2st_auc=res.roc_auc, c2st_ci_low=res.ci_low, c2st_ci_high=res.ci_high)
    for name, score in res.probes.items():
        out[f"c2st_{name}_acc"] = score["accuracy"]
        out[f"c2st_{name}_auc"] = score["roc_auc"]
    for name, score in res.aspects.items():
        out[f"c2st_aspect_{aspect_key(name)}"] = score["accuracy"]
    return MetricOutput(out, {"c2st": res.to_dict()})


@register_metric("mmd")
def _mmd_metric(real, fake, settings, scaler) -> MetricOutput:
    from deval import metrics as M

    res = M.mmd_test(real.scaled(scaler), fake.scaled(scaler), n_permutations=settings.mmd_permutations,
                     seed=settings.seed)
    return MetricOutput(dict(mmd2=res.mmd2, mmd_p=res.p_value), {"mmd": res.to_dict()})


@register_metric("prd")
def _prd_metric(real, fake, settings, scaler) -> MetricOutput:
    from deval import metrics as M

    res = M.prd_curve(real.scaled(scaler), fake.scaled(scaler), seed=settings.seed)
    return MetricOutput(dict(prd_precision=res.precision, prd_recall=res.recall),
                        {"prd": {k: v for k, v in res.to_dict().items() if not isinstance(v, list)}},
                        curve=(np.asarray(res.precision_curve), np.asarray(res.recall_curve)))


@register_metric("prdc")
def _prdc_metric(real, fake, settings, scaler) -> MetricOutput:
    from deval import metrics as M
    from deval.realism_meter import wilson_interval

    res = M.knn_prdc(real.scaled(scaler), fake.scaled(scaler), k=settings.prdc_k)
    out = dict(knn_precision=res.precision, knn_recall=res.recall, density=res.density, coverage=res.coverage)
    # each is a share of samples (fake inside the real manifold; real inside the fake one; real balls covered)
    for key, value, n in (("knn_precision", res.precision, res.n_fake), ("knn_recall", res.recall, res.n_real),
                          ("coverage", res.coverage, res.n_real)):
        out[f"{key}_ci_low"], out[f"{key}_ci_high"] = wilson_interval(int(round(value * n)), n)
    return MetricOutput(out, {"prdc": res.to_dict()})


@register_metric("distances")
def _distances_metric(real, fake, settings, scaler) -> MetricOutput:
    from deval import metrics as M

    distances = M.feature_distances(real.features, fake.features)
    return MetricOutput(dict(mean_ks=float(distances["ks"].mean()), max_ks=float(distances["ks"].max())),
                        distances=distances)


@register_metric("spectral")
def _spectral_metric(real, fake, settings, scaler) -> MetricOutput:
    from deval import metrics as M

    return MetricOutput(dict(log_spectral_distance_db=M.log_spectral_distance(real.psd, fake.psd)))


@register_metric("actions")
def _actions_metric(real, fake, settings, scaler) -> MetricOutput:
    if real.traj.press is None or fake.traj.press is None:
        return MetricOutput()
    scalars, details = action_comparison(real.traj, fake.traj)
    return MetricOutput(scalars, {"actions": details})


@register_metric("generation")
def _generation_metric(real, fake, settings, scaler) -> MetricOutput:
    scalars, generation = generation_comparison(fake.traj)
    return MetricOutput(scalars, generation)


def metric_names() -> list[str]:
    """Registered metrics: the built-ins in :data:`ALL_METRICS` order, then plugins by name."""
    return [*ALL_METRICS, *sorted(n for n in METRICS.available() if n not in ALL_METRICS)]


def compare_pair(
    real: PreparedSet, fake: PreparedSet, settings: CompareSettings, scaler=None
) -> FakeComparison:
    """Every requested metric of the registry for one fake set against the real set."""
    scaler = scaler or distance_scaler(real)
    out: dict[str, float] = {}
    details: dict[str, dict] = {}
    distances = curve = None
    for name in metric_names():
        if name not in settings.metrics:
            continue
        res = METRICS.get(name)(real, fake, settings, scaler)
        out.update(res.scalars)
        details.update(res.details)
        distances = res.distances if res.distances is not None else distances
        curve = res.curve if res.curve is not None else curve
    return FakeComparison(fake.name, len(fake.traj), {k: float(v) for k, v in out.items()}, details, distances, curve)


def press_profile(traj: Trajectories) -> dict:
    """Presses of a set with a press channel: duty cycle, periods per sequence, durations (s), gesture mix.

    A press period's duration runs from its first pressed point to the first
    point after it (the release), or to one median sampling step past its last
    point when the movement ends pressed.
    """
    from deval import metrics as M

    values, mask = traj.to_padded(channels=("x", "y", "press"))
    t, _ = traj.to_padded(channels=("t",))
    t = t[..., 0]
    periods = M.press_periods(values[..., 2], mask)
    released = periods.stop < traj.lengths[periods.seq]
    dt = np.diff(traj.t)[np.diff(traj.segment_ids) == 0]
    step = float(np.median(dt)) if dt.size else 0.0
    end = np.where(released, t[periods.seq, np.minimum(periods.stop, t.shape[1] - 1)],
                   t[periods.seq, periods.stop - 1] + step)
    values[..., :2] /= GESTURE_SCREEN_HEIGHT
    labels = M.classify_gestures(values, mask)
    return {
        "duty": float(traj.press.mean()) if traj.n_points else float("nan"),
        "presses_per_seq": float(periods.per_sequence().mean()) if len(traj) else float("nan"),
        "durations": end - t[periods.seq, periods.start],
        "mix": M.gesture_mix(labels),
    }


def action_comparison(real: Trajectories, fake: Trajectories) -> tuple[dict[str, float], dict]:
    """The ``actions`` metric group for two sets with a press channel: scalars for the row, and details."""
    from deval import metrics as M

    r, f = press_profile(real), press_profile(fake)
    out = {
        "press_duty": f["duty"], "press_duty_real": r["duty"],
        "presses_per_seq": f["presses_per_seq"], "presses_per_seq_real": r["presses_per_seq"],
        "press_duration_ks": float("nan"), "press_duration_w1_s": float("nan"),
        "gesture_mix_max_diff_pts": M.gesture_mix_difference(r["mix"], f["mix"]),
    }
    if len(r["durations"]) and len(f["durations"]):
        d = M.feature_distances(pd.DataFrame({"press_duration": r["durations"]}),
                                pd.DataFrame({"press_duration": f["durations"]}))
        out.update(press_duration_ks=float(d["ks"].iloc[0]), press_duration_w1_s=float(d["wasserstein"].iloc[0]))
    out.update({f"gesture_{g}_pct": 100.0 * v for g, v in f["mix"].items()})
    details = {
        side: {"press_duty": p["duty"], "presses_per_seq": p["presses_per_seq"], "n_presses": int(len(p["durations"])),
               "press_duration_median_s": float(np.median(p["durations"])) if len(p["durations"]) else None,
               "gesture_mix_pct": {g: 100.0 * v for g, v in p["mix"].items()}}
        for side, p in (("real", r), ("fake", f))
    }
    details["gesture_screen_height_px"] = GESTURE_SCREEN_HEIGHT
    return out, details


#: Metadata columns a learned generator writes: where its network ended each movement before the exact-endpoint
#: correction (pixels).
MODEL_END_COLUMNS = ("uncorrected_end_x", "uncorrected_end_y")
#: Metadata column that numbers the condition (start, target) a movement was generated for.
CONDITION_COLUMN = "condition"


def generation_comparison(fake: Trajectories) -> tuple[dict[str, float], dict]:
    """The ``generation`` metric group, from what the fake set records about its own generation.

    * goal accuracy (:func:`deval.metrics.goal_accuracy`) when the set has the
      :data:`MODEL_END_COLUMNS` (the learned generators write them): the model's
      own end point against the target it was asked for (the movement's
      final point, which the generator then set exactly);
    * diversity (:func:`deval.metrics.diversity`) when several movements share
      a :data:`CONDITION_COLUMN` value (``generate-negatives --per-condition K``).

    Returns empty results for sets without that information (e.g. real data).
    """
    from deval.metrics.generation import diversity, goal_accuracy

    scalars: dict[str, float] = {}
    details: dict[str, dict] = {}
    meta = fake.meta
    if len(fake) and all(c in meta.columns for c in MODEL_END_COLUMNS):
        ends = meta[list(MODEL_END_COLUMNS)].to_numpy(dtype=np.float64)
        cond = fake.endpoints()
        ok = np.isfinite(ends).all(axis=1) & (cond.distance > 0)
        if ok.any():
            res = goal_accuracy(ends[ok], cond.take(np.flatnonzero(ok)))
            scalars.update(goal_distance_err_rel=res.distance_error_rel_median,
                           goal_angle_err_deg=res.angle_error_deg_median)
            details["goal_accuracy"] = res.to_dict()
    if CONDITION_COLUMN in meta.columns:
        groups = meta[CONDITION_COLUMN].to_numpy()
        if len(groups) and np.unique(groups).size < len(groups):
            res = diversity(fake, groups)
            scalars.update(diversity_rel=res.mean_pairwise_rel)
            details["diversity"] = res.to_dict()
    return scalars, details


def _take(ps: PreparedSet, idx: np.ndarray, name: str) -> PreparedSet:
    """Movements ``idx`` of a prepared set."""
    canon = ps.canon.take(idx) if ps.canon is not None else None
    return PreparedSet(name, ps.traj.take(idx), ps.features.iloc[idx].reset_index(drop=True), ps.freqs,
                       ps.psd[idx], canon)


def real_baselines(real: PreparedSet, settings: CompareSettings, max_per_side: int = 2000) -> list[dict]:
    """The realism meter on the real set against itself: random halves and (with user ids) two groups of people.

    Both use the same probes and headline as a fake set's row, so the figures
    compare directly (random halves should read about 0.5; two groups of
    people read above it, because people and their devices differ).
    """
    rng = np.random.default_rng(settings.seed)
    out = []
    n = len(real.traj)
    cap = min(max_per_side, settings.meter_max_samples)
    if n >= 2 * 50:
        perm = rng.permutation(n)
        a, b = np.sort(perm[: n // 2][:cap]), np.sort(perm[n // 2:][:cap])
        res = run_meter(_take(real, a, "a"), _take(real, b, "b"), settings, groups=False, aspects=False)
        out.append({"name": "real vs real (random halves)", "c2st_acc": res.accuracy, "c2st_ci_low": res.ci_low,
                    "c2st_ci_high": res.ci_high, "n": int(len(a) + len(b))})
    users = np.unique(real.traj.user)
    users = users[users >= 0]
    if len(users) >= 2:
        users = rng.permutation(users)
        ia = np.flatnonzero(np.isin(real.traj.user, users[: len(users) // 2]))
        ib = np.flatnonzero(np.isin(real.traj.user, users[len(users) // 2:]))
        ia = np.sort(rng.permutation(ia)[:cap])
        ib = np.sort(rng.permutation(ib)[:cap])
        if len(ia) >= 50 and len(ib) >= 50:
            res = run_meter(_take(real, ia, "a"), _take(real, ib, "b"), settings, groups=False, aspects=False)
            out.append({"name": f"human vs human (two groups of {len(users) // 2}+ people)",
                        "c2st_acc": res.accuracy, "c2st_ci_low": res.ci_low, "c2st_ci_high": res.ci_high,
                        "n": int(len(ia) + len(ib))})
    return out


def _session_rows(real: Trajectories, fakes: Mapping[str, Trajectories], settings: CompareSettings,
                  step: Callable[[str], None]) -> list[dict]:
    """Session-level realism of every fake set (:mod:`deval.session_realism`), the real side prepared once."""
    from deval.session_realism import session_realism, session_reference

    k = settings.session_k
    step(f"sessions of {k}: real")
    try:
        ref = session_reference(real, k, settings)
    except DataError as exc:
        return [{"name": name, "k": k, "not_computed": exc.problem} for name in fakes]
    rows = []
    for name, traj in fakes.items():
        step(f"sessions of {k}: {name}")
        try:
            rows.append({"name": name, **session_realism(real, traj, k, settings, reference=ref).to_dict()})
        except DataError as exc:
            rows.append({"name": name, "k": k, "not_computed": exc.problem})
    return rows


def compare_sets(
    real: Trajectories,
    fakes: Mapping[str, Trajectories],
    settings: CompareSettings | None = None,
    *,
    real_name: str = "real",
    progress: Callable[[str], None] | None = None,
    real_for: Mapping[str, Trajectories] | None = None,
) -> CompareResult:
    """Compare every fake set with ``real``.

    Parameters
    ----------
    real : Trajectories
        Reference (human) movements in pixels and seconds.
    fakes : mapping of name -> Trajectories
        Sets to judge; each gets one row.
    settings : CompareSettings, optional
        Seeds, sample caps, metric and feature selection.
    progress : callable, optional
        Called with a short message before each step (the CLI's progress bar).
    real_for : mapping of fake name -> Trajectories, optional
        Judge that fake set against this part of the real set only (e.g. the
        real movements of its condition, :func:`condition_labels`;
        ``compare --by-condition``).

    Returns
    -------
    CompareResult
    """
    settings = settings or CompareSettings()
    step = progress or (lambda msg: None)
    if not fakes:
        raise ConfigError("give at least one fake set")
    step("features: real")
    real_p = prepare(real, real_name, settings)
    fake_ps = []
    for name, traj in fakes.items():
        step(f"features: {name}")
        fake_ps.append(prepare(traj, name, settings))
    scaler = distance_scaler(real_p)
    rows = []
    real_parts: dict[int, tuple[PreparedSet, object]] = {}
    for fp in fake_ps:
        step(f"metrics: {fp.name}")
        ref, ref_scaler = real_p, scaler
        if real_for is not None and fp.name in real_for:  # a row judged against its own part of the real set
            part = real_for[fp.name]
            if id(part) not in real_parts:
                sub = prepare(part, f"{real_name} ({fp.name})", settings)
                real_parts[id(part)] = (sub, distance_scaler(sub))
            ref, ref_scaler = real_parts[id(part)]
        rows.append(compare_pair(ref, fp, settings, ref_scaler))
        log.info("%s: %s", fp.name, rows[-1].metrics)
    baselines = []
    if settings.baselines and "c2st" in settings.metrics:
        step("baselines: real vs real")
        baselines = real_baselines(real_p, settings)
    sessions = _session_rows(real, fakes, settings, step) if settings.session_k else []
    return CompareResult(real_p, fake_ps, rows, baselines, settings, real_name, sessions)


def realism_scores(real: Trajectories, fake: Trajectories, *, seed: int = 0,
                   metrics: tuple[str, ...] = ("c2st", "mmd", "prd", "prdc"),
                   max_samples: int | None = None, aspects: bool = True) -> dict[str, float]:
    """Realism of ``fake`` against ``real`` through the ``deval compare`` path, as one flat dict.

    The metric dict of :func:`compare_pair` (``c2st_acc`` -- the meter's
    headline --, its interval and every probe, ``mmd2``, ``prd_precision``,
    ``knn_precision``, ``coverage``, ... for the requested ``metrics``); the MMD
    permutation test is skipped. Training validation, the benchmarks and the
    ``--use_diffusion_eval`` hook use it, so the number a model is chosen by is
    the number ``deval compare`` shows.
    """
    settings = CompareSettings(seed=seed, max_samples=max_samples, metrics=tuple(metrics), mmd_permutations=0,
                               baselines=False, aspects=aspects)
    r = prepare(real, "real", settings)
    f = prepare(fake, "fake", settings)
    return dict(compare_pair(r, f, settings).metrics)
