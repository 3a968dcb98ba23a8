"""Property-based fuzzing of every loader and of the commands that read user files.

Every generated file must end in exactly one of two ways: a one-line
:class:`~deval.errors.DataError` that names the file (the CLI: a non-zero exit,
``Error: <file>: ...``, no traceback), or a valid :class:`Trajectories` with
finite values. The default run uses a fast profile; ``-m slow`` runs the long
one (``DEVAL_FUZZ_EXAMPLES`` examples per entry point, default 1000).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

hypothesis = pytest.importorskip("hypothesis", reason="the fuzz suite needs hypothesis (pip install hypothesis)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from deval.app.cli.main import cli  # noqa: E402
from deval.errors import DevalError  # noqa: E402
from deval.io import load_trajectories  # noqa: E402

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
LONG = settings(max_examples=int(os.environ.get("DEVAL_FUZZ_EXAMPLES", "1000")), deadline=None,
                suppress_health_check=list(HealthCheck), derandomize=True)

floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from([0.0, 1.0, -1.0, 1e12, 1e302, -1e302, 1e-12, 0.5, 16.0, 1e9]))
values = st.one_of(floats, st.integers(-10**12, 10**12), st.booleans(), st.text(max_size=3), st.none())


@st.composite
def npz_payload(draw):
    """Arrays for a native .npz: sometimes right, often broken in dtype, shape, alignment or value."""
    n = draw(st.integers(0, 4))
    lengths = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    p = int(sum(lengths))
    kinds = st.sampled_from(["float", "int", "bool", "complex", "str", "short", "nan", "huge", "ns"])

    def column(kind, size, base):
        if kind == "int":
            return base.astype(np.int64)
        if kind == "bool":
            return base > 0
        if kind == "complex":
            return base + 1j
        if kind == "str":
            return base.astype(str)
        if kind == "short":
            return base[: max(size - 1, 0)]
        if kind == "nan":
            out = base.astype(np.float64)
            if out.size:
                out[draw(st.integers(0, out.size - 1))] = np.nan
            return out
        if kind == "huge":
            return base * 1e302
        if kind == "ns":
            return base * 1e9
        return base

    t = np.concatenate([np.cumsum(np.full(k, 0.016)) - 0.016 for k in lengths]) if p else np.zeros(0)
    x = np.asarray(draw(st.lists(st.integers(0, 1900), min_size=p, max_size=p)), dtype=np.float64)
    payload = {"x": column(draw(kinds), p, x), "y": column(draw(kinds), p, x[::-1].copy()),
               "t": column(draw(kinds), p, t),
               "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)}
    if draw(st.booleans()):
        payload["offsets"] = payload["offsets"][::-1] if draw(st.booleans()) else payload["offsets"][:-1]
    if draw(st.booleans()):
        payload["user"] = column(draw(kinds), n + draw(st.integers(-1, 1)), np.arange(n, dtype=np.float64) + 0.5)
    if draw(st.booleans()):
        payload["click_end"] = np.ones(max(n - draw(st.integers(0, 1)), 0), dtype=bool)
    return payload


@st.composite
def json_text(draw):
    """JSON documents: movement lists, single movements, session dicts, nested junk."""
    point = st.lists(values, min_size=0, max_size=4)
    movement = st.one_of(st.lists(point, max_size=5),
                         st.fixed_dictionaries({"x": st.lists(values, max_size=5), "y": st.lists(values, max_size=5)},
                                               optional={"t": st.lists(values, max_size=5),
                                                         "user": values}))
    doc = st.one_of(st.lists(movement, max_size=4), movement, st.dictionaries(st.text(max_size=3), movement, max_size=3),
                    st.fixed_dictionaries({"movements": st.lists(movement, max_size=3)}), values)
    data = draw(doc)
    if draw(st.integers(0, 9)) == 0:
        depth = draw(st.integers(1, 50000))
        return "[" * depth + "]" * depth
    return json.dumps(data, allow_nan=True)


@st.composite
def csv_text(draw):
    rows = draw(st.lists(st.tuples(st.integers(0, 3), values, values, values), max_size=12))
    header = draw(st.sampled_from(["traj_id,t,x,y", "traj_id,t,x", "t,x,y", "traj_id,t,x,y,press"]))
    return header + "\n" + "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows) + "\n"


def _check(path):
    """A DataError naming the file, or a valid, finite, plausible Trajectories."""
    try:
        tr = load_trajectories(path)
    except DevalError as exc:
        text = str(exc)
        assert "\n" not in text.strip() and path.name in text, text
        return None
    for a in (tr.x, tr.y, tr.t):
        assert a.dtype == np.float64 and np.isfinite(a).all()
    tr.validate()
    assert len(tr.meta) == len(tr)
    return tr


def _write_npz(path, payload):
    np.savez(path, **payload)


@FAST
@given(payload=npz_payload())
def test_npz_loader_never_crashes_or_coerces(tmp_path_factory, payload):
    path = tmp_path_factory.mktemp("fz") / "f.npz"
    _write_npz(path, payload)
    tr = _check(path)
    if tr is not None:  # accepted: then nothing was silently coerced
        for key in ("x", "y", "t"):
            assert payload[key].dtype.kind in "fiu", f"{key} of dtype {payload[key].dtype} accepted"
        if "user" in payload:
            assert len(payload["user"]) == len(tr) and payload["user"].dtype.kind in "iu", "user coerced"


@FAST
@given(text=json_text())
def test_json_loader_never_crashes(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fz") / "f.json"
    path.write_text(text)
    _check(path)


@FAST
@given(text=csv_text())
def test_csv_loader_never_crashes(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fz") / "f.csv"
    path.write_text(text)
    _check(path)


@FAST
@given(payload=npz_payload())
def test_cli_commands_give_one_line_errors(tmp_path_factory, payload):
    d = tmp_path_factory.mktemp("fz")
    path = d / "bad.npz"
    _write_npz(path, payload)
    runner = CliRunner()
    from deval.data import sample_path

    for args in (["convert", str(path), "--out", str(d / "o.npz"), "--force"],
                 ["generate-negatives", "-s", "spline", "--like", str(path), "--n", "3", "-o", str(d / "n.npz"),
                  "--force", "-q"],
                 ["train-detector", "--real", str(path), "--negatives", str(sample_path()), "--head", "logistic",
                  "--out", str(d / "det"), "--force", "-q"],
                 ["features", str(path), "--out", str(d / "f.csv"), "--force", "-q"],
                 ["compare", str(sample_path()), str(path), "--metrics", "c2st,mmd", "--no-baselines",
                  "--no-sequence-probe", "--permutations", "5", "--out", str(d / "rep"), "--force", "-q"]):
        r = runner.invoke(cli, args)
        assert r.exit_code in (0, 1, 2), r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
        assert "Traceback" not in r.output
        if r.exit_code == 0 and args[0] == "generate-negatives":
            out = load_trajectories(d / "n.npz")
            assert np.isfinite(out.x).all() and np.isfinite(out.t).all()
        if r.exit_code == 0 and args[0] == "features":
            import pandas as pd

            from deval.features import feature_names

            table = pd.read_csv(d / "f.csv")
            cols = [c for c in feature_names() if c in table.columns]
            assert np.isfinite(table[cols].to_numpy(np.float64)).all()
        if r.exit_code == 0 and args[0] == "compare":
            text = (d / "rep" / "metrics.json").read_text()
            json.loads(text, parse_constant=lambda c: pytest.fail(f"metrics.json holds {c}"))


@pytest.mark.slow
@LONG
@given(payload=npz_payload())
def test_npz_loader_long(tmp_path_factory, payload):
    test_npz_loader_never_crashes_or_coerces.hypothesis.inner_test(tmp_path_factory, payload)


@pytest.mark.slow
@LONG
@given(text=json_text())
def test_json_loader_long(tmp_path_factory, text):
    test_json_loader_never_crashes.hypothesis.inner_test(tmp_path_factory, text)


@pytest.mark.slow
@LONG
@given(text=csv_text())
def test_csv_loader_long(tmp_path_factory, text):
    test_csv_loader_never_crashes.hypothesis.inner_test(tmp_path_factory, text)


@pytest.mark.slow
@LONG
@given(payload=npz_payload())
def test_cli_commands_long(tmp_path_factory, payload):
    test_cli_commands_give_one_line_errors.hypothesis.inner_test(tmp_path_factory, payload)


# ------------------------------------------------------------------ score, evaluate, train-generator, --checkpoint
_FIXTURES: dict = {}


def _fixtures(tmp_path_factory) -> dict:
    """A detector and a negatives file, built once for the whole module (hypothesis forbids function fixtures)."""
    if not _FIXTURES:
        from deval.data import sample_path

        d = tmp_path_factory.mktemp("fz_fixed")
        runner = CliRunner()
        r = runner.invoke(cli, ["generate-negatives", "-s", "spline", "--n", "150", "-o", str(d / "neg.npz"), "-q"])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["train-detector", "--real", str(sample_path()), "--negatives", str(d / "neg.npz"),
                                "--head", "logistic", "--out", str(d / "det"), "-q"])
        assert r.exit_code == 0, r.output
        _FIXTURES.update(neg=d / "neg.npz", det=d / "det", sample=sample_path())
    return _FIXTURES


def _assert_clean(result):
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        lines = [ln for ln in result.output.strip().splitlines() if ln.startswith("Error")]
        assert len(lines) == 1, result.output


def _strict_json(path):
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{path.name} holds {c}"))


@FAST
@given(payload=npz_payload())
def test_score_and_evaluate_give_one_line_errors(tmp_path_factory, payload):
    fx = _fixtures(tmp_path_factory)
    d = tmp_path_factory.mktemp("fz")
    path = d / "bad.npz"
    _write_npz(path, payload)
    runner = CliRunner()
    r = runner.invoke(cli, ["score", str(fx["det"]), str(path), "--out", str(d / "s.csv"), "-q", "--force"])
    _assert_clean(r)
    if r.exit_code == 0:
        import pandas as pd

        scores = pd.read_csv(d / "s.csv")
        assert np.isfinite(scores["p_bot"].to_numpy()).all()
    for args in (["--real", str(path), "--negatives", str(fx["neg"])],
                 ["--real", str(fx["sample"]), "--negatives", str(fx["neg"]), "--test-negatives", str(path)]):
        r = runner.invoke(cli, ["evaluate", *args, "--head", "logistic", "--bootstrap", "0", "--no-figures",
                                "--max-per-set", "200", "--out", str(d / "ev"), "--force"])
        _assert_clean(r)
        if r.exit_code == 0:
            _strict_json(d / "ev" / "summary.json")


@settings(FAST, max_examples=12)
@given(payload=npz_payload())
def test_train_generator_data_gives_one_line_errors(tmp_path_factory, payload):
    d = tmp_path_factory.mktemp("fz")
    path = d / "bad.npz"
    _write_npz(path, payload)
    r = CliRunner().invoke(cli, ["train-generator", "gan", "--data", str(path), "--preset", "smoke", "--steps", "1",
                                 "--out", str(d / "run"), "--force", "-q"])
    _assert_clean(r)


_CHECKPOINT_FILES = ("config.json", "encoder.json", "normalizer.json", "logger.json", "model.safetensors")


@st.composite
def broken_checkpoint(draw):
    """The shipped checkpoint with some files removed, truncated, replaced by junk or by a pickle."""
    damage = st.sampled_from(["keep", "remove", "truncate", "junk", "json-junk", "empty", "nan"])
    return {name: draw(damage) for name in _CHECKPOINT_FILES}


def _damage_checkpoint(directory, plan, rng_bytes):
    import shutil

    from deval.generators.diffusion.pretrained import checkpoint_path

    shutil.copytree(checkpoint_path(), directory)
    for name, how in plan.items():
        f = directory / name
        if how == "remove":
            f.unlink()
        elif how == "truncate":
            f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 3])
        elif how == "junk":
            f.write_bytes(rng_bytes)
        elif how == "json-junk":
            f.write_text(json.dumps({"a": [1, {"b": None}], "model": "x"}))
        elif how == "empty":
            f.write_bytes(b"")
        elif how == "nan" and f.suffix == ".json":
            f.write_text(f.read_text().replace("0.", "NaN", 1))


@FAST
@given(plan=broken_checkpoint(), junk=st.binary(max_size=64))
def test_checkpoint_dirs_give_one_line_errors(tmp_path_factory, plan, junk):
    pytest.importorskip("deval.generators.diffusion.pretrained")
    d = tmp_path_factory.mktemp("fz")
    ckpt = d / "ckpt"
    _damage_checkpoint(ckpt, plan, junk)
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "diffusion", "--checkpoint", str(ckpt), "--n", "4",
                                 "--seed", "0", "-o", str(d / "n.npz"), "--force", "-q"])
    _assert_clean(r)
    if r.exit_code == 0:
        out = load_trajectories(d / "n.npz")
        assert len(out) == 4 and np.isfinite(out.x).all() and np.isfinite(out.t).all()


@pytest.mark.slow
@LONG
@given(payload=npz_payload())
def test_score_and_evaluate_long(tmp_path_factory, payload):
    test_score_and_evaluate_give_one_line_errors.hypothesis.inner_test(tmp_path_factory, payload)


@pytest.mark.slow
@LONG
@given(payload=npz_payload())
def test_train_generator_data_long(tmp_path_factory, payload):
    test_train_generator_data_gives_one_line_errors.hypothesis.inner_test(tmp_path_factory, payload)


@pytest.mark.slow
@LONG
@given(plan=broken_checkpoint(), junk=st.binary(max_size=64))
def test_checkpoint_dirs_long(tmp_path_factory, plan, junk):
    test_checkpoint_dirs_give_one_line_errors.hypothesis.inner_test(tmp_path_factory, plan, junk)
