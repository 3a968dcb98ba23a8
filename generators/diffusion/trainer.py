"""Training loop of the diffusion generator, with validation, checkpoints and resume.

:func:`train_diffusion` writes into ``out_dir``::

    config.json          the full configuration (with the split record)
    split.json           how the validation split was drawn
    metrics.jsonl        one JSON line per validation (loss, C2ST, MMD, PRD, goal accuracy, ...)
    best/                checkpoint with the best validation realism (C2ST accuracy, then loss)
    final/               checkpoint after the last step
    last/                training state for --resume (model, EMA, optimiser, RNG, step)

Realism at validation: ``train.val_samples`` movements are generated for the
endpoints (and point counts) of validation movements and compared with those
movements by :func:`deval.metrics.generation.realism_scores`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from deval.atomic import write_text
from deval.errors import ConfigError, DataError, OutputExistsError
from deval.trajectories import Trajectories

from . import augment as A
from .checkpoint import load_tensor_dict, save_checkpoint, save_tensor_dict
from .config import DiffusionConfig
from .ema import EMA
from .model import DiffusionModel
from .representation import CanonicalBatch, MovementEncoder
from .split import train_val_split

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What :func:`train_diffusion` returns.

    Attributes
    ----------
    out_dir : Path
    steps : int
        Optimiser steps done in total.
    first_loss, last_loss : float
        Mean training loss over the first and last 5% of this run's steps.
    best : dict or None
        The metrics line of the best checkpoint.
    history : list of dict
        Every metrics line written by this run.
    seconds : float
        Wall time of this run.
    fixed_batch_loss : (float, float) or None
        With ``train.overfit_single_batch``: the loss on the fixed batch at fixed
        noise and timesteps (8 draws per movement) before and after training.
    """

    out_dir: Path
    steps: int
    first_loss: float
    last_loss: float
    best: dict | None
    history: list
    seconds: float
    fixed_batch_loss: tuple[float, float] | None = None


def _device(name: str) -> torch.device:
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"--device {name!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: CUDA is not available on this machine")
    return dev


def build_encoder(cfg: DiffusionConfig) -> MovementEncoder:
    """The :class:`MovementEncoder` described by ``cfg.data``."""
    d = cfg.data
    return MovementEncoder(d.max_len, d.features, d.spatial_scale, d.dt_transform, d.use_duration, d.quantize_output)


def augment_batch(b: CanonicalBatch, cfg: DiffusionConfig, g: torch.Generator) -> CanonicalBatch:
    """Apply the augmentations enabled in ``cfg.augment``."""
    a = cfg.augment
    if a.time_stretch > 0:
        b = A.time_stretch(b, a.time_stretch, a.p, g)
    if a.time_warp > 0:
        b = A.time_warp(b, a.time_warp, a.p, g)
    if a.crop:
        b = A.crop(b, a.p, g, scaled=cfg.data.spatial_scale == "distance")
    if a.jitter > 0:
        b = A.jitter(b, a.jitter, a.p, g)
    if a.mirror:
        b = A.mirror(b, a.p, g)
    return b


def _goal(encoder: MovementEncoder, b: CanonicalBatch, noise: float, g: torch.Generator | None) -> torch.Tensor:
    dist, angle, dur = b.distance, b.angle, b.duration
    if noise > 0 and g is not None:
        dev = dist.device
        dist = dist * torch.exp(noise * torch.randn(len(b), generator=g).to(dev))
        angle = angle + noise * torch.randn(len(b), generator=g).to(dev)
    return encoder.goal(dist, angle, dur)


def generate_for(model: DiffusionModel, encoder: MovementEncoder, cond, cfg: DiffusionConfig, *, seed: int,
                 sampler: str | None = None, steps: int | None = None, cfg_scale: float | None = None,
                 device: torch.device | None = None, style: str = "diffusion"):
    """Sample movements for ``cond`` (Endpoints) with a model; returns ``(traj, raw_end)`` (see decode)."""
    from .sampling import sample_movements

    return sample_movements(model, encoder, cond, seed=seed, sampler=sampler or cfg.sample.sampler,
                            steps=steps or cfg.sample.steps,
                            cfg_scale=cfg.sample.cfg_scale if cfg_scale is None else cfg_scale,
                            eta=cfg.sample.eta, batch_size=cfg.sample.batch_size, device=device, style=style)


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


def train_diffusion(
    data: Trajectories,
    out_dir: str | os.PathLike,
    config: DiffusionConfig,
    *,
    device: str = "cpu",
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    on_validation: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train a diffusion generator on real movements and write checkpoints to ``out_dir``.

    Parameters
    ----------
    data : Trajectories
        Real human movements (pixels, seconds); split into training and
        validation according to ``config.data.val_split``.
    out_dir : path
        Run directory (see module docstring). Must be empty unless ``force`` or ``resume``.
    config : DiffusionConfig
        Everything else. With ``resume`` the saved configuration is used, except
        ``train.steps`` (so a run can be extended).
    device : str
        Torch device.
    progress : bool
        Show a tqdm progress bar with the loss and ETA.
    on_validation : callable, optional
        Called with each metrics line.
    """
    t_start = time.perf_counter()
    out = Path(out_dir)
    _prepare_out(out, resume, force)
    dev = _device(device)
    if resume:
        saved = DiffusionConfig.from_dict(json.loads((out / "config.json").read_text(encoding="utf-8")))
        saved.train.steps = config.train.steps
        config = saved
    cfg = config
    cfg.validate()
    if cfg.train.num_threads:
        torch.set_num_threads(cfg.train.num_threads)
    data = data.validate(min_points=2)
    # ------------------------------------------------------------ data split
    train_idx, val_idx, split = train_val_split(data, cfg.data.val_split, cfg.data.val_fraction, cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    if cfg.data.max_train and len(train_idx) > cfg.data.max_train:
        train_idx = np.sort(rng.choice(train_idx, cfg.data.max_train, replace=False))
        split["n_train_used"] = int(len(train_idx))
    train, val = data.take(train_idx), data.take(val_idx)
    keep = train.endpoints().distance > 0
    if not keep.all():
        log.warning("dropping %d training movements with zero displacement", int((~keep).sum()))
        train = train[keep]
    val = val[val.endpoints().distance > 0]
    if len(train) < 2 or len(val) < 1:
        raise DataError(None, "too few movements with a net displacement to train on")
    if resume:
        from .checkpoint import load_checkpoint

        _, _, encoder = load_checkpoint(out / "last")
    else:
        encoder = build_encoder(cfg).fit(train, seed=cfg.seed)
        write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2), force=True)
        write_text(out / "split.json", json.dumps(split, indent=2), force=True)
    tb = encoder.canonical(train).to(dev)
    vb = encoder.canonical(val)
    n_val_loss = min(len(val), 1024)
    val_loss_idx = torch.as_tensor(np.random.default_rng(cfg.seed + 1).choice(len(val), n_val_loss, replace=False))
    vb_loss = vb.take(val_loss_idx).to(dev)
    n_real = min(len(val), cfg.train.val_samples)
    val_real = val.subsample(n_real, seed=cfg.seed + 2)
    # ---------------------------------------------------------------- model
    torch.manual_seed(cfg.seed)
    model = DiffusionModel.from_config(cfg, encoder.n_channels, encoder.goal_dim).to(dev)
    ema = EMA(model, cfg.train.ema_decay)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
    total = cfg.train.steps
    warm = max(1, cfg.train.warmup)

    def lr_at(step: int) -> float:
        if step < warm:
            return cfg.train.lr * (step + 1) / warm
        frac = min(1.0, (step - warm) / max(1, total - warm))
        return cfg.train.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    g = torch.Generator().manual_seed(cfg.seed)
    step = 0
    best_score = math.inf
    if resume:
        st = load_tensor_dict(out / "last" / "training_state.pt", map_location=dev)
        model.load_state_dict(st["model"])
        ema.load_state_dict(st["ema"])
        opt.load_state_dict(st["optimizer"])
        g.set_state(st["generator"].cpu())
        step = int(st["step"])
        best_score = float(st["best_score"])
        log.info("resuming at step %d", step)
    n_params = sum(p.numel() for p in model.parameters())
    log.info("training %s denoiser (%d parameters) on %d movements, validating on %d (%s split)",
             cfg.model.denoiser, n_params, len(train), len(val), split["how"])
    amp = cfg.train.amp and dev.type == "cuda"
    amp_dtype = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp and amp_dtype == torch.float16)
    fixed = None
    fixed_loss: list[float] = []

    def fixed_batch_loss() -> float:
        b = tb.take(fixed.repeat(8))
        x, msk = encoder.features_of(b)
        with torch.no_grad():
            return float(model.loss(x, msk, _goal(encoder, b, 0.0, None), torch.Generator().manual_seed(cfg.seed + 5)))

    if cfg.train.overfit_single_batch:
        fixed = torch.randperm(len(tb), generator=g)[: cfg.train.batch_size].to(dev)
        fixed_loss.append(fixed_batch_loss())
    history: list[dict] = []
    losses: list[float] = []
    run_losses: list[float] = []
    perm = torch.randperm(len(tb), generator=g).to(dev)
    pos = 0
    start_step = step
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=step, desc="train diffusion", unit="step", dynamic_ncols=True)

    def validate(final: bool) -> dict:
        nonlocal best_score
        line = {"step": step, "epoch": round(step * cfg.train.batch_size / len(tb), 3),
                "train_loss": float(np.mean(losses)) if losses else float("nan"),
                "lr": lr_at(max(step - 1, 0)), "elapsed_s": round(time.perf_counter() - t_start, 1)}
        ema.model.eval()
        with torch.no_grad():
            vals, mask = encoder.features_of(vb_loss)
            goal = encoder.goal(vb_loss.distance, vb_loss.angle, vb_loss.duration)
            line["val_loss"] = float(ema.model.loss(vals, mask, goal, torch.Generator().manual_seed(cfg.seed + 3)))
        cond = val_real.endpoints()
        fake, raw_end = generate_for(ema.model, encoder, cond, cfg, seed=cfg.seed + 4, steps=cfg.train.val_steps,
                                     device=dev)
        from deval.metrics.generation import goal_accuracy, realism_scores

        ga = goal_accuracy(raw_end, cond)
        line["goal_distance_err_rel"] = ga.distance_error_rel_mean
        line["goal_angle_err_deg"] = ga.angle_error_deg_mean
        try:
            line.update(realism_scores(val_real, fake, seed=cfg.seed, metrics=("c2st", "mmd", "prd", "prdc")))
        except Exception as exc:  # realism metrics are advisory during training; loss still selects
            log.warning("realism metrics failed at step %d: %s", step, exc)
        score = line.get("c2st_acc", line["val_loss"])
        score = float(score) if score is not None and np.isfinite(score) else math.inf
        line["best"] = score < best_score
        if line["best"]:
            best_score = score
            save_checkpoint(out / "best", ema.model.state_dict(), cfg, encoder, extra={"metrics": line})
        with open(out / "metrics.jsonl", "a", encoding="utf-8") as f:
            clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in line.items()}
            f.write(json.dumps(clean) + "\n")
        save_checkpoint(out / "last", ema.model.state_dict(), cfg, encoder)
        save_tensor_dict(out / "last" / "training_state.pt", {
            "model": model.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(),
            "generator": g.get_state(), "step": step, "best_score": best_score,
        })
        history.append(line)
        if on_validation is not None:
            on_validation(line)
        log.info("step %d: %s", step, {k: round(v, 4) if isinstance(v, float) else v for k, v in line.items()})
        model.train()
        return line

    model.train()
    while step < total:
        if fixed is not None:
            idx = fixed
        else:
            if pos + cfg.train.batch_size > len(perm):
                perm = torch.randperm(len(tb), generator=g).to(dev)
                pos = 0
            idx = perm[pos: pos + cfg.train.batch_size]
            pos += cfg.train.batch_size
        b = tb.take(idx)
        if fixed is None:
            b = augment_batch(b, cfg, g)
        x0, mask = encoder.features_of(b)
        goal = _goal(encoder, b, cfg.augment.goal_noise if fixed is None else 0.0, g)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        with torch.autocast(dev.type, dtype=amp_dtype, enabled=amp):
            loss = model.loss(x0, mask, goal, g)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        if cfg.train.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.train.grad_clip)
        scaler.step(opt)
        scaler.update()
        ema.update(model)
        lv = float(loss.detach())
        if not math.isfinite(lv):
            raise DataError(None, f"training diverged at step {step} (loss {lv}); lower train.lr")
        losses.append(lv)
        run_losses.append(lv)
        losses[:] = losses[-200:]
        step += 1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        if cfg.train.val_every and step % cfg.train.val_every == 0 and step < total:
            validate(False)
    if bar is not None:
        bar.close()
    if fixed is not None:
        fixed_loss.append(fixed_batch_loss())
        log.info("fixed-batch loss %.4g -> %.4g (%.1fx)", fixed_loss[0], fixed_loss[1], fixed_loss[0] / fixed_loss[1])
    if not history or history[-1]["step"] != step:
        validate(True)
    save_checkpoint(out / "final", ema.model.state_dict(), cfg, encoder, extra={"metrics": history[-1]})
    k = max(1, len(run_losses) // 20)
    best = None
    for line in history:
        if line.get("best"):
            best = line
    return TrainResult(out, step, float(np.mean(run_losses[:k])) if run_losses else float("nan"),
                       float(np.mean(run_losses[-k:])) if run_losses else float("nan"), best, history,
                       time.perf_counter() - t_start, tuple(fixed_loss) if len(fixed_loss) == 2 else None)
