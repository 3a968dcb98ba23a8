"""The realism meter against known differences (the calibration suite), on the shipped SapiMouse-dev sample.

Each case changes one aspect of real movements (:mod:`deval.calibration`) and
must read clearly different; unchanged real movements must read within the
human baseline. Real movements of one half of the people are the reference;
the other half is changed (so every case is also "other people", as a
generator's output is).
"""

from __future__ import annotations

import numpy as np
import pytest

from deval.calibration import KNOWN_DIFFERENCES, continuous_timing, shuffled_intervals, subpixel_coordinates
from deval.compare import CompareSettings, compare_pair, prepare
from deval.data import load_sample
from deval.realism_meter import measure_realism

pytestmark = pytest.mark.usefixtures("one_torch_thread")

N = 700  # movements per side


@pytest.fixture(scope="module")
def halves():
    real = load_sample()
    users = np.unique(real.user)
    half = np.random.default_rng(0).permutation(users)[: len(users) // 2]
    a = real[np.isin(real.user, half)].subsample(N, seed=0)
    b = real[~np.isin(real.user, half)].subsample(N, seed=1)
    return real, a, b


@pytest.fixture(scope="module")
def settings():
    return CompareSettings(seed=0, metrics=("c2st",), baselines=False)


@pytest.fixture(scope="module")
def reference(halves, settings):
    return prepare(halves[1], "real", settings)


def _meter(reference, other, settings) -> dict:
    return compare_pair(reference, prepare(other, "fake", settings), settings).metrics


@pytest.mark.parametrize("case", list(KNOWN_DIFFERENCES))
def test_known_difference_reads_clearly_different(case, halves, reference, settings):
    _, _, b = halves
    row = _meter(reference, KNOWN_DIFFERENCES[case](b, 0), settings)
    assert row["c2st_acc"] >= 0.9, (case, row)


def test_the_changed_aspect_is_the_one_that_gives_it_away(halves, reference, settings):
    _, _, b = halves
    row = _meter(reference, continuous_timing(b, 0), settings)
    aspects = {k: v for k, v in row.items() if k.startswith("c2st_aspect_")}
    assert max(aspects, key=aspects.get) == "c2st_aspect_timing"
    # sub-pixel positions are the logger's position grid: the timing (logger) aspect reads them, not geometry
    # (issue 25: the grid and still-sample features moved from geometry to the logger's aspect)
    row = _meter(reference, subpixel_coordinates(b, 0), settings)
    aspects = {k: v for k, v in row.items() if k.startswith("c2st_aspect_")}
    assert max(aspects, key=aspects.get) == "c2st_aspect_timing" and row["c2st_aspect_timing"] >= 0.9
    assert row["c2st_aspect_geometry"] < row["c2st_aspect_timing"] - 0.15


def test_real_vs_real_reads_within_the_human_baseline(halves, settings):
    real, a, b = halves
    perm = np.random.default_rng(5).permutation(len(real))
    r1, r2 = real.take(np.sort(perm[:N])), real.take(np.sort(perm[N: 2 * N]))
    halves_row = _meter(prepare(r1, "r1", settings), r2, settings)
    assert 0.44 <= halves_row["c2st_acc"] <= 0.56, halves_row
    people_row = _meter(prepare(a, "a", settings), b, settings)
    assert people_row["c2st_acc"] <= 0.68, people_row  # two groups of people differ a little (devices, habits)


def test_cross_fitted_maximum_is_not_biased_upwards_on_identical_sets():
    """Identical distributions: the headline (best of three probes, cross-fitted) averages 0.5."""
    rng = np.random.default_rng(0)
    import pandas as pd

    heads = []
    for seed in range(6):
        fr = pd.DataFrame(rng.normal(size=(300, 6)))
        ff = pd.DataFrame(rng.normal(size=(300, 6)))
        seq = (rng.normal(size=(300, 12, 4)).astype(np.float32), np.ones((300, 12), dtype=bool))
        seq2 = (rng.normal(size=(300, 12, 4)).astype(np.float32), np.ones((300, 12), dtype=bool))
        res = measure_realism(fr, ff, seq, seq2, seed=seed, aspects=False, sequence_epochs=3)
        heads.append(res.accuracy)
        assert set(res.probes) == {"features", "sequence", "stack"}
    assert abs(np.mean(heads) - 0.5) < 0.03, heads


def test_shuffled_intervals_keep_positions_and_interval_sets(halves):
    _, _, b = halves
    s = shuffled_intervals(b, 0)
    assert np.array_equal(s.x, b.x) and np.array_equal(s.lengths, b.lengths)
    for i in range(5):
        sl = slice(b.offsets[i], b.offsets[i + 1])
        assert np.allclose(np.sort(np.diff(s.t[sl])), np.sort(np.diff(b.t[sl])))
