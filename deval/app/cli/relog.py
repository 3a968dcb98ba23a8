"""``deval relog``: re-record movements through the logger of a reference file or a named logger."""

from __future__ import annotations

from pathlib import Path

import click

from deval.app.cli.options import force_option, input_path_argument, out_file_option, seed_option


@click.command()
@input_path_argument("input_path")
@click.option("--like", "like_path", type=click.Path(exists=True, dir_okay=True, path_type=Path), default=None,
              help="Reference recordings whose logger is fitted and used (at least 50 movements).")
@click.option("--logger", "logger_spec", default=None, metavar="SPEC",
              help="A logger instead of --like: poll:125hz, events:1000hz, coalesced:60hz, sparse:80ms, with "
                   "options such as ,clip=7-9ms ,stamps=1ms ,grid=0.5 ,f32 (see the docs), or a named logger.")
@out_file_option("File to write (any format deval writes: .npz, .csv, .json, .npy).")
@click.option("--format", "fmt", default=None, help="Input format of IN and --like (default: detect).")
@seed_option
@force_option
def relog(input_path: str, like_path: Path | None, logger_spec: str | None, out: str, fmt: str | None, seed: int,
          force: bool) -> None:
    """Re-record the movements of IN through another logger: the logger of --like (fitted; its kind is
    printed) or --logger SPEC. Each movement's continuous motion is recovered from its samples first, then
    sampled again, so a file re-recorded through an equivalent logger keeps its character.

    \b
    Examples:
      deval relog negatives.npz --like my_people.npz --out negatives_like_mine.npz
      deval relog people.npz --logger sparse:80ms --out people_over_vnc.npz
      deval relog people.npz --logger poll:125hz,clip=7-9ms --out people_polled.npz
    """
    from deval.atomic import check_not_an_input, check_writable
    from deval.io import load_trajectories, save_trajectories
    from deval.loggers import relog as relog_movements

    if (like_path is None) == (logger_spec is None):
        raise click.UsageError("give exactly one of --like REF and --logger SPEC")
    out_path = Path(out)
    check_not_an_input([out_path], [Path(input_path)] + ([like_path] if like_path else []))
    check_writable(out_path, force)
    movements = load_trajectories(input_path, fmt)
    like = load_trajectories(like_path, fmt) if like_path is not None else None
    result = relog_movements(movements, like=like, logger=logger_spec, seed=seed,
                             like_source=None if like_path is None else str(like_path), source=str(input_path))
    click.echo(f"Logger{' of ' + str(like_path) if like_path else ''}: {result.logger.describe()}")
    save_trajectories(result.movements, out_path, force=force)
    click.echo(f"Wrote {out_path}: {len(result.movements)} movements, {result.movements.n_points} points "
               f"(from {movements.n_points})")
