"""Configuration of the GAN generator: dataclasses, presets, YAML/JSON loading with validation.

A :class:`GANConfig` has sections ``data`` and ``augment`` (the same
representation and augmentations as the diffusion generator, see
:mod:`deval.generators.learned.movement_config`), ``model``, ``train`` and
``sample``. It is built from a preset (``smoke``, ``small``), updated from a
YAML/JSON file and then from ``key=value`` overrides (``train.lr_g=1e-4`` or,
when the name is unique across sections, ``lr_g=1e-4``). Unknown keys and
wrong types raise :class:`~deval.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import ClassVar

from deval.configs import preset_names
from deval.generators.learned.config_sections import BatchSettings, RunSettings, ValidationSettings
from deval.generators.learned.movement_config import AugmentConfig, DataConfig
from deval.generators.learned.sectioned_config import SectionedConfig

__all__ = ["GANConfig", "GANModelConfig", "GANTrainConfig", "GANSampleConfig", "PRESETS", "preset",
           "load_config_file", "GENERATOR_TAG"]

#: value of the top-level ``generator`` key of every GAN ``config.json``
GENERATOR_TAG = "gan"


@dataclass
class GANModelConfig:
    """Generator (bidirectional GRU) and critic (dilated 1-D convolutions) sizes."""

    noise_dim: int = 8  #: per-step noise channels fed to the generator
    latent_dim: int = 32  #: per-movement latent (style) vector
    emb_dim: int = 64  #: goal-embedding width (generator and critic)
    gen_hidden: int = 96  #: GRU width of the generator (per direction)
    gen_layers: int = 2  #: stacked GRU layers of the generator
    critic_channels: int = 96  #: width of the critic's convolutions
    critic_blocks: int = 3  #: residual blocks; block i has dilation 2**i (in tokens)
    critic_kernel: int = 3  #: odd kernel size of the critic's convolutions
    patch: int = 4  #: steps per token of both networks (GRU token / critic stem stride)


@dataclass
class GANTrainConfig(RunSettings, ValidationSettings):
    """Optimisation (WGAN-GP: two Adams of their own) and validation: the shared run and validation settings,
    plus the adversarial ones. ``steps`` are generator steps."""

    batch_size: int = 64
    steps: int = 3000  #: generator steps (the CLI's --epochs converts to steps)
    n_critic: int = 2  #: critic steps per generator step
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.0  #: Adam betas as in WGAN-GP
    beta2: float = 0.9
    gp_weight: float = 10.0  #: gradient-penalty weight
    drift: float = 1e-3  #: penalty on the critic's squared output on real data (keeps it centred)
    end_weight: float = 0.5  #: weight of the generator's squared end-point error (canonical units)
    num_threads: int = 1  #: torch CPU threads during training (0 = torch's default); 1 because these small
    #: networks run many small operations, which gain little from intra-op threads and slow down badly
    #: when the cores are shared

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [
            (self.batch_size >= 2 and self.val_samples >= 20, "train.batch_size must be >= 2 and train.val_samples >= 20"),
            (self.n_critic >= 1, "train.n_critic must be >= 1"),
            (self.lr_g > 0 and self.lr_d > 0, "train.lr_g and train.lr_d must be > 0"),
            (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "train.beta1 and train.beta2 must be in [0, 1)"),
            (self.gp_weight >= 0 and self.drift >= 0 and self.end_weight >= 0,
             "train.gp_weight, train.drift and train.end_weight must be >= 0"),
        ]


@dataclass
class GANSampleConfig(BatchSettings):
    """Defaults of generation: movements per network call."""

    batch_size: int = 2000


SECTIONS = {"data": DataConfig, "augment": AugmentConfig, "model": GANModelConfig, "train": GANTrainConfig,
            "sample": GANSampleConfig}
PRESETS = preset_names("gan")


@dataclass
class GANConfig(SectionedConfig):
    """Everything the GAN trainer and sampler need; see the module docstring.

    Loading, overrides and validation come from
    :class:`~deval.generators.learned.sectioned_config.SectionedConfig`;
    ``to_dict()`` carries ``generator: "gan"`` to tell GAN checkpoints from others.
    """

    SECTIONS: ClassVar[dict] = SECTIONS
    PRESETS: ClassVar[tuple] = PRESETS
    PRESET_DIR: ClassVar[str] = "gan"
    GENERATOR_TAG: ClassVar[str] = GENERATOR_TAG
    LABEL: ClassVar[str] = "GAN"

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: GANModelConfig = field(default_factory=GANModelConfig)
    train: GANTrainConfig = field(default_factory=GANTrainConfig)
    sample: GANSampleConfig = field(default_factory=GANSampleConfig)
    seed: int = 0
    preset: str = "small"
    generator: str = GENERATOR_TAG

    def checks(self) -> list[tuple[bool, str]]:
        """The sections' own checks (``data``, ``augment``, ``train``, ``sample``), then the ``model`` ranges."""
        d, m = self.data, self.model
        return super().checks() + [
            (m.noise_dim >= 1 and m.latent_dim >= 0, "model.noise_dim must be >= 1 and model.latent_dim >= 0"),
            (m.emb_dim >= 1 and m.gen_hidden >= 1 and m.gen_layers >= 1,
             "model.emb_dim, model.gen_hidden and model.gen_layers must be >= 1"),
            (m.critic_channels >= 1 and m.critic_blocks >= 1, "model.critic_channels and model.critic_blocks must be >= 1"),
            (m.critic_kernel >= 1 and m.critic_kernel % 2 == 1, "model.critic_kernel must be a positive odd number"),
            (1 <= m.patch <= d.max_len, "model.patch must be between 1 and data.max_len"),
        ]

    def movements_per_step(self) -> int:
        """Real movements per generator step: ``n_critic`` critic batches (an epoch is one pass through the critic)."""
        return int(self.train.batch_size * self.train.n_critic)


def preset(name: str) -> GANConfig:
    """The built-in presets.

    ``smoke``
        Tiny networks, 16 steps per movement, 150 generator steps of 32
        movements: seconds on a CPU; checks that the pipeline learns (the
        tests train it on synthetic movements of known shape).
    ``small``
        The default for real data: a 0.4 M-parameter GRU generator and a
        0.16 M-parameter dilated convolutional critic over patches of 4 steps,
        up to 64 steps per movement, 3000 generator steps with 2 critic steps
        each, batches of 64 movements (about 30 epochs of SapiMouse-dev; about
        15-20 min of one CPU core).
    """
    return GANConfig.from_preset(name)


def load_config_file(path: str | os.PathLike, base: GANConfig | None = None) -> GANConfig:
    """Read a YAML or JSON config file on top of ``base`` (a file may name its own ``preset``)."""
    return GANConfig.load_file(path, base=base)
