"""The two networks of the keyframe diffusion model in one module (one state dict per checkpoint)."""

from __future__ import annotations

from torch import nn

from deval.errors import ConfigError
from deval.generators.diffusion.model import DiffusionModel

from .fill_in_model import FillInDenoiser


class KeyframeDiffusionModel(nn.Module):
    """Stage 1 (keypoint DDPM) + stage 2 (fill-in denoiser).

    Parameters
    ----------
    keypoint_model : DiffusionModel
        Stage 1, over (B, K, C) keypoint tokens (:func:`.keypoint_model.build_keypoint_model`).
    fill_model : FillInDenoiser
        Stage 2, over (B, P, C) positions.
    keypoints : int
        K, keypoints per movement.
    causal_chunk : int
        0: stage 2 fills a movement in one call; w > 0: in chunks of w points,
        left to right (:mod:`.causal_fill_in`).
    """

    def __init__(self, keypoint_model: DiffusionModel, fill_model: FillInDenoiser, keypoints: int,
                 causal_chunk: int = 0):
        super().__init__()
        if int(keypoints) < 2:
            raise ConfigError(f"keypoints must be >= 2, got {keypoints}")
        if int(causal_chunk) < 0:
            raise ConfigError(f"causal chunk must be >= 0, got {causal_chunk}")
        if keypoint_model.denoiser.c != fill_model.c:
            raise ConfigError("stage 1 and stage 2 disagree on the number of channels")
        self.keypoint_model = keypoint_model
        self.fill_model = fill_model
        self.keypoints = int(keypoints)
        self.causal_chunk = int(causal_chunk)

    @property
    def channels(self) -> int:
        """Channels C of the positions."""
        return self.fill_model.c


def build_model(cfg, rep) -> KeyframeDiffusionModel:
    """The (untrained) model of a :class:`~.config.KeyframeConfig` for a fitted
    :class:`~.positions.KeyframeRepresentation`."""
    from .keypoint_model import build_keypoint_model

    s1, s2 = cfg.stage1, cfg.stage2
    channels = len(rep.normalizer.channels)
    stage1 = build_keypoint_model(rep.goal_dim, channels=channels, d_model=s1.d_model, layers=s1.layers,
                                  heads=s1.heads, ff_mult=s1.ff_mult, emb_dim=s1.emb_dim, dropout=s1.dropout,
                                  schedule=s1.schedule, timesteps=s1.timesteps, prediction=s1.prediction,
                                  min_snr_gamma=s1.min_snr_gamma, self_condition=s1.self_condition,
                                  cond_drop=s1.cond_drop)
    stage2 = FillInDenoiser(channels, rep.goal_dim, s2.levels, d_model=s2.d_model, layers=s2.layers, heads=s2.heads,
                            ff_mult=s2.ff_mult, emb_dim=s2.emb_dim, dropout=s2.dropout, prediction=s2.prediction)
    return KeyframeDiffusionModel(stage1, stage2, s1.keypoints, s2.chunk if s2.causal else 0)
