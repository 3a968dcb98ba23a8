"""The whole deval pipeline in one call: the engine behind ``deval demo``.

1. A human reference set: the user's file (``real``), else the shipped
   sample of real people (2,000 SapiMouse-dev movements, :mod:`deval.data`),
   or, with ``synthetic_reference``, a **synthetic** stand-in made by the
   sigma-lognormal generator with a different parameter set per simulated
   person (clearly labelled synthetic everywhere).
2. The pretrained diffusion model (no training), and a small GAN and
   keyframe model trained on the reference for a bounded number of steps.
3. Negatives from every registered source (scripted bots, the diffusion
   model, replay of the reference set, plug-ins), conditioned on the
   reference set's endpoints, through :func:`deval.negatives.generate_negatives`
   (learned sources re-recorded with the reference's logger).
4. ``compare`` of every source against the reference.
5. Detector training and leave-one-style-out evaluation (raw and 60 Hz views).

Everything lands in one directory with an ``index.html`` that links the
reports.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from deval.atomic import check_writable, write_text
from deval.errors import DevalError
from deval.trajectories import HUMAN, Trajectories

log = logging.getLogger(__name__)

SYNTHETIC_STYLE = "synthetic-human"


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the demo run (defaults fit in about 10 minutes on 2 CPU cores)."""

    seed: int = 0
    synthetic_reference: bool = False
    n_people: int = 24
    movements_per_person: int = 100
    n_per_source: int = 600
    diffusion_steps: int = 0  #: 0: the pretrained model; > 0: train a small one for that many steps
    gan_steps: int = 300
    keyframe_steps: int = 200
    max_compare: int = 1500
    detector_head: str = "hgb"
    views: tuple[str, ...] = ("raw", "60hz")
    device: str = "cpu"


def synthetic_humans(n_people: int, per_person: int, seed: int = 0) -> Trajectories:
    """A labelled-synthetic human-like reference set: sigma-lognormal movements, one parameter set per person.

    Each simulated person gets their own narrow ranges of stroke timing
    (``mu``), asymmetry (``sigma``), number of corrective strokes, aiming
    error, curvature and hand drift, so that people differ the way real people
    do; movements are labelled human (0) with style ``synthetic-human``.
    """
    from deval.generators import get

    rng = np.random.default_rng(seed)
    bot_cls = get("sigma-lognormal")
    parts = []
    for person in range(n_people):
        mu = rng.uniform(-1.8, -1.3)
        sigma = rng.uniform(0.18, 0.36)
        strokes_hi = int(rng.integers(2, 6))
        aim = rng.uniform(3, 15)
        curv = rng.uniform(0.2, 1.0)
        drift = rng.uniform(0.5, 4.0)
        bot = bot_cls(
            mu=(mu - 0.1, mu + 0.1), sigma=(sigma - 0.04, sigma + 0.04), strokes=(1, strokes_hi),
            aim_error=(0.0, aim), curvature=(-curv, curv), drift_px=(0.0, drift),
        )
        part = bot.sample(per_person, seed=int(rng.integers(2**31)))
        parts.append(part.with_meta(user=person + 1, session=f"synthetic{person + 1}", label=HUMAN,
                                    style=SYNTHETIC_STYLE))
    out = Trajectories.concat(parts)
    return Trajectories(out.x, out.y, out.t, out.offsets, out.press, out.meta,
                        {"source": "deval-demo-synthetic",
                         "origin": "SYNTHETIC: sigma-lognormal movements with per-person parameters, not real people"})


def _sources() -> list[str]:
    """Registered generators of pointing movements (action-sequence generators do not fit the reference set)."""
    from deval.generators import available, get

    names = []
    for name in available():
        try:
            if get(name).kind == "pointing":
                names.append(name)
        except DevalError as exc:  # a broken plugin: skip it, as the registry does
            log.warning("demo: generator %s unavailable: %s", name, exc)
    return names


def run_demo(
    out_dir: str | os.PathLike,
    real: Trajectories | None = None,
    settings: DemoSettings | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Run the pipeline and write everything under ``out_dir``; returns the path of ``index.html``."""
    from deval.compare import CompareSettings, compare_sets
    from deval.detectors.evaluation import evaluate_holdout
    from deval.generators import get
    from deval.reports.compare_report import write_compare_report
    from deval.reports.detector_report import write_evaluation_report

    s = settings or DemoSettings()
    step = progress or (lambda msg: None)
    out = Path(out_dir)
    check_writable(out / "index.html", force)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    step("reference set")
    synthetic = real is None and s.synthetic_reference
    shipped = real is None and not synthetic
    if synthetic:
        real = synthetic_humans(s.n_people, s.movements_per_person, seed=s.seed)
    elif shipped:
        from deval.data import load_sample

        real = load_sample()
    real.save(out / "reference.npz", force=force)
    timings["reference"] = time.perf_counter() - t0

    # one torch thread: two threads collapse when anything else runs on a 2-core machine
    short_runs = {
        "diffusion": (s.diffusion_steps, {"train.num_threads": 1, "train.warmup": min(50, s.diffusion_steps),
                                          "train.val_samples": 600}),
        "gan": (s.gan_steps, {"train.num_threads": 1, "train.val_every": 0, "train.val_samples": 600}),
        "keyframe-diffusion": (s.keyframe_steps, {"train.num_threads": 1, "train.warmup": min(50, s.keyframe_steps),
                                                  "train.val_every": 0, "train.val_samples": 600}),
    }
    checkpoints: dict[str, Path] = {}
    for name, (n_steps, overrides) in short_runs.items():
        if n_steps <= 0:
            continue
        step(f"train {name}")
        t1 = time.perf_counter()
        checkpoints[name] = out / name
        get(name).train_run(real, checkpoints[name], preset_name="small", steps=n_steps, seed=s.seed, force=True,
                            device=s.device, overrides=overrides)
        timings[f"train_{name}"] = time.perf_counter() - t1

    step("negatives")
    t1 = time.perf_counter()
    from deval.generators.diffusion import pretrained
    from deval.negatives import generate_negatives

    negatives: dict[str, Trajectories] = {}
    skipped: dict[str, str] = {}
    commands: dict[str, str] = {}
    for k, name in enumerate(_sources()):
        try:
            if name == "diffusion" and name not in checkpoints and not pretrained.available():
                raise DevalError("no pretrained diffusion model installed and diffusion_steps is 0")
            ckpt = {name: str(checkpoints[name])} if name in checkpoints else None
            params = {"device": s.device} if any(p.name == "device" for p in get(name).param_specs) else None
            negatives[name] = generate_negatives([name], n=s.n_per_source, like=real, checkpoints=ckpt,
                                                 params=params, seed=s.seed + k)
            commands[name] = (f"deval generate-negatives -s {name} --like {out / 'reference.npz'} "
                              f"--n {s.n_per_source} --seed {s.seed + k}"
                              + (f" --checkpoint {ckpt[name]}" if ckpt else "")
                              + (f" --device {s.device}" if params else "") + f" -o {name}.npz")
        except DevalError as exc:
            skipped[name] = str(exc)
            log.warning("demo: source %s skipped: %s", name, exc)
    if len(negatives) < 2:
        raise DevalError(f"demo: fewer than two negative sources worked ({skipped})")
    Trajectories.concat(list(negatives.values())).save(out / "negatives.npz", force=force)
    timings["negatives"] = time.perf_counter() - t1

    step("compare")
    t1 = time.perf_counter()
    cmp_settings = CompareSettings(seed=s.seed, max_samples=s.max_compare, mmd_permutations=100)
    real_name = "reference (synthetic)" if synthetic else ("SapiMouse-dev sample" if shipped else "real")
    result = compare_sets(real, negatives, cmp_settings, real_name=real_name)
    write_compare_report(result, out / "compare", force=True)
    timings["compare"] = time.perf_counter() - t1

    step("detectors")
    t1 = time.perf_counter()
    ev = evaluate_holdout(real, negatives, head=s.detector_head, views=s.views, seed=s.seed, n_bootstrap=200)
    write_evaluation_report(ev, out / "evaluate", force=True)
    timings["evaluate"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0

    headline = None
    if "diffusion" in negatives:
        row = next(r for r in result.rows if r.name == "diffusion")
        people = [b for b in result.baselines if b["name"].startswith("human vs human")]
        headline = {"source": "diffusion (pretrained)" if "diffusion" not in checkpoints else "diffusion",
                    "c2st_acc": row.metrics.get("c2st_acc"), "ci_low": row.metrics.get("c2st_ci_low"),
                    "ci_high": row.metrics.get("c2st_ci_high"),
                    "human_vs_human": people[0]["c2st_acc"] if people else None,
                    "aspects": {k[len("c2st_aspect_"):]: v for k, v in row.metrics.items()
                                if k.startswith("c2st_aspect_")}}
    summary = {
        "settings": asdict(s), "synthetic_reference": synthetic, "shipped_reference": shipped,
        "n_reference": len(real), "headline": headline, "commands": commands,
        "pretrained_card": pretrained.card() if pretrained.available() else None,
        "sources": {k: len(v) for k, v in negatives.items()}, "skipped_sources": skipped,
        "trained": sorted(checkpoints),
        "compare": [{"source": r.name, "c2st_acc": r.metrics.get("c2st_acc")} for r in result.rows],
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
    }
    write_text(out / "summary.json", json.dumps(summary, indent=2), force=True)
    return write_text(out / "index.html", _index_html(summary, result.verdicts()), force=True)


def _index_html(summary: dict, verdicts: list[dict]) -> str:
    from deval.reports.html import render

    return render("demo.html", summary=summary, verdicts=verdicts)
