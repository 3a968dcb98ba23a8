"""Configuration of the keyframe diffusion generator: sections, presets ``smoke`` and ``small``, validation.

Sections: ``data`` and ``augment`` (shared with the other learned generators,
:mod:`deval.generators.learned.movement_config`), ``stage1`` (keypoints and
the keypoint DDPM), ``stage2`` (fill-in denoiser), ``bootstrap``, ``train`` and
``sample``. Built like every learned generator's configuration
(:class:`~deval.generators.learned.sectioned_config.SectionedConfig`): a
preset, then a YAML/JSON file, then ``key=value`` overrides
(``stage2.causal=true``, ``sample.clamp=all-anchors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from deval.generators.diffusion.parameterization import PREDICTION_TYPES
from deval.configs import preset_names
from deval.generators.learned.config_sections import (OptimiserSettings, SampledValidationSettings,
                                                        SamplingSettings)
from deval.generators.learned.movement_config import AugmentConfig, DataConfig
from deval.generators.learned.sectioned_config import SectionedConfig

from .clamp import CLAMP_CHANNELS, CLAMP_POLICIES
from .fill_in_model import PREDICTIONS

TAG = "keyframe-diffusion"


@dataclass
class Stage1Config:
    """Keypoints and the keypoint DDPM (a transformer over K tokens)."""

    keypoints: int = 8  #: K keypoints per movement (the first and the last point among them)
    d_model: int = 64
    layers: int = 3
    heads: int = 4
    ff_mult: int = 2
    emb_dim: int = 64
    dropout: float = 0.0
    schedule: str = "cosine"  #: "cosine" or "linear"
    timesteps: int = 1000
    prediction: str = "v_prediction"  #: "epsilon", "sample" or "v_prediction"
    min_snr_gamma: float = 5.0  #: 0 = plain loss
    self_condition: bool = False
    cond_drop: float = 0.1  #: goal dropout for classifier-free guidance

    def checks(self) -> list[tuple[bool, str]]:
        return [
            (self.keypoints >= 2, "stage1.keypoints must be >= 2"),
            (self.d_model >= 1 and self.layers >= 1 and self.emb_dim >= 4, "stage1 sizes must be positive"),
            (self.heads >= 1 and self.d_model % self.heads == 0, "stage1.heads must divide stage1.d_model"),
            (0 <= self.dropout < 1, "stage1.dropout must be in [0, 1)"),
            (self.schedule in ("cosine", "linear"), "stage1.schedule must be 'cosine' or 'linear'"),
            (self.timesteps >= 10, "stage1.timesteps must be >= 10"),
            (self.prediction in PREDICTION_TYPES, f"stage1.prediction must be one of {PREDICTION_TYPES}"),
            (self.min_snr_gamma >= 0, "stage1.min_snr_gamma must be >= 0"),
            (0 <= self.cond_drop < 1, "stage1.cond_drop must be in [0, 1)"),
        ]


@dataclass
class Stage2Config:
    """The interpolation-corruption (fill-in) denoiser."""

    levels: int = 8  #: S corruption levels between all points (0) and the keypoints (S)
    d_model: int = 64
    layers: int = 3
    heads: int = 4
    ff_mult: int = 2
    emb_dim: int = 64
    dropout: float = 0.0
    prediction: str = "residual"  #: "residual" (x0 - x_s) or "sample" (x0)
    causal: bool = False  #: generate in chunks, left to right
    chunk: int = 8  #: points per chunk of the causal variant

    def checks(self) -> list[tuple[bool, str]]:
        return [
            (self.levels >= 1, "stage2.levels must be >= 1"),
            (self.d_model >= 1 and self.layers >= 1 and self.emb_dim >= 4, "stage2 sizes must be positive"),
            (self.heads >= 1 and self.d_model % self.heads == 0, "stage2.heads must divide stage2.d_model"),
            (0 <= self.dropout < 1, "stage2.dropout must be in [0, 1)"),
            (self.prediction in PREDICTIONS, f"stage2.prediction must be one of {PREDICTIONS}"),
            (self.chunk >= 1, "stage2.chunk must be >= 1"),
        ]


@dataclass
class BootstrapConfig:
    """Scheduled bootstrapping of stage 2 on stage-1 keypoints (:mod:`.bootstrap`)."""

    enabled: bool = False
    max_share: float = 0.5  #: cap of the share of bootstrapped examples
    start: float = 0.3  #: fraction of training before which no example is bootstrapped
    ramp: float = 0.4  #: fraction of training over which the share grows to max_share
    strength: float = 0.6  #: noise level (fraction of the schedule) the true keypoints are re-generated from
    steps: int = 5  #: DDIM steps of that re-generation

    def checks(self) -> list[tuple[bool, str]]:
        return [
            (0 <= self.max_share <= 1, "bootstrap.max_share must be in [0, 1]"),
            (0 <= self.start <= 1 and self.ramp >= 0, "bootstrap.start must be in [0, 1] and bootstrap.ramp >= 0"),
            (0 < self.strength <= 1, "bootstrap.strength must be in (0, 1]"),
            (self.steps >= 1, "bootstrap.steps must be >= 1"),
        ]


@dataclass
class TrainConfig(OptimiserSettings, SampledValidationSettings):
    """Optimisation (both stages in every step, one optimiser) and validation: the shared settings, plus the
    stage-1 loss weight; ``val_steps`` are stage-1 sampler steps."""

    steps: int = 2500
    stage1_weight: float = 1.0  #: weight of the stage-1 loss in the sum

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [(self.stage1_weight > 0, "train.stage1_weight must be > 0")]


@dataclass
class SampleConfig(SamplingSettings):
    """Defaults of generation: the shared stage-1 sampler settings, plus the stage-2 fill-in and clamping."""

    steps: int = 20  #: stage-1 sampler steps
    fill_steps: int = 1  #: stage-2 network calls (1 = one-step jump)
    clamp: str = "endpoints"  #: "endpoints", "all-anchors" or "none"
    clamp_channels: str = "position"  #: "position" (x, y) or "all" (x, y, t)

    def checks(self) -> list[tuple[bool, str]]:
        return super().checks() + [
            (self.fill_steps >= 1, "sample.fill_steps must be >= 1"),
            (self.clamp in CLAMP_POLICIES, f"sample.clamp must be one of {CLAMP_POLICIES}"),
            (self.clamp_channels in CLAMP_CHANNELS, f"sample.clamp_channels must be one of {CLAMP_CHANNELS}"),
        ]


@dataclass
class KeyframeConfig(SectionedConfig):
    """Everything the keyframe trainer and sampler need; see the module docstring."""

    SECTIONS: ClassVar[dict] = {"data": DataConfig, "augment": AugmentConfig, "stage1": Stage1Config,
                                "stage2": Stage2Config, "bootstrap": BootstrapConfig, "train": TrainConfig,
                                "sample": SampleConfig}
    PRESETS: ClassVar[tuple] = preset_names("keyframe-diffusion")
    PRESET_DIR: ClassVar[str] = "keyframe-diffusion"
    DEFAULT_PRESET: ClassVar[str] = "small"
    GENERATOR_TAG: ClassVar[str] = TAG
    LABEL: ClassVar[str] = "keyframe-diffusion"

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    stage1: Stage1Config = field(default_factory=Stage1Config)
    stage2: Stage2Config = field(default_factory=Stage2Config)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    seed: int = 0
    preset: str = "small"
    generator: str = TAG

    def checks(self) -> list[tuple[bool, str]]:
        d = self.data
        return super().checks() + [
            (d.features == "deltas", "data.features must be 'deltas' for keyframe-diffusion"),
            (d.spatial_scale == "distance", "data.spatial_scale must be 'distance' for keyframe-diffusion"),
            (d.dt_transform == "log", "data.dt_transform must be 'log' for keyframe-diffusion"),
            (not d.use_duration, "data.use_duration is not supported by keyframe-diffusion"),
            (self.stage1.keypoints <= d.max_len + 1, "stage1.keypoints must be <= data.max_len + 1"),
            (self.sample.fill_steps <= self.stage2.levels, "sample.fill_steps must be <= stage2.levels"),
            (self.sample.steps <= self.stage1.timesteps, "sample.steps must be <= stage1.timesteps"),
            (self.bootstrap.steps <= self.stage1.timesteps, "bootstrap.steps must be <= stage1.timesteps"),
        ]
