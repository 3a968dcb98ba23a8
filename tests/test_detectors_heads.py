"""Detector heads: scikit-learn conformance, what they learn, determinism, views and safe persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from detector_negatives import straight_constant_speed
from deval.canonical import resample, to_deltas
from deval.detectors import load_detector, make_detector, save_detector
from deval.detectors.cnn_head import CNNDetector, DeltaCNN
from deval.detectors.feature_heads import HGBFeatureClassifier, LogisticFeatureClassifier
from deval.detectors.metrics import roc_auc
from deval.detectors.module_head import ModuleFeatureDetector
from deval.detectors.sequence_data import DeltaBatch, flat_steps
from deval.detectors.tree_ensemble import TreeEnsemble
from deval.detectors.views import View, movement_jitter, parse_view
from deval.errors import CheckpointError, ConfigError, DataError, OutputExistsError
from deval.trajectories import Trajectories


@parametrize_with_checks([LogisticFeatureClassifier(), HGBFeatureClassifier(max_iter=5)])
def test_sklearn_conformance(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def people(sapimouse):
    """Real movements of two disjoint groups of people (train: users 1-20, test: users 50-72)."""
    train = sapimouse[np.isin(sapimouse.user, np.arange(1, 21))].subsample(300, seed=0)
    test = sapimouse[np.isin(sapimouse.user, np.arange(50, 73))].subsample(300, seed=1)
    return train, test


@pytest.fixture(scope="module")
def lines(people):
    """Real movements vs straight constant-speed lines with the same endpoints and timestamps."""
    train, test = people
    return (Trajectories.concat([train, straight_constant_speed(train)]),
            Trajectories.concat([test, straight_constant_speed(test)]))


@pytest.fixture(scope="module")
def fitted(lines):
    """One fitted detector per head (small settings), trained on real vs lines."""
    train, _ = lines
    critic = CNNDetector(epochs=3, seed=0).fit(train)
    return {
        "hgb": make_detector("hgb", max_iter=40).fit(train),
        "logistic": make_detector("logistic").fit(train),
        "cnn": critic,
        "gru": make_detector("gru", epochs=3, seed=0).fit(train),
        "density": make_detector("density").fit(train),
        "hybrid": make_detector("hybrid", max_iter=60).fit(train),
        "module": ModuleFeatureDetector(module=critic.module_, normalizer=critic.normalizer_).fit(train),
    }


# ------------------------------------------------------------ tree export
def test_tree_ensemble_reproduces_sklearn():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 6))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + X[:, 1] ** 2 + rng.normal(0, 0.5, 800) > 1).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    ens = TreeEnsemble.from_sklearn(model)
    np.testing.assert_array_equal(ens.decision_function(X), model.decision_function(X))
    back = TreeEnsemble.from_arrays(ens.to_arrays())
    np.testing.assert_array_equal(back.decision_function(X), model.decision_function(X))
    bad = ens.to_arrays()
    bad["left"] = bad["left"] + 10_000
    with pytest.raises(CheckpointError, match="inconsistent"):
        TreeEnsemble.from_arrays(bad)


# ---------------------------------------------------------- what they learn
@pytest.mark.parametrize("head", ["hgb", "logistic", "cnn", "gru", "module", "density", "hybrid"])
def test_heads_separate_lines_from_people_they_never_saw(fitted, lines, head):
    _, test = lines
    auc = roc_auc(test.label, fitted[head].decision_function(test))
    assert auc > 0.9, f"{head}: ROC-AUC {auc:.3f}"


def test_density_never_sees_a_bot_and_flags_about_one_percent_of_new_people(lines):
    """The density head learns from people only: training without any bot scores the same as with bots,
    and 0 on its scale sits near the 99th percentile of people it never saw."""
    train, test = lines
    humans = train[train.label == 0]
    with_bots = make_detector("density").fit(train)
    alone = make_detector("density").fit(Trajectories.concat([humans, train[train.label == 1][:2]]))
    np.testing.assert_allclose(with_bots.decision_function(test), alone.decision_function(test))
    people = test[test.label == 0]
    assert 0.0 <= np.mean(with_bots.decision_function(people) > 0) <= 0.05


def test_probabilities_predictions_and_params(fitted, lines):
    _, test = lines
    det = fitted["cnn"]
    d = det.decision_function(test)
    p = det.predict_proba(test)
    np.testing.assert_allclose(p[:, 1], expit(d))
    np.testing.assert_allclose(p.sum(1), 1.0)
    np.testing.assert_array_equal(det.predict(test), (d >= 0).astype(int))
    assert det.get_params()["epochs"] == 3
    fresh = clone(det)
    assert not hasattr(fresh, "module_") and fresh.get_params() == det.get_params()
    with pytest.raises(NotFittedError):
        fresh.decision_function(test)
    assert 10_000 <= det.n_parameters() <= 100_000
    assert 10_000 <= fitted["gru"].n_parameters() <= 100_000


def test_sequence_heads_are_seeded(lines):
    train, test = lines
    small = train[np.r_[0:100, 300:400]]
    a = CNNDetector(epochs=1, seed=3).fit(small).decision_function(test[:50])
    b = CNNDetector(epochs=1, seed=3).fit(small).decision_function(test[:50])
    c = CNNDetector(epochs=1, seed=4).fit(small).decision_function(test[:50])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_scores_do_not_depend_on_the_batch(fitted, lines):
    train, test = lines
    resampled = make_detector("logistic", view="60hz", jitter=0.2).fit(train)
    for det in (fitted["hgb"], fitted["cnn"], resampled):
        whole = det.decision_function(test)
        alone = np.array([det.decision_function(test[i])[0] for i in (0, 7, 450)])
        np.testing.assert_allclose(alone, whole[[0, 7, 450]], rtol=1e-5, atol=1e-5)


def test_bad_inputs(fitted, lines):
    train, _ = lines
    with pytest.raises(DataError, match="Trajectories"):
        make_detector("logistic").fit(np.zeros((4, 3)))
    with pytest.raises(DataError, match="both humans"):
        make_detector("logistic").fit(train[:10].with_meta(label=0))
    with pytest.raises(DataError, match="0 \\(human\\) or 1"):
        make_detector("logistic").fit(train[:10], y=np.arange(10))
    with pytest.raises(ConfigError, match="no parameter"):
        make_detector("hgb", epochs=3)
    with pytest.raises(ConfigError, match="unknown detector head"):
        make_detector("svm")
    one_point = Trajectories.from_list([np.zeros((1, 3)), np.array([[0, 0, 0], [5, 5, 0.1]])],
                                       meta={"label": [0, 1]})
    with pytest.raises(DataError, match="at least 2"):
        CNNDetector(epochs=1).fit(one_point)


# ------------------------------------------------------------------- inputs
def test_delta_batch_matches_the_canonical_layer(people):
    from deval.canonical import canonicalize

    train, _ = people
    batch = DeltaBatch.from_trajectories(train)
    canon, _ = canonicalize(train)
    values, mask = to_deltas(canon, 300)
    np.testing.assert_allclose(batch.steps(), values[mask])
    np.testing.assert_allclose(flat_steps(canon), values[mask])
    from deval.canonical import Normalizer

    norm = Normalizer().fit(values, mask)
    x, m = batch.padded(np.array([3, 1]), 300, norm)
    ref = norm.transform(values[[3, 1], : x.shape[1]], mask[[3, 1], : x.shape[1]])
    np.testing.assert_allclose(x, ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(m, mask[[3, 1], : x.shape[1]])


# -------------------------------------------------------------------- views
def test_views_resample_identically_and_reproducibly(people):
    train, _ = people
    v = View("resampled", rate_hz=60.0, jitter=0.1, seed=0)
    a = v.apply(train)
    a.validate()
    np.testing.assert_array_equal(a.start, train.start)
    np.testing.assert_array_equal(a.end, train.end)
    steps = np.diff(a.t)[np.diff(a.segment_ids) == 0]
    assert np.median(steps) == pytest.approx(1 / 60, rel=0.05)
    # jitter: seeded, per movement, independent of the batch
    np.testing.assert_array_equal(v.apply(train).x, a.x)
    alone = v.apply(train[5])
    np.testing.assert_array_equal(alone.t, a[5].t)
    np.testing.assert_array_equal(alone.x, a[5].x)
    other = View("resampled", rate_hz=60.0, jitter=0.1, seed=1).apply(train)
    assert not np.array_equal(other.t, a.t)
    # no jitter: exactly the canonical layer's resampling
    plain = View("resampled", rate_hz=60.0, jitter=0.0).apply(train)
    ref = resample(train, rate_hz=60.0)
    np.testing.assert_array_equal(plain.x, ref.x)
    np.testing.assert_array_equal(plain.t, ref.t)
    assert View("raw").apply(train) is train


def test_view_jitter_statistics(people):
    train, _ = people
    z = movement_jitter(train, np.full(len(train), 200), seed=0)
    assert abs(z.mean()) < 0.01 and z.std() == pytest.approx(1.0, abs=0.01)
    grid = View("resampled", jitter=0.0).apply(train)
    jit = View("resampled", jitter=0.1).apply(train)
    inner = np.ones(grid.n_points, bool)
    inner[grid.first_index] = inner[grid.last_index] = False
    dev = (jit.t - grid.t)[inner] * 60.0
    assert dev.std() == pytest.approx(0.1, rel=0.1)


def test_view_spellings():
    assert parse_view("raw").kind == "raw"
    assert parse_view("60hz") == View("resampled", 60.0)
    assert parse_view("125Hz").rate_hz == 125.0
    assert parse_view("resampled", rate_hz=90).name == "90hz"
    with pytest.raises(ConfigError):
        parse_view("fast")
    with pytest.raises(ConfigError):
        View("resampled", jitter=0.9)


def test_resampled_view_removes_a_sampling_rate_cue(people):
    """Same paths logged at 125 Hz: trivial to catch on raw timing, invisible once resampled."""
    train, test = people

    def mixed(real, seed):
        fast = resample(real, rate_hz=125.0).with_meta(label=1, style="fast-logger")
        return Trajectories.concat([real, fast])

    tr, te = mixed(train, 0), mixed(test, 1)
    raw = make_detector("logistic", view="raw").fit(tr)
    common = make_detector("logistic", view="60hz").fit(tr)
    assert roc_auc(te.label, raw.decision_function(te)) > 0.95
    assert roc_auc(te.label, common.decision_function(te)) < 0.7


# --------------------------------------------------------------- module head
def test_module_head_layers_and_inputs(fitted, lines):
    _, test = lines
    critic = fitted["cnn"]
    det = fitted["module"]
    feats = det.embed(test[:10])  # default: the input of the last nn.Linear = the output of the ReLU "head.1"
    named = ModuleFeatureDetector(module=critic.module_, layer="head.1", normalizer=critic.normalizer_)
    named.fit(lines[0])
    assert feats.shape == (10, 32)
    np.testing.assert_allclose(named.embed(test[:10]), feats, rtol=1e-6, atol=1e-7)
    pooled = ModuleFeatureDetector(module=critic.module_, layer="head.0", normalizer=critic.normalizer_)
    assert pooled.fit(lines[0]).embed(test[:4]).shape == (4, 32)

    def my_input(traj):  # e.g. a harness critic that takes padded (x, y, t) points
        x, m = traj.to_padded(64)
        return torch.tensor(x[..., :2] / 1000.0, dtype=torch.float32), torch.tensor(m)

    class PointCritic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(2, 8)
            self.out = torch.nn.Linear(8, 1)

        def forward(self, x, m):
            h = torch.relu(self.body(x)).masked_fill(~m.unsqueeze(-1), 0).sum(1)
            return self.out(h)

    with torch.random.fork_rng():
        torch.manual_seed(0)
        custom = ModuleFeatureDetector(module=PointCritic(), input_fn=my_input).fit(lines[0])
    assert custom.embed(test[:3]).shape == (3, 8)
    with pytest.raises(ConfigError, match="no sub-module"):
        ModuleFeatureDetector(module=critic.module_, layer="nope").fit(lines[0])
    with pytest.raises(ConfigError, match="nn.Module"):
        ModuleFeatureDetector(module=None).fit(lines[0])


# -------------------------------------------------------------- persistence
@pytest.mark.parametrize("head", ["hgb", "logistic", "cnn", "gru", "module", "density", "hybrid"])
def test_save_load_round_trip(fitted, lines, tmp_path, head):
    _, test = lines
    det = fitted[head]
    save_detector(det, tmp_path, training={"note": "test"})
    record = json.loads((tmp_path / "detector.json").read_text())
    assert record["head"] == head and record["preprocessing"]["view"]["kind"] == "raw"
    if head in ("cnn", "gru"):
        assert record["preprocessing"]["normalizer"]["channels"] == ["dx", "dy", "dt"]
        torch.load(tmp_path / "weights.pt", weights_only=True)  # a plain state dict
    if head == "hgb":
        np.load(tmp_path / "arrays.npz", allow_pickle=False)
    extra = {}
    if head == "module":
        with pytest.raises(CheckpointError, match="needs the torch module"):
            load_detector(tmp_path)
        extra = {"module": DeltaCNN(), "normalizer": None}
    back = load_detector(tmp_path, **extra)
    np.testing.assert_array_equal(back.decision_function(test), det.decision_function(test))
    assert back.get_params()["view"] == "raw"
    with pytest.raises(OutputExistsError):
        save_detector(det, tmp_path)
    save_detector(det, tmp_path, force=True)


def test_load_rejects_bad_files(fitted, tmp_path):
    with pytest.raises(CheckpointError, match="detector.json missing"):
        load_detector(tmp_path)
    save_detector(fitted["cnn"], tmp_path)
    (tmp_path / "weights.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read weights"):
        load_detector(tmp_path)
    record = json.loads((tmp_path / "detector.json").read_text())
    record["params"]["bogus"] = 1
    (tmp_path / "detector.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="bogus"):
        load_detector(tmp_path)
    (tmp_path / "detector.json").write_text("{}")
    with pytest.raises(CheckpointError, match="not a deval detector"):
        load_detector(tmp_path)
    with pytest.raises(CheckpointError, match="unfitted"):
        save_detector(CNNDetector(), tmp_path / "other")


def test_generator_styles_are_caught(sapimouse):
    """Integration with the generator registry: a detector trained on two scripted styles."""
    gens = pytest.importorskip("deval.generators")
    names = [n for n in ("spline", "minimum-jerk", "pid") if n in gens.available()]
    if len(names) < 2:
        pytest.skip("fewer than two scripted generators registered")
    train = sapimouse[np.isin(sapimouse.user, np.arange(1, 21))].subsample(200, seed=0)
    test = sapimouse[np.isin(sapimouse.user, np.arange(50, 73))].subsample(200, seed=1)

    def bots(real, seed):
        return [gens.get(n)().sample(len(real), cond=real.endpoints(), seed=seed) for n in names]

    tr = Trajectories.concat([train, *bots(train, 0)])
    te = Trajectories.concat([test, *bots(test, 1)])
    det = make_detector("hgb", max_iter=40).fit(tr)
    assert roc_auc(te.label, det.decision_function(te)) > 0.9


@pytest.mark.parametrize("head", ["hgb", "logistic", "density", "hybrid", "cnn", "gru"])
def test_every_trainable_head_passes_the_detector_contract(lines, head):
    from deval.detectors.contract import DETECTOR_CHECKS, check_detector
    from deval.detectors.registry import TRAINABLE_HEADS

    assert set(TRAINABLE_HEADS) == {"hgb", "logistic", "density", "hybrid", "cnn", "gru"}
    train, test = lines
    small = {"hgb": {"max_iter": 20}, "hybrid": {"max_iter": 20}, "cnn": {"epochs": 1}, "gru": {"epochs": 1}}
    params = {"seed": 0, "view": "logger-robust" if head in ("hgb", "density") else "raw", **small.get(head, {})}
    sub = train[np.r_[0:150, len(train) - 150:len(train)]]
    assert check_detector(lambda: make_detector(head, **params), sub, test[:60]) == list(DETECTOR_CHECKS)
