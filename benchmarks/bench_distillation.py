"""A distilled diffusion checkpoint against its teacher: realism and speed at half the steps.

Command::

    python benchmarks/bench_distillation.py --student generators/diffusion/pretrained/sapimouse-small-fast \
        [--teacher sapimouse-small] [--data ../shared/data/sapimouse_dev.npz] [--n 5000] [--threads 2]

Real reference: ``--n`` movements of ``--data`` (subsample seed 1); every model generates ``--n`` movements for the
endpoints of another ``--n`` (seed 2), ``timing=model``; ``compare``'s meter (seed 0), MMD² and k-NN coverage
against the reference. Rows: the teacher at its own steps, the teacher at half of them, the student. The people in
``--data`` were in both models' training data, so this compares the samplers, not realism on new people.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch

import deval
from deval.generators import get
from deval.io import load_trajectories

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sapimouse_dev.npz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--student", required=True)
    ap.add_argument("--teacher", default="sapimouse-small")
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = load_trajectories(args.data)
    real = data.subsample(args.n, seed=1)
    cond = data.subsample(args.n, seed=2).endpoints()
    teacher = get("diffusion")(checkpoint=args.teacher)
    steps = teacher.config.sample.steps
    models = {f"teacher-ddim{steps}": teacher, f"teacher-ddim{steps // 2}": get("diffusion")(
        checkpoint=args.teacher, steps=steps // 2), f"student-ddim{steps // 2}": get("diffusion")(checkpoint=args.student)}
    print(f"# {platform.machine()}, torch {torch.__version__}, {args.threads} threads, n = {args.n}")
    print(f"# command: python benchmarks/bench_distillation.py --student {args.student} --n {args.n}")
    sets, speed = {}, {}
    for name, gen in models.items():
        t = time.perf_counter()
        sets[name] = gen.sample(args.n, cond=cond, seed=0)
        speed[name] = args.n / (time.perf_counter() - t)
    res = deval.compare_sets(real, sets, deval.CompareSettings(seed=0, baselines=False,
                                                               metrics=("c2st", "mmd", "prdc")))
    table = res.summary().set_index("fake")
    print("| model | movements/s | C2ST | 95% CI | MMD² | coverage |")
    print("|---|---|---|---|---|---|")
    for name in models:
        r = table.loc[name]
        print(f"| {name} | {speed[name]:.0f} | {r['c2st_acc']:.4f} | [{r['c2st_ci_low']:.4f}, {r['c2st_ci_high']:.4f}] "
              f"| {r['mmd2']:.4f} | {r['coverage']:.3f} |")


if __name__ == "__main__":
    main()
