"""Training loop of the GAN generator (conditional WGAN-GP), with validation, checkpoints and resume.

:func:`train_gan` writes into ``out_dir`` (the diffusion trainer's layout)::

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
:func:`deval.metrics.generation.realism_scores`, the same probe as the
diffusion trainer.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from deval.atomic import write_text
from deval.errors import ConfigError, DataError, OutputExistsError
from deval.generators.diffusion.checkpoint import load_tensor_dict, save_tensor_dict
from deval.generators.diffusion.ema import EMA
from deval.generators.diffusion.representation import CanonicalBatch, MovementEncoder
from deval.generators.diffusion.split import train_val_split
from deval.generators.diffusion.trainer import augment_batch
from deval.trajectories import Trajectories

from .checkpoint import build_critic, build_encoder, build_generator, load_gan_checkpoint, save_gan_checkpoint
from .config import GANConfig
from .sampling import sample_movements
from .wgan_gp import critic_loss, generator_loss, path_end

__all__ = ["GANTrainResult", "train_gan"]

log = logging.getLogger(__name__)


@dataclass
class GANTrainResult:
    """What :func:`train_gan` returns.

    Attributes
    ----------
    out_dir : Path
    steps : int
        Generator steps done in total.
    first, last : dict
        Mean ``d_loss``, ``g_loss``, ``wasserstein`` and ``end_err`` over the
        first and last 10% of this run's generator steps.
    best : dict or None
        The metrics line of the best checkpoint.
    history : list of dict
        Every metrics line written by this run.
    seconds : float
        Wall time of this run.
    """

    out_dir: Path
    steps: int
    first: dict
    last: dict
    best: dict | None
    history: list = field(default_factory=list)
    seconds: float = 0.0


def _device(name: str) -> torch.device:
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"--device {name!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: CUDA is not available on this machine")
    return dev


def _prepare_out(out_dir: Path, resume: bool, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(out_dir)
    if resume:
        if not (out_dir / "last" / "training_state.pt").is_file():
            raise ConfigError(f"{out_dir}: nothing to resume (no last/training_state.pt)")
        return
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / "metrics.jsonl").exists():
        (out_dir / "metrics.jsonl").unlink()


def _goal(encoder: MovementEncoder, b: CanonicalBatch, noise: float, g: torch.Generator | None) -> torch.Tensor:
    dist, angle = b.distance, b.angle
    if noise > 0 and g is not None:
        dev = dist.device
        dist = dist * torch.exp(noise * torch.randn(len(b), generator=g).to(dev))
        angle = angle + noise * torch.randn(len(b), generator=g).to(dev)
    return encoder.goal(dist, angle, b.duration)


def _means(rows: list[dict]) -> dict:
    keys = sorted({k for r in rows for k in r})
    return {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}


def train_gan(
    data: Trajectories,
    out_dir: str | os.PathLike,
    config: GANConfig,
    *,
    device: str = "cpu",
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    on_validation: Callable[[dict], None] | None = None,
) -> GANTrainResult:
    """Train a conditional WGAN-GP on real movements and write checkpoints to ``out_dir``.

    Parameters
    ----------
    data : Trajectories
        Real human movements (pixels, seconds); split into training and
        validation according to ``config.data.val_split`` (by user by default).
    out_dir : path
        Run directory (see module docstring). Must be empty unless ``force`` or ``resume``.
    config : GANConfig
        Everything else. With ``resume`` the saved configuration is used, except
        ``train.steps`` (so a run can be extended).
    device : str
        Torch device.
    progress : bool
        Show a tqdm progress bar with the losses and ETA.
    on_validation : callable, optional
        Called with each metrics line.

    Returns
    -------
    GANTrainResult
    """
    t_start = time.perf_counter()
    out = Path(out_dir)
    _prepare_out(out, resume, force)
    dev = _device(device)
    if resume:
        saved = GANConfig.from_dict(json.loads((out / "config.json").read_text(encoding="utf-8")))
        saved.train.steps = config.train.steps
        config = saved
    cfg = config
    cfg.validate()
    threads_before = torch.get_num_threads()
    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    try:
        return _train(data, out, cfg, dev, resume, progress, on_validation, t_start)
    finally:
        torch.set_num_threads(threads_before)


def _train(data: Trajectories, out: Path, cfg: GANConfig, dev: torch.device, resume: bool, progress: bool,
           on_validation: Callable[[dict], None] | None, t_start: float) -> GANTrainResult:
    t = cfg.train
    data = data.validate(min_points=2)
    # ------------------------------------------------------------ data split
    train_idx, val_idx, split = train_val_split(data, cfg.data.val_split, cfg.data.val_fraction, cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    if cfg.data.max_train and len(train_idx) > cfg.data.max_train:
        train_idx = np.sort(rng.choice(train_idx, cfg.data.max_train, replace=False))
        split["n_train_used"] = int(len(train_idx))
    train, val = data.take(train_idx), data.take(val_idx)
    train = train[train.endpoints().distance > 0]
    val = val[val.endpoints().distance > 0]
    if len(train) < 2 or len(val) < 1:
        raise DataError(None, "too few movements with a net displacement to train on")
    if resume:
        _, _, encoder = load_gan_checkpoint(out / "last")
    else:
        encoder = build_encoder(cfg).fit(train, seed=cfg.seed)
        write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2), force=True)
        write_text(out / "split.json", json.dumps(split, indent=2), force=True)
    tb = encoder.canonical(train).to(dev)
    vb = encoder.canonical(val)
    n_val_w = min(len(val), 1024)
    vb_w = vb.take(torch.as_tensor(np.random.default_rng(cfg.seed + 1).choice(len(val), n_val_w, replace=False))).to(dev)
    val_real = val.subsample(min(len(val), t.val_samples), seed=cfg.seed + 2)
    mean = torch.as_tensor(encoder.normalizer.mean_, dtype=torch.float32, device=dev)
    std = torch.as_tensor(encoder.normalizer.std_, dtype=torch.float32, device=dev)
    # -------------------------------------------------------------- models
    torch.manual_seed(cfg.seed)
    gen = build_generator(cfg, encoder).to(dev)
    critic = build_critic(cfg, encoder).to(dev)
    ema = EMA(gen, t.ema_decay)
    opt_g = torch.optim.Adam(gen.parameters(), lr=t.lr_g, betas=(t.beta1, t.beta2))
    opt_d = torch.optim.Adam(critic.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2))
    g = torch.Generator().manual_seed(cfg.seed)
    step = 0
    best_score = math.inf
    if resume:
        st = load_tensor_dict(out / "last" / "training_state.pt", map_location=dev)
        gen.load_state_dict(st["generator"])
        critic.load_state_dict(st["critic"])
        ema.load_state_dict(st["ema"])
        opt_g.load_state_dict(st["opt_g"])
        opt_d.load_state_dict(st["opt_d"])
        g.set_state(st["rng"].cpu())
        step = int(st["step"])
        best_score = float(st["best_score"])
        log.info("resuming at generator step %d", step)
    n_g = sum(p.numel() for p in gen.parameters())
    n_d = sum(p.numel() for p in critic.parameters())
    log.info("training GAN (generator %d, critic %d parameters) on %d movements, validating on %d (%s split)",
             n_g, n_d, len(train), len(val), split["how"])
    # real steps of the whole (encoded, un-augmented) training set are cheap to keep when augmentation is off
    augmenting = any([cfg.augment.time_stretch, cfg.augment.time_warp, cfg.augment.jitter, cfg.augment.mirror,
                      cfg.augment.crop])
    perm = torch.randperm(len(tb), generator=g).to(dev)
    pos = 0

    def next_real() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        nonlocal perm, pos
        if pos + t.batch_size > len(perm):
            perm = torch.randperm(len(tb), generator=g).to(dev)
            pos = 0
        idx = perm[pos: pos + t.batch_size]
        pos += t.batch_size
        b = tb.take(idx)
        if augmenting:
            b = augment_batch(b, cfg, g)
        x, mask = encoder.features_of(b)
        length = int(mask.sum(1).max())  # trim common padding (the networks ignore padding)
        x, mask = x[:, :length], mask[:, :length]
        goal = _goal(encoder, b, cfg.augment.goal_noise, g)
        return x, mask, goal, path_end(x, mask, mean, std)

    history: list[dict] = []
    recent: list[dict] = []
    run_rows: list[dict] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=t.steps, initial=step, desc="train gan", unit="step", dynamic_ncols=True)

    def validate() -> dict:
        nonlocal best_score
        line: dict = {"step": step, "epoch": round(step * t.n_critic * t.batch_size / len(tb), 3)}
        line.update({f"train_{k}": v for k, v in _means(recent).items()})
        line["elapsed_s"] = round(time.perf_counter() - t_start, 1)
        critic.eval()
        ema.model.eval()
        with torch.no_grad():
            x, mask = encoder.features_of(vb_w)
            goal = encoder.goal(vb_w.distance, vb_w.angle, vb_w.duration)
            fake = ema.model.generate(goal, mask, torch.Generator().manual_seed(cfg.seed + 3))
            line["val_wasserstein"] = float(critic(x, goal, mask).mean() - critic(fake, goal, mask).mean())
        critic.train()
        cond = val_real.endpoints()
        fake_traj, raw_end = sample_movements(ema.model, encoder, cond, seed=cfg.seed + 4,
                                              batch_size=cfg.sample.batch_size, device=dev)
        from deval.metrics.generation import goal_accuracy, realism_scores

        ga = goal_accuracy(raw_end, cond)
        line["goal_distance_err_rel"] = ga.distance_error_rel_mean
        line["goal_angle_err_deg"] = ga.angle_error_deg_mean
        try:
            line.update(realism_scores(val_real, fake_traj, seed=cfg.seed, metrics=("c2st", "mmd", "prd", "prdc")))
        except Exception as exc:  # realism metrics are advisory during training
            log.warning("realism metrics failed at step %d: %s", step, exc)
        score = line.get("c2st_acc")
        score = float(score) if score is not None and np.isfinite(score) else math.inf
        line["best"] = bool(score < best_score or (not history and best_score == math.inf))
        if line["best"]:
            best_score = min(score, best_score)
            save_gan_checkpoint(out / "best", ema.model.state_dict(), cfg, encoder, extra={"metrics": line})
        with open(out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        save_gan_checkpoint(out / "last", ema.model.state_dict(), cfg, encoder)
        save_tensor_dict(out / "last" / "training_state.pt", {
            "generator": gen.state_dict(), "critic": critic.state_dict(), "ema": ema.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "rng": g.get_state(), "step": step,
            "best_score": best_score,
        })
        history.append(line)
        if on_validation is not None:
            on_validation(line)
        log.info("step %d: %s", step, {k: round(v, 4) if isinstance(v, float) else v for k, v in line.items()})
        return line

    gen.train()
    critic.train()
    while step < t.steps:
        row: dict = {}
        for _ in range(t.n_critic):
            x, mask, goal, _ = next_real()
            with torch.no_grad():
                fake = gen.generate(goal, mask, g)
            d_loss, parts = critic_loss(critic, x, fake, goal, mask, gp_weight=t.gp_weight, drift=t.drift,
                                        generator=g)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        row["d_loss"] = float(d_loss.detach())
        row.update(parts)
        x, mask, goal, end = next_real()
        fake = gen.generate(goal, mask, g)
        g_loss, gparts = generator_loss(critic, fake, goal, mask, target_end=end, end_weight=t.end_weight,
                                        mean=mean, std=std)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        ema.update(gen)
        row["g_loss"] = float(g_loss.detach())
        row.update(gparts)
        if not all(math.isfinite(v) for v in row.values()):
            raise DataError(None, f"GAN training diverged at step {step} ({row}); lower train.lr_g / train.lr_d")
        recent.append(row)
        recent[:] = recent[-100:]
        run_rows.append(row)
        step += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(d=f"{row['d_loss']:.3f}", w=f"{row['wasserstein']:.3f}", g=f"{row['g_loss']:.3f}")
        if t.val_every and step % t.val_every == 0 and step < t.steps:
            validate()
    if bar is not None:
        bar.close()
    if not history or history[-1]["step"] != step:
        validate()
    save_gan_checkpoint(out / "final", ema.model.state_dict(), cfg, encoder, extra={"metrics": history[-1]})
    k = max(1, len(run_rows) // 10)
    best = None
    for line in history:
        if line.get("best"):
            best = line
    return GANTrainResult(out, step, _means(run_rows[:k]) if run_rows else {}, _means(run_rows[-k:]) if run_rows else {},
                          best, history, time.perf_counter() - t_start)
