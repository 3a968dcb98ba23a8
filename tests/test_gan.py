"""The ``gan`` generator: WGAN-GP training (smoke preset, through the CLI), sampling, checkpoints, config."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.errors import CheckpointError, ConfigError, OutputExistsError
from deval.generators import registry
from deval.generators.gan.checkpoint import GAN_CHECKPOINTS, build_critic, build_generator
from deval.generators.gan.config import GANConfig, load_config_file, preset
from deval.generators.gan.generator import GANGenerator
from deval.generators.gan.sampling import sample_movements
from deval.trajectories import Endpoints

from gan_support import BOW, arcs, signed_bow


@pytest.fixture(scope="module")
def gan_registered():
    """``gan`` in the default registry (registered here if the built-in table does not list it yet)."""
    added = False
    if "gan" not in registry.available():
        registry.register("gan", GANGenerator)
        added = True
    yield registry.get("gan")
    if added:
        registry.unregister("gan")


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory, gan_registered):
    """``deval train-generator gan --preset smoke`` on synthetic arcs: (data, run dir, JSON summary)."""
    tmp = tmp_path_factory.mktemp("gan")
    data = arcs(400, seed=0)
    data.save(tmp / "arcs.npz")
    out = tmp / "run"
    threads = torch.get_num_threads()
    res = CliRunner().invoke(cli, ["train-generator", "gan", "--data", str(tmp / "arcs.npz"), "--out", str(out),
                                   "--preset", "smoke", "-q"])
    torch.set_num_threads(threads)
    assert res.exit_code == 0, res.output
    return data, out, json.loads(res.stdout)


def test_smoke_training_learns_the_shape_of_the_data(gan_run):
    data, out, summary = gan_run
    # the run layout of the diffusion trainer
    for f in ("config.json", "split.json", "metrics.jsonl", "best/model.safetensors", "final/model.safetensors", "final/normalizer.json",
              "final/encoder.json", "last/training_state.pt"):
        assert (out / f).is_file(), f
    split = json.loads((out / "split.json").read_text())
    assert split["how"] == "user" and split["val_users"]
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines and {"c2st_acc", "mmd2", "prd_precision", "prd_recall", "goal_distance_err_rel",
                      "val_wasserstein"} <= set(lines[-1])
    assert summary["steps"] == preset("smoke").train.steps
    # the critic's Wasserstein estimate falls as the generator catches up (measured 5.60 -> 3.18 on this data)
    assert summary["last"]["wasserstein"] < 0.75 * summary["first"]["wasserstein"]
    # what it learned: the arcs' lateral bow (an untrained generator makes straight-ish lines)
    val = data[np.isin(data.user, split["val_users"])]
    cond = val.endpoints()
    trained = GANGenerator.load(out).sample(len(val), cond=cond, seed=0)
    state, cfg, encoder = GAN_CHECKPOINTS.load(out)
    torch.manual_seed(1)
    untrained, _ = sample_movements(build_generator(cfg, encoder), encoder, cond, seed=0)
    assert abs(np.mean(signed_bow(val)) - BOW) < 0.01
    assert abs(np.mean(signed_bow(trained)) - BOW) < 0.03
    assert abs(np.mean(signed_bow(untrained)) - BOW) > 0.1


def test_samples_hit_targets_exactly_with_increasing_time(gan_run):
    data, out, _ = gan_run
    gen = GANGenerator.load(out, timing="own")  # the network's own point counts and times
    rng = np.random.default_rng(3)
    n = 50
    start = rng.uniform(100, 1800, (n, 2))
    end = start + rng.normal(0, 300, (n, 2))
    n_points = rng.integers(3, 40, n)  # beyond the smoke model's 17 points too: re-cut by interpolation
    cond = Endpoints(start, end, None, n_points)
    fake = gen.sample(n, cond=cond, seed=5)
    assert len(fake) == n
    np.testing.assert_array_equal(fake.lengths, n_points)
    np.testing.assert_allclose(fake.start, start, atol=1e-9)
    np.testing.assert_allclose(fake.end, end, atol=1e-9)
    assert np.isfinite(fake.x).all() and np.isfinite(fake.y).all() and np.isfinite(fake.t).all()
    fake.validate()  # strictly increasing time within each movement
    assert (fake.t[fake.first_index] == 0).all()
    assert set(fake.style) == {"gan"} and set(fake.label) == {1}
    # without point counts: drawn from training movements of similar distance
    free = gen.sample(n, cond=Endpoints(start, end), seed=5)
    np.testing.assert_allclose(free.end, end, atol=1e-9)
    assert free.lengths.min() >= 12 and free.lengths.max() <= 17
    # same seed, same output; another seed, another output
    again = gen.sample(n, cond=cond, seed=5)
    np.testing.assert_array_equal(again.x, fake.x)
    np.testing.assert_array_equal(again.t, fake.t)
    other = gen.sample(n, cond=cond, seed=6)
    assert not np.array_equal(other.x, fake.x)
    # no condition: plausible endpoints from the training distances
    drawn = gen.sample(20, seed=1)
    assert len(drawn) == 20 and np.isfinite(drawn.x).all()


def test_save_load_round_trip_and_raw_samples(gan_run, tmp_path):
    data, out, _ = gan_run
    gen = GANGenerator.load(out)
    gen.save(tmp_path / "copy")
    with pytest.raises(OutputExistsError):
        gen.save(tmp_path / "copy")
    back = GANGenerator.load(tmp_path / "copy")
    cond = data[:30].endpoints()
    a, b = gen.sample(30, cond=cond, seed=2), back.sample(30, cond=cond, seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)
    raw = back.generate_gan_samples(8, 10, seed=4)
    assert raw.shape == (8, 10, 3) and raw.dtype == torch.float32 and torch.isfinite(raw).all()
    assert torch.equal(raw, back.generate_gan_samples(8, 10, seed=4))
    with pytest.raises(ConfigError):
        back.generate_gan_samples(8, 99)


class _Planted:
    """Unpickling this would create a file: proof that a loader ran code from a checkpoint."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (type(self.marker).touch, (self.marker,))


def test_unsafe_and_foreign_checkpoints_are_refused(gan_run, tmp_path):
    _, out, _ = gan_run
    ck = tmp_path / "ck"
    shutil.copytree(out / "final", ck)
    marker = tmp_path / "pwned"
    (ck / "model.safetensors").unlink()  # an older checkpoint: model.pt, read with weights_only=True only
    torch.save({"weight": torch.zeros(2), "x": _Planted(marker)}, ck / "model.pt")
    with pytest.raises(CheckpointError, match="not a plain tensor state dict"):
        GANGenerator.load(ck)
    assert not marker.exists()
    # a diffusion checkpoint (no generator tag) is named as such
    shutil.copytree(out / "final", tmp_path / "foreign")
    cfg = json.loads((tmp_path / "foreign" / "config.json").read_text())
    del cfg["generator"]
    (tmp_path / "foreign" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="not a GAN checkpoint"):
        GANGenerator.load(tmp_path / "foreign")
    (ck / "normalizer.json").unlink()
    with pytest.raises(CheckpointError, match="incomplete"):
        GAN_CHECKPOINTS.load(ck)
    with pytest.raises(CheckpointError, match="train-generator gan"):
        GANGenerator.load(tmp_path / "missing")
    with pytest.raises(CheckpointError, match="no checkpoint loaded"):
        GANGenerator().sample(3, seed=0, cond=Endpoints(np.zeros((3, 2)), np.ones((3, 2)) * 100))


def test_generate_negatives_mixes_gan_and_scripted_bots(gan_run, tmp_path):
    from deval.io import load_trajectories

    data, out, _ = gan_run
    like = tmp_path / "like.npz"
    data[:50].save(like)
    neg = tmp_path / "neg.npz"
    runner = CliRunner()
    res = runner.invoke(cli, ["generate-negatives", "-s", "gan", "-s", "spline", "--checkpoint", f"gan={out}",
                              "--like", str(like), "--n", "30", "--out", str(neg), "-q"])
    assert res.exit_code == 0, res.output
    mixed = load_trajectories(neg)
    assert sorted(set(mixed.style)) == ["gan", "spline"] and (mixed.label == 1).all()
    gan_part = mixed[mixed.style == "gan"]
    assert len(gan_part) == 30
    ends = {tuple(e) for e in data[:50].end.round(6)}
    assert {tuple(e) for e in gan_part.end.round(6)} <= ends  # endpoints follow --like exactly
    res = runner.invoke(cli, ["generate-negatives", "-s", "gan", "--n", "5", "--out", str(tmp_path / "x.npz")])
    assert res.exit_code != 0 and "--checkpoint gan=DIR" in res.output


def test_networks_ignore_padding(gan_run):
    data, out, _ = gan_run
    _, cfg, encoder = GAN_CHECKPOINTS.load(out)
    torch.manual_seed(0)
    gen, critic = build_generator(cfg, encoder).eval(), build_critic(cfg, encoder).eval()
    x, mask, goal = encoder.encode(data[:6])
    n, length = mask.shape
    pad = 7
    mask_p = torch.cat([mask, torch.zeros(n, pad, dtype=torch.bool)], 1)
    x_p = torch.cat([x, torch.randn(n, pad, x.shape[2])], 1)  # garbage in the padding
    z, w = gen.draw_noise(n, length, torch.Generator().manual_seed(0), "cpu")
    longer = gen.draw_noise(n, length + pad, None, "cpu")[0].shape[1]  # noise per step or per token
    z_p = torch.cat([z, torch.randn(n, longer - z.shape[1], z.shape[2])], 1)
    with torch.no_grad():
        y, y_p = gen(goal, mask, z, w), gen(goal, mask_p, z_p, w)
        torch.testing.assert_close(y_p[:, :length], y, rtol=1e-5, atol=1e-6)
        assert (y_p[:, length:] == 0).all()
        torch.testing.assert_close(critic(x_p, goal, mask_p), critic(x, goal, mask), rtol=1e-5, atol=1e-5)


def test_config_presets_overrides_and_errors(tmp_path, gan_registered):
    assert GANGenerator.presets == ("smoke", "small")
    small = preset("small")
    assert small.generator == "gan" and small.data.val_split == "user"
    cfg = small.override({"lr_g": 1e-4, "train.n_critic": 3, "model.patch": 2, "seed": 7})
    assert (cfg.train.lr_g, cfg.train.n_critic, cfg.model.patch, cfg.seed) == (1e-4, 3, 2, 7)
    assert small.train.lr_g == 2e-4  # override returns a copy
    with pytest.raises(ConfigError, match="unknown config key"):
        small.override({"train.lrr": 1})
    with pytest.raises(ConfigError, match="not a valid"):
        small.override({"train.steps": "many"})
    with pytest.raises(ConfigError, match="odd"):
        small.override({"model.critic_kernel": 4})
    with pytest.raises(ConfigError, match="unknown preset"):
        preset("huge")
    f = tmp_path / "gan.yaml"
    f.write_text("preset: smoke\ntrain:\n  lr_d: 0.001\n")
    c = load_config_file(f)
    assert c.preset == "smoke" and c.train.lr_d == 0.001 and c.data.max_len == 16
    assert GANConfig.from_dict(c.to_dict()).to_dict() == c.to_dict()
    # --epochs: one epoch = every training movement seen once by the critic
    e = GANGenerator.build_config(preset_name="smoke", epochs=2, n_movements=1000)
    t = e.train
    assert t.steps == int(np.ceil(2 * 1000 * (1 - e.data.val_fraction) / (t.batch_size * t.n_critic)))
    with pytest.raises(ConfigError, match="not both"):
        GANGenerator.build_config(epochs=1, steps=5, n_movements=10)
    info = registry.get("gan").info()
    assert info["trainable"] and info["name"] == "gan"


def test_wandb_callback_works_for_every_learned_generator_from_the_cli(tmp_path, monkeypatch):
    """--wandb-project adds the W&B callback to any learned generator's run (here gan); a fake wandb records it."""
    import json
    import sys
    import types

    from click.testing import CliRunner

    from deval.app.cli.main import cli
    from deval.data import sample_path

    calls: dict = {"init": [], "log": [], "finish": 0}

    class Run:
        def log(self, numbers, step):
            calls["log"].append(step)

        def finish(self):
            calls["finish"] += 1

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(
        init=lambda **kw: calls["init"].append(kw) or Run()))
    r = CliRunner().invoke(cli, ["train-generator", "gan", "--data", str(sample_path()), "--preset", "smoke",
                                 "--steps", "20", "train.val_every=10", "train.val_samples=20",
                                 "--wandb-project", "mine", "--out", str(tmp_path / "run"), "-q"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert calls["init"][0]["project"] == "mine" and calls["init"][0]["mode"] == "offline"
    assert calls["log"] == [x["step"] for x in lines] == [10, 20] and calls["finish"] == 1
    monkeypatch.setitem(sys.modules, "wandb", None)
    r = CliRunner().invoke(cli, ["train-generator", "gan", "--data", str(sample_path()), "--preset", "smoke",
                                 "--wandb-project", "mine", "--out", str(tmp_path / "run2"), "-q"])
    assert r.exit_code != 0 and "pip install 'deval[wandb]'" in r.output and not (tmp_path / "run2").exists()
