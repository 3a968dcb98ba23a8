"""``deval convert``: every format to the native .npz, and clean one-line errors on bad files."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.io import load_trajectories, save_trajectories
from deval.io.actions import save_actions
from deval.io.long_csv import save_long_csv
from deval.trajectories import Trajectories


def run(*args):
    return CliRunner().invoke(cli, ["convert", *map(str, args)])


def small(lengths=(6, 9, 4)) -> Trajectories:
    rng = np.random.default_rng(3)
    movs = [np.column_stack([rng.uniform(0, 800, n), rng.uniform(0, 600, n), np.arange(n) * 0.016]) for n in lengths]
    return Trajectories.from_list(movs, meta={"style": ["a", "b", "a"][: len(lengths)]})


def test_convert_sapimouse(sapimouse_path, tmp_path):
    out = tmp_path / "s.npz"
    r = run(sapimouse_path, "--out", out)
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"Wrote {out}: 15046 movements, 558627 points, styles: human 15046"
    a, b = load_trajectories(sapimouse_path), load_trajectories(out)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert list(a.meta["session"][:3]) == list(b.meta["session"][:3])


def test_convert_long_csv_and_overwrite(tmp_path):
    tr = small()
    save_long_csv(tr, tmp_path / "in.csv")
    out = tmp_path / "out.npz"
    r = run(tmp_path / "in.csv", "-o", out)
    assert r.exit_code == 0, r.output
    assert "3 movements, 19 points, styles: a 2, b 1" in r.output
    back = load_trajectories(out)
    np.testing.assert_array_equal(back.x, tr.x)
    np.testing.assert_array_equal(back.t, tr.t)
    r = run(tmp_path / "in.csv", "-o", out)
    assert r.exit_code == 1 and "already exists (use --force to overwrite)" in r.output
    r = run(tmp_path / "in.csv", "-o", out, "--force", "--style", "spline", "--label", "bot")
    assert r.exit_code == 0, r.output
    back = load_trajectories(out)
    assert set(back.style) == {"spline"} and set(back.label) == {1}


def test_convert_actions_with_seq_len_and_options(tmp_path):
    tr = small(lengths=(10, 10, 10))
    save_actions(tr, tmp_path / "gan_actions.npy")
    r = run(tmp_path / "gan_actions.npy", "-o", tmp_path / "a.npz", "--seq-len", 5, "--rate-hz", 100,
            "-O", "screen=[2,3]")
    assert r.exit_code == 0, r.output
    back = load_trajectories(tmp_path / "a.npz")
    assert len(back) == 6 and back.press is not None
    np.testing.assert_allclose(back.x, tr.x * 2)
    np.testing.assert_allclose(back.t[:5], np.arange(5) / 100)


def test_convert_padded_channels(tmp_path):
    tr = small()
    values, _ = tr.to_padded(channels=("x", "y"), fill=np.nan)
    np.save(tmp_path / "p.npy", values[..., ::-1])  # stored as y, x
    r = run(tmp_path / "p.npy", "-o", tmp_path / "p.npz", "--channels", "y,x", "--rate-hz", 50)
    assert r.exit_code == 0, r.output
    back = load_trajectories(tmp_path / "p.npz")
    np.testing.assert_array_equal(back.x, tr.x)
    np.testing.assert_allclose(back.t[:3], [0, 0.02, 0.04])


def test_convert_event_log_folder(tmp_path):
    rows = ["client timestamp,button,state,x,y"]
    rows += [f"{1000 + 16 * k},NoButton,Move,{10 * k},{5 * k}" for k in range(15)]
    rows += ["1240,Left,Pressed,150,75"]
    rows += [f"{1250 + 16 * k},Left,Drag,{150 + 10 * k},75" for k in range(12)]
    rows += ["1450,Left,Released,270,75"]
    (tmp_path / "logs" / "user4").mkdir(parents=True)
    (tmp_path / "logs" / "user4" / "session_1min.csv").write_text("\n".join(rows) + "\n")
    r = run(tmp_path / "logs", "-o", tmp_path / "e.npz")  # a folder means event logs
    assert r.exit_code == 0, r.output
    assert "1 movements, 16 points" in r.output
    r = run(tmp_path / "logs", "-o", tmp_path / "d.npz", "-O", "keep_drags=true")
    assert r.exit_code == 0, r.output
    back = load_trajectories(tmp_path / "d.npz")
    assert list(back.meta["drag"]) == [False, True] and list(back.user) == [4, 4]
    assert back.press is not None and back.press[16:].all() and not back.press[:16].any()


def test_convert_usage_errors(tmp_path):
    save_long_csv(small(), tmp_path / "in.csv")
    r = run(tmp_path / "in.csv", "-o", tmp_path / "x.txt")
    assert r.exit_code == 2 and "must end in .npz" in r.output
    r = run(tmp_path / "in.csv", "-o", tmp_path / "x.npz", "-O", "novalue")
    assert r.exit_code == 2 and "is not key=value" in r.output
    r = run(tmp_path / "in.csv", "-o", tmp_path / "x.npz", "--seq-len", 4)
    assert r.exit_code == 1 and "bad option for format 'csv'" in r.output and "Traceback" not in r.output


# ----------------------------------------------------------------- broken files
def _npz_bytes(tmp_path) -> bytes:
    save_trajectories(small(), tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


def _write(path, data):
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


BROKEN = {
    # name: (file name, builder(path, tmp_path) -> None, extra CLI args)
    "missing": ("absent.npz", lambda p, d: None, []),
    "empty npz": ("e.npz", lambda p, d: _write(p, b""), []),
    "empty npy": ("e.npy", lambda p, d: _write(p, b""), []),
    "empty csv": ("e.csv", lambda p, d: _write(p, ""), []),
    "empty json": ("e.json", lambda p, d: _write(p, ""), []),
    "blank csv with format": ("e.csv", lambda p, d: _write(p, "\n\n"), ["--format", "csv"]),
    "random bytes npz": ("r.npz", lambda p, d: _write(p, bytes(range(256)) * 4), []),
    "truncated npz": ("t.npz", lambda p, d: _write(p, _npz_bytes(d)[:300]), []),
    "npz without offsets": ("k.npz", lambda p, d: np.savez(p, x=np.zeros(3), y=np.zeros(3), t=np.arange(3.0)), []),
    "npz with pickled arrays": ("o.npz", lambda p, d: np.savez(
        p, x=np.array([None, 1], dtype=object), y=np.zeros(2), t=np.zeros(2), offsets=np.array([0, 2])), []),
    "npz bad offsets": ("b.npz", lambda p, d: np.savez(
        p, x=np.zeros(3), y=np.zeros(3), t=np.arange(3.0), offsets=np.array([0, 5])), []),
    "npz not increasing time": ("n.npz", lambda p, d: np.savez(
        p, x=np.zeros(3), y=np.zeros(3), t=np.array([0, 0.1, 0.05]), offsets=np.array([0, 3])), []),
    "pickled npy": ("o.npy", lambda p, d: np.save(p, np.array([[1], [1, 2]], dtype=object), allow_pickle=True), []),
    "corrupt npy": ("c.npy", lambda p, d: _write(p, b"\x93NUMPY\x01\x00garbage"), []),
    "npy 1-D": ("v.npy", lambda p, d: np.save(p, np.zeros(12)), []),
    "npy strings": ("s.npy", lambda p, d: np.save(p, np.array([["a", "b", "c"]] * 4)), ["--seq-len", "2"]),
    "padded NaN inside": ("h.npy", lambda p, d: np.save(p, np.array([[[0, 0], [np.nan, np.nan], [1, 1]]])), []),
    "padded inf": ("i.npy", lambda p, d: np.save(p, np.array([[[0, 0], [np.inf, 1], [1, 1]]])), []),
    "padded one point": ("one.npy", lambda p, d: np.save(p, np.array([[[0, 0], [np.nan, np.nan]]])), []),
    "padded bad channels": ("bc.npy", lambda p, d: np.save(p, np.zeros((2, 3, 3))), ["--channels", "x,y"]),
    "actions not multiple": ("a_actions.npy", lambda p, d: np.save(p, np.zeros((10, 3))), ["--seq-len", "3"]),
    "actions no seq_len": ("a_actions.npy", lambda p, d: np.save(p, np.zeros((10, 3))), []),
    "actions bad sidecar": ("z_actions.npy", lambda p, d: (np.save(p, np.zeros((10, 3))),
                                                          _write(d / "z.json", "{oops")), []),
    "csv missing column": ("m.csv", lambda p, d: _write(p, "traj_id,t,x\n1,0,0\n"), []),
    "csv no header": ("h.csv", lambda p, d: _write(p, "1,0,0,0\n1,1,1,1\n"), ["--format", "csv"]),
    "csv text in x": ("x.csv", lambda p, d: _write(p, "traj_id,t,x,y\n1,0,zero,0\n1,1,1,1\n"), []),
    "csv time backwards": ("b.csv", lambda p, d: _write(p, "traj_id,t,x,y\n1,1,0,0\n1,0,1,1\n"), []),
    "csv one point": ("o.csv", lambda p, d: _write(p, "traj_id,t,x,y\n1,0,0,0\n"), []),
    "csv binary": ("bin.csv", lambda p, d: _write(p, b"traj_id\x00\x01\x02"), []),
    "csv unknown layout": ("u.csv", lambda p, d: _write(p, "a,b\n1,2\n"), []),
    "events unknown state": ("ev.csv", lambda p, d: _write(p, "timestamp,button,state,x,y\n0,NoButton,Jump,1,1\n"), []),
    "events backwards": ("eb.csv", lambda p, d: _write(
        p, "timestamp,button,state,x,y\n5,NoButton,Move,1,1\n3,NoButton,Move,1,1\n"), []),
    "events missing column": ("em.csv", lambda p, d: _write(p, "timestamp,button,x,y\n0,NoButton,1,1\n"), []),
    "events no movements": ("en.csv", lambda p, d: _write(
        p, "timestamp,button,state,x,y\n" + "".join(f"{16 * k},NoButton,Move,{k},0\n" for k in range(5))), []),
    "events bad x": ("ex.csv", lambda p, d: _write(p, "timestamp,button,state,x,y\n0,NoButton,Move,,1\n"), []),
    "empty folder": ("folder", lambda p, d: p.mkdir(), []),
    "json syntax": ("j.json", lambda p, d: _write(p, '[[[0, 0], [1, 1]]'), []),
    "json structure": ("s.json", lambda p, d: _write(p, '{"points": [[0, 0]]}'), []),
    "json number movement": ("n.json", lambda p, d: _write(p, "[1, 2, 3]"), []),
    "json text points": ("t.json", lambda p, d: _write(p, '[[["a", "b"], [1, 1]]]'), []),
    "json empty list": ("l.json", lambda p, d: _write(p, "[]"), []),
    "unknown extension": ("data.parquet", lambda p, d: _write(p, b"PAR1"), []),
    "bad loader option": ("ok.csv", lambda p, d: _write(p, "traj_id,t,x,y\n1,0,0,0\n1,1,1,1\n"), ["-O", "time_unit=hours"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_gives_one_line_error(tmp_path, case):
    name, build, extra = BROKEN[case]
    path = tmp_path / name
    build(path, tmp_path)
    r = run(path, "--out", tmp_path / "out.npz", *extra)
    assert r.exit_code != 0
    assert isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith(f"Error: {tmp_path}"), lines[0]
    assert lines[0].split(": ", 2)[2].strip()  # a problem is described after the path
    assert not (tmp_path / "out.npz").exists()


def test_broken_cases_cover_every_format():
    """The table above exercises every loader, so that none escapes the one-line contract."""
    exts = {BROKEN[c][0].rsplit(".", 1)[-1] for c in BROKEN}
    assert {"npz", "npy", "csv", "json"} <= exts
    assert any(c.startswith("events") for c in BROKEN) and any(c.startswith("actions") for c in BROKEN)


def test_the_advice_of_a_reading_warning_runs(tmp_path, caplog):
    """A JSON file in milliseconds: the warning advises deval -O time_unit=ms, and that option exists on the
    group for every command; an unlabelled padded array: the error advises -O channels=..., which works too."""
    import json as _json
    import logging

    import numpy as np
    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.data import load_sample
    from deval.io import load_trajectories

    real = load_sample()[:60]
    moves = [{"x": real[i].x.tolist(), "y": real[i].y.tolist(), "t": (real[i].t * 1000).tolist()} for i in range(60)]
    (tmp_path / "ms.json").write_text(_json.dumps(moves))
    with caplog.at_level(logging.WARNING):
        r = CliRunner().invoke(cli, ["convert", str(tmp_path / "ms.json"), "--out", str(tmp_path / "a.npz")])
    assert r.exit_code == 0 and "deval -O time_unit=ms" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        r = CliRunner().invoke(cli, ["-O", "time_unit=ms", "compare", str(tmp_path / "ms.json"),
                                     str(tmp_path / "ms.json"), "--metrics", "mmd", "--permutations", "5",
                                     "--no-baselines", "--no-sequence-probe", "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    assert "milliseconds" not in caplog.text
    np.save(tmp_path / "X.npy", np.zeros((4, 6, 5), np.float32) + np.arange(6)[None, :, None])
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "X.npy"), "--out", str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and "deval -O channels=" in r.output and "layout" in r.output
    r = CliRunner().invoke(cli, ["-O", "channels=x,y,t,_,_", "convert", str(tmp_path / "X.npy"), "--out",
                                 str(tmp_path / "x.npz")])
    assert r.exit_code == 0, r.output
    assert len(load_trajectories(tmp_path / "x.npz")) == 4
