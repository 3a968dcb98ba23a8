"""Held-out bot-style evaluation: does a detector catch the styles it never saw?

:func:`evaluate_holdout` trains detector heads on real movements (label 0)
against bot movements of several styles (label 1) and scores them on
movements of people and styles they did not train on.

Protocol
--------
*User-grouped split.* The real movements are split by person (``user``;
``session`` when users are unknown) into a training and a test part, so no
person is on both sides. Bot movements are split the same way when they
carry the real users (negatives made with ``--like REAL`` often do), and at
random otherwise.

*Leave-one-style-out* (default). For every style ``s``: train on the real
training people + the training part of every other style; score the real test
people and the test part of ``s`` ("held-out" rows). One more model trained on
every style gives the "seen" rows (each style's test part: how well the style
is caught when it *was* in training) and the human-vs-human baseline.

*Test negatives.* With ``test_negatives``, one model is trained on every
style of ``negatives`` and each style of ``test_negatives`` is a held-out row.

*Leave-one-family-out.* Bots that record the parts they were built from
(``composite``: ``path``, ``speed``, ``timing``, ``noise`` columns) are split
by the value of one of those columns (``family``): for each value ``v``, train
on everything except the movements with ``family == v`` and test on those
("path=bezier"...). Styles without the column are always trained on.

*Logger augmentation.* With ``augment_loggers = K``, every training movement,
human or bot, is also seen re-recorded by one of K random loggers
(:func:`deval.loggers.draw_loggers`), so that a logger's clock is not a cue.

*Cross-logger false alarms.* The held-out people are re-recorded by each
logger of :data:`deval.loggers.LOGGERS` and scored by the all-styles model;
the share flagged per movement (at the threshold that flags 1% of the held-out
people as logged) and per 10-movement session (at a session threshold set on
the same people's sessions through many random loggers) gives
``cross_logger`` (one row per view and logger; :mod:`deval.detectors.cross_logger`).

*Human-vs-human baseline.* The real test people are split in two groups of
people, and group B is scored as if it were a bot style against group A with
the all-styles model. It should read ROC-AUC ~0.5 and TPR ~ the target FPR:
the floor a style reaches when the detector cannot tell it from unseen people.

*Weights.* Humans and bots carry equal total weight in training, and every
training style an equal share of the bot weight.

*Metrics.* ROC-AUC, PR-AUC, EER, TPR at FPR 1% and 0.1%, F1 at p = 0.5
(:mod:`deval.detectors.metrics`), with percentile bootstrap intervals that
resample people (humans) and movements or sessions (bots) within each class.

*Session fusion.* With ``session_k``, the scores of ``k`` consecutive
movements of one session (by ``t_start`` when known) are fused by the mean of
their log-odds and evaluated as one decision ("session-k" rows next to the
single-movement rows). Bots without sessions form windows of ``k`` movements
in file order.

*Views.* Everything is repeated for each view (``raw``, ``60hz``...), applied
identically to humans and bots.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from deval.detectors.metrics import METRIC_NAMES, bootstrap_metrics, detection_metrics
from deval.detectors.registry import make_detector
from deval.detectors.views import View, parse_view
from deval.detectors.cross_logger import CALIBRATION_LOGGERS, cross_logger_rows
from deval.sessions import fuse_sessions, session_windows
from deval.loggers import LOGGERS
from deval.errors import ConfigError, DataError
from deval.trajectories import Trajectories

log = logging.getLogger(__name__)

__all__ = [
    "EvaluationResult", "EvaluationSettings", "cross_logger_rows", "evaluate_holdout", "family_styles",
    "fuse_sessions", "session_windows",
    "split_by_group", "style_sets", "training_weights",
]

HOLDOUTS = ("leave-one-style-out", "test-negatives", "leave-one-family-out")
FAMILY_COLUMNS = ("path", "speed", "timing", "noise", "duration_model")
#: suffix of the styles given as ``train_only`` (never tested; held out with their family)
TRAIN_ONLY = " (train only)"
HUMAN_BASELINE = "human (other people)"


@dataclass(frozen=True)
class EvaluationSettings:
    """Every setting that changes the numbers of an evaluation (stored with the result)."""

    head: str = "hgb"
    head_params: dict = field(default_factory=dict)
    views: tuple[str, ...] = ("logger-robust",)
    holdout: str = "leave-one-style-out"
    test_fraction: float = 0.3
    seed: int = 0
    session_k: tuple[int, ...] = ()
    n_bootstrap: int = 1000
    alpha: float = 0.05
    max_per_set: int | None = None
    resample_hz: float = 60.0
    jitter: float = 0.1
    family: str = "path"
    augment_loggers: int = 0
    cross_logger: bool = True

    def __post_init__(self) -> None:
        if self.holdout not in HOLDOUTS:
            raise ConfigError(f"holdout must be one of {', '.join(HOLDOUTS)}, got {self.holdout!r}")
        if self.family not in FAMILY_COLUMNS:
            raise ConfigError(f"family must be one of {', '.join(FAMILY_COLUMNS)}, got {self.family!r}")
        if self.augment_loggers < 0:
            raise ConfigError(f"augment_loggers must be >= 0, got {self.augment_loggers}")
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if any(int(k) < 2 for k in self.session_k):
            raise ConfigError(f"session_k values must be >= 2, got {self.session_k}")
        if self.n_bootstrap < 0:
            raise ConfigError(f"n_bootstrap must be >= 0, got {self.n_bootstrap}")
        if self.max_per_set is not None and self.max_per_set < 10:
            raise ConfigError(f"max_per_set must be >= 10, got {self.max_per_set}")
        if not self.views:
            raise ConfigError("give at least one view")

    def parsed_views(self) -> list[View]:
        return [parse_view(v, rate_hz=self.resample_hz, jitter=self.jitter, seed=self.seed) for v in self.views]


@dataclass
class EvaluationResult:
    """Output of :func:`evaluate_holdout`.

    Attributes
    ----------
    metrics : DataFrame
        One row per (view, setting, style, level): ``view, setting, style, level,
        k, n_bot, n_human`` then every metric of :data:`~deval.detectors.metrics.METRIC_NAMES`
        with ``<metric>_lo`` / ``<metric>_hi`` bootstrap bounds. ``setting`` is
        ``held-out``, ``seen`` or ``baseline``; ``level`` is ``movement`` or
        ``session-<k>``.
    scores : DataFrame
        Every test score: ``view, model, setting, style, source, index, user,
        session, label, score`` (``score`` = log-odds of bot; ``source`` and
        ``index`` locate the movement in :attr:`sets`; ``model`` names the
        style left out, or ``all``).
    sets : dict of name -> Trajectories
        The evaluated sets (``real`` and one per style, after ``max_per_set``).
    split : dict
        Training and test people (``train_groups``, ``test_groups``), group kind.
    settings : EvaluationSettings
    timings : dict
        Seconds spent per stage.
    models : dict
        ``(view, model) -> number of parameters`` of every trained model.
    """

    metrics: pd.DataFrame
    scores: pd.DataFrame
    sets: dict[str, Trajectories]
    split: dict
    settings: EvaluationSettings
    timings: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    cross_logger: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self, level: str = "movement", setting: str | None = None,
              columns: Sequence[str] = ("roc_auc", "tpr_at_fpr_1pct")) -> pd.DataFrame:
        """Compact table: one row per style, one column per (view, metric)."""
        m = self.metrics[self.metrics["level"] == level]
        if setting is not None:
            m = m[m["setting"] == setting]
        wide = m.pivot_table(index=["setting", "style"], columns="view", values=list(columns), sort=False)
        wide.columns = [f"{metric} ({view})" for metric, view in wide.columns]
        return wide.reset_index()

    def to_dict(self) -> dict:
        """JSON-ready summary (settings, split, timings, model sizes, metrics)."""
        return {
            "settings": asdict(self.settings),
            "split": self.split,
            "timings": self.timings,
            "models": {f"{v}/{m}": n for (v, m), n in self.models.items()},
            "sets": {k: len(v) for k, v in self.sets.items()},
            "metrics": self.metrics.to_dict(orient="records"),
            "cross_logger": self.cross_logger.to_dict(orient="records"),
        }


# --------------------------------------------------------------------- inputs
def style_sets(
    negatives: "Trajectories | Mapping[str, Trajectories] | Sequence[Trajectories]", what: str = "negatives"
) -> dict[str, Trajectories]:
    """Bot movements per style name (labels set to 1).

    A mapping gives the names; otherwise each batch is split by its ``style``
    metadata column (a batch whose style reads ``human`` is named
    ``<what>-<i>``).
    """
    out: dict[str, Trajectories] = {}
    if isinstance(negatives, Trajectories):
        items = [(None, negatives)]
    elif isinstance(negatives, Mapping):
        items = list(negatives.items())
    else:
        items = [(None, t) for t in negatives]
    for i, (name, traj) in enumerate(items):
        if not isinstance(traj, Trajectories):
            raise DataError(f"<{what}>", f"expected Trajectories, got {type(traj).__name__}")
        if len(traj) == 0:
            raise DataError(f"<{what}>", f"set {name or i} has no movements")
        if name is not None:
            groups = {str(name): traj}
        else:
            styles = traj.style.astype(str)
            groups = {}
            for s in pd.unique(styles):
                label = str(s) if s and s != "human" else f"{what}-{i}"
                groups[label] = traj[styles == s]
        for s, t in groups.items():
            if s in out:
                out[s] = Trajectories.concat([out[s], t])
            else:
                out[s] = t
    return {s: t.with_meta(style=s, label=1) for s, t in out.items()}


def _group_ids(traj: Trajectories) -> tuple[np.ndarray, str]:
    """Person id of every movement as strings, and what they are (user / session / movement)."""
    users = traj.user
    if (users >= 0).all() and len(np.unique(users)) >= 2:
        return users.astype(str), "user"
    sessions = traj.meta["session"].astype(str).to_numpy()
    if (sessions != "").all() and len(np.unique(sessions)) >= 2:
        log.warning("real movements lack user ids for 2+ people: splitting by session instead")
        return sessions, "session"
    log.warning("real movements have neither user ids nor sessions for 2+ groups: splitting by movement, "
                "so the same person can be on both sides")
    return np.arange(len(traj)).astype(str), "movement"


def split_by_group(groups: np.ndarray, test_fraction: float, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle distinct groups and put about ``test_fraction`` of them on the test side.

    Returns the sorted ``(train_groups, test_groups)``; at least one group on each side.
    """
    uniq = np.unique(groups)
    if len(uniq) < 2:
        raise DataError("<real>", "need movements of at least 2 people to split by person")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(uniq)
    n_test = int(np.clip(round(test_fraction * len(uniq)), 1, len(uniq) - 1))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


# -------------------------------------------------------------- session fusion
# ------------------------------------------------------------------- protocol
def _row(view: str, setting: str, style: str, level: str, k: int, labels: np.ndarray, scores: np.ndarray,
         clusters: np.ndarray, settings: EvaluationSettings) -> dict:
    row = {"view": view, "setting": setting, "style": style, "level": level, "k": k}
    if (labels == 1).sum() == 0 or (labels == 0).sum() == 0:
        row.update(n_bot=int((labels == 1).sum()), n_human=int((labels == 0).sum()))
        row.update({m: np.nan for m in METRIC_NAMES})
        return row
    if settings.n_bootstrap > 0:
        bs = bootstrap_metrics(labels, scores, clusters=clusters, n_boot=settings.n_bootstrap,
                               alpha=settings.alpha, seed=settings.seed)
        point = detection_metrics(labels, scores)
        row.update(n_bot=point["n_bot"], n_human=point["n_human"])
        for m in METRIC_NAMES:
            row[m] = point[m]
            row[f"{m}_lo"] = bs.loc[m, "ci_low"]
            row[f"{m}_hi"] = bs.loc[m, "ci_high"]
    else:
        point = detection_metrics(labels, scores)
        row.update({k2: point[k2] for k2 in ("n_bot", "n_human", *METRIC_NAMES)})
    return row


def training_weights(y: np.ndarray, styles: np.ndarray) -> np.ndarray:
    """Humans: half of the weight; bots: the other half, shared equally by styles (mean weight 1)."""
    w = np.zeros(len(y))
    humans = y == 0
    w[humans] = 0.5 / max(humans.sum(), 1)
    bot_styles = np.unique(styles[~humans])
    for s in bot_styles:
        sel = (~humans) & (styles == s)
        w[sel] = 0.5 / (len(bot_styles) * sel.sum())
    return w * len(y)


def family_styles(styles: dict[str, Trajectories], family: str) -> tuple[dict[str, Trajectories], list[str]]:
    """Split every style whose movements record ``family`` into one style per value (``"path=bezier"``).

    Returns the new style sets and the names of the family styles (the ones
    leave-one-family-out holds out); styles without the column are unchanged.
    """
    out: dict[str, Trajectories] = {}
    held: list[str] = []
    for name, traj in styles.items():
        col = traj.meta[family].astype(str).to_numpy() if family in traj.meta else None
        if col is None or (col == "").all() or (col == "nan").all():
            out[name] = traj
            continue
        for value in sorted(pd.unique(col)):
            label = f"{family}={value}"
            part = traj[col == value].with_meta(style=label)
            out[label] = Trajectories.concat([out[label], part]) if label in out else part
            if label not in held:
                held.append(label)
    return out, held


def _plans(settings: EvaluationSettings, train_styles: dict, held: list[str]) -> list[tuple[str, list[str]]]:
    """The models to train: (name, styles it trains on); ``all`` first."""
    plans = [("all", list(train_styles))]
    if settings.holdout == "leave-one-style-out":
        tested = [s for s in train_styles if not s.endswith(TRAIN_ONLY)]
        plans += [(s, [o for o in train_styles if o != s]) for s in tested]
    elif settings.holdout == "leave-one-family-out":
        plans += [(s, [o for o in train_styles if o not in (s, f"{s}{TRAIN_ONLY}")]) for s in held]
    return plans


def _test_masks(real: Trajectories, train_styles: dict, test_styles: dict, settings: EvaluationSettings
                ) -> tuple[dict[str, np.ndarray], dict, np.ndarray]:
    """Test part of every set (people split by person; bots follow the people when linked, else at random)."""
    groups, kind = _group_ids(real)
    train_groups, test_groups = split_by_group(groups, settings.test_fraction, settings.seed)
    is_test: dict[str, np.ndarray] = {"real": np.isin(groups, test_groups)}
    rng = np.random.default_rng(settings.seed)
    linked_map: dict[str, bool] = {}
    for s, t in {**train_styles, **test_styles}.items():
        if s in test_styles or s.endswith(TRAIN_ONLY):
            is_test[s] = np.full(len(t), s in test_styles, dtype=bool)
            linked_map[s] = False
            continue
        g = t.user.astype(str) if kind == "user" else t.meta["session"].astype(str).to_numpy()
        linked = linked_map[s] = bool(kind != "movement" and np.isin(g, groups).all())
        if linked:
            is_test[s] = np.isin(g, test_groups)
        else:
            is_test[s] = np.zeros(len(t), dtype=bool)
            is_test[s][rng.permutation(len(t))[: int(round(settings.test_fraction * len(t)))]] = True
        if is_test[s].all() or not is_test[s].any():
            raise DataError(f"<{s}>", "the style has too few movements to split into training and test parts")
    split = {
        "group_kind": kind, "train_groups": train_groups.tolist(), "test_groups": test_groups.tolist(),
        "n_real_train": int((~is_test["real"]).sum()), "n_real_test": int(is_test["real"].sum()),
        "bots_linked_to_people": linked_map,
    }
    # baseline: the test people cut in two groups of people
    test_g = np.asarray(test_groups)
    half = np.sort(np.random.default_rng(settings.seed + 1).permutation(test_g)[: len(test_g) // 2])
    baseline_pos = np.isin(groups, half) & is_test["real"]
    return is_test, split, baseline_pos


def evaluate_holdout(
    real: Trajectories,
    negatives: "Trajectories | Mapping[str, Trajectories] | Sequence[Trajectories]",
    *,
    test_negatives: "Trajectories | Mapping[str, Trajectories] | Sequence[Trajectories] | None" = None,
    holdout: str | None = None,
    family: str = "path",
    head: str = "hgb",
    head_params: dict | None = None,
    views: Sequence[str] = ("logger-robust",),
    session_k: Sequence[int] = (),
    test_fraction: float = 0.3,
    n_bootstrap: int = 1000,
    alpha: float = 0.05,
    max_per_set: int | None = None,
    resample_hz: float = 60.0,
    jitter: float = 0.1,
    augment_loggers: int = 0,
    cross_logger: bool = True,
    train_only: "Trajectories | Mapping[str, Trajectories] | Sequence[Trajectories] | None" = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Train detectors and score them on held-out people and bot styles (see module docstring).

    Parameters
    ----------
    real : Trajectories
        Human movements (labels are set to 0), with ``user`` ids for the
        person-grouped split (``session`` is used when users are unknown).
    negatives : Trajectories, mapping or sequence of them
        Bot movements; styles come from the mapping keys or the ``style``
        column. Leave-one-style-out needs at least 2 styles.
    test_negatives : same, optional
        Styles used only for testing (switches to the test-negatives protocol).
    holdout : str, optional
        ``leave-one-style-out`` (default without ``test_negatives``),
        ``test-negatives`` or ``leave-one-family-out``.
    family : str
        With leave-one-family-out: the part column held out (``path``,
        ``speed``, ``timing``, ``noise`` or ``duration_model``).
    head : str
        Detector head (``hgb``, ``logistic``, ``cnn``, ``gru``).
    head_params : dict, optional
        Extra constructor parameters of the head (e.g. ``{"epochs": 5}``).
    views : sequence of str
        ``raw``, ``resampled``, ``<rate>hz`` or ``logger-robust`` (see :mod:`deval.detectors.views`).
    session_k : sequence of int
        Window sizes of session fusion (each >= 2); empty for none.
    test_fraction : float
        Fraction of people (and of unlinked bot movements) in the test part.
    n_bootstrap : int
        Bootstrap replicates of the confidence intervals (0: none).
    alpha : float
        1 - confidence level.
    max_per_set : int, optional
        Subsample the real set and every style to at most this many movements.
    resample_hz, jitter : float
        Rate and jitter of the resampled views.
    augment_loggers : int
        Random loggers that re-record every training movement (0: none).
    cross_logger : bool
        Measure false alarms on the held-out people re-recorded by :data:`~deval.loggers.LOGGERS`.
    train_only : Trajectories, mapping or sequence of them, optional
        Negatives used for training only (e.g. mined ones): never tested, and
        under leave-one-family-out held out with their family.
    seed : int
        Seeds the split, subsampling, views, models and bootstrap.
    progress : callable, optional
        Called with a message at the start of every step.

    Returns
    -------
    EvaluationResult
    """
    if holdout is None:
        holdout = "test-negatives" if test_negatives is not None else "leave-one-style-out"
    settings = EvaluationSettings(
        head=head, head_params=dict(head_params or {}), views=tuple(views), holdout=holdout,
        test_fraction=test_fraction, seed=seed, session_k=tuple(int(k) for k in session_k),
        n_bootstrap=n_bootstrap, alpha=alpha, max_per_set=max_per_set, resample_hz=resample_hz, jitter=jitter,
        family=family, augment_loggers=int(augment_loggers), cross_logger=bool(cross_logger),
    )
    step = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    real, train_styles, test_styles, held = _input_sets(real, negatives, test_negatives, settings, train_only)
    sets: dict[str, Trajectories] = {"real": real, **train_styles, **test_styles}
    is_test, split, baseline_pos = _test_masks(real, train_styles, test_styles, settings)

    names = list(sets)
    all_traj = Trajectories.concat([sets[n] for n in names])
    sizes = np.array([len(sets[n]) for n in names])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    pos = {n: np.arange(starts[i], starts[i + 1]) for i, n in enumerate(names)}
    labels_all = np.concatenate([np.full(len(sets[n]), 0 if n == "real" else 1) for n in names])
    style_all = np.concatenate([np.full(len(sets[n]), n, dtype=object) for n in names])
    n_all = len(all_traj)
    if settings.augment_loggers:  # every movement also re-recorded by a random logger; training uses both copies
        from deval.loggers import draw_loggers, relog_each

        step(f"re-recording {n_all} movements through {settings.augment_loggers} random loggers")
        loggers = draw_loggers(settings.augment_loggers, np.random.default_rng(seed + 7))
        all_traj = Trajectories.concat([all_traj, relog_each(all_traj, loggers, seed + 7)])
    timings["setup"] = time.perf_counter() - t0

    metric_rows: list[dict] = []
    score_frames: list[pd.DataFrame] = []
    cross_rows: list[dict] = []
    # the held-out people through every other logger: the same movements for every view
    people = real[is_test["real"]]
    relogged, calibration = {}, None
    if settings.cross_logger:
        from deval.loggers import draw_loggers, relog_each

        relogged = {name: lg.relog(people, seed) for name, lg in LOGGERS.items()}
        calibration = relog_each(people, draw_loggers(CALIBRATION_LOGGERS, np.random.default_rng(seed + 11)),
                                 seed + 11, groups=people.meta["session"].astype(str).to_numpy())
    models: dict = {}
    for view in settings.parsed_views():
        vname = view.name
        params = {"view": view.kind, "resample_hz": view.rate_hz, "jitter": view.jitter, "seed": seed,
                  **settings.head_params}
        proto = make_detector(head, **params)
        step(f"{vname}: preparing {len(all_traj)} movements")
        t1 = time.perf_counter()
        inputs = proto.prepare(all_traj)
        timings[f"prepare {vname}"] = time.perf_counter() - t1
        for model_name, styles in _plans(settings, train_styles, held):
            step(f"{vname}: training {head} without {model_name}" if model_name != "all"
                 else f"{vname}: training {head} on all styles")
            t1 = time.perf_counter()
            tr_idx = np.concatenate([pos["real"][~is_test["real"]]] + [pos[s][~is_test[s]] for s in styles])
            if settings.augment_loggers:
                tr_idx = np.concatenate([tr_idx, tr_idx + n_all])
            y = labels_all[tr_idx % n_all]
            w = training_weights(y, style_all[tr_idx % n_all])
            det = make_detector(head, **params)
            det.fit_prepared(inputs[tr_idx], y, w)
            models[(vname, model_name)] = det.n_parameters()
            timings[f"train {vname} {model_name}"] = time.perf_counter() - t1
            scored = ["real", *train_styles, *test_styles] if model_name == "all" else ["real", model_name]
            te_idx = np.concatenate([pos[n][is_test[n]] for n in scored])
            t1 = time.perf_counter()
            scores = det.decision_prepared(inputs[te_idx])
            timings[f"score {vname} {model_name}"] = time.perf_counter() - t1
            frame = _score_frame(vname, model_name, styles, te_idx, scores, style_all, labels_all, starts, all_traj)
            frame["baseline_bot"] = np.concatenate([baseline_pos[is_test["real"]],
                                                    np.zeros(len(te_idx) - int(is_test["real"].sum()), bool)])
            score_frames.append(frame)
            step(f"{vname}: metrics of {model_name}")
            metric_rows.extend(_rows_for_model(frame, vname, model_name, styles, settings))
            if model_name == "all" and settings.cross_logger:
                step(f"{vname}: held-out people through {len(LOGGERS)} other loggers")
                human_scores = scores[: int(is_test["real"].sum())]
                cross_rows.extend(cross_logger_rows(det, relogged, people, human_scores, vname,
                                                    calibration=calibration, k=10))
    timings["total"] = time.perf_counter() - t0
    metrics = pd.DataFrame(metric_rows)
    ranks = [
        metrics["view"].map({v.name: i for i, v in enumerate(settings.parsed_views())}),
        metrics["level"].map({"movement": 0, **{f"session-{k}": i + 1 for i, k in enumerate(settings.session_k)}}),
        metrics["setting"].map({"held-out": 0, "seen": 1, "baseline": 2}),
        metrics["style"].map({st: i for i, st in enumerate([*train_styles, *test_styles, HUMAN_BASELINE])}),
    ]
    metrics = metrics.iloc[np.lexsort([r.to_numpy() for r in reversed(ranks)])]
    return EvaluationResult(metrics.reset_index(drop=True), pd.concat(score_frames, ignore_index=True), sets,
                            split, settings, timings, models, pd.DataFrame(cross_rows))


def _input_sets(real, negatives, test_negatives, settings: EvaluationSettings, train_only=None):
    """Checked, labelled and subsampled sets: ``(real, train_styles, test_styles, held-out family styles)``.

    ``train_only`` styles join ``train_styles`` named ``"<style> (train only)"`` (per family value under
    leave-one-family-out, so that a held-out family is held out of them too); they are never tested.
    """
    if not isinstance(real, Trajectories) or len(real) == 0:
        raise DataError("<real>", "need a non-empty Trajectories of real movements")
    train_styles = style_sets(negatives, "negatives")
    test_styles = style_sets(test_negatives, "test-negatives") if test_negatives is not None else {}
    if settings.holdout == "test-negatives" and not test_styles:
        raise ConfigError("the test-negatives protocol needs test negatives")
    for s in list(test_styles):
        if s in train_styles or s == "real":
            test_styles[f"{s} (test)"] = test_styles.pop(s)
    if "real" in train_styles:
        train_styles["real (bot)"] = train_styles.pop("real")
    held: list[str] = []
    if settings.holdout == "leave-one-family-out":
        train_styles, held = family_styles(train_styles, settings.family)
        if len(held) < 2:
            raise ConfigError(
                f"leave-one-family-out needs negatives whose {settings.family!r} column holds 2+ values "
                f"(e.g. deval generate-negatives -s composite); found {len(held)}")
    if settings.holdout == "leave-one-style-out" and len(train_styles) < 2:
        raise ConfigError(
            f"leave-one-style-out needs at least 2 bot styles, got {len(train_styles)} "
            f"({', '.join(train_styles)}); give more styles or --test-negatives"
        )
    if train_only is not None:
        extra = style_sets(train_only, "train-only")
        if settings.holdout == "leave-one-family-out":
            extra, _ = family_styles(extra, settings.family)
        train_styles.update({f"{k}{TRAIN_ONLY}": t.with_meta(style=f"{k}{TRAIN_ONLY}") for k, t in extra.items()})
    real = real.with_meta(label=0)
    if settings.max_per_set is not None:
        m, seed = settings.max_per_set, settings.seed
        real = real.subsample(m, seed=seed)
        train_styles = {s: t.subsample(m, seed=seed) for s, t in train_styles.items()}
        test_styles = {s: t.subsample(m, seed=seed) for s, t in test_styles.items()}
    return real, train_styles, test_styles, held


def _score_frame(vname, model_name, styles, te_idx, scores, style_all, labels_all, starts, all_traj) -> pd.DataFrame:
    """One row per scored test movement: where it comes from, who made it, its score."""
    source = style_all[te_idx]
    local = te_idx - starts[np.searchsorted(starts, te_idx, side="right") - 1]
    meta = all_traj.meta.iloc[te_idx]
    return pd.DataFrame({
        "view": vname, "model": model_name,
        "setting": np.where(source == "real", "human", np.where(np.isin(source, styles), "seen", "held-out")),
        "style": source, "source": source, "index": local,
        "user": meta["user"].to_numpy(), "session": meta["session"].astype(str).to_numpy(),
        "t_start": meta["t_start"].to_numpy(dtype=np.float64) if "t_start" in meta else np.nan,
        "label": labels_all[te_idx], "score": scores,
    })


def _rows_for_model(frame: pd.DataFrame, vname: str, model_name: str, styles: list[str],
                    settings: EvaluationSettings) -> list[dict]:
    """Metric rows (movement and session levels) of one trained model's test scores."""
    rows = []
    humans = frame[frame["label"] == 0]
    comparisons: list[tuple[str, str, pd.DataFrame, pd.DataFrame]] = []
    for s in pd.unique(frame.loc[frame["label"] == 1, "style"]):
        setting = "seen" if s in styles else "held-out"
        if model_name == "all" and setting == "held-out" and settings.holdout == "leave-one-style-out":
            continue  # cannot happen: the all-styles model saw every style
        comparisons.append((setting, str(s), humans, frame[frame["style"] == s]))
    if model_name == "all":
        neg = humans[~humans["baseline_bot"]]
        pos = humans[humans["baseline_bot"]].assign(label=1)
        comparisons.append(("baseline", HUMAN_BASELINE, neg, pos))
    for setting, style, neg, pos in comparisons:
        both = pd.concat([neg, pos], ignore_index=True)
        labels = both["label"].to_numpy()
        clusters = np.where(labels == 0, "u" + both["user"].astype(str).to_numpy(),
                            "m" + np.arange(len(both)).astype(str))
        if setting == "baseline":
            clusters = "u" + both["user"].astype(str).to_numpy()
        rows.append(_row(vname, setting, style, "movement", 1, labels, both["score"].to_numpy(), clusters, settings))
        for k in settings.session_k:
            fused, fl, fc = [], [], []
            for part, lab in ((neg, 0), (pos, 1)):
                win = session_windows(part, k)
                f = fuse_sessions(part["score"].to_numpy(), win)
                users = pd.Series(part["user"].to_numpy()[win >= 0]).groupby(win[win >= 0]).first().to_numpy()
                fused.append(f)
                fl.append(np.full(len(f), lab))
                if lab == 0 or setting == "baseline":
                    fc.append(np.char.add("u", users.astype(str)))
                else:
                    fc.append(np.char.add("w", np.arange(len(f)).astype(str)))
            rows.append(_row(vname, setting, style, f"session-{k}", k, np.concatenate(fl), np.concatenate(fused),
                             np.concatenate(fc), settings))
    return rows
