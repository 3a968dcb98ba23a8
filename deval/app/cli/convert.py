"""``deval convert``: read any supported trajectory file (or folder), write the native ``.npz``
or flat ``*_actions.npy`` sequences for a training harness."""

from __future__ import annotations

from pathlib import Path

import click

from deval.app.cli.options import force_option, out_file_option, parse_key_values


def _summary(traj) -> str:
    styles = traj.meta["style"].value_counts()
    style_text = ", ".join(f"{name} {count}" for name, count in styles.items()) or "none"
    return f"{len(traj)} movements, {traj.n_points} points, styles: {style_text}"


@click.command()
@click.argument("input_path", metavar="IN", type=click.Path(dir_okay=True, path_type=Path))
@out_file_option("File to write, by its suffix: .npz (native), .csv (long CSV), .json (movement objects), .npy (NaN-padded x, y, t; or flat x, y, press actions with --screen).")
@click.option(
    "--format", "fmt", default=None,
    type=click.Choice(["npz", "padded", "actions", "csv", "events", "json"]),
    help="Input format (default: detected from the extension and content; a folder means *_actions.npy files "
         "when it holds some, else event logs).",
)
@click.option("--seq-len", type=click.IntRange(min=1), default=None, help="Steps per movement (actions format).")
@click.option(
    "--channels", default=None,
    help="Channel names of a padded array, e.g. x,y / x,y,t / dx,dy,dt / x,y,t,press (padded format).",
)
@click.option("--rate-hz", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Sampling rate when the file has no time (padded, actions, json; default 60).")
@click.option("--screen", default=None, metavar="WxH",
              help="Screen size in pixels that normalised action coordinates refer to: a .npy output is "
                   "divided by it (pixels -> [0, 1]); an actions input is multiplied by it (like -O screen=...).")
@click.option("--points", type=click.IntRange(min=2), default=None,
              help="Resample every movement to this many points, evenly spaced in time (flat actions need "
                   "equal lengths).")
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
    screen: str | None,
    points: int | None,
    style: str | None,
    label: str | None,
    options: tuple[str, ...],
    force: bool,
) -> None:
    """Convert trajectory file IN (npz, padded/flat .npy, long CSV, JSON, event log, a folder
    of event logs or of *_actions.npy files) to deval's native compressed .npz, validating it on
    the way; or, with an --out ending in .npy, to flat [N*seq_len, 3] x, y, press actions
    normalised by --screen (plus a <stem>_meta.json sidecar that deval reads back).

    \b
    Examples:
      deval convert session_logs/ --out movements.npz
      deval convert dataset/ --out actions.npz --seq-len 64 --screen 1920x1080
      deval convert neg.npz --out neg_actions.npy --screen 1920x1080 [--points 64]
    """
    from deval.atomic import check_not_an_input, check_writable
    from deval.canonical import resample
    from deval.io import load_trajectories, save_actions, save_trajectories
    from deval.io.actions import find_action_files, parse_screen, sidecar_path
    from deval.trajectories import BOT, HUMAN

    out_path = Path(out)
    suffix = out_path.suffix.lower()
    if suffix not in (".npz", ".npy", ".csv", ".json"):
        raise click.BadParameter(f"{out} must end in .npz (the native format), .csv (long CSV), .json (movement "
                                 "objects) or .npy (padded x, y, t; flat actions with --screen)", param_hint="--out")
    screen_wh = None if screen is None else parse_screen(screen, "--screen")
    actions_out = suffix == ".npy" and screen_wh is not None
    check_not_an_input([out_path], [input_path])
    check_writable(out_path, force)  # fail before the (possibly long) read
    if actions_out:
        check_writable(sidecar_path(out_path), force)
    loader_options = parse_key_values(options, "--option")
    for key, value in (("seq_len", seq_len), ("channels", channels), ("rate_hz", rate_hz)):
        if value is not None:
            loader_options[key] = value
    if fmt is None and input_path.is_dir():
        fmt = "actions" if find_action_files(input_path) else (
            "json" if any(f.suffix.lower() == ".json" for f in input_path.iterdir()) else "events")
    if fmt == "actions" and screen_wh is not None and "screen" not in loader_options:
        loader_options["screen"] = screen_wh
    traj = load_trajectories(input_path, fmt, **loader_options)
    if points is not None:
        traj = resample(traj, n_points=points)
    if style is not None:
        traj = traj.with_meta(style=style)
    if label is not None:
        traj = traj.with_meta(label=BOT if label == "bot" else HUMAN)
    if actions_out:
        save_actions(traj, out_path, force=force, screen=screen_wh, sidecar=True)
        click.echo(f"Wrote {out_path} (+ {sidecar_path(out_path).name}): {_summary(traj)}, "
                   f"{traj.lengths[0]} steps each, normalised by {screen_wh[0]:g}x{screen_wh[1]:g}")
    else:
        save_trajectories(traj, out_path, force=force)
        click.echo(f"Wrote {out_path}: {_summary(traj)}")
