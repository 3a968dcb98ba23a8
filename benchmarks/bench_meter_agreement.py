"""Does ``deval compare`` see what an independent probe sees? The meter's headline next to an outside probe.

The issue's case: SapiMouse-dev split at random 70 % / 30 % of movements, a
diffusion checkpoint trained on the 70 % (``--val-split random``; here any run
whose held-out part is given by ``--holdout-users`` or the run's
``split.json``), 1,000 movements generated ``--like`` the 30 % (seed 3),
compared with the 30 %. Also the scripted bots, the re-logged diffusion
samples and the calibration cases, so the agreement is checked on more than
one kind of difference. The independent probe is
``benchmarks/independent_probe.py`` (its own features, sklearn's gradient
boosting with defaults).

    python benchmarks/bench_meter_agreement.py --data ../shared/data/sapimouse_dev.npz --run runs/diff --n 1000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from independent_probe import independent_c2st  # noqa: E402

from deval import load_trajectories  # noqa: E402
from deval.calibration import KNOWN_DIFFERENCES  # noqa: E402
from deval.compare import realism_scores  # noqa: E402
from deval.generators import get  # noqa: E402
from deval.loggers import Logger  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/sapimouse_dev.npz")
    ap.add_argument("--run", default=None, help="diffusion run or checkpoint (default: the shipped model)")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--scripted", default="spline,sigma-lognormal,replay")
    args = ap.parse_args()

    real = load_trajectories(args.data)
    split = Path(args.run or "", "split.json")
    if args.run and split.is_file():
        info = json.loads(split.read_text())
        held = real[np.isin(real.user, info["val_users"])] if "val_users" in info else None
    else:
        held = None
    if held is None:  # the random 30 %
        perm = np.random.default_rng(0).permutation(len(real))
        held = real.take(np.sort(perm[: int(0.3 * len(real))]))
    idx = np.random.default_rng(args.seed).permutation(len(held))
    like, ref = held.take(np.sort(idx[: args.n])), held.take(np.sort(idx[args.n: 2 * args.n]))
    gen = get("diffusion").load(args.run, timing="own") if args.run else get("diffusion")(timing="own")
    fake = gen.sample(args.n, cond=like.endpoints(), seed=args.seed)
    logger = Logger.fit(like, seed=args.seed)
    cases = {"human vs human (same held-out people)": ref, "diffusion, own timing": fake,
             "diffusion, --timing like": logger.relog(fake, args.seed)}
    if gen.logger is not None:
        cases["diffusion, --timing model"] = gen.logger.relog(fake, args.seed)
    for name in filter(None, args.scripted.split(",")):
        bot = get(name)() if name != "replay" else get(name)(data=str(args.data))
        cases[name] = bot.sample(args.n, cond=like.endpoints(), seed=args.seed)
    for name, fn in KNOWN_DIFFERENCES.items():
        cases[f"calibration: {name}"] = fn(ref, args.seed)
    print("| fake set | deval compare (meter) | independent probe | difference |")
    print("|---|---|---|---|")
    for name, fk in cases.items():
        m = realism_scores(like, fk, seed=0, metrics=("c2st",), aspects=False)["c2st_acc"]
        ind = independent_c2st(like, fk, seed=0)
        print(f"| {name} | {m:.3f} | {ind:.3f} | {m - ind:+.3f} |", flush=True)


if __name__ == "__main__":
    main()
