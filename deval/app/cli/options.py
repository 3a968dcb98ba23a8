"""Option decorators shared by several commands, so that they read the same everywhere."""

from __future__ import annotations

import click

seed_option = click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed for every random choice (same seed, same output)."
)
force_option = click.option("--force", is_flag=True, help="Overwrite existing outputs.")
device_option = click.option(
    "--device", default="cpu", show_default=True, help="Torch device: cpu, cuda, cuda:1, mps..."
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars.")


def out_file_option(help: str = "Output file.", required: bool = True):
    """``--out FILE``."""
    return click.option(
        "--out", "-o", "out", required=required, help=help,
        type=click.Path(dir_okay=False, writable=True),
    )


def out_dir_option(help: str = "Output directory.", required: bool = True):
    """``--out DIR``."""
    return click.option(
        "--out", "-o", "out", required=required, help=help,
        type=click.Path(file_okay=False, writable=True),
    )


def input_path_argument(name: str, nargs: int = 1):
    """A trajectory file argument that must exist."""
    return click.argument(name, nargs=nargs, type=click.Path(exists=True, dir_okay=True, readable=True))


def parse_key_values(pairs: tuple[str, ...], what: str = "--param") -> dict:
    """Parse ``key=value`` strings; values are read as YAML scalars (numbers, booleans, lists)."""
    import yaml

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint=what)
        key, value = pair.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def scheduler_option(f):
    """``--scheduler``: where seeded shards run (none: here; local:N; a dask.distributed address)."""
    return click.option("--scheduler", default=None, metavar="local:N|ADDRESS",
                        help="Run the seeded shards on Dask: local:N (a LocalCluster of N worker processes) or a "
                             "dask.distributed scheduler address; the output is the same as without. Needs "
                             "pip install 'deval[distributed]'.")(f)
