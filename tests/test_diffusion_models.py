"""Denoisers, diffusion loss, EMA, config and checkpoint safety."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from deval.errors import CheckpointError, ConfigError
from deval.generators.diffusion.config import DiffusionConfig, load_config_file, preset
from deval.generators.diffusion.checkpoint import load_tensor_dict, resolve_checkpoint_dir
from deval.generators.learned.ema import EMA
from deval.generators.diffusion.model import DiffusionModel, build_denoiser
from deval.generators.diffusion.transformer import TransformerDenoiser
from deval.generators.diffusion.unet1d import UNet1d


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _randomise(m):
    g = torch.Generator().manual_seed(0)
    for p in m.parameters():  # zero-initialised output layers would hide bugs
        p.data = torch.randn(p.shape, generator=g) * 0.1
    return m.eval()


DENOISERS = [
    lambda: UNet1d(3, 3, channels=(16, 32, 64), stem_stride=4),
    lambda: UNet1d(3, 3, channels=(16, 32), stem_stride=1, attention=False),
    lambda: TransformerDenoiser(3, 3, d_model=32, layers=2, heads=4, patch_size=4),
    lambda: TransformerDenoiser(3, 3, d_model=32, layers=1, heads=2, patch_size=1),
]


@pytest.mark.parametrize("make", DENOISERS)
def test_denoisers_ignore_padding(make):
    """Output on real steps depends neither on padded values nor on how much padding there is."""
    m = _randomise(make())
    b, L = 4, 64
    g = torch.Generator().manual_seed(1)
    lens = torch.tensor([10, 33, 48, 48])
    mask = torch.arange(L)[None] < lens[:, None]
    x = torch.randn(b, L, 3, generator=g)
    sc = torch.randn(b, L, 3, generator=g)
    t = torch.tensor([5, 100, 500, 900])
    goal = torch.randn(b, 3, generator=g)
    with torch.no_grad():
        full = m(x, t, goal, None, mask, sc)
        garbage = m(torch.where(mask[..., None], x, 1e3), t, goal, None, mask, torch.where(mask[..., None], sc, -7.0))
        short = m(x[:, :48], t, goal, None, mask[:, :48], sc[:, :48])
    assert full.shape == x.shape
    assert float(full[~mask].abs().max()) == 0.0
    torch.testing.assert_close(full, garbage, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(full[:, :48], short, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", DENOISERS[::2])
def test_goal_and_null_embedding_change_the_output(make):
    m = _randomise(make())
    x = torch.randn(3, 32, 3)
    mask = torch.ones(3, 32, dtype=torch.bool)
    t = torch.tensor([10, 10, 10])
    goal = torch.randn(3, 3)
    with torch.no_grad():
        a = m(x, t, goal, None, mask)
        b = m(x, t, goal + 1.0, None, mask)
        n1 = m(x, t, goal, torch.ones(3, dtype=torch.bool), mask)
        n2 = m(x, t, goal + 1.0, torch.ones(3, dtype=torch.bool), mask)
    assert not torch.allclose(a, b)
    torch.testing.assert_close(n1, n2)  # dropped goals all map to the learned null embedding


def test_unet_default_size():
    m = build_denoiser(preset("small"), 3, 3)
    n = sum(p.numel() for p in m.parameters())
    assert 0.5e6 < n < 3e6
    assert 2e6 < sum(p.numel() for p in build_denoiser(preset("medium"), 3, 3).parameters()) < 1e7


@pytest.mark.parametrize("prediction", ["epsilon", "sample", "v_prediction"])
def test_loss_ignores_padding_and_is_seeded(prediction):
    cfg = preset("smoke").override({"diffusion.prediction": prediction, "diffusion.self_condition": True,
                                    "diffusion.cond_drop": 0.1})
    model = _randomise(DiffusionModel.from_config(cfg, 3, 3))
    x0 = torch.randn(8, 16, 3)
    mask = torch.arange(16)[None] < torch.tensor([3, 5, 16, 8, 9, 10, 2, 15])[:, None]
    goal = torch.randn(8, 3)
    l1 = model.loss(x0 * mask[..., None], mask, goal, torch.Generator().manual_seed(0))
    l2 = model.loss(torch.where(mask[..., None], x0, 50.0), mask, goal, torch.Generator().manual_seed(0))
    l3 = model.loss(x0 * mask[..., None], mask, goal, torch.Generator().manual_seed(1))
    assert torch.isfinite(l1) and float(l1.detach()) > 0
    torch.testing.assert_close(l1, l2)
    assert not torch.isclose(l1, l3)


def test_guided_sampling_is_seeded_and_masked():
    cfg = preset("smoke").override({"diffusion.self_condition": True})
    model = _randomise(DiffusionModel.from_config(cfg, 3, 3))
    mask = torch.arange(16)[None] < torch.tensor([4, 16, 9])[:, None]
    goal = torch.randn(3, 3)
    outs = [model.sample(mask, goal, sampler=s, steps=5, cfg_scale=c, generator=torch.Generator().manual_seed(0))
            for s, c in (("dpm-solver", 2.0), ("dpm-solver", 2.0), ("dpm-solver", 1.0), ("ddim", 1.0))]
    torch.testing.assert_close(outs[0], outs[1])
    assert not torch.allclose(outs[0], outs[2])
    for o in outs:
        assert torch.isfinite(o).all() and float(o[~mask].abs().max()) == 0.0


def test_ema_tracks_weights():
    lin = torch.nn.Linear(2, 2)
    ema = EMA(lin, decay=0.5)
    with torch.no_grad():
        lin.weight.fill_(1.0)
    for _ in range(50):
        ema.update(lin)
    torch.testing.assert_close(ema.model.weight, torch.ones(2, 2), atol=1e-6, rtol=0)
    state = ema.state_dict()
    ema2 = EMA(torch.nn.Linear(2, 2), 0.9)
    ema2.load_state_dict(state)
    assert ema2.num_updates == 50 and ema2.decay == 0.5


def test_config_presets_overrides_and_errors(tmp_path):
    for name in ("smoke", "small", "medium"):
        assert preset(name).preset == name
    cfg = preset("small").override({"lr": 5e-4, "model.denoiser": "transformer", "mirror": True})
    assert cfg.train.lr == 5e-4 and cfg.model.denoiser == "transformer" and cfg.augment.mirror
    assert DiffusionConfig.from_dict(cfg.to_dict()).to_dict() == cfg.to_dict()
    with pytest.raises(ConfigError, match="ambiguous"):
        preset("small").override({"steps": 10})
    with pytest.raises(ConfigError, match="unknown config key"):
        preset("small").override({"train.lrr": 1})
    with pytest.raises(ConfigError, match="not a valid"):
        preset("small").override({"train.lr": "fast"})
    with pytest.raises(ConfigError, match="denoiser"):
        preset("small").override({"model.denoiser": "lstm"})
    with pytest.raises(ConfigError):
        preset("huge")
    f = tmp_path / "c.yaml"
    f.write_text("preset: smoke\ntrain:\n  lr: 0.002\nmodel:\n  channels: [8, 16]\n")
    c = load_config_file(f)
    assert c.preset == "smoke" and c.train.lr == 0.002 and c.model.channels == [8, 16] and c.data.max_len == 16
    f.write_text("train: [1, 2]\n")
    with pytest.raises(ConfigError, match="c.yaml"):
        load_config_file(f)


def test_checkpoint_refuses_pickles_and_incomplete_dirs(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    p = tmp_path / "model.pt"
    with open(p, "wb") as f:
        pickle.dump({"w": Evil()}, f, protocol=2)
    with pytest.raises(CheckpointError, match="refusing"):
        load_tensor_dict(p)
    torch.save({"w": torch.ones(2)}, p)
    assert torch.equal(load_tensor_dict(p)["w"], torch.ones(2))
    with pytest.raises(CheckpointError, match="train-generator"):
        resolve_checkpoint_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no diffusion checkpoint"):
        resolve_checkpoint_dir(tmp_path / "empty")
    from deval.generators.diffusion.checkpoint import load_checkpoint

    (tmp_path / "run" / "best").mkdir(parents=True)
    torch.save({"w": torch.ones(1)}, tmp_path / "run" / "best" / "model.pt")
    (tmp_path / "run" / "best" / "config.json").write_text(json.dumps({}))
    with pytest.raises(CheckpointError, match="incomplete"):
        load_checkpoint(tmp_path / "run")
