"""What every detector head must do, as a check anyone can run: :func:`check_detector`.

The detector counterpart of :func:`deval.generators.contract.check_generator`
(and of scikit-learn's ``check_estimator``, on trajectories). Each check
raises :class:`AssertionError` naming itself::

    from deval.detectors.contract import check_detector
    check_detector(lambda: MyHead(view="logger-robust"), train, test)

``make`` builds a fresh, identical, unfitted detector; ``train`` holds
labelled humans (0) and bots (1); ``test`` is scored.
"""

from __future__ import annotations

import tempfile
from typing import Callable

import numpy as np
from sklearn.base import clone

from deval.detectors.base import TrajectoryDetector
from deval.errors import ConfigError
from deval.trajectories import Trajectories

__all__ = ["DETECTOR_CHECKS", "check_detector"]


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise AssertionError(f"{name}: {message}")


def check_fit_and_scores(make, train, test):
    det = make()
    _check(det.fit(train, train.label) is det, "fit", "fit does not return the detector")
    scores = det.decision_function(test)
    _check(scores.shape == (len(test),) and scores.dtype == np.float64, "scores",
           f"decision_function gives {scores.shape} {scores.dtype}, expected ({len(test)},) float64")
    _check(bool(np.isfinite(scores).all()), "scores", "a score is NaN or inf")
    proba = det.predict_proba(test)
    _check(proba.shape == (len(test), 2) and np.allclose(proba.sum(1), 1.0), "scores",
           "predict_proba is not two columns summing to 1")
    _check(np.array_equal(det.predict(test), (scores >= 0).astype(int)), "scores",
           "predict is not decision_function >= 0")


def check_seeded(make, train, test):
    a = make().fit(train, train.label).decision_function(test)
    b = make().fit(train, train.label).decision_function(test)
    _check(np.array_equal(a, b), "seeded", "the same settings and data give different scores")


def check_batch_independence(make, train, test):
    det = make().fit(train, train.label)
    whole = det.decision_function(test)
    idx = [0, len(test) // 2, len(test) - 1]
    alone = np.array([det.decision_function(test[i])[0] for i in idx])
    _check(np.allclose(alone, whole[idx], rtol=1e-5, atol=1e-5), "batch",
           "a movement's score depends on the other movements scored with it")


def check_round_trip(make, train, test):
    from deval.detectors.persistence import load_detector, save_detector

    det = make().fit(train, train.label)
    with tempfile.TemporaryDirectory() as d:
        save_detector(det, d + "/det")
        back = load_detector(d + "/det")
    _check(np.array_equal(back.decision_function(test), det.decision_function(test)), "round_trip",
           "a saved and loaded detector scores differently")
    _check(back.get_params() == det.get_params(), "round_trip", "parameters changed through save/load")


def check_sklearn_conventions(make, train, test):
    det = make()
    fitted_state = [k for k in vars(det) if k.endswith("_") and not k.startswith("_")]
    _check(not fitted_state, "conventions", f"__init__ sets fitted state {fitted_state}")
    fresh = clone(det.fit(train, train.label))
    _check(not any(k.endswith("_") and not k.startswith("_") for k in vars(fresh)), "conventions",
           "clone keeps fitted state")
    try:
        type(det)(no_such_parameter_for_the_contract=1)
    except (TypeError, ConfigError):
        return
    raise AssertionError("conventions: an unknown parameter was accepted")


#: name -> check(make, train, test); run in this order by :func:`check_detector`.
DETECTOR_CHECKS: dict[str, Callable] = {
    "fit_and_scores": check_fit_and_scores, "seeded": check_seeded, "batch": check_batch_independence,
    "round_trip": check_round_trip, "conventions": check_sklearn_conventions,
}


def check_detector(make: Callable[[], TrajectoryDetector], train: Trajectories, test: Trajectories) -> list[str]:
    """Run every check of :data:`DETECTOR_CHECKS`; returns their names (AssertionError on the first failure)."""
    for check in DETECTOR_CHECKS.values():
        check(make, train, test)
    return list(DETECTOR_CHECKS)
