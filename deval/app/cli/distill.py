"""``deval distill``: a diffusion checkpoint that samples in half the steps (progressive distillation)."""

from __future__ import annotations

import click

from deval.app.cli.options import force_option, out_dir_option, quiet_option, seed_option
from deval.app.cli.progress import step_progress
from deval.atomic import json_text


@click.command("distill")
@click.argument("checkpoint", metavar="CHECKPOINT")
@click.option("--data", required=True, type=click.Path(exists=True),
              help="Movements whose endpoints and lengths condition the teacher (its training data, or like it).")
@out_dir_option("The student's checkpoint directory (use it with --checkpoint diffusion=DIR).")
@click.option("--iterations", type=click.IntRange(min=1), default=1500, show_default=True,
              help="Optimiser steps of the student.")
@click.option("--teacher-steps", type=click.IntRange(min=2), default=None,
              help="The teacher's DDIM steps (even; default: its sample.steps). The student takes half.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-4, show_default=True)
@click.option("--format", "fmt", default=None, help="Input format of --data (default: detect).")
@seed_option
@force_option
@quiet_option
def distill(checkpoint, data, out, iterations, teacher_steps, batch_size, lr, fmt, seed, force, quiet):
    """Distil the diffusion CHECKPOINT (a directory, or a shipped model's name such as sapimouse-small) into a
    student that samples with DDIM in half the steps: about twice the movements per second. Measure what it
    costs in realism with deval compare before relying on it.

    \b
    Example:
      deval distill sapimouse-small --data real.npz --out runs/fast
      deval generate-negatives -s diffusion --checkpoint diffusion=runs/fast --like real.npz -o neg.npz
    """
    from deval.generators.diffusion.distillation import distill_checkpoint
    from deval.io import load_trajectories

    traj = load_trajectories(data, fmt)
    with step_progress(iterations, "distill", quiet) as advance:
        summary = distill_checkpoint(checkpoint, traj, out, iterations=iterations, teacher_steps=teacher_steps,
                                     batch_size=batch_size, lr=lr, seed=seed, force=force,
                                     progress=lambda it, loss: advance(f"loss {loss:.5f}"))
    click.echo(json_text(summary, indent=2))
