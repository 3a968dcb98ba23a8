"""Package a diffusion training run as deval's shipped default model (package data).

Writes the run's checkpoint (``best/`` unless a checkpoint directory is given) as
``model.safetensors`` plus the JSON files into ``generators/diffusion/pretrained/NAME/``, writes ``logger.json``
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
from pathlib import Path

import numpy as np
import torch

from deval.atomic import json_text, write_text
from deval.generators.diffusion.checkpoint import DIFFUSION_CHECKPOINTS
from deval.generators.learned.checkpoint import WEIGHTS, save_weights
from deval.loggers import Logger
from deval.io import load_trajectories

JSON_FILES = ("config.json", "normalizer.json", "encoder.json")
DEST = Path(__file__).resolve().parents[1] / "generators" / "diffusion" / "pretrained"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="training run directory (its best/ is shipped)")
    ap.add_argument("--data", required=True, help="the data the run was trained on")
    ap.add_argument("--checkpoint", default=None, help="which checkpoint of the run (best, final; default: best)")
    ap.add_argument("--name", default="sapimouse-small")
    ap.add_argument("--realism", default=None, help="JSON written by bench_realism.py --json-out")
    ap.add_argument("--command", default="", help="the training command, for the card")
    ap.add_argument("--hardware", default=f"{platform.processor() or platform.machine()}, CPU only")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()

    run = Path(args.run)
    src = DIFFUSION_CHECKPOINTS.resolve(run / args.checkpoint if args.checkpoint else run)
    state, cfg, encoder = DIFFUSION_CHECKPOINTS.load(src)  # validates (weights_only)
    dest = DEST / args.name
    if dest.exists() and any(dest.iterdir()) and not args.force:
        raise SystemExit(f"{dest} exists; use --force")
    dest.mkdir(parents=True, exist_ok=True)
    save_weights(dest / WEIGHTS, state)  # safetensors, whatever the run wrote
    for f in JSON_FILES:  # re-written as standard JSON (runs from before deval wrote strict JSON hold NaN)
        write_text(dest / f, json_text(json.loads((src / f).read_text(encoding="utf-8"))), force=True)
    data = load_trajectories(args.data)
    split = json.loads((run / "split.json").read_text())
    if (src / "logger.json").is_file():
        write_text(dest / "logger.json", json_text(json.loads((src / "logger.json").read_text())), force=True)
    else:  # runs started before checkpoints carried their logger: the same fit TrainingRun makes
        held = set(split.get("val_users", []))
        train = data[~np.isin(data.user, list(held))] if held else data
        logger = Logger.fit(train, max_runs=2000, seed=cfg.seed)
        write_text(dest / "logger.json", json.dumps(logger.to_dict()), force=True)
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    elapsed = [line["elapsed_s"] for line in lines]
    # a resumed run restarts its clock: add the last time of every segment
    wall_s = sum(a for a, b in zip(elapsed, elapsed[1:] + [0.0]) if b < a)
    best = json.loads((src / "encoder.json").read_text()).get("extra", {}).get("metrics", {})
    n_params = int(sum(v.numel() for v in state.values()))
    card = {
        "name": args.name,
        "data": {"file": Path(args.data).name, "movements": len(data), "users": int(len(np.unique(data.user))),
                 "split": split, "citation": "Antal, Fejer & Buza 2021, SapiMouse: Mouse Dynamics-based User "
                                             "Authentication Using Deep Feature Learning (SACI 2021)"},
        "training": {"command": args.command, "preset": cfg.preset, "steps": cfg.train.steps,
                     "best_step": best.get("step"), "wall_time_min": round(wall_s / 60, 1),
                     "hardware": args.hardware, "torch": torch.__version__},
        "model": {"denoiser": cfg.model.denoiser, "parameters": n_params, "max_len": cfg.data.max_len,
                  "sampler": cfg.sample.sampler, "sampler_steps": cfg.sample.steps,
                  "size_bytes": int(sum((dest / f).stat().st_size for f in (WEIGHTS, *JSON_FILES, "logger.json")))},
        "held_out": json.loads(Path(args.realism).read_text()) if args.realism else {},
        "validation_at_last_step": {k: lines[-1].get(k) for k in ("step", "c2st_acc", "c2st_ci_low", "c2st_ci_high",
                                                                  "knn_precision", "knn_recall", "coverage")},
    }
    write_text(dest / "card.json", json.dumps(card, indent=2), force=True)
    write_text(dest / "MODEL_CARD.md", model_card(card), force=True)
    print(json.dumps(card, indent=2))


def model_card(card: dict) -> str:
    """The Markdown model card from ``card.json``."""
    d, t, m, h = card["data"], card["training"], card["model"], card.get("held_out", {})
    split = d["split"]
    lines = [
        f"# `{card['name']}`: deval's pretrained diffusion model",
        "",
        "## Data",
        f"{d['movements']:,} pointer movements of {d['users']} people (`{d['file']}`: SapiMouse users 1-72; "
        f"{d['citation']}). Browser logging at about 60 Hz: whole milliseconds, whole pixels. Validation during "
        f"training: {split.get('n_val', '?')} movements held out ({split.get('how')} split, fraction "
        f"{split.get('fraction')}).",
        "",
        "## Training",
        f"- command: `{t['command']}`" if t["command"] else "- command: see configs/diffusion_pretrained.yaml",
        f"- preset `{t['preset']}`, {t['steps']:,} steps (checkpoint of step {t['best_step']}), wall time "
        f"{t['wall_time_min']} min on {t['hardware']} (torch {t['torch']}, one thread, next to other jobs)",
        f"- model: {m['denoiser']} denoiser, {m['parameters']:,} parameters, up to {m['max_len']} steps per "
        f"movement; sampler {m['sampler']} with {m['sampler_steps']} steps; files {m['size_bytes'] / 1e6:.1f} MB",
        "- logger (`logger.json`): the clock runs and pixel grid of the training movements; `timing=model` "
        "(default) re-records samples with it, `--timing like` uses your file's logger instead",
        "",
        "## Measured realism",
    ]
    if h:
        lines += [
            f"Same configuration trained without {h['n_users']} held-out people ({h['users']}), measured on "
            f"{h['n_per_side']:,} of their movements per side with `{h['command']}` (timing `{h['timing']}`):",
            "",
            "| measure | value | issue bar |",
            "|---|---|---|",
            f"| meter C2ST (headline) | {h['c2st']} [{h['c2st_ci'][0]}, {h['c2st_ci'][1]}] | within +0.05 of human "
            f"vs human ({h['human_vs_human']}) |",
            f"| probes: features / sequence / stack | {h['probes']['features']} / {h['probes']['sequence']} / "
            f"{h['probes']['stack']} | |",
            f"| per aspect | {', '.join(f'{k} {v}' for k, v in h['aspects'].items())} | |",
            f"| k-NN precision / recall / coverage | {h['knn_precision']} / {h['knn_recall']} / {h['coverage']} | "
            ">= 0.9 each |",
            f"| sampling | {h['samples_per_s']} movements/s on {h['threads']} CPU threads | >= 1,000/s |",
            f"| largest standardised gaps | {', '.join(h['largest_gaps'])} | |",
        ]
    lines += [
        "",
        "## Limits",
        "- One device population: browser logging at about 60 Hz on desktop mice. Other loggers (polling rates, "
        "touchpads, OS-level hooks) differ; use `--timing like` with your own recordings, and measure with "
        "`deval compare` against your people before relying on it.",
        "- Movements of up to 64 steps are generated directly; longer ones are generated at 64 steps and re-cut.",
        "- Pointing movements only (no press channel, drags or scrolls).",
        "- The model is easy to tell from people by a strong probe (see the table): it is a source of hard "
        "negatives, not a human simulator.",
        "",
        "Retrain: `deval train-generator diffusion --data sapimouse_dev.npz --config configs/diffusion_pretrained.yaml "
        "--out runs/sapimouse-small`, then `python benchmarks/package_pretrained.py --run runs/sapimouse-small "
        "--data sapimouse_dev.npz --realism realism.json --force`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
