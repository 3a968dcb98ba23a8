"""``deval train-generator NAME``: train a trainable generator on real movements.

The generator is looked up in the generator registry; any registered
:class:`~deval.generators.base.TrainableGenerator` that provides a
``train_run`` classmethod (and a ``presets`` tuple) can be trained here::

    @classmethod
    def train_run(cls, data, out_dir, *, preset_name, config_file, overrides, epochs, steps,
                  device, resume, val_split, seed, force, progress) -> dict   # JSON-ready summary

``diffusion`` is the first; ``gan`` plugs in the same way. A generator may also
provide ``run_defaults(preset_name, config_file, overrides) -> {"out", "device"}``
(``action-diffusion``: its ``save_dir`` and ``device`` keys), which fill in
``--out`` and ``--device`` when they are not given.
"""

from __future__ import annotations


import click

from deval.atomic import json_text

from deval.app.cli.options import force_option, out_dir_option, parse_key_values, quiet_option, seed_option


@click.command("train-generator", context_settings={"ignore_unknown_options": False})
@click.argument("generator", metavar="GENERATOR")
@click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--data", "data", required=True, type=click.Path(exists=True, dir_okay=True, readable=True),
              help="Real human movements (any format deval reads; a folder of *_actions.npy for action data).")
@out_dir_option("Run directory: checkpoints best/ and final/, metrics.jsonl, config.json (default: the "
                "configuration's save_dir, where the generator has one).", required=False)
@click.option("--preset", "preset_name", default=None,
              help="Built-in preset, a file configs/<generator>/<preset>.yaml (diffusion: smoke, small, medium; "
                   "gan, keyframe-diffusion, action-diffusion: smoke, small).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, readable=True), default=None,
              help="YAML or JSON configuration applied on top of the preset.")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), default=None, help="Training length in epochs.")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="Training length in optimiser steps.")
@click.option("--device", default=None, metavar="DEVICE",
              help="Torch device: cpu, cuda, cuda:1, mps... (default: the configuration's device where the "
                   "generator has one, else cpu).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last state.")
@click.option("--val-split", type=click.Choice(["user", "random"]), default=None,
              help="Hold out whole users (default) or random movements for validation "
                   "(action-diffusion's default: the data's train/ and val/ folders, else random).")
@click.option("--format", "fmt", default=None, help="Input format of --data (default: detect).")
@click.option("--wandb-project", default=None, metavar="PROJECT",
              help="Also log every metrics line to this Weights & Biases project (pip install 'deval[wandb]').")
@click.option("--wandb-mode", type=click.Choice(["offline", "online", "disabled"]), default="offline",
              show_default=True, help="W&B mode (offline: no network; wandb sync later).")
@seed_option
@force_option
@quiet_option
def train_generator(generator, overrides, data, out, preset_name, config_file, epochs, steps, device, resume,
                    val_split, fmt, wandb_project, wandb_mode, seed, force, quiet):
    """Train GENERATOR (e.g. diffusion) on real movements; KEY=VALUE pairs override the configuration
    (section.key=value, e.g. train.lr=3e-4 model.denoiser=transformer).

    \b
    Example:
      deval train-generator diffusion --data real.npz --out runs/diff --preset small
    """
    from deval.generators.learned.data_parallel import DataParallel
    from deval.generators.training import run_defaults, train_generator as train
    from deval.io import load_trajectories

    if epochs is not None and steps is not None:
        raise click.UsageError("give --epochs or --steps, not both")
    kv = parse_key_values(overrides, what="KEY=VALUE")
    defaults = run_defaults(generator, preset=preset_name, config_file=config_file, overrides=kv)
    out = out or defaults.get("out")
    if out is None:
        raise click.UsageError("Missing option '--out' / '-o'.")
    callbacks = []
    if wandb_project is not None:
        from deval.generators.learned.callbacks import WandbCallback

        callbacks.append(WandbCallback(wandb_project, wandb_mode))
    summary = train(generator, load_trajectories(data, format=fmt), out, preset=preset_name,
                    config_file=config_file, overrides=kv, epochs=epochs, steps=steps,
                    device=device or defaults.get("device") or "cpu", resume=resume, val_split=val_split,
                    seed=seed, force=force, progress=not quiet, callbacks=callbacks)
    if DataParallel.from_env().is_main:  # under torchrun, one summary (rank 0's)
        click.echo(json_text(summary, indent=2))

