"""Detector heads and their training and evaluation (installed as ``deval.detectors``).

Heads (scikit-learn classifiers on :class:`~deval.trajectories.Trajectories`;
label 1 = bot):

========  ==============================================================
name      head
========  ==============================================================
hgb       gradient boosting on kinematic + spectral features
logistic  logistic regression on the same features
cnn       1-D CNN on canonical normalised steps (torch)
gru       bidirectional GRU on canonical normalised steps (torch)
module    logistic regression on a given torch module's penultimate features
========  ==============================================================

Every head applies a :class:`~deval.detectors.views.View` first (``raw`` or
resampled to a common rate with seeded jitter) and saves with
:func:`save_detector` / :func:`load_detector` (JSON + npz + torch state dict,
no pickles). :func:`~deval.detectors.evaluation.evaluate_holdout` trains and
scores heads on held-out bot styles.
"""

from deval.detectors.base import TrajectoryDetector
from deval.detectors.persistence import load_detector, save_detector
from deval.detectors.registry import HEADS, TRAINABLE_HEADS, head_class, make_detector
from deval.detectors.views import View, parse_view

__all__ = [
    "HEADS", "TRAINABLE_HEADS", "TrajectoryDetector", "View", "head_class", "load_detector", "make_detector",
    "parse_view", "save_detector",
]
