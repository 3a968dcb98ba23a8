"""Training run of ``action-diffusion``: the denoising loss on press-aware sequences, recreation and mix at validation.

One step draws a batch of training sequences (model units, gesture labels),
and takes one AdamW step of the diffusion loss of
:meth:`~deval.generators.diffusion.model.DiffusionModel.loss` (the configured
parameterisation and min-SNR weighting; the gesture label replaced by the
learned null with probability ``diffusion.cond_drop``), with linear warm-up
and cosine decay of the learning rate and an EMA of the weights (used for
validation and checkpoints).

The run directory, validation schedule, checkpoints (``best/``, ``final/``,
``last/``) and ``--resume`` are those of
:class:`~deval.generators.learned.training_run.TrainingRun`. The split is the
data's own (:mod:`.data_split`). A validation line of ``metrics.jsonl`` holds,
besides ``step``, ``epoch``, ``train_loss``, ``lr``, ``elapsed_s`` and
``val_loss`` (the loss on up to 1024 validation sequences at fixed noise):

* the **recreation** of ``train.val_samples`` validation sequences noised to
  ``t = T/2`` and denoised back (:mod:`.recreation`): every scalar of
  :meth:`deval.metrics.actions.ActionMetrics.scalars` (``press_accuracy``,
  ``temporal_iou``, ``snr_db``, ``mse``, ``spatial_accuracy``,
  ``gesture_accuracy``, ...) and ``recreation_t``;
* ``train.val_samples`` **samples** in the default mode (``sample.gesture``,
  ``sample.cfg_scale``; seed ``seed + 4``): the gesture mix ``gesture_<type>_pct`` and that of the
  validation set ``gesture_<type>_pct_real``, ``gesture_mix_max_diff_pts``
  (largest per-type difference, points), and the press statistics of
  :func:`deval.compare.action_comparison` (``press_duty``,
  ``presses_per_seq``, ``press_duration_ks``, ... with ``_real``);
* ``action_score``, which selects ``best/`` (lower is better):
  ``(1 - temporal_iou) + gesture_mix_max_diff_pts / 100 + press_duration_ks``,
  i.e. press timing of the recreation, gesture mix and press durations of the samples.

With ``train.wandb`` the same lines also go to Weights & Biases (:class:`~deval.generators.learned.callbacks.WandbCallback`).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from deval.generators.learned.ema import EMA
from deval.generators.learned.training_run import TrainingRun
from deval.metrics.gestures import GESTURE_TYPES, gesture_mix, gesture_mix_difference
from deval.trajectories import Endpoints, Trajectories

from .checkpoint import ACTION_CHECKPOINTS
from .data_split import split_actions
from .model import build_action_model
from .recreation import recreate
from .representation import ActionEncoder
from .sampling import sample_actions

__all__ = ["ActionDiffusionTraining", "action_score"]

log = logging.getLogger(__name__)

#: press statistics of deval compare's actions group kept in a metrics line
PRESS_KEYS = ("press_duty", "press_duty_real", "presses_per_seq", "presses_per_seq_real", "press_duration_ks",
              "press_duration_w1_s")


def action_score(line: dict) -> float:
    """The selection score of a metrics line (lower is better; see the module docstring); NaN when a part is missing."""
    parts = (1.0 - line.get("temporal_iou", math.nan), line.get("gesture_mix_max_diff_pts", math.nan) / 100.0,
             line.get("press_duration_ks", math.nan))
    return float(sum(parts))


class ActionDiffusionTraining(TrainingRun):
    """An ``action-diffusion`` training run (see the module docstring)."""

    checkpoint_format = ACTION_CHECKPOINTS
    name = "action-diffusion"
    score_keys = ("action_score", "val_loss")
    recent_window = 200
    divergence_hint = "lower train.lr"

    def split_data(self) -> tuple[Trajectories, Trajectories, dict]:
        train, val, record = split_actions(self.data, self.cfg)
        t = self.cfg.train
        if t.num_epochs > 0:
            t.steps = max(1, math.ceil(t.num_epochs * len(train) / t.batch_size))
            record["steps_from_num_epochs"] = t.steps
        return train, val, record

    def fit_encoder(self, train: Trajectories) -> ActionEncoder:
        d = self.cfg.data
        return ActionEncoder.fit(train, screen=d.screen, aspect=d.aspect, rate_hz=d.rate_hz, condition=d.condition,
                                 velocity=d.velocity, still_threshold=d.still_threshold)

    def build(self) -> None:
        cfg, dev = self.cfg, self.device
        self.model = build_action_model(cfg, self.encoder).to(dev)
        self.ema = EMA(self.model, cfg.train.ema_decay)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
        self.val_mix = gesture_mix(np.asarray(GESTURE_TYPES)[self.encoder.gesture_labels(
            *self.encoder.unit_values(self.val_set))])

    def describe(self) -> str:
        n_params = sum(p.numel() for p in self.model.parameters())
        e = self.encoder
        return (f"action-diffusion transformer ({n_params} parameters) on {e.seq_len}-step sequences, "
                f"{e.screen[0]:g}x{e.screen[1]:g} px, {e.rate_hz:g} Hz, condition {e.condition}")

    def before_training(self) -> None:
        self.model.train()

    # ------------------------------------------------------------ training
    def train_step(self) -> dict[str, float]:
        cfg = self.cfg
        b = self.batches.next()
        for group in self.opt.param_groups:
            group["lr"] = self.lr_at(self.step)
        rows = self.shard(len(b.values))  # this process's rows of the global batch (all of them in one process)
        loss = self.model.loss(b.values[rows], b.mask[rows], self.encoder.goal(b.label)[rows], self.rng,
                               shard=(rows, len(b.values)))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.reduce_gradients(self.model.parameters())
        if cfg.train.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.train.grad_clip)
        self.opt.step()
        self.ema.update(self.model)
        return {"loss": float(loss.detach())}

    def train_stats(self) -> dict:
        losses = [r["loss"] for r in self.recent]
        return {"train_loss": float(np.mean(losses)) if losses else float("nan"),
                "lr": self.lr_at(max(self.step - 1, 0))}

    def progress_postfix(self) -> dict:
        return {"loss": f"{np.mean([r['loss'] for r in self.recent[-50:]]):.4f}"}

    # ---------------------------------------------------------- validation
    def validation_losses(self) -> dict[str, float]:
        vb = self.val_batch
        with torch.no_grad():
            loss = self.ema.model.loss(vb.values, vb.mask, self.encoder.goal(vb.label),
                                       torch.Generator().manual_seed(self.cfg.seed + 3))
        return {"val_loss": float(loss)}

    def sample_validation(self, cond: Endpoints, seed: int) -> tuple[Trajectories, np.ndarray]:
        """``len(cond)`` sequences in the default gesture mode (endpoints are ignored) and their last points (N, 2), px."""
        t, s = self.cfg.train, self.cfg.sample
        gesture = s.gesture if self.encoder.condition == "gesture" else "unconditional"
        fake = sample_actions(self.ema.model, self.encoder, len(cond), seed=seed, sampler=s.sampler,
                              gesture=gesture, cfg_scale=s.cfg_scale, steps=t.val_steps, batch_size=s.batch_size, device=self.device)
        return fake, fake.end

    def generation_metrics(self) -> dict:
        """Recreation metrics, the samples' gesture mix and press statistics, ``action_score``."""
        from deval.compare import action_comparison

        cfg = self.cfg
        t = cfg.train
        line: dict = {}
        n = min(t.val_samples, len(self.val_batch))
        rec = recreate(self.ema.model, self.encoder, self.val_batch.take(torch.arange(n, device=self.device)),
                       seed=cfg.seed + 5, sampler=cfg.sample.sampler, steps=t.val_steps, noise=t.recreation_noise)
        line.update(rec.scalars())
        fake, _ = self.sample_validation(Endpoints(np.zeros((t.val_samples, 2)), np.zeros((t.val_samples, 2))),
                                         cfg.seed + 4)
        mix = gesture_mix(fake.meta["gesture"].to_numpy())
        line.update({f"gesture_{g}_pct": 100.0 * v for g, v in mix.items()})
        line.update({f"gesture_{g}_pct_real": 100.0 * v for g, v in self.val_mix.items()})
        line["gesture_mix_max_diff_pts"] = gesture_mix_difference(self.val_mix, mix)
        press, _ = action_comparison(self.val_real, fake)
        line.update({k: press[k] for k in PRESS_KEYS})
        line["action_score"] = action_score(line)
        return line

