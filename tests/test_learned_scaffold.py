"""The shared scaffolding of trainable generators (``deval.generators.learned``), on a toy generator.

The toy model learns one normalised step vector (a constant step per
movement); its known answer is the masked mean of the training steps, so the
tests can check that the template really feeds it the training batches, and
that resume restores what it learned.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pytest
import torch
from torch import nn

from deval.errors import CheckpointError, ConfigError, DataError, OutputExistsError
from deval.generators.learned.batched_sampling import generate_by_length, movements_for
from deval.generators.learned.batches import ShuffledBatches, augment_batch
from deval.generators.learned.checkpoint import CheckpointFormat
from deval.generators.learned.checkpoint_generator import CHECKPOINT_PARAM, DEVICE_PARAM, CheckpointGenerator
from deval.generators.learned.movement_config import AugmentConfig, DataConfig
from deval.generators.learned.run_data import build_encoder
from deval.generators.learned.sectioned_config import SectionedConfig
from deval.generators.learned.training_run import TrainingRun
from deval.trajectories import Endpoints

from gan_support import arcs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------ the toy generator
@dataclass
class ToyModel:
    init: float = 3.0  #: initial value of every channel of the learned step
    steps: int = 4  #: a name shared with ``train`` (ambiguous as a short key)
    widths: list = field(default_factory=lambda: [4, 8])
    frozen: bool = False


@dataclass
class ToyTrain:
    batch_size: int = 16
    steps: int = 40
    lr: float = 0.6
    val_every: int = 20
    val_samples: int = 30
    num_threads: int = 1


@dataclass
class ToyConfig(SectionedConfig):
    SECTIONS: ClassVar[dict] = {"data": DataConfig, "augment": AugmentConfig, "model": ToyModel, "train": ToyTrain}
    PRESETS: ClassVar[tuple] = ("smoke", "small", "large")
    GENERATOR_TAG: ClassVar[str] = "toy"
    LABEL: ClassVar[str] = "toy"

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ToyModel = field(default_factory=ToyModel)
    train: ToyTrain = field(default_factory=ToyTrain)
    seed: int = 0
    preset: str = "small"
    generator: str = "toy"

    def apply_preset(self, name: str) -> None:
        if name == "smoke":
            self.data.max_len = 16
            self.train.steps = 10

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [(self.train.lr > 0, "train.lr must be > 0")]


TOY_CHECKPOINTS = CheckpointFormat(ToyConfig, label="toy", source="toy")


class MeanSteps(nn.Module):
    """One learned normalised step (C,), repeated on every real step of a mask (B, L) -> (B, L, C)."""

    def __init__(self, channels: int, init: float):
        super().__init__()
        self.value = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, mask: torch.Tensor) -> torch.Tensor:
        return self.value.expand(*mask.shape, -1) * mask[..., None]


def sample_toy(net: MeanSteps, encoder, cond: Endpoints, seed, style: str):
    c = encoder.n_channels

    def draw(mask, goal, g):
        return net(mask) + 0.01 * torch.randn(*mask.shape, c, generator=g) * mask[..., None]

    def generate(n_steps, goal, chunk_seed):
        return generate_by_length(n_steps, goal, max_len=encoder.max_len, channels=c, batch_size=7, seed=chunk_seed,
                                  device=torch.device("cpu"), draw=draw)

    return movements_for(encoder, cond, seed=seed, generate=generate, style=style)


class ToyTraining(TrainingRun):
    checkpoint_format = TOY_CHECKPOINTS
    name = "toy"
    score_keys = ("c2st_acc", "val_loss")
    divergence_hint = "lower train.lr"
    poison_at: int | None = None  # a step that returns NaN (divergence test)

    def build(self) -> None:
        self.net = MeanSteps(self.encoder.n_channels, self.cfg.model.init).to(self.device)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=self.cfg.train.lr)

    def state_objects(self) -> dict:
        return {"net": self.net, "optimizer": self.opt}

    def sampling_state_dict(self) -> dict:
        return self.net.state_dict()

    def train_step(self) -> dict[str, float]:
        b = augment_batch(self.batches.next(), self.cfg, self.rng)
        x, mask = self.encoder.features_of(b)
        loss = ((self.net(mask) - x) ** 2)[mask].mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {"loss": float("nan") if self.step == self.poison_at else float(loss.detach())}

    def validation_losses(self) -> dict[str, float]:
        x, mask = self.encoder.features_of(self.val_batch)
        with torch.no_grad():
            return {"val_loss": float(((self.net(mask) - x) ** 2)[mask].mean())}

    def sample_validation(self, cond, seed):
        return sample_toy(self.net, self.encoder, cond, seed, "toy")


class ToyGenerator(CheckpointGenerator):
    name = "toy"
    description = "one learned constant step (test generator)"
    param_specs = (CHECKPOINT_PARAM, DEVICE_PARAM)
    checkpoint_format = TOY_CHECKPOINTS

    @classmethod
    def training_run_class(cls) -> type:
        return ToyTraining

    @staticmethod
    def build_network(config, encoder) -> MeanSteps:
        return MeanSteps(encoder.n_channels, config.model.init)

    def _sample_movements(self, net, encoder, cond, seed):
        return sample_toy(net, encoder, cond, seed, self.name)


@pytest.fixture(scope="module")
def data():
    return arcs(200, seed=4)


@pytest.fixture(scope="module")
def toy_run(data, tmp_path_factory):
    """``ToyGenerator.train_run`` with the small preset: (run dir, summary)."""
    out = tmp_path_factory.mktemp("toy") / "run"
    summary = ToyGenerator.train_run(data, out, seed=1)
    return out, summary


# ------------------------------------------------------------------------- configuration
def test_overrides_coerce_values_and_name_bad_keys():
    cfg = ToyConfig.from_preset("small")
    c = cfg.override({"train.lr": "0.5", "init": "2", "frozen": "yes", "widths": 7, "seed": "3",
                      "data.val_split": "random"})
    assert (c.train.lr, c.model.init, c.model.frozen, c.model.widths, c.seed) == (0.5, 2.0, True, [7], 3)
    assert c.data.val_split == "random" and cfg.train.lr == 0.6  # a copy; the original is unchanged
    with pytest.raises(ConfigError, match="ambiguous; write one of model.steps, train.steps"):
        cfg.override({"steps": 5})
    with pytest.raises(ConfigError, match="unknown config key 'nope'"):
        cfg.override({"nope": 1})
    with pytest.raises(ConfigError, match="unknown config key 'train.nope'"):
        cfg.override({"train.nope": 1})
    with pytest.raises(ConfigError, match="unknown config section 'trian' in 'trian.lr'"):
        cfg.override({"trian.lr": 1})
    for key, bad in (("model.frozen", "maybe"), ("train.batch_size", "2.5"), ("train.batch_size", True),
                     ("train.lr", "fast"), ("data.features", 3)):
        with pytest.raises(ConfigError, match=f"config key '{key}': .* is not a valid"):
            cfg.override({key: bad})
    with pytest.raises(ConfigError, match="train.lr must be > 0"):  # the subclass's own check
        cfg.override({"lr": 0})
    with pytest.raises(ConfigError, match="data.val_fraction must be in"):  # a shared section's check
        cfg.override({"val_fraction": 1.5})
    with pytest.raises(ConfigError, match="generator must be 'toy' in a toy configuration"):
        cfg.override({"generator": "gan"})


def test_presets_files_and_round_trip(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset 'huge'; choose smoke, small or large"):
        ToyConfig.from_preset("huge")
    smoke = ToyConfig.from_preset("smoke")
    assert (smoke.preset, smoke.train.steps, smoke.data.max_len) == ("smoke", 10, 16)
    assert ToyConfig.from_dict(smoke.to_dict()) == smoke
    f = tmp_path / "toy.yaml"
    f.write_text("preset: smoke\ntrain:\n  lr: 0.25\n")
    c = ToyConfig.load_file(f)  # the file's own preset is the base
    assert (c.preset, c.train.steps, c.train.lr) == ("smoke", 10, 0.25)
    on_small = ToyConfig.load_file(f, base=ToyConfig.from_preset("small"))  # an explicit base (--preset) wins
    assert (on_small.train.steps, on_small.train.lr) == (40, 0.25)
    j = tmp_path / "toy.json"
    j.write_text(json.dumps({"model": {"init": 1}}))
    assert ToyConfig.load_file(j).model.init == 1.0
    j.write_text("{not json")
    with pytest.raises(ConfigError, match="toy.json: not valid JSON"):
        ToyConfig.load_file(j)
    f.write_text("train: [1, 2]\n")
    with pytest.raises(ConfigError, match="toy.yaml: config section 'train' must be a mapping"):
        ToyConfig.load_file(f)
    with pytest.raises(ConfigError, match="missing.yaml: cannot read config"):
        ToyConfig.load_file(tmp_path / "missing.yaml")


def test_epochs_convert_to_steps():
    cfg = ToyConfig.from_preset("small")  # batch 16, val_fraction 0.15
    assert cfg.steps_for_epochs(2, 1000) == int(np.ceil(2 * 850 / 16))
    assert cfg.override({"data.max_train": 100}).steps_for_epochs(2, 1000) == int(np.ceil(200 / 16))
    assert cfg.steps_for_epochs(1e-6, 10) == 1
    built = ToyGenerator.build_config(preset_name="smoke", epochs=3, n_movements=400, seed=9, overrides={"lr": 0.2})
    assert (built.train.steps, built.seed, built.train.lr) == (int(np.ceil(3 * 340 / 16)), 9, 0.2)
    with pytest.raises(ConfigError, match="not both"):
        ToyGenerator.build_config(epochs=1, steps=5, n_movements=10)


# ---------------------------------------------------------------------------- checkpoints
def _fitted_encoder(data):
    cfg = ToyConfig.from_preset("smoke")
    return cfg, build_encoder(cfg).fit(data, seed=0)


def test_checkpoint_round_trip_and_refusals(data, tmp_path):
    cfg, encoder = _fitted_encoder(data)
    state = {"value": torch.tensor([1.0, -2.0, 0.5]), "other.weight": torch.arange(6.0).reshape(2, 3)}
    TOY_CHECKPOINTS.save(tmp_path / "run" / "final", state, cfg, encoder, extra={"metrics": {"step": 3}})
    back_state, back_cfg, back_enc = TOY_CHECKPOINTS.load(tmp_path / "run")  # a run directory: final/
    assert back_state.keys() == state.keys() and all(torch.equal(back_state[k], state[k]) for k in state)
    assert back_cfg == cfg and back_cfg.to_dict()["generator"] == "toy"
    assert back_enc.to_dict() == encoder.to_dict()
    np.testing.assert_array_equal(back_enc.normalizer.mean_, encoder.normalizer.mean_)
    assert json.loads((tmp_path / "run" / "final" / "encoder.json").read_text())["extra"] == {"metrics": {"step": 3}}
    TOY_CHECKPOINTS.save(tmp_path / "run" / "best", {"value": torch.zeros(3)}, cfg, encoder)
    assert TOY_CHECKPOINTS.resolve(tmp_path / "run") == tmp_path / "run" / "best"  # best before final
    # a checkpoint of another generator is named as such, whichever side is tagged
    untagged = CheckpointFormat(type("Plain", (ToyConfig,), {"GENERATOR_TAG": None}), label="plain", source="plain")
    with pytest.raises(CheckpointError, match="not a plain checkpoint .*names generator 'toy'; load it with --source toy"):
        untagged.load(tmp_path / "run")
    d = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    del d["generator"]
    (tmp_path / "run" / "best" / "config.json").write_text(json.dumps(d))
    with pytest.raises(CheckpointError, match='not a toy checkpoint .*no "generator": "toy"'):
        TOY_CHECKPOINTS.load(tmp_path / "run")
    # pickles are never unpickled
    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self):
            return (type(marker).touch, (marker,))

    (tmp_path / "run" / "final" / "model.safetensors").unlink()  # an older checkpoint: model.pt
    with open(tmp_path / "run" / "final" / "model.pt", "wb") as f:
        pickle.dump({"value": Planted()}, f, protocol=2)
    with pytest.raises(CheckpointError, match="not a plain tensor state dict"):
        TOY_CHECKPOINTS.load(tmp_path / "run" / "final")
    assert not marker.exists()
    (tmp_path / "run" / "final" / "normalizer.json").unlink()
    with pytest.raises(CheckpointError, match="incomplete checkpoint, missing normalizer.json"):
        TOY_CHECKPOINTS.load(tmp_path / "run" / "final")
    with pytest.raises(CheckpointError, match="no toy checkpoint here .*deval train-generator toy"):
        TOY_CHECKPOINTS.resolve(tmp_path)
    with pytest.raises(CheckpointError, match="no such toy checkpoint directory"):
        TOY_CHECKPOINTS.resolve(tmp_path / "nowhere")


# -------------------------------------------------------------------- batches and sampling
def test_shuffled_batches_cover_every_movement_once_per_pass(data):
    _, encoder = _fitted_encoder(data[:40])
    canon = encoder.canonical(data[:40])
    batches = ShuffledBatches(canon, 10, torch.Generator().manual_seed(0), torch.device("cpu"))
    first_pass = torch.cat([batches.next_indices() for _ in range(4)])
    assert sorted(first_pass.tolist()) == list(range(40))
    second_pass = torch.cat([batches.next_indices() for _ in range(4)])  # a fresh permutation
    assert sorted(second_pass.tolist()) == list(range(40)) and not torch.equal(first_pass, second_pass)
    again = ShuffledBatches(canon, 10, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert torch.equal(torch.cat([again.next_indices() for _ in range(4)]), first_pass)
    odd = ShuffledBatches(canon, 15, torch.Generator().manual_seed(1), torch.device("cpu"))
    a, b, c = odd.next_indices(), odd.next_indices(), odd.next_indices()  # 10 left < 15: a new pass
    assert len(set(a.tolist()) | set(b.tolist())) == 30 and len(set(c.tolist())) == 15
    assert len(odd.next()) == 15


def test_generate_by_length_equals_full_padding_and_seeds_chunks():
    n_steps = np.array([5, 1, 9, 3, 9, 2, 7])
    goal = torch.arange(7.0)[:, None].repeat(1, 3)
    seeds = []

    def draw(mask, g, gen):
        seeds.append(gen.initial_seed())
        pos = torch.arange(mask.shape[1], dtype=torch.float32)[None, :, None]
        return (g[:, :1, None] * 100 + pos + torch.zeros(1, 1, 2)) * mask[..., None]

    values, mask = generate_by_length(n_steps, goal, max_len=12, channels=2, batch_size=3, seed=40,
                                      device=torch.device("cpu"), draw=draw, multiple=4)
    assert seeds == [40, 41, 42]  # chunk k: seed + k
    full = (goal[:, :1, None] * 100 + torch.arange(12.0)[None, :, None] + torch.zeros(1, 1, 2)) * mask[..., None]
    assert torch.equal(values, full) and values.shape == (7, 12, 2)
    assert torch.equal(mask.sum(1), torch.as_tensor(n_steps))
    assert (values[~mask] == 0).all()


# ------------------------------------------------------------------------- a training run
def test_training_run_learns_and_writes_the_run_directory(toy_run, data):
    out, summary = toy_run
    for f in ("config.json", "split.json", "metrics.jsonl", "best/model.safetensors", "final/model.safetensors", "last/model.safetensors",
              "last/training_state.pt"):
        assert (out / f).is_file(), f
    # from (3 - mean)^2 + variance per channel down to about the variance (1 for standardised steps)
    assert summary["steps"] == 40 and summary["first"]["loss"] > 3 and summary["last"]["loss"] < 1.5
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [20, 40]
    for key in ("epoch", "train_loss", "elapsed_s", "val_loss", "goal_distance_err_rel", "goal_angle_err_deg",
                "c2st_acc", "mmd2", "prd_precision", "best"):
        assert key in lines[-1], key
    assert summary["final"]["step"] == 40 and summary["best"]["best"] is True
    split = json.loads((out / "split.json").read_text())
    assert split["how"] == "user" and split["seed"] == 1 and split["val_users"]
    # what it learned: the masked mean of the (normalised) training steps, from an initial 3.0
    gen = ToyGenerator.load(out / "final")
    train = data[~np.isin(data.user, split["val_users"])]
    x, mask = gen.encoder.encode(train)[:2]
    target = x[mask].mean(0)
    assert torch.allclose(gen.net.value.detach(), target, atol=0.15), (gen.net.value, target)
    assert gen.is_fitted and gen.checkpoint_dir == out / "final"


def test_checkpoint_generator_samples_saves_and_needs_a_checkpoint(toy_run, data, tmp_path):
    out, _ = toy_run
    gen = ToyGenerator.load(out)
    cond = data[:25].endpoints()
    a, b, c = gen.sample(25, cond=cond, seed=3), gen.sample(25, cond=cond, seed=3), gen.sample(25, cond=cond, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    np.testing.assert_allclose(a.end, cond.end, atol=1e-9)
    np.testing.assert_array_equal(a.lengths, cond.n_points)
    assert set(a.style) == {"toy"} and {"uncorrected_end_x", "uncorrected_end_y"} <= set(a.meta.columns)
    free = gen.sample(12, seed=0)  # endpoints drawn from the training movements
    assert len(free) == 12 and np.isfinite(free.x).all()
    gen.save(tmp_path / "copy")
    with pytest.raises(OutputExistsError):
        gen.save(tmp_path / "copy")
    np.testing.assert_array_equal(ToyGenerator.load(tmp_path / "copy").sample(25, cond=cond, seed=3).x, a.x)
    empty = ToyGenerator()
    assert not empty.is_fitted
    with pytest.raises(CheckpointError, match="toy: no checkpoint loaded .*deval train-generator toy"):
        empty.sample(3, seed=0)


def test_resume_restores_what_was_learned(toy_run, data, tmp_path):
    import shutil

    out, fresh = toy_run
    run = tmp_path / "resumed"
    shutil.copytree(out, run)
    with pytest.raises(OutputExistsError):
        ToyGenerator.train_run(data, run, seed=1)
    resumed = ToyGenerator.train_run(data, run, steps=50, resume=True)
    assert resumed["steps"] == 50
    assert [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()] == [20, 40, 50]
    # the restored value starts near the target: the first steps' loss is the trained one, not the initial one
    assert resumed["first"]["loss"] < 2 * fresh["last"]["loss"]
    with pytest.raises(ConfigError, match="nothing to resume"):
        ToyGenerator.train_run(data, tmp_path / "empty", resume=True)


def test_divergence_stops_with_the_step_and_a_hint(data, tmp_path):
    class Poisoned(ToyTraining):
        poison_at = 3

    with pytest.raises(DataError, match=r"toy training diverged at step 3 .*lower train\.lr"):
        Poisoned(data, tmp_path / "p", ToyConfig.from_preset("smoke")).run()


# ---------------------------------------------------------------- the shared config settings
def _learned_configs():
    from deval.generators.action_diffusion.config import ActionDiffusionConfig
    from deval.generators.diffusion.config import DiffusionConfig
    from deval.generators.gan.config import GANConfig
    from deval.generators.keyframe.config import KeyframeConfig

    return [DiffusionConfig, GANConfig, KeyframeConfig, ActionDiffusionConfig]


@pytest.mark.parametrize("key,value", [("train.batch_size", 0), ("train.steps", 0), ("train.ema_decay", 1.0),
                                       ("train.num_threads", -1), ("train.val_every", -1), ("train.val_samples", 1),
                                       ("train.wandb_mode", "cloud"), ("sample.batch_size", 0)])
def test_every_learned_generator_checks_the_shared_settings(key, value):
    from deval.generators.learned.config_sections import BatchSettings, RunSettings, ValidationSettings

    for cfg_cls in _learned_configs():
        cfg = cfg_cls()
        assert isinstance(cfg.train, RunSettings) and isinstance(cfg.train, ValidationSettings)
        assert isinstance(cfg.sample, BatchSettings)
        cfg.validate()
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            cfg.override({key: value})


@pytest.mark.parametrize("key,value", [("train.lr", 0.0), ("train.warmup", -1), ("train.val_steps", 0),
                                       ("sample.steps", 0), ("sample.cfg_scale", -1.0), ("sample.sampler", "nope")])
def test_diffusion_style_generators_share_optimiser_and_sampler_settings(key, value):
    configs = [c for c in _learned_configs() if c.__name__ != "GANConfig"]
    for cfg_cls in configs:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            cfg_cls().override({key: value})


def test_a_registered_sampler_is_a_valid_sample_sampler():
    from deval.generators.diffusion.config import DiffusionConfig
    from deval.generators.diffusion.samplers import SAMPLERS

    with pytest.raises(ConfigError, match="sample.sampler must be one of"):
        DiffusionConfig().override({"sample.sampler": "my-ddim"})
    SAMPLERS.register("my-ddim", SAMPLERS.get("ddim"))
    try:
        assert DiffusionConfig().override({"sample.sampler": "my-ddim"}).sample.sampler == "my-ddim"
    finally:
        SAMPLERS.unregister("my-ddim")


@pytest.mark.parametrize("name", ["gan", "keyframe-diffusion"])
def test_train_wandb_in_the_config_asks_for_wandb_in_every_learned_generator(name, tmp_path, monkeypatch):
    import sys

    from deval.data import load_sample
    from deval.generators import get

    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb -> ImportError
    with pytest.raises(ConfigError, match="wandb"):
        get(name).train_run(load_sample()[:100], tmp_path / "run", preset_name="smoke",
                            overrides={"train.wandb": True})
    assert not (tmp_path / "run").exists()  # nothing was written
