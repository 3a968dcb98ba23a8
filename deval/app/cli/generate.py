"""``deval generate-negatives`` and ``deval list-generators``."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click
import numpy as np

from deval.app.cli.options import (force_option, parse_key_values, quiet_option, scheduler_option,
                               seed_option)
from deval.errors import ConfigError

log = logging.getLogger(__name__)


def split_checkpoints(values: tuple[str, ...], sources: list[str], classes: dict[str, type]) -> dict[str, str]:
    """Route ``--checkpoint [SOURCE=]DIR`` values to trainable sources."""
    from deval.generators import TrainableGenerator

    trainable = [s for s in sources if issubclass(classes[s], TrainableGenerator)]
    out: dict[str, str] = {}
    for value in values:
        src, sep, path = value.partition("=")
        if sep and src in sources:
            if src not in trainable:
                raise click.BadParameter(f"{src!r} is not a trainable generator", param_hint="--checkpoint")
            out[src] = path
        else:
            if len(trainable) != 1:
                which = ", ".join(trainable) or "none"
                raise click.BadParameter(f"{value!r}: say which source it is for (SOURCE=DIR); trainable sources: "
                                         f"{which}", param_hint="--checkpoint")
            out[trainable[0]] = value
    for src, path in out.items():
        if not Path(path).is_dir():
            raise click.BadParameter(f"{path}: no such directory (checkpoint of {src})", param_hint="--checkpoint")
    return out


@click.command("generate-negatives")
@click.option("--source", "-s", "sources", multiple=True, required=True, metavar="NAME",
              help="Generator to draw from (repeat for a mixed file; see deval list-generators).")
@click.option("--like", type=click.Path(exists=True), default=None,
              help="Real trajectory file whose endpoints (and durations/point counts) the negatives follow.")
@click.option("--n", "n", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Movements per source.")
@click.option("--param", "-p", "params", multiple=True, metavar="[SOURCE.]KEY=VALUE",
              help="Generator parameter, e.g. spline.n_control=2 or curvature=[0.1,0.3] (repeatable).")
@click.option("--checkpoint", "checkpoints", multiple=True, metavar="[SOURCE=]DIR",
              help="Directory of a fitted trainable generator, passed to its load().")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Sampling steps of the diffusion sources (same as --param steps=N).")
@click.option("--sampler", default=None, metavar="NAME",
              help="Sampler of the diffusion sources, e.g. dpm-solver, ddim, ddpm (same as --param sampler=NAME).")
@click.option("--cfg-scale", type=float, default=None,
              help="Classifier-free guidance scale of the diffusion sources (same as --param cfg_scale=X).")
@click.option("--device", default=None, metavar="DEVICE",
              help="Device of the learned sources: cpu, cuda, mps (same as --param device=DEVICE).")
@click.option("--save-diffusion-frames", "frames_dir", default=None, metavar="DIR",
              type=click.Path(file_okay=False, writable=True),
              help="Also write the denoising of one sample as PNG frames, denoising.gif (and denoising.mp4 when "
                   "ffmpeg is installed) into DIR/SOURCE/, for each source that supports it "
                   "(keyframe-diffusion).")
@click.option("--per-condition", "per_condition", type=click.IntRange(min=1), default=1, show_default=True,
              help="Movements per drawn condition (start, target): K > 1 draws n/K conditions and repeats each "
                   "K times, numbered in the metadata column `condition`, so that deval compare can measure "
                   "the diversity of what a generator makes for one condition.")
@click.option("--timing", type=click.Choice(["auto", "own", "like", "model"]), default="auto", show_default=True,
              help="Which logger records the negatives. own: each generator's own timestamps; like: re-recorded "
                   "with the clock and pixel grid of the --like file (every source); model: learned sources use "
                   "the logger of their training data (stored with the checkpoint). auto: like for learned sources "
                   "when --like is given, else model; scripted sources keep their own.")
@click.option("--durations", type=click.Choice(["auto", "like", "own"]), default="auto", show_default=True,
              help="like: every negative lasts as long as the --like movement whose endpoints it took (its time "
                   "axis scaled), so negatives follow your file's duration-distance relation at any rate; own: "
                   "as generated. auto: like when --like is given.")
@seed_option
@scheduler_option
@click.option("--out", "-o", "out", required=True, type=click.Path(writable=True),
              help="Output with the negatives (label 1, style = source name): .npz (native), .csv, .json, a "
                   "NaN-padded .npy, or a folder DIR/ with one .npz part per seeded shard (written as they come; "
                   "every command reads the folder as one file).")
@quiet_option
@force_option
def generate_negatives(sources, like, n, params, checkpoints, steps, sampler, cfg_scale, device, frames_dir,
                       per_condition, timing, durations, seed, scheduler, out, quiet, force):
    """Generate labelled bot movements (negatives) from one or more generators.

    Each source contributes --n movements; the output holds all of them with
    the source name as `style` and label 1, in deval's native .npz format.

    \b
    Examples:
      deval generate-negatives --source spline --like real.npz --out neg.npz
      deval generate-negatives -s spline -s pid -s noise --n 5000 -p spline.n_control=2 -o neg.npz
      deval generate-negatives -s replay --like real.npz -p time_stretch=[0.9,1.1] -o replayed.npz
      deval generate-negatives -s diffusion --checkpoint runs/diff --like real.npz --n 5000 \\
          --steps 20 --sampler dpm-solver --cfg-scale 2 -o diff_neg.npz
      deval generate-negatives -s keyframe-diffusion --checkpoint runs/kf --like real.npz --n 2000 \\
          --save-diffusion-frames frames/ -o kf_neg.npz
    """
    from tqdm.auto import tqdm

    from deval.atomic import check_not_an_input, check_writable
    from deval.distributed import parse_scheduler, shard_runner
    from deval.generators import TrainableGenerator, get
    from deval.io import load_trajectories, save_trajectories
    from deval.io.parts import PartsWriter, is_parts_dir
    from deval.negatives import build_generators, iter_negatives
    from deval.trajectories import Trajectories

    sources = list(dict.fromkeys(sources))  # keep order, drop repeats
    check_not_an_input([out], [like])
    # a folder (a trailing slash, no suffix, or an earlier parts output): one .npz part per seeded shard
    as_parts = out.endswith(("/", os.sep)) or Path(out).suffix == "" or is_parts_dir(out)
    if as_parts:
        PartsWriter(out, force=force)  # refuses an existing output without --force, before any work
    else:
        check_writable(out, force)
    parse_scheduler(scheduler)  # a bad --scheduler fails before any work
    from deval.io import write_formats

    if not as_parts and Path(out).suffix.lower() not in write_formats():
        raise click.BadParameter(f"{out}: write a native .npz, or .csv, .json, a padded .npy, or a folder DIR/ of "
                                 ".npz parts", param_hint="--out")
    classes = {s: get(s) for s in sources}
    kv = parse_key_values(params)
    shortcuts = {"steps": steps, "sampler": sampler, "cfg_scale": cfg_scale, "device": device}
    for key, value in shortcuts.items():
        if value is None:
            continue
        if not any(p.name == key for c in classes.values() for p in c.param_specs):
            raise click.BadParameter(f"none of the sources ({', '.join(sources)}) takes it",
                                     param_hint=f"--{key.replace('_', '-')}")
        kv[key] = value
    ckpts = split_checkpoints(checkpoints, sources, classes)
    try:
        gens, modes = build_generators(sources, kv, ckpts, timing=timing, has_like=like is not None)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--timing" if "timing" in str(exc) else "--param") from None
    for s, gen in gens.items():
        if isinstance(gen, TrainableGenerator) and not gen.is_fitted and not (like and type(gen).cheap_fit):
            raise click.UsageError(f"{s} needs a fitted model: give --checkpoint {s}=DIR"
                                   + (", a data parameter or --like REAL" if type(gen).cheap_fit else ""))
    framed = [s for s in sources if callable(getattr(gens[s], "save_denoising_frames", None))]
    if frames_dir is not None:
        if not framed:
            raise click.BadParameter(f"none of the sources ({', '.join(sources)}) can save denoising frames",
                                     param_hint="--save-diffusion-frames")
        for s in framed:  # refuse before any heavy work
            sub = Path(frames_dir) / s
            if sub.exists() and (not sub.is_dir() or any(sub.iterdir())) and not force:
                raise click.BadParameter(f"{sub} exists and is not empty (use --force)",
                                         param_hint="--save-diffusion-frames")
        for s in sources:
            if s not in framed:
                click.echo(f"{s}: no denoising frames (not a diffusion-style source)", err=True)
    real = load_trajectories(like) if like else None
    for s, gen in gens.items():
        if isinstance(gen, TrainableGenerator) and not gen.is_fitted:
            click.echo(f"{s}: fitting on {like}", err=True)
    ends = real.endpoints() if real is not None else None
    with tqdm(total=n * len(sources), unit="mov", desc="generate", disable=quiet or None, leave=False,
              dynamic_ncols=True) as bar:
        def advance(source: str, done: int) -> None:
            bar.set_postfix_str(source, refresh=False)
            bar.update(done)

        attrs = {
            "source": "deval generate-negatives",
            "origin": f"generators {', '.join(sources)}" + (f", endpoints like {Path(like).name}" if like else ""),
            "params": json.dumps({
                "sources": sources, "n_per_source": n, "seed": seed, "like": like, "timing": timing,
                "durations": durations,
                "params": {s: {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.params.items()}
                           for s, g in gens.items()},
                "checkpoints": ckpts}, default=str),
        }
        with shard_runner(scheduler) as runner:
            shards = iter_negatives(gens, n=n, like=real, per_condition=per_condition, seed=seed,
                                    progress=advance, source_timings=modes, runner=runner, durations=durations)
            if as_parts:  # every shard written as it comes; the folder appears when all are
                summary = _Summary()
                with PartsWriter(out, force=force) as writer:
                    for part in shards:
                        part = _with_attrs(part, attrs)
                        writer.add(part)
                        summary.add(part)
            else:
                result = _with_attrs(Trajectories.concat(list(shards)), attrs)
    if frames_dir is not None:
        frame_seeds = np.random.SeedSequence(seed).spawn(len(sources) + 1)[-1].spawn(len(framed))
        for s, fseed in zip(framed, frame_seeds):
            first = ends.take(np.arange(1)) if ends is not None else None
            written = gens[s].save_denoising_frames(Path(frames_dir) / s, cond=first,
                                                    seed=np.random.default_rng(fseed), force=force)
            click.echo(f"{s}: wrote {len(written)} denoising frame files to {Path(frames_dir) / s}", err=True)
    if not as_parts:
        save_trajectories(result, out, force=force)
        summary = _Summary()
        summary.add(result)
    summary.echo(sources, out)


def _with_attrs(traj, attrs: dict):
    from deval.trajectories import Trajectories

    return Trajectories(traj.x, traj.y, traj.t, traj.offsets, traj.press, traj.meta, attrs)


class _Summary:
    """Per-style medians of what was written, gathered part by part (no need to hold the movements)."""

    def __init__(self):
        self.styles, self.lengths, self.durations, self.distances = [], [], [], []
        self.points = 0

    def add(self, traj) -> None:
        self.styles.append(np.asarray(traj.style).astype(str))
        self.lengths.append(traj.lengths)
        self.durations.append(traj.durations)
        self.distances.append(traj.endpoints().distance)
        self.points += traj.n_points

    def echo(self, sources: list[str], out: str) -> None:
        style, lengths, dur, dist = (np.concatenate(a) for a in (self.styles, self.lengths, self.durations,
                                                                  self.distances))
        click.echo(f"{'style':<18}{'movements':>10}{'median points':>15}{'median s':>10}{'median px':>11}")
        for s in sources:
            m = style == s
            click.echo(f"{s:<18}{int(m.sum()):>10}{np.median(lengths[m]):>15.0f}"
                       f"{np.median(dur[m]):>10.3f}{np.median(dist[m]):>11.0f}")
        click.echo(f"wrote {len(style)} movements ({self.points} points) to {out}")


@click.command("list-generators")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_generators(as_json):
    """List every registered generator with its description and parameters."""
    from deval.generators import available, describe, get

    names = available()
    if as_json:
        click.echo(json.dumps([get(name).info() for name in names], indent=2, default=str))
        return
    click.echo(describe(names))
