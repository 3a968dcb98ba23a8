import numpy as np
import pandas as pd
import pytest

from deval.errors import DataError, OutputExistsError
from deval.io import load_trajectories
from deval.trajectories import Endpoints, Trajectories


def three():
    return Trajectories.from_list(
        [np.array([[0, 0, 0], [1, 1, 0.01], [2, 0, 0.02]]),
         np.array([[5, 5, 0], [6, 7, 0.02]]),
         np.array([[1, 1, 0], [1, 2, 0.01], [1, 3, 0.02], [1, 4, 0.05]])],
        meta={"style": ["a", "b", "a"], "user": [1, 2, 3]},
    )


def test_basic_properties():
    tr = three()
    assert len(tr) == 3 and tr.n_points == 9
    np.testing.assert_array_equal(tr.lengths, [3, 2, 4])
    np.testing.assert_allclose(tr.durations, [0.02, 0.02, 0.05])
    np.testing.assert_array_equal(tr.start, [[0, 0], [5, 5], [1, 1]])
    np.testing.assert_array_equal(tr.end, [[2, 0], [6, 7], [1, 4]])
    np.testing.assert_array_equal(tr.segment_ids, [0, 0, 0, 1, 1, 2, 2, 2, 2])
    assert list(tr.style) == ["a", "b", "a"] and list(tr.label) == [0, 0, 0]
    e = tr.endpoints()
    np.testing.assert_allclose(e.distance, [2, np.hypot(1, 2), 3])


def test_indexing_variants():
    tr = three()
    assert len(tr[1]) == 1 and tr[1].movement(0).shape == (2, 3)
    np.testing.assert_array_equal(tr[-1].x, [1, 1, 1, 1])
    sub = tr[np.array([2, 0])]
    np.testing.assert_array_equal(sub.lengths, [4, 3])
    assert list(sub.meta["user"]) == [3, 1]
    np.testing.assert_array_equal(tr[tr.style == "a"].lengths, [3, 4])
    np.testing.assert_array_equal(tr[1:].lengths, [2, 4])
    with pytest.raises(IndexError):
        tr[3]


def test_concat_and_padding_round_trip():
    tr = three()
    both = Trajectories.concat([tr, tr[:1].with_meta(style="z", label=1)])
    assert len(both) == 4 and list(both.style) == ["a", "b", "a", "z"]
    assert list(both.label) == [0, 0, 0, 1]
    vals, mask = both.to_padded()
    assert vals.shape == (4, 4, 3)
    back = Trajectories.from_padded(vals, mask=mask)
    np.testing.assert_array_equal(back.x, both.x)
    np.testing.assert_array_equal(back.lengths, both.lengths)
    vals2, mask2 = both.to_padded(max_len=2)
    assert mask2.sum() == 8


def test_validate_errors():
    bad_t = Trajectories.from_list([np.array([[0, 0, 0], [1, 1, 0.0]])])
    with pytest.raises(DataError, match="strictly increasing"):
        bad_t.validate("f.npz")
    nan = Trajectories.from_list([np.array([[0, 0, 0], [np.nan, 1, 0.1]])])
    with pytest.raises(DataError, match="f.npz: non-finite x"):
        nan.validate("f.npz")
    with pytest.raises(DataError, match="empty"):
        Trajectories.empty().validate()
    short = Trajectories.from_list([np.array([[0, 0, 0]])])
    with pytest.raises(DataError, match="at least 2"):
        short.validate()


def test_save_load_round_trip_and_no_clobber(tmp_path):
    tr = three().with_meta(label=1, extra=np.array([1.5, 2.5, 3.5]))
    p = tmp_path / "t.npz"
    tr.save(p)
    back = load_trajectories(p)
    np.testing.assert_array_equal(back.x, tr.x)
    np.testing.assert_array_equal(back.offsets, tr.offsets)
    pd.testing.assert_frame_equal(back.meta, tr.meta, check_dtype=False)
    with pytest.raises(OutputExistsError):
        tr.save(p)
    tr.save(p, force=True)
    assert not list(tmp_path.glob("*.tmp"))


def test_endpoints_validation():
    with pytest.raises(DataError):
        Endpoints(np.zeros((3, 2)), np.zeros((2, 2)))
    e = Endpoints(np.zeros((5, 2)), np.ones((5, 2)), duration=np.arange(5.0))
    r = e.resample(3, seed=1)
    assert len(r) == 3 and r.duration is not None


def test_sapimouse_loads_as_is(sapimouse):
    assert len(sapimouse) == 15046
    assert set(np.unique(sapimouse.user)) == set(range(1, 73))
    assert sapimouse.meta["session"].iloc[0].startswith("user1/")
    assert np.median(sapimouse.lengths) == 35
    assert sapimouse.attrs["source"] == "sapimouse"
