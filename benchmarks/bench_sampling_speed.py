"""Sampling speed of a diffusion generator as users call it (default sampler, re-recorded by its logger).

    python benchmarks/bench_sampling_speed.py [--checkpoint DIR] [--n 2000] [--threads 1,2] [--repeats 3]

Without ``--checkpoint`` the shipped pretrained model is measured. Conditions are drawn from the shipped
SapiMouse-dev sample; the best of ``--repeats`` timed runs (after one warm-up) is reported.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from deval.data import load_sample
from deval.generators import get


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cls = get("diffusion")
    gen = cls.load(args.checkpoint) if args.checkpoint else cls()
    cond = load_sample().endpoints().resample(args.n, seed=0)
    print(f"# {platform.machine()} {platform.processor()}, torch {torch.__version__}; checkpoint "
          f"{gen.checkpoint_dir}; n = {args.n}")
    print("| threads | timing | movements/s |")
    print("|---|---|---|")
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        for timing in ("model", "own"):
            gen.params["timing"] = timing
            gen.sample(100, cond=cond.take(range(100)), seed=0)
            best = min(_timed(gen, cond, args.n, k) for k in range(args.repeats))
            print(f"| {threads} | {timing} | {args.n / best:.0f} |", flush=True)


def _timed(gen, cond, n: int, seed: int) -> float:
    t0 = time.perf_counter()
    gen.sample(n, cond=cond, seed=seed)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
