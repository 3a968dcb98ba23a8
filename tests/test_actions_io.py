"""Flat ``*_actions.npy`` datasets: folders with train/validation splits, the writer, the convert CLI, bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.errors import DataError, OutputExistsError
from deval.generators.gestures import GesturesBot
from deval.io import detect_format, load_action_splits, load_trajectories, save_actions
from deval.io.actions import sidecar_path, to_action_array
from deval.trajectories import Trajectories


def flat(n_seq, seq_len=8, seed=0, press=True) -> np.ndarray:
    """``[n_seq * seq_len, 3]`` random normalised x, y and 0/1 press."""
    rng = np.random.default_rng(seed)
    cols = [rng.random(n_seq * seq_len), rng.random(n_seq * seq_len)]
    if press:
        cols.append((rng.random(n_seq * seq_len) < 0.4).astype(float))
    return np.column_stack(cols)


def dataset(root, seq_len=8, folders=("train", "val")) -> dict[str, np.ndarray]:
    """A small split dataset; returns relative path -> array written."""
    files = {}
    for k, folder in enumerate(folders):
        for u in (1, 2):
            rel = f"{folder}/user{10 * k + u}_actions.npy"
            arr = flat(3 + u, seq_len, seed=10 * k + u)
            (root / folder).mkdir(parents=True, exist_ok=True)
            np.save(root / rel, arr)
            files[rel] = arr
    (root / "train" / "notes.npy").parent.mkdir(exist_ok=True)
    np.save(root / "train" / "notes.npy", np.zeros(5))  # not an *_actions.npy: ignored
    return files


# ------------------------------------------------------------------ folders
def test_folder_loads_every_file_with_split_and_source(tmp_path):
    files = dataset(tmp_path)
    assert detect_format(tmp_path) == "actions"
    tr = load_trajectories(tmp_path, seq_len=8, screen=(200, 100))  # format detected from the folder
    assert len(tr) == sum(len(a) // 8 for a in files.values()) and set(tr.lengths) == {8}
    order = sorted(files)  # sorted by relative path
    expected = np.concatenate([files[r] for r in order])
    np.testing.assert_allclose(tr.x, expected[:, 0] * 200)
    np.testing.assert_allclose(tr.y, expected[:, 1] * 100)
    np.testing.assert_array_equal(tr.press, expected[:, 2] == 1)
    per_file = np.repeat(order, [len(files[r]) // 8 for r in order])
    assert tr.meta["source_file"].tolist() == per_file.tolist()
    assert tr.meta["split"].tolist() == ["train" if r.startswith("train") else "validation" for r in per_file]
    assert tr.meta["session"].tolist() == [r[: -len("_actions.npy")] for r in per_file]
    assert tr.user.tolist() == [int(r.split("user")[1].split("_")[0]) for r in per_file]
    # explicit format works the same
    again = load_trajectories(tmp_path, format="actions", seq_len=8, screen=(200, 100))
    np.testing.assert_array_equal(again.x, tr.x)


def test_splits_recognise_folder_aliases(tmp_path):
    dataset(tmp_path, folders=("Train", "valid", "test"))
    splits = load_action_splits(tmp_path, seq_len=8)
    assert list(splits) == ["train", "validation", "test"]
    assert [len(s) for s in splits.values()] == [9, 9, 9]
    assert set(splits["validation"].meta["split"]) == {"validation"}
    assert set(splits["train"].meta["source_file"]) == {"Train/user1_actions.npy", "Train/user2_actions.npy"}
    # nested deeper still counts by the split folder on the path
    (tmp_path / "test" / "more").mkdir()
    np.save(tmp_path / "test" / "more" / "x_actions.npy", flat(2))
    assert len(load_action_splits(tmp_path, seq_len=8)["test"]) == 11


def test_seq_len_from_a_top_level_metadata_json(tmp_path):
    dataset(tmp_path, seq_len=4)
    (tmp_path / "metadata.json").write_text(json.dumps({"seq_len": 4, "rate_hz": 30, "screen": [10, 20]}))
    splits = load_action_splits(tmp_path)
    tr = splits["train"]
    assert set(tr.lengths) == {4}
    np.testing.assert_allclose(tr.t[:4], np.arange(4) / 30)
    assert tr.y.max() <= 20 and tr.y.max() > 1


@pytest.mark.parametrize("case,match", [
    ("mixed seq_len", r"mixed seq_len: train/user1_actions\.npy has 8 steps per sequence, train/user2_actions\.npy has 4"),
    ("mixed columns", "mixed column counts"),
    ("wrong columns", r"user2_actions\.npy: an action array must be \[N\*seq_len, 3\]"),
    ("press not 0/1", r"user2_actions\.npy: press must be 0 or 1; row 3 \(movement 0\) holds 0\.7"),
    ("rows not a multiple", r"user2_actions\.npy: 10 rows is not a multiple of seq_len=8"),
    ("no seq_len", r"user1_actions\.npy: seq_len is needed"),
])
def test_bad_files_in_a_folder_name_the_file(tmp_path, case, match):
    (tmp_path / "train").mkdir()
    np.save(tmp_path / "train" / "user1_actions.npy", flat(2))
    bad = tmp_path / "train" / "user2_actions.npy"
    seq_len = 8
    if case == "mixed seq_len":
        np.save(bad, flat(2, seq_len=4))
        (tmp_path / "train" / "user1_meta.json").write_text('{"seq_len": 8}')
        (tmp_path / "train" / "user2_meta.json").write_text('{"seq_len": 4}')
        seq_len = None
    elif case == "mixed columns":
        np.save(bad, flat(2, press=False))
    elif case == "wrong columns":
        np.save(bad, np.zeros((16, 4)))
    elif case == "press not 0/1":
        arr = flat(2)
        arr[3, 2] = 0.7
        np.save(bad, arr)
    elif case == "rows not a multiple":
        np.save(bad, flat(1, seq_len=10))
    elif case == "no seq_len":
        seq_len = None
    with pytest.raises(DataError, match=match):
        load_trajectories(tmp_path, format="actions", seq_len=seq_len)


def test_press_threshold_binarises_probabilities(tmp_path):
    arr = flat(2)
    arr[:, 2] = np.linspace(0, 1, 16)
    np.save(tmp_path / "p_actions.npy", arr)
    tr = load_trajectories(tmp_path / "p_actions.npy", seq_len=8, press_threshold=0.5)
    np.testing.assert_array_equal(tr.press, arr[:, 2] > 0.5)


@pytest.mark.parametrize("layout,match", [
    ("empty", r"no \*_actions\.npy files"),
    ("no splits", "no train/, val/"),
    ("outside", r"stray_actions\.npy is outside the train/, val/ and test/ folders"),
    ("two val folders", "two folders for the validation split: val, validation"),
])
def test_split_errors(tmp_path, layout, match):
    if layout == "no splits":
        np.save(tmp_path / "a_actions.npy", flat(2))
    elif layout == "outside":
        dataset(tmp_path)
        np.save(tmp_path / "stray_actions.npy", flat(2))
    elif layout == "two val folders":
        dataset(tmp_path, folders=("train", "val", "validation"))
    with pytest.raises(DataError, match=match):
        load_action_splits(tmp_path, seq_len=8)


def test_folder_without_action_files_is_not_detected(tmp_path):
    with pytest.raises(DataError, match=r"without parts\.json, \*_actions\.npy or \.json files; for a folder of event logs use --format events"):
        load_trajectories(tmp_path)
    with pytest.raises(DataError, match=r"no \*_actions\.npy files"):
        load_trajectories(tmp_path, format="actions", seq_len=8)


# ------------------------------------------------------------------ writer
def test_writer_normalises_and_the_sidecar_restores_pixels_and_metadata(tmp_path):
    tr = GesturesBot(action_type="mixed").sample(40, seed=1)
    path = tmp_path / "gest_actions.npy"
    save_actions(tr, path, screen=(1920, 1080), sidecar=True)
    arr = np.load(path, allow_pickle=False)
    assert arr.shape == (40 * 64, 3)
    assert arr[:, :2].min() >= 0 and arr[:, :2].max() <= 1
    np.testing.assert_allclose(arr[:, 0], tr.x / 1920)
    assert set(np.unique(arr[:, 2])) == {0.0, 1.0}
    side = json.loads(sidecar_path(path).read_text())
    assert side["seq_len"] == 64 and side["screen"] == [1920, 1080] and side["rate_hz"] == pytest.approx(60)
    back = load_trajectories(path)  # seq_len, rate and screen from the sidecar
    np.testing.assert_allclose(back.x, tr.x, atol=1e-9)
    np.testing.assert_allclose(back.t, tr.t, atol=1e-12)
    np.testing.assert_array_equal(back.press, tr.press)
    for col in ("style", "label", "gesture", "actions", "n_presses"):
        assert back.meta[col].tolist() == tr.meta[col].tolist()
    with pytest.raises(OutputExistsError):
        save_actions(tr, path, screen=(1920, 1080), sidecar=True)
    path.unlink()
    with pytest.raises(OutputExistsError):  # the sidecar alone blocks too, before anything is written
        save_actions(tr, path, screen=(1920, 1080), sidecar=True)
    assert not path.exists()


def test_writer_refuses_unequal_lengths_and_to_action_array_pads(tmp_path):
    tr = Trajectories.from_list([np.zeros((5, 2)) + 10, np.ones((3, 2)) * 20])
    with pytest.raises(DataError, match="equal-length"):
        save_actions(tr, tmp_path / "x_actions.npy")
    values, mask = to_action_array(tr, "100x50")
    assert values.shape == (2, 5, 3) and mask.sum() == 8
    np.testing.assert_allclose(values[0, :, :2], [[0.1, 0.2]] * 5)
    np.testing.assert_allclose(values[1, :3, :2], [[0.2, 0.4]] * 3)
    assert (values[1, 3:] == 0).all() and (values[..., 2] == 0).all()


# ------------------------------------------------------------------ CLI
def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_generate_export_and_read_back_a_split_dataset(tmp_path):
    for split, seed in (("train", 1), ("val", 2)):
        r = run("generate-negatives", "--source", "gestures", "--param", "action_type=mixed", "--n", 30,
                "--seed", seed, "-q", "--out", tmp_path / f"{split}.npz")
        assert r.exit_code == 0, r.output
        r = run("convert", tmp_path / f"{split}.npz", "--out", tmp_path / "data" / split / f"gest_actions.npy",
                "--screen", "1920x1080")
        assert r.exit_code == 0, r.output
        assert "(+ gest_actions_meta.json)" in r.output and "64 steps each" in r.output
    splits = load_action_splits(tmp_path / "data")
    assert list(splits) == ["train", "validation"] and len(splits["train"]) == 30
    original = load_trajectories(tmp_path / "val.npz")
    np.testing.assert_allclose(splits["validation"].x, original.x, atol=1e-9)
    assert splits["validation"].meta["gesture"].tolist() == original.meta["gesture"].tolist()
    # the whole folder to one native file, split kept as metadata
    r = run("convert", tmp_path / "data", "--out", tmp_path / "all.npz")
    assert r.exit_code == 0, r.output
    both = load_trajectories(tmp_path / "all.npz")
    assert both.meta["split"].tolist() == ["train"] * 30 + ["validation"] * 30


def test_cli_exports_variable_length_movements_with_points(tmp_path):
    from deval.generators import get

    get("spline")().sample(20, seed=0).save(tmp_path / "spline.npz")
    r = run("convert", tmp_path / "spline.npz", "--out", tmp_path / "s_actions.npy", "--screen", "1920x1080")
    assert r.exit_code == 1 and "equal-length" in r.output and "Traceback" not in r.output
    r = run("convert", tmp_path / "spline.npz", "--out", tmp_path / "s_actions.npy", "--screen", "1920x1080",
            "--points", 32)
    assert r.exit_code == 0, r.output
    assert np.load(tmp_path / "s_actions.npy").shape == (20 * 32, 3)


def test_cli_folder_errors_are_one_line(tmp_path):
    (tmp_path / "train").mkdir()
    np.save(tmp_path / "train" / "a_actions.npy", flat(2, seq_len=8))
    np.save(tmp_path / "train" / "b_actions.npy", flat(1, seq_len=12))
    r = run("convert", tmp_path, "--out", tmp_path / "x.npz", "--seq-len", 8)
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "b_actions.npy: 12 rows is not a multiple of seq_len=8" in lines[0]
