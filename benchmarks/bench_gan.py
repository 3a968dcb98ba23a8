"""GAN generator: training speed (generator steps/s) and sampling throughput (movements/s).

Command::

    python benchmarks/bench_gan.py [--real ../shared/data/sapimouse_dev.npz] [--checkpoint RUN_DIR]
        [--presets smoke,small] [--train-steps 20] [--n-sample 5000] [--threads 1,2]

For each preset and torch thread count: the time of ``--train-steps`` WGAN-GP
generator steps (each with ``n_critic`` critic steps and the gradient
penalty) on real movements, and the time to sample ``--n-sample`` movements
in pixels for real endpoints (generator + decoding to exact targets), best
of 3. Without ``--checkpoint`` the sampler uses freshly initialised weights
of the preset (throughput does not depend on the weights). Prints one table
row per (preset, threads).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _train_rate(real, cfg, steps: int) -> float:
    import torch

    from deval.generators.gan.checkpoint import build_critic, build_encoder, build_generator
    from deval.generators.gan.wgan_gp import critic_loss, generator_loss, path_end

    enc = build_encoder(cfg).fit(real)
    gen, critic = build_generator(cfg, enc), build_critic(cfg, enc)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.train.lr_g, betas=(cfg.train.beta1, cfg.train.beta2))
    opt_d = torch.optim.Adam(critic.parameters(), lr=cfg.train.lr_d, betas=(cfg.train.beta1, cfg.train.beta2))
    x_all, m_all, goal_all = enc.encode(real)
    mean = torch.as_tensor(enc.normalizer.mean_, dtype=torch.float32)
    std = torch.as_tensor(enc.normalizer.std_, dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    b = cfg.train.batch_size

    def batch():
        idx = torch.randint(0, len(x_all), (b,), generator=g)
        return x_all[idx], m_all[idx], goal_all[idx]

    def step():
        for _ in range(cfg.train.n_critic):
            x, m, goal = batch()
            with torch.no_grad():
                fake = gen.generate(goal, m, g)
            loss, _ = critic_loss(critic, x, fake, goal, m, gp_weight=cfg.train.gp_weight, generator=g)
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
        x, m, goal = batch()
        loss, _ = generator_loss(critic, gen.generate(goal, m, g), goal, m, target_end=path_end(x, m, mean, std),
                                 end_weight=cfg.train.end_weight, mean=mean, std=std)
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - t0)


def _sample_rate(real, cfg, n: int, checkpoint: str | None) -> tuple[float, int]:
    from deval.generators.gan.checkpoint import GAN_CHECKPOINTS, build_encoder, build_generator
    from deval.generators.gan.sampling import sample_movements

    if checkpoint:
        state, cfg, enc = GAN_CHECKPOINTS.load(checkpoint)
        net = build_generator(cfg, enc)
        net.load_state_dict(state)
    else:
        enc = build_encoder(cfg).fit(real)
        net = build_generator(cfg, enc)
    cond = real.endpoints().resample(n, seed=0)
    best = np.inf
    for rep in range(3):
        t0 = time.perf_counter()
        traj, _ = sample_movements(net, enc, cond, seed=rep, batch_size=cfg.sample.batch_size)
        best = min(best, time.perf_counter() - t0)
    return n / best, int(sum(p.numel() for p in net.parameters()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--real", default=str(REPO.parent / "shared" / "data" / "sapimouse_dev.npz"))
    p.add_argument("--checkpoint", default=None, help="GAN run/checkpoint directory for the sampling column")
    p.add_argument("--presets", default="smoke,small")
    p.add_argument("--train-steps", type=int, default=20)
    p.add_argument("--n-sample", type=int, default=5000)
    p.add_argument("--threads", default="1,2")
    args = p.parse_args(argv)

    import torch

    from deval.generators.gan.config import preset
    from deval.io import load_trajectories

    if not Path(args.real).exists():
        print(f"real data not found at {args.real} (give --real)", file=sys.stderr)
        return 1
    real = load_trajectories(args.real)
    real = real[real.endpoints().distance > 0]
    print("# " + " ".join(["python", "benchmarks/bench_gan.py", *(argv if argv is not None else sys.argv[1:])]))
    print(f"{'preset':8s} {'threads':>7s} {'G params':>9s} {'batch':>5s} {'n_critic':>8s} "
          f"{'train steps/s':>13s} {'sample mov/s':>12s}")
    for name in args.presets.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(threads)
            cfg = preset(name)
            train = _train_rate(real.subsample(4000, seed=0), cfg, args.train_steps)
            rate, n_params = _sample_rate(real, cfg, args.n_sample, args.checkpoint if name == "small" else None)
            print(f"{name:8s} {threads:7d} {n_params:9d} {cfg.train.batch_size:5d} {cfg.train.n_critic:8d} "
                  f"{train:13.2f} {rate:12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
