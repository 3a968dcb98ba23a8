"""``deval demo``: the whole pipeline on the shipped sample of real people, a synthetic set or your data."""

from __future__ import annotations

import click

from deval.app.cli.options import device_option, force_option, out_dir_option, quiet_option, seed_option
from deval.app.cli.progress import step_progress


@click.command("demo")
@out_dir_option("Directory for every output (index.html links the reports).", required=False)
@click.option("--real", "real_path", type=click.Path(exists=True),
              help="Your human movements (any supported format). Default: the shipped sample of 2,000 real "
                   "SapiMouse-dev movements.")
@click.option("--synthetic", is_flag=True,
              help="Use a SYNTHETIC reference set (sigma-lognormal movements, one parameter set per simulated "
                   "person) instead of the shipped real sample.")
@click.option("--n", "n_per_source", type=click.IntRange(min=50), default=600, show_default=True,
              help="Negatives per source.")
@click.option("--diffusion-steps", type=click.IntRange(min=0), default=0, show_default=True,
              help="0: sample from the pretrained diffusion model; N > 0: train a small one for N steps.")
@click.option("--gan-steps", type=click.IntRange(min=0), default=300, show_default=True,
              help="Generator steps of the demo's GAN (0: leave the GAN out).")
@click.option("--keyframe-steps", type=click.IntRange(min=0), default=200, show_default=True,
              help="Training steps of the demo's keyframe-diffusion model (0: leave it out).")
@click.option("--head", type=click.Choice(["hgb", "logistic", "cnn", "gru"]), default="hgb", show_default=True,
              help="Detector head.")
@seed_option
@device_option
@quiet_option
@force_option
def demo(out, real_path, synthetic, n_per_source, diffusion_steps, gan_steps, keyframe_steps, head, seed, device, quiet, force):
    """Run the whole pipeline and write one report directory.

    Loads a human reference set (the shipped real sample by default), samples the pretrained
    diffusion model, trains a small GAN and a small keyframe-diffusion model, makes negatives
    from every registered source, compares each with the reference, trains detectors and scores
    them on held-out bot styles. A few minutes on 2 CPU cores with the defaults.

    \b
    Examples:
      deval demo --out demo/
      deval demo --real my_movements.npz --out demo/
    """
    from deval.app.demo import DemoSettings, run_demo
    from deval.io import load_trajectories

    out = out or "deval-demo"
    if real_path and synthetic:
        raise click.BadParameter("give --real or --synthetic, not both", param_hint="--synthetic")
    real = load_trajectories(real_path) if real_path else None
    settings = DemoSettings(seed=seed, synthetic_reference=synthetic, n_per_source=n_per_source, diffusion_steps=diffusion_steps, gan_steps=gan_steps,
                            keyframe_steps=keyframe_steps, detector_head=head, device=device)
    with step_progress(5 + bool(diffusion_steps) + bool(gan_steps) + bool(keyframe_steps), "demo", quiet) as advance:
        index = run_demo(out, real, settings, force=force, progress=advance)
    click.echo(f"report: {index}")
