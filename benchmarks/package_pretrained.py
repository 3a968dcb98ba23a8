"""Package a diffusion training run as deval's shipped default model (package data).

Copies the run's best checkpoint (tensors-only ``model.pt`` and the JSON
files) into ``generators/diffusion/pretrained/NAME/``, writes ``logger.json``
(the logger of the run's training movements) when the run has none, and
``card.json`` with what the model card states: data, command, steps, wall
time, size, and the realism figures of ``benchmarks/bench_realism.py
--json-out`` (measured on held-out people).

    python benchmarks/package_pretrained.py --run runs/diff_all --data ../shared/data/sapimouse_dev.npz \\
        --realism realism.json --command "deval train-generator diffusion ..." --force
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
from pathlib import Path

import numpy as np
import torch

from deval.atomic import write_text
from deval.generators.diffusion.checkpoint import DIFFUSION_CHECKPOINTS
from deval.generators.logger import ReferenceLogger
from deval.io import load_trajectories

FILES = ("model.pt", "config.json", "normalizer.json", "encoder.json")
DEST = Path(__file__).resolve().parents[1] / "generators" / "diffusion" / "pretrained"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="training run directory (its best/ is shipped)")
    ap.add_argument("--data", required=True, help="the data the run was trained on")
    ap.add_argument("--name", default="sapimouse-small")
    ap.add_argument("--realism", default=None, help="JSON written by bench_realism.py --json-out")
    ap.add_argument("--command", default="", help="the training command, for the card")
    ap.add_argument("--hardware", default=f"{platform.processor() or platform.machine()}, CPU only")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()

    run = Path(args.run)
    src = DIFFUSION_CHECKPOINTS.resolve(run)
    state, cfg, encoder = DIFFUSION_CHECKPOINTS.load(src)  # validates (weights_only)
    dest = DEST / args.name
    if dest.exists() and any(dest.iterdir()) and not args.force:
        raise SystemExit(f"{dest} exists; use --force")
    dest.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        shutil.copyfile(src / f, dest / f)
    data = load_trajectories(args.data)
    split = json.loads((run / "split.json").read_text())
    if (src / "logger.json").is_file():
        shutil.copyfile(src / "logger.json", dest / "logger.json")
    else:  # runs started before checkpoints carried their logger: the same fit TrainingRun makes
        held = set(split.get("val_users", []))
        train = data[~np.isin(data.user, list(held))] if held else data
        logger = ReferenceLogger.fit(train, max_runs=2000, seed=cfg.seed)
        write_text(dest / "logger.json", json.dumps(logger.to_dict()), force=True)
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    best = json.loads((src / "encoder.json").read_text()).get("extra", {}).get("metrics", {})
    n_params = int(sum(v.numel() for v in state.values()))
    card = {
        "name": args.name,
        "data": {"file": Path(args.data).name, "movements": len(data), "users": int(len(np.unique(data.user))),
                 "split": split, "citation": "Antal, Fejer & Buza 2021, SapiMouse: Mouse Dynamics-based User "
                                             "Authentication Using Deep Feature Learning (SACI 2021)"},
        "training": {"command": args.command, "preset": cfg.preset, "steps": cfg.train.steps,
                     "best_step": best.get("step"), "wall_time_min": round(lines[-1]["elapsed_s"] / 60, 1),
                     "hardware": args.hardware, "torch": torch.__version__},
        "model": {"denoiser": cfg.model.denoiser, "parameters": n_params, "max_len": cfg.data.max_len,
                  "sampler": cfg.sample.sampler, "sampler_steps": cfg.sample.steps,
                  "size_bytes": int(sum((dest / f).stat().st_size for f in (*FILES, "logger.json")))},
        "held_out": json.loads(Path(args.realism).read_text()) if args.realism else {},
    }
    write_text(dest / "card.json", json.dumps(card, indent=2), force=True)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
