"""A dict-configured, iteration-counted GAN-style loop over a scaled 8-channel layout, with deval's realism meter.

The layout is the kind research code preprocesses to: ``(B, T, 8)`` arrays of
position relative to the start (x, y), speed, acceleration, sin and cos of the
heading, angular velocity and dt, each min-max scaled to [-1, 1], with the
scaling parameters kept apart and the valid lengths in their own array. The
"generator" here is deliberately tiny (a GRU that learns to emit such
sequences by regression on noise + real condition); the point is the
integration: the lines ending in a "deval" comment are all it takes (5 lines: an import, one
constructor call over three lines, one call per iteration).

    python examples/iteration_loop/train_loop.py --iterations 300 --every 100 --out evals/
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch import nn

from deval.data import load_sample
from deval.app.hooks import RealismEval  # deval
from deval.trajectories import Trajectories

CFG = {"iterations": 300, "every": 100, "batch": 64, "max_len": 48, "lr": 3e-3, "hidden": 64, "seed": 0}


def to_layout(traj: Trajectories, max_len: int):
    """The harness's preprocessing: (N, T, 8) features scaled to [-1, 1], min-max parameters, lengths."""
    n = len(traj)
    feats = np.zeros((n, max_len, 8), np.float32)
    lengths = np.minimum(traj.lengths, max_len)
    for i in range(n):
        sl = slice(traj.offsets[i], traj.offsets[i] + lengths[i])
        x, y, t = traj.x[sl] - traj.x[sl][0], traj.y[sl] - traj.y[sl][0], traj.t[sl]
        dt = np.diff(t, prepend=t[0] - 0.016)
        vx, vy = np.gradient(x) / np.maximum(dt, 1e-3), np.gradient(y) / np.maximum(dt, 1e-3)
        speed = np.hypot(vx, vy)
        heading = np.arctan2(vy, vx)
        feats[i, : lengths[i]] = np.stack([x, y, speed, np.gradient(speed), np.sin(heading), np.cos(heading),
                                           np.gradient(np.unwrap(heading)), dt], axis=1)
    valid = np.arange(max_len)[None, :] < lengths[:, None]
    lo, hi = feats[valid].min(axis=0), feats[valid].max(axis=0)
    scaled = np.where(valid[..., None], 2 * (feats - lo) / np.maximum(hi - lo, 1e-9) - 1, 0).astype(np.float32)
    return scaled, {"min": lo, "max": hi}, lengths


def from_layout(batch, params, lengths) -> Trajectories:
    """Undo the scaling of x, y and dt (the other channels are derived again by deval)."""
    a = batch.detach().cpu().numpy() if hasattr(batch, "detach") else np.asarray(batch)
    raw = (a + 1) / 2 * (params["max"] - params["min"]) + params["min"]
    moves = []
    for i, n in enumerate(lengths):
        t = np.cumsum(np.maximum(raw[i, :n, 7], 1e-3))
        moves.append(np.column_stack([raw[i, :n, 0], raw[i, :n, 1], t - t[0]]))
    return Trajectories.from_list(moves)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=CFG["iterations"])
    ap.add_argument("--every", type=int, default=CFG["every"])
    ap.add_argument("--out", default="evals")
    args = ap.parse_args()
    cfg = {**CFG, "iterations": args.iterations, "every": args.every}
    torch.manual_seed(cfg["seed"])
    real = load_sample()
    X, params, lengths = to_layout(real, cfg["max_len"])
    val_idx = np.arange(len(X))[-400:]
    net = nn.GRU(8, cfg["hidden"], batch_first=True)
    head = nn.Linear(cfg["hidden"], 8)
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=cfg["lr"])
    Xt = torch.as_tensor(X)

    def sample(n: int) -> torch.Tensor:
        idx = torch.as_tensor(val_idx[:n])
        h, _ = net(Xt[idx] + 0.3 * torch.randn_like(Xt[idx]))
        return torch.tanh(head(h))

    ev = RealismEval(from_layout(X[val_idx], params, lengths[val_idx]), every=cfg["every"],  # deval
                     out_dir=args.out, n_samples=400,  # deval
                     convert=lambda b: from_layout(b, params, lengths[val_idx[: len(b)]]))  # deval
    for it in range(1, cfg["iterations"] + 1):
        idx = torch.randint(0, len(X) - 400, (cfg["batch"],))
        h, _ = net(Xt[idx] + 0.3 * torch.randn_like(Xt[idx]))
        loss = ((torch.tanh(head(h)) - Xt[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        metrics = ev.step(it, sample, model=[net, head])  # deval
        if metrics:
            print(f"iteration {it}: loss {loss.item():.4f}, realism C2ST {metrics['c2st_acc']:.3f} "
                  f"[{metrics['c2st_ci_low']:.3f}, {metrics['c2st_ci_high']:.3f}]")


if __name__ == "__main__":
    main()
