"""``deval convert``: read any supported trajectory file, write the native ``.npz``."""

from __future__ import annotations

from pathlib import Path

import click

from deval.cli.options import force_option, out_file_option, parse_key_values


def _summary(traj) -> str:
    styles = traj.meta["style"].value_counts()
    style_text = ", ".join(f"{name} {count}" for name, count in styles.items()) or "none"
    return f"{len(traj)} movements, {traj.n_points} points, styles: {style_text}"


@click.command()
@click.argument("input_path", metavar="IN", type=click.Path(dir_okay=True, path_type=Path))
@out_file_option("Native .npz file to write.")
@click.option(
    "--format", "fmt", default=None,
    type=click.Choice(["npz", "padded", "actions", "csv", "events", "json"]),
    help="Input format (default: detected from the extension and content; a folder means event logs).",
)
@click.option("--seq-len", type=click.IntRange(min=1), default=None, help="Steps per movement (actions format).")
@click.option(
    "--channels", default=None,
    help="Channel names of a padded array, e.g. x,y / x,y,t / dx,dy,dt / x,y,t,press (padded format).",
)
@click.option("--rate-hz", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Sampling rate when the file has no time (padded, actions, json; default 60).")
@click.option("--style", default=None, help="Set the style (source name) of every movement.")
@click.option("--label", type=click.Choice(["human", "bot"]), default=None, help="Set the label of every movement.")
@click.option(
    "--option", "-O", "options", multiple=True, metavar="KEY=VALUE",
    help="Any other loader option, e.g. -O max_gap_s=0.5 -O keep_drags=true -O screen=[1920,1080] "
         "-O lengths=lens.npy (repeatable).",
)
@force_option
def convert(
    input_path: Path,
    out: str,
    fmt: str | None,
    seq_len: int | None,
    channels: str | None,
    rate_hz: float | None,
    style: str | None,
    label: str | None,
    options: tuple[str, ...],
    force: bool,
) -> None:
    """Convert trajectory file IN (npz, padded/flat .npy, long CSV, JSON, event log or a folder
    of event logs) to deval's native compressed .npz, validating it on the way."""
    from deval.atomic import check_writable
    from deval.io import load_trajectories, save_trajectories
    from deval.trajectories import BOT, HUMAN

    out_path = Path(out)
    if out_path.suffix.lower() != ".npz":
        raise click.BadParameter(f"{out} must end in .npz (the native format)", param_hint="--out")
    check_writable(out_path, force)  # fail before the (possibly long) read
    loader_options = parse_key_values(options, "--option")
    for key, value in (("seq_len", seq_len), ("channels", channels), ("rate_hz", rate_hz)):
        if value is not None:
            loader_options[key] = value
    if fmt is None and input_path.is_dir():
        fmt = "events"
    traj = load_trajectories(input_path, fmt, **loader_options)
    if style is not None:
        traj = traj.with_meta(style=style)
    if label is not None:
        traj = traj.with_meta(label=BOT if label == "bot" else HUMAN)
    save_trajectories(traj, out_path, force=force)
    click.echo(f"Wrote {out_path}: {_summary(traj)}")
