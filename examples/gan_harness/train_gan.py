#!/usr/bin/env python
"""A small "existing" GAN training script for pointer movements, with deval's diffusion evaluation hook.

This stands for the training script a team already has: its own data
loading (the native ``.npz`` read with NumPy), its own model (a conditional
MLP generator and discriminator on movements resampled to K points), its
own loop (the standard non-saturating GAN loss) and its own logging. It is
*not* built on deval's GAN. The three lines marked ``# deval`` are all it
takes to compare it, every N epochs, with a deval diffusion model on the
validation split (C2ST, MMD, PRD, kinematic and spectral overlays)::

    # without evaluation (no deval work at all)
    python examples/gan_harness/train_gan.py --data ../shared/data/sapimouse_dev.npz --epochs 20

    # with it: a diffusion checkpoint from `deval train-generator diffusion --out runs/diffusion`
    python examples/gan_harness/train_gan.py --data ../shared/data/sapimouse_dev.npz --epochs 20 \\
        --use_diffusion_eval --diffusion_eval_checkpoint runs/diffusion \\
        --diffusion_eval_every 5 --diffusion_eval_out runs/gan_harness/diffusion_eval

The hook's numbers are printed as one JSON line per evaluation and appended
to ``DIR/metrics.jsonl``; turning the flag on does not change training (same
seed, same losses).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from deval.app.hooks import DiffusionEvalHook, add_diffusion_eval_args  # deval

SCALE = 1000.0  # pixels per model unit


# ----------------------------------------------------------------------------- data
def load_movements(path: str, max_movements: int | None, seed: int) -> dict:
    """Read the native CSR ``.npz`` (x, y, t, offsets, user) with NumPy; keep movements that go somewhere."""
    with np.load(path, allow_pickle=False) as z:
        x, y, t, off = z["x"], z["y"], z["t"], z["offsets"].astype(np.int64)
        user = z["user"] if "user" in z.files else np.zeros(len(off) - 1, np.int64)
    lengths = np.diff(off)
    first, last = off[:-1], off[1:] - 1
    ok = (lengths >= 3) & (np.hypot(x[last] - x[first], y[last] - y[first]) > 0)
    keep = np.flatnonzero(ok)
    if max_movements is not None and len(keep) > max_movements:
        keep = np.sort(np.random.default_rng(seed).choice(keep, max_movements, replace=False))
    return {"x": x, "y": y, "t": t, "offsets": off, "user": user, "keep": keep}


def split_by_user(data: dict, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Movement indices of the training and validation users."""
    users = np.unique(data["user"][data["keep"]])
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(fraction * len(users)))) if len(users) > 1 else 0
    val_users = rng.choice(users, n_val, replace=False)
    is_val = np.isin(data["user"][data["keep"]], val_users)
    if n_val == 0:  # one user: hold out movements instead
        is_val = rng.random(len(data["keep"])) < fraction
    return data["keep"][~is_val], data["keep"][is_val]


def point_index(off: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For movements ``idx``: global point indices, row of each point, position within its row, lengths."""
    lengths = off[idx + 1] - off[idx]
    seg = np.repeat(np.arange(len(idx)), lengths)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(off[idx], lengths) + within, seg, within, lengths


def resample(data: dict, idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Movements ``idx`` resampled to ``k`` points evenly spaced in time: positions (n, k, 2) px, durations (n,) s."""
    off, t = data["offsets"], data["t"]
    pts, seg, _, lengths = point_index(off, idx)
    dur = t[off[idx + 1] - 1] - t[off[idx]]
    span = dur.max() + 1.0
    key = seg * span + (t[pts] - np.repeat(t[off[idx]], lengths))  # one increasing axis for all movements
    q = np.arange(len(idx))[:, None] * span + dur[:, None] * np.linspace(0, 1, k)[None, :]
    xy = np.stack([np.interp(q.ravel(), key, data["x"][pts]), np.interp(q.ravel(), key, data["y"][pts])], -1)
    return xy.reshape(len(idx), k, 2), dur


def padded(data: dict, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Original movements ``idx`` as a zero-padded tensor [n, T, 3] (x, y, t) and their lengths [n]."""
    off = data["offsets"]
    pts, seg, within, lengths = point_index(off, idx)
    out = np.zeros((len(idx), int(lengths.max()), 3))
    out[seg, within] = np.column_stack([data["x"][pts], data["y"][pts], data["t"][pts] - data["t"][off[idx]][seg]])
    return torch.as_tensor(out, dtype=torch.float32), torch.as_tensor(lengths)


# ---------------------------------------------------------------------------- model
class Generator(nn.Module):
    """noise + displacement -> K relative positions and a duration; ends exactly on the displacement."""

    def __init__(self, k: int, noise: int = 16, hidden: int = 256):
        super().__init__()
        self.k, self.noise = k, noise
        self.net = nn.Sequential(nn.Linear(noise + 3, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 2 * k + 1))

    def forward(self, disp: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dist = disp.norm(dim=1, keepdim=True)
        out = self.net(torch.cat([z, disp, torch.log(dist + 1e-3)], dim=1))
        raw = out[:, : 2 * self.k].view(-1, self.k, 2)
        raw = raw - raw[:, :1]
        frac = torch.linspace(0, 1, self.k, device=disp.device)[None, :, None]
        path = raw + (disp[:, None, :] - raw[:, -1:]) * frac  # starts at 0, ends on disp
        return path, out[:, -1]  # positions (model units), log-duration


class Discriminator(nn.Module):
    """(steps, log-duration, displacement) -> real/fake logit."""

    def __init__(self, k: int, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * (k - 1) + 3, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, path: torch.Tensor, log_dur: torch.Tensor, disp: torch.Tensor) -> torch.Tensor:
        steps = (path[:, 1:] - path[:, :-1]).flatten(1) * path.shape[1]
        return self.net(torch.cat([steps, log_dur[:, None], disp], dim=1)).squeeze(1)


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train a small conditional GAN on pointer movements.")
    p.add_argument("--data", required=True, help="movements, native deval/SapiMouse .npz")
    p.add_argument("--out", default="runs/gan_harness", help="where the model is saved")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--points", type=int, default=32, help="points per generated movement")
    p.add_argument("--max-movements", type=int, default=None, help="train on a random subset of this size")
    p.add_argument("--val-fraction", type=float, default=0.15, help="share of users held out for validation")
    p.add_argument("--seed", type=int, default=0)
    add_diffusion_eval_args(p)  # deval
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    hook = DiffusionEvalHook.from_args(args)  # deval
    data = load_movements(args.data, args.max_movements, args.seed)
    train_idx, val_idx = split_by_user(data, args.val_fraction, args.seed)
    pos, dur = resample(data, train_idx, args.points)
    paths = torch.as_tensor((pos - pos[:, :1]) / SCALE, dtype=torch.float32)
    log_dur = torch.as_tensor(np.log(np.maximum(dur, 1e-3)), dtype=torch.float32)
    disp = paths[:, -1]
    val_x, val_len = padded(data, val_idx)
    print(f"training on {len(train_idx)} movements, validating on {len(val_idx)}", flush=True)

    gen, disc = Generator(args.points), Discriminator(args.points)
    opt_g = torch.optim.Adam(gen.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()

    def sample(n: int, cond) -> torch.Tensor:
        """n movements for the hook's conditions: [n, K, 3] x, y (pixels), t (s)."""
        start = torch.as_tensor(cond.start, dtype=torch.float32)
        d = torch.as_tensor(cond.end - cond.start, dtype=torch.float32) / SCALE
        path, ld = gen(d, torch.randn(n, gen.noise))
        t = torch.exp(ld)[:, None] * torch.linspace(0, 1, args.points)[None, :]
        return torch.cat([path * SCALE + start[:, None, :], t[..., None]], dim=-1)

    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        gen.train()
        disc.train()
        perm = torch.randperm(len(paths))
        d_sum = g_sum = 0.0
        batches = 0
        for lo in range(0, len(perm) - args.batch_size + 1, args.batch_size):
            b = perm[lo: lo + args.batch_size]
            z = torch.randn(len(b), gen.noise)
            fake_path, fake_ld = gen(disp[b], z)
            d_loss = bce(disc(paths[b], log_dur[b], disp[b]), torch.ones(len(b))) + \
                bce(disc(fake_path.detach(), fake_ld.detach(), disp[b]), torch.zeros(len(b)))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(disc(fake_path, fake_ld, disp[b]), torch.ones(len(b)))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_sum += d_loss.item()
            g_sum += g_loss.item()
            batches += 1
        print(f"epoch {epoch}/{args.epochs}  d_loss {d_sum / max(batches, 1):.4f}  g_loss {g_sum / max(batches, 1):.4f}"
              f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
        metrics = hook(epoch, val_x, gan_sample_fn=sample, model=gen, lengths=val_len)  # deval
        if metrics:
            print("diffusion_eval " + json.dumps(metrics), flush=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"generator": gen.state_dict(), "discriminator": disc.state_dict()}, out / "gan_harness.pt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
