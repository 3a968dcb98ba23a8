"""Configuration sections shared by generators that learn on canonical movement steps.

``data`` (:class:`DataConfig`) describes the representation of
:class:`~deval.generators.diffusion.representation.MovementEncoder` and the
validation split; ``augment`` (:class:`AugmentConfig`) the on-the-fly
augmentations of :func:`~.batches.augment_batch`. Both define ``checks()``,
which :meth:`~.sectioned_config.SectionedConfig.checks` collects.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DataConfig", "AugmentConfig"]


@dataclass
class DataConfig:
    """Representation and validation split."""

    max_len: int = 64  #: maximum steps per movement (longer ones are re-cut by index)
    features: str = "deltas"  #: "deltas" (dx, dy, dt) or "rich" (8 channels)
    spatial_scale: str = "distance"  #: canonical units: "distance" (end at (1, 0)) or "pixels"
    dt_transform: str = "log"  #: "log" or "linear" time-step channel
    use_duration: bool = False  #: condition on duration too
    quantize_output: bool = True  #: round to the training data's pixel / ms resolution
    moving_channel: bool = False  #: extra channel moving (+1) / still (-1) per step; still steps decode as pauses
    val_split: str = "user"  #: "user" (held-out people) or "random" (held-out movements)
    val_fraction: float = 0.15  #: fraction of users (or movements) held out
    max_train: int = 0  #: use at most this many training movements (0 = all)
    split_seed: int = -1  #: seed of the validation split (-1: the run's seed), so training seeds can share a split

    def checks(self) -> list[tuple[bool, str]]:
        """``(ok, message)`` pairs for the value ranges of this section."""
        return [
            (self.max_len >= 4, "data.max_len must be >= 4"),
            (self.features in ("deltas", "rich"), "data.features must be 'deltas' or 'rich'"),
            (self.spatial_scale in ("distance", "pixels"), "data.spatial_scale must be 'distance' or 'pixels'"),
            (self.dt_transform in ("log", "linear"), "data.dt_transform must be 'log' or 'linear'"),
            (self.val_split in ("user", "random"), "data.val_split must be 'user' or 'random'"),
            (0 < self.val_fraction < 1, "data.val_fraction must be in (0, 1)"),
            (self.max_train >= 0, "data.max_train must be >= 0"),
        ]


@dataclass
class AugmentConfig:
    """On-the-fly augmentations (0 / False = off)."""

    time_stretch: float = 0.0  #: +- fraction, e.g. 0.15
    time_warp: float = 0.0  #: warp amplitude (0..0.9)
    jitter: float = 0.0  #: std of point jitter as a fraction of the mean step
    mirror: bool = False  #: left-right screen mirror
    crop: bool = False  #: sub-movement crops
    goal_noise: float = 0.0  #: std of log-distance and angle (rad) noise on the goal
    p: float = 0.5  #: probability that each enabled augmentation touches a movement

    def checks(self) -> list[tuple[bool, str]]:
        """``(ok, message)`` pairs for the value ranges of this section."""
        return [
            (0 <= self.time_stretch < 1, "augment.time_stretch must be in [0, 1)"),
            (0 <= self.time_warp <= 0.9, "augment.time_warp must be in [0, 0.9]"),
            (self.jitter >= 0 and self.goal_noise >= 0, "augment.jitter and augment.goal_noise must be >= 0"),
            (0 <= self.p <= 1, "augment.p must be in [0, 1]"),
        ]
