"""``deval features``: the kinematic and spectral features of every movement, as a CSV table."""

from __future__ import annotations

import click

from deval.app.cli.options import force_option, out_file_option, quiet_option, scheduler_option
from deval.app.cli.progress import step_progress


@click.command("features")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@out_file_option("CSV with one row per movement: index, the metadata columns, then the features.")
@click.option("--format", "fmt", default=None, help="Input format (default: detect).")
@click.option("--groups", default="all", show_default=True,
              help="Comma-separated feature groups or names: timing, geometry, dynamics, spectral, kinematic, all.")
@click.option("--chunk", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Movements per shard (the table does not depend on it).")
@scheduler_option
@quiet_option
@force_option
def features(input_path, out, fmt, groups, chunk, scheduler, quiet, force):
    """Write the features of every movement of INPUT (the table compare's metrics and the feature detectors
    read), streaming: a parts folder is read one part at a time and the table is written shard by shard.

    \b
    Example:
      deval features negatives/ --out features.csv --scheduler local:4
    """
    from pathlib import Path

    from deval.atomic import atomic_write, check_not_an_input, check_writable
    from deval.distributed import parse_scheduler, shard_runner
    from deval.features import feature_names
    from deval.features.table import feature_table
    from deval.io.streaming import count_movements, iter_trajectories

    if Path(out).suffix.lower() != ".csv":
        raise click.BadParameter(f"{out}: the feature table is written as .csv", param_hint="--out")
    check_not_an_input([out], [input_path])
    check_writable(out, force)
    parse_scheduler(scheduler)
    selected = [g.strip() for g in groups.split(",") if g.strip()]
    feature_names(selected)  # an unknown group fails before any work
    total = count_movements(input_path, fmt)
    rows, n_columns = 0, 0
    with step_progress(-(-total // chunk) if total else None, "features", quiet) as advance, \
            shard_runner(scheduler) as runner, atomic_write(out, "w", force=force) as f:
        # every chunk has the input's columns (iter_trajectories gives a parts folder's chunks all of them)
        for frame in feature_table(iter_trajectories(input_path, fmt, chunk=chunk), groups=selected, chunk=chunk,
                                   runner=runner):
            frame.to_csv(f, index=False, header=rows == 0)
            rows, n_columns = rows + len(frame), len(frame.columns) - 1
            advance(f"{rows}" + (f"/{total}" if total else ""))
    click.echo(f"{rows} movements, {n_columns} columns: {out}")
