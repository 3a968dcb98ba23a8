"""Training loop of the GAN generator (conditional WGAN-GP), with validation, checkpoints and resume.

:class:`GANTraining` (``deval train-generator gan``) writes into ``out_dir`` (the diffusion trainer's layout)::

    config.json          the full configuration
    split.json           how the validation split was drawn (by user by default)
    metrics.jsonl        one JSON line per validation (losses, Wasserstein estimate, C2ST, MMD, PRD, goal accuracy)
    best/                checkpoint with the best validation realism (C2ST accuracy)
    final/               checkpoint after the last step
    last/                training state for --resume (generator, critic, EMA, optimisers, RNG, step)

One generator step follows ``train.n_critic`` critic steps, each on a fresh
batch of real training movements; the fakes of a critic step are generated
for the goals and lengths of its real batch. Sampling uses an exponential
moving average of the generator weights. Realism at validation:
``train.val_samples`` movements are generated for the endpoints and point
counts of validation movements and compared with them by
:func:`deval.compare.realism_scores`, the same probe as the
diffusion trainer.

The run itself (directory, split, validation, checkpoints, resume, progress)
is :class:`deval.generators.learned.training_run.TrainingRun`;
:class:`GANTraining` adds the networks, the two Adam optimisers and the
WGAN-GP step.
"""

from __future__ import annotations

import logging

import torch

from deval.generators.learned.batches import augment_batch, training_goal
from deval.generators.learned.ema import EMA
from deval.generators.learned.training_run import TrainingRun

from .checkpoint import GAN_CHECKPOINTS, build_critic, build_generator
from .sampling import sample_movements
from .wgan_gp import critic_loss, generator_loss, path_end

__all__ = ["GANTraining"]

log = logging.getLogger(__name__)


class GANTraining(TrainingRun):
    """A WGAN-GP training run: ``train.n_critic`` critic steps, then one generator step, per step."""

    checkpoint_format = GAN_CHECKPOINTS
    name = "gan"
    rng_state_key = "rng"
    score_keys = ("c2st_acc",)
    recent_window = 100
    divergence_hint = "lower train.lr_g / train.lr_d"

    # ------------------------------------------------------------ building
    def build(self) -> None:
        cfg, t, dev = self.cfg, self.cfg.train, self.device
        self.mean = torch.as_tensor(self.encoder.normalizer.mean_, dtype=torch.float32, device=dev)
        self.std = torch.as_tensor(self.encoder.normalizer.std_, dtype=torch.float32, device=dev)
        self.gen = build_generator(cfg, self.encoder).to(dev)
        self.critic = build_critic(cfg, self.encoder).to(dev)
        self.ema = EMA(self.gen, t.ema_decay)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=t.lr_g, betas=(t.beta1, t.beta2))
        self.opt_d = torch.optim.Adam(self.critic.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2))

    def state_objects(self) -> dict:
        return {"generator": self.gen, "critic": self.critic, "ema": self.ema, "opt_g": self.opt_g,
                "opt_d": self.opt_d}

    def describe(self) -> str:
        n_g = sum(p.numel() for p in self.gen.parameters())
        n_d = sum(p.numel() for p in self.critic.parameters())
        return f"GAN (generator {n_g}, critic {n_d} parameters)"

    def before_training(self) -> None:
        self.gen.train()
        self.critic.train()

    # ------------------------------------------------------------ training
    def _next_real(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """A batch of real steps (B, l, C), mask (B, l), goals (B, G) and canonical path ends (B, 2)."""
        b = augment_batch(self.batches.next(), self.cfg, self.rng)
        x, mask = self.encoder.features_of(b)
        length = int(mask.sum(1).max())  # trim common padding (the networks ignore padding)
        x, mask = x[:, :length], mask[:, :length]
        goal = training_goal(self.encoder, b, self.cfg.augment.goal_noise, self.rng)
        rows = self.shard(len(x))  # this process's rows of the global batch (all of them in one process)
        x, mask, goal = x[rows], mask[rows], goal[rows]
        return x, mask, goal, path_end(x, mask, self.mean, self.std)

    def train_step(self) -> dict[str, float]:
        t, g = self.cfg.train, self.rng
        row: dict = {}
        for _ in range(t.n_critic):
            x, mask, goal, _ = self._next_real()
            with torch.no_grad():
                fake = self.gen.generate(goal, mask, g)
            d_loss, parts = critic_loss(self.critic, x, fake, goal, mask, gp_weight=t.gp_weight, drift=t.drift,
                                        generator=g)
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.reduce_gradients(self.critic.parameters())
            self.opt_d.step()
        row["d_loss"] = float(d_loss.detach())
        row.update(parts)
        x, mask, goal, end = self._next_real()
        fake = self.gen.generate(goal, mask, g)
        g_loss, gparts = generator_loss(self.critic, fake, goal, mask, target_end=end, end_weight=t.end_weight,
                                        mean=self.mean, std=self.std)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.reduce_gradients(self.gen.parameters())
        self.opt_g.step()
        self.ema.update(self.gen)
        row["g_loss"] = float(g_loss.detach())
        row.update(gparts)
        return row

    def progress_postfix(self) -> dict:
        row = self.recent[-1]
        return {"d": f"{row['d_loss']:.3f}", "w": f"{row['wasserstein']:.3f}", "g": f"{row['g_loss']:.3f}"}

    # ---------------------------------------------------------- validation
    def validation_losses(self) -> dict[str, float]:
        vb = self.val_batch
        self.critic.eval()
        self.ema.model.eval()
        with torch.no_grad():
            x, mask = self.encoder.features_of(vb)
            goal = self.encoder.goal(vb.distance, vb.angle, vb.duration)
            fake = self.ema.model.generate(goal, mask, torch.Generator().manual_seed(self.cfg.seed + 3))
            w = float(self.critic(x, goal, mask).mean() - self.critic(fake, goal, mask).mean())
        self.critic.train()
        return {"val_wasserstein": w}

    def sample_validation(self, cond, seed: int):
        return sample_movements(self.ema.model, self.encoder, cond, seed=seed, batch_size=self.cfg.sample.batch_size,
                                device=self.device)

