"""Training loop of the diffusion generator, with validation, checkpoints and resume.

:class:`DiffusionTraining` (``deval train-generator diffusion``) writes into ``out_dir``::

    config.json          the full configuration (with the split record)
    split.json           how the validation split was drawn
    metrics.jsonl        one JSON line per validation (loss, C2ST, MMD, PRD, goal accuracy, ...)
    best/                checkpoint with the best validation realism (C2ST accuracy, then loss)
    final/               checkpoint after the last step
    last/                training state for --resume (model, EMA, optimiser, RNG, step)

Realism at validation: ``train.val_samples`` movements are generated for the
endpoints (and point counts) of validation movements and compared with those
movements by :func:`deval.compare.realism_scores`.

The run itself (directory, split, validation, checkpoints, resume, progress)
is :class:`deval.generators.learned.training_run.TrainingRun`;
:class:`DiffusionTraining` adds the denoiser, AdamW with warm-up and cosine
decay, mixed precision on CUDA, the EMA and the single-batch overfit check.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from deval.generators.learned.batches import augment_batch, training_goal
from deval.generators.learned.ema import EMA
from deval.generators.learned.run_data import build_encoder
from deval.generators.learned.training_run import TrainingResult, TrainingRun

from .checkpoint import DIFFUSION_CHECKPOINTS
from .config import DiffusionConfig
from .model import DiffusionModel
from .representation import MovementEncoder

__all__ = ["DiffusionTraining", "build_encoder", "augment_batch", "generate_for"]

log = logging.getLogger(__name__)


def generate_for(model: DiffusionModel, encoder: MovementEncoder, cond, cfg: DiffusionConfig, *, seed: int,
                 sampler: str | None = None, steps: int | None = None, cfg_scale: float | None = None,
                 device: torch.device | None = None, style: str = "diffusion"):
    """Sample movements for ``cond`` (Endpoints) with a model; returns ``(traj, raw_end)`` (see decode)."""
    from .sampling import sample_movements

    return sample_movements(model, encoder, cond, seed=seed, sampler=sampler or cfg.sample.sampler,
                            steps=steps or cfg.sample.steps,
                            cfg_scale=cfg.sample.cfg_scale if cfg_scale is None else cfg_scale,
                            eta=cfg.sample.eta, batch_size=cfg.sample.batch_size, device=device, style=style)


class DiffusionTraining(TrainingRun):
    """A diffusion training run: one AdamW step of the denoising loss per step (see the module docstring)."""

    checkpoint_format = DIFFUSION_CHECKPOINTS
    name = "diffusion"
    rng_state_key = "generator"  # the key of the original training_state.pt layout
    score_keys = ("c2st_acc", "val_loss")
    recent_window = 200
    divergence_hint = "lower train.lr"

    # ------------------------------------------------------------ building
    def build(self) -> None:
        cfg, dev = self.cfg, self.device
        self.model = DiffusionModel.from_config(cfg, self.encoder.n_channels, self.encoder.goal_dim).to(dev)
        self.ema = EMA(self.model, cfg.train.ema_decay)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
        self.amp = cfg.train.amp and dev.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.amp and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.amp_dtype == torch.float16)
        self.fixed: torch.Tensor | None = None
        self.fixed_loss: list[float] = []

    def describe(self) -> str:
        n_params = sum(p.numel() for p in self.model.parameters())
        return f"{self.cfg.model.denoiser} denoiser ({n_params} parameters)"

    def before_training(self) -> None:
        if self.cfg.train.overfit_single_batch:
            self.fixed = torch.randperm(len(self.train_batch), generator=self.rng)[: self.cfg.train.batch_size]
            self.fixed = self.fixed.to(self.device)
            self.fixed_loss.append(self._fixed_batch_loss())
        self.model.train()

    def after_training(self) -> None:
        if self.fixed is not None:
            self.fixed_loss.append(self._fixed_batch_loss())
            log.info("fixed-batch loss %.4g -> %.4g (%.1fx)", self.fixed_loss[0], self.fixed_loss[1],
                     self.fixed_loss[0] / self.fixed_loss[1])

    def _fixed_batch_loss(self) -> float:
        b = self.train_batch.take(self.fixed.repeat(8))
        x, msk = self.encoder.features_of(b)
        with torch.no_grad():
            return float(self.model.loss(x, msk, training_goal(self.encoder, b, 0.0, None),
                                         torch.Generator().manual_seed(self.cfg.seed + 5)))

    # ------------------------------------------------------------ training
    def train_step(self) -> dict[str, float]:
        cfg, g = self.cfg, self.rng
        if self.fixed is not None:
            b = self.train_batch.take(self.fixed)
        else:
            b = augment_batch(self.batches.next(), cfg, g)
        x0, mask = self.encoder.features_of(b)
        goal = training_goal(self.encoder, b, cfg.augment.goal_noise if self.fixed is None else 0.0, g)
        rows = self.shard(len(x0))  # this process's rows of the global batch (all of them in one process)
        for group in self.opt.param_groups:
            group["lr"] = self.lr_at(self.step)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
            loss = self.model.loss(x0[rows], mask[rows], goal[rows], g, shard=(rows, len(x0)))
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.opt)
        self.reduce_gradients(self.model.parameters())
        if cfg.train.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.train.grad_clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.ema.update(self.model)
        return {"loss": float(loss.detach())}

    def train_stats(self) -> dict:
        losses = [r["loss"] for r in self.recent]
        return {"train_loss": float(np.mean(losses)) if losses else float("nan"), "lr": self.lr_at(max(self.step - 1, 0))}

    def progress_postfix(self) -> dict:
        return {"loss": f"{np.mean([r['loss'] for r in self.recent[-50:]]):.4f}"}

    # ---------------------------------------------------------- validation
    def validation_losses(self) -> dict[str, float]:
        vb = self.val_batch
        self.ema.model.eval()
        with torch.no_grad():
            vals, mask = self.encoder.features_of(vb)
            goal = self.encoder.goal(vb.distance, vb.angle, vb.duration)
            loss = self.ema.model.loss(vals, mask, goal, torch.Generator().manual_seed(self.cfg.seed + 3))
        return {"val_loss": float(loss)}

    def sample_validation(self, cond, seed: int):
        return generate_for(self.ema.model, self.encoder, cond, self.cfg, seed=seed, steps=self.cfg.train.val_steps,
                            device=self.device)

    def result(self) -> TrainingResult:
        base = super().result()
        base.extra["fixed_batch_loss"] = list(self.fixed_loss) if len(self.fixed_loss) == 2 else None
        return base

