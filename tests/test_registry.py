"""The generator registry: validation, lookup, and entry-point discovery of plugins."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import deval.generators.registry as registry_module
import deval.registry as core_registry
from deval.errors import ConfigError, DataError
from deval.generators import ENTRY_POINT_GROUP, Generator, ParamSpec, Registry, available, get
from deval.generators.noise import NoiseBot
from deval.trajectories import Endpoints, Trajectories

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "third_party_generator"
BUILTIN_NAMES = {"noise", "spline", "pid", "minimum-jerk", "sigma-lognormal", "replay"}


class StraightBot(Generator):
    """A minimal valid generator: straight line, 10 points, 10 ms apart."""

    name = "straight"
    description = "straight line (test)"
    param_specs = (ParamSpec("points", 10, "points per movement", "int", 2, 100),)

    def _generate(self, cond: Endpoints, rng: np.random.Generator) -> Trajectories:
        k = self.params["points"]
        s = np.linspace(0.0, 1.0, k)
        pts = cond.start[:, None, :] + s[None, :, None] * cond.displacement[:, None, :]
        t = np.tile(np.arange(k) * 0.01, len(cond))
        return Trajectories.from_arrays(pts[..., 0].ravel(), pts[..., 1].ravel(), t, lengths=np.full(len(cond), k))


def entry_point(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


# ------------------------------------------------------------------- register
def test_register_and_get():
    reg = Registry(discover_plugins=False)
    assert reg.register("straight", StraightBot) is StraightBot
    assert reg.get("straight") is StraightBot
    assert reg.available() == ["straight"]
    assert "straight" in reg
    traj = reg.get("straight")().sample(3, seed=0)
    assert (traj.style == "straight").all()


@pytest.mark.parametrize("bad", ["Straight", "straight_bot", "1bot", "bot-", "-bot", "two--hyphens", "", "a b", None])
def test_names_must_be_kebab_case(bad):
    reg = Registry(discover_plugins=False)
    with pytest.raises(ConfigError, match="kebab-case"):
        reg.register(bad, StraightBot)


def test_names_are_unique():
    reg = Registry({"straight": "somewhere:Else"}, discover_plugins=False)
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("straight", StraightBot)
    reg2 = Registry(discover_plugins=False)
    reg2.register("straight", StraightBot)
    with pytest.raises(ConfigError, match="already registered"):
        reg2.register("straight", StraightBot)


def test_class_is_validated():
    reg = Registry(discover_plugins=False)
    with pytest.raises(ConfigError, match="not a subclass"):
        reg.register("straight", object)
    with pytest.raises(ConfigError, match="not a subclass"):
        reg.register("straight", StraightBot())  # an instance, not a class

    class Abstract(Generator):
        name = "abstract"
        description = "no _generate"

    with pytest.raises(ConfigError, match="abstract"):
        reg.register("abstract", Abstract)
    with pytest.raises(ConfigError, match="must equal the registered name"):
        reg.register("other-name", StraightBot)

    class NoDescription(StraightBot):
        name = "no-description"
        description = ""

    with pytest.raises(ConfigError, match="one-line"):
        reg.register("no-description", NoDescription)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        get("no-such-bot")
    msg = str(err.value)
    assert "no-such-bot" in msg
    for name in BUILTIN_NAMES:
        assert name in msg


def test_unregister():
    reg = Registry(discover_plugins=False)
    reg.register("straight", StraightBot)
    reg.unregister("straight")
    assert reg.available() == []
    with pytest.raises(ConfigError, match="not registered"):
        reg.unregister("straight")


def test_builtins_are_listed_without_importing_them():
    assert BUILTIN_NAMES <= set(available())
    reg = Registry({"noise": "deval.generators.noise:NoiseBot", "broken": "deval.generators.nope:Nope"},
                   discover_plugins=False)
    assert reg.available() == ["broken", "noise"]
    assert reg.get("noise") is NoiseBot
    with pytest.raises(ConfigError, match="cannot be imported"):
        reg.get("broken")


def test_describe_mentions_every_generator_and_parameter():
    text = registry_module.describe()
    for name in BUILTIN_NAMES - {"replay"}:
        assert f"\n{name}: " in "\n" + text
    assert "\nreplay (trainable): " in text
    assert "curvature" in text and "rate_hz" in text


# ------------------------------------------------------------------ discovery
def test_broken_plugins_warn_and_the_rest_keeps_working(monkeypatch):
    module = type(sys)("fake_deval_plugin")
    module.StraightBot = StraightBot
    module.NotAGenerator = dict
    monkeypatch.setitem(sys.modules, "fake_deval_plugin", module)
    eps = [
        entry_point("missing", "no_such_module_for_deval_tests:Bot"),
        entry_point("straight", "fake_deval_plugin:StraightBot"),
        entry_point("not-a-generator", "fake_deval_plugin:NotAGenerator"),
        entry_point("noise", "fake_deval_plugin:StraightBot"),  # clashes with a built-in
    ]
    calls = []

    def fake_entry_points(group):
        calls.append(group)
        return eps

    monkeypatch.setattr(core_registry.metadata, "entry_points", fake_entry_points)
    reg = Registry(registry_module.BUILTINS)  # discovers on first use, through the default code path
    with pytest.warns(RuntimeWarning) as record:
        names = reg.available()
    messages = " | ".join(str(w.message) for w in record)
    assert "'missing'" in messages and "ModuleNotFoundError" in messages
    assert "'not-a-generator'" in messages and "not a subclass" in messages
    assert "'noise'" in messages and "already registered" in messages
    assert "straight" in names and BUILTIN_NAMES <= set(names)
    assert reg.get("noise") is NoiseBot  # the built-in survived the clash
    assert reg.get("straight")().sample(2, seed=0).n_points == 20
    assert calls == [ENTRY_POINT_GROUP]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.available()  # discovered once: no second lookup, no second warning
    assert calls == [ENTRY_POINT_GROUP]


def _declared_entry_points(group: str = ENTRY_POINT_GROUP) -> list[metadata.EntryPoint]:
    """The entry points of ``group`` that examples/third_party_generator/pyproject.toml declares."""
    with open(EXAMPLE / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    declared = project["entry-points"][group]
    return [entry_point(name, value) for name, value in declared.items()]


def test_example_plugin_is_discovered_through_its_declared_entry_point(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    eps = _declared_entry_points()
    assert [ep.name for ep in eps] == ["zigzag"]
    monkeypatch.setattr(core_registry.metadata, "entry_points", lambda group: eps)
    reg = Registry(registry_module.BUILTINS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "zigzag" in reg.available()
    cls = reg.get("zigzag")
    assert cls.__module__ == "deval_example_plugin"
    traj = cls(teeth=3).sample(20, seed=0)
    assert (traj.style == "zigzag").all() and (traj.label == 1).all()
    assert "zigzag" in reg.describe()


def test_example_plugin_is_listed_by_the_cli(monkeypatch):
    from click.testing import CliRunner

    from deval.app.cli.main import cli

    monkeypatch.syspath_prepend(str(EXAMPLE))
    eps = _declared_entry_points()
    monkeypatch.setattr(core_registry.metadata, "entry_points", lambda group: eps)
    monkeypatch.setattr(registry_module, "default_registry", Registry(registry_module.BUILTINS))
    result = CliRunner().invoke(cli, ["list-generators"])
    assert result.exit_code == 0, result.output
    assert "zigzag: zig-zag" in result.output and "teeth" in result.output


@pytest.mark.slow
def test_pip_installed_example_plugin_is_found(tmp_path):
    """Install the example into a throw-away venv (system site packages and their pip visible), list generators."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    source = shutil.copytree(EXAMPLE, tmp_path / "plugin", ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                                        "__pycache__"))
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    str(source)], check=True)
    env = {**os.environ, "PYTHONPATH": ""}
    out = subprocess.run([str(py), "-m", "deval.app.cli.main", "list-generators"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, check=True).stdout
    assert "zigzag" in out and "sigma-lognormal" in out


def test_example_plugin_adds_a_composite_part_and_a_metric_through_entry_points(monkeypatch):
    from deval.compare import METRICS, CompareSettings, compare_sets
    from deval.data import load_sample
    from deval.generators.composite import PARTS, part_names

    monkeypatch.syspath_prepend(str(EXAMPLE))
    paths_eps = _declared_entry_points("deval.composite.paths")
    metric_eps = _declared_entry_points("deval.metrics")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert PARTS["path"].discover(paths_eps) == ["staircase"]
            assert METRICS.discover(metric_eps) == ["median-points-ratio"]
        assert "staircase" in part_names("path")
        tr = get("composite")(paths="staircase").sample(30, seed=0)
        assert set(tr.meta["path"]) == {"staircase"}
        real = load_sample()
        res = compare_sets(real[:200], {"same": real[200:400]},
                           CompareSettings(metrics=("median-points-ratio",), baselines=False))
        assert 0.5 < res.summary().iloc[0]["median_points_ratio"] < 2.0
    finally:
        PARTS["path"].unregister("staircase")
        METRICS.unregister("median-points-ratio")


def test_example_plugin_adds_a_sampler_and_a_file_format(monkeypatch, tmp_path):
    import numpy as np
    import torch

    from deval.data import load_sample
    from deval.generators.diffusion.samplers import SAMPLERS
    from deval.generators.diffusion.schedules import NoiseSchedule
    from deval.io import FORMATS, detect_format, load_trajectories, save_trajectories

    monkeypatch.syspath_prepend(str(EXAMPLE))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert SAMPLERS.discover(_declared_entry_points("deval.samplers")) == ["euler-ancestral"]
            assert FORMATS.discover(_declared_entry_points("deval.formats")) == ["xyt-lines"]
        # the sampler is right: on Gaussian data with the exact denoiser it samples the data's mean and spread
        sched = NoiseSchedule("cosine", 1000)
        sampler = SAMPLERS.get("euler-ancestral")(sched, "epsilon")
        mu, sd = 1.5, 0.3

        def exact_eps(x, t):
            abar = float(sched.alphas_cumprod[int(t)])
            x0 = mu + abar ** 0.5 * sd ** 2 / (abar * sd ** 2 + 1 - abar) * (x - abar ** 0.5 * mu)
            return (x - abar ** 0.5 * x0) / (1 - abar) ** 0.5

        g = torch.Generator().manual_seed(0)
        sampler.set_timesteps(200)
        x = torch.randn(20_000, dtype=torch.float64, generator=g)
        for t in sampler.timesteps:
            x = sampler.step(exact_eps(x, t), t, x, generator=g).prev_sample
        assert abs(float(x.mean()) - mu) < 0.01 and abs(float(x.std()) / sd - 1) < 0.03
        # ... and the shipped model's generator takes it by name, as --param sampler=euler-ancestral
        fake = get("diffusion")(sampler="euler-ancestral", steps=10).sample(50, seed=0)
        assert len(fake) == 50 and np.isfinite(fake.x).all()
        # the format: detected by its suffix, written and read back
        real = load_sample()[:20]
        save_trajectories(real, tmp_path / "m.xyt")
        assert detect_format(tmp_path / "m.xyt") == "xyt-lines"
        back = load_trajectories(tmp_path / "m.xyt")
        np.testing.assert_array_equal(back.x, real.x)
        np.testing.assert_array_equal(back.t, real.t)
        (tmp_path / "bad.xyt").write_text("1,2;3\n")
        with pytest.raises(DataError, match="bad.xyt.*line 1"):
            load_trajectories(tmp_path / "bad.xyt")
    finally:
        SAMPLERS.unregister("euler-ancestral")
        FORMATS.unregister("xyt-lines")
