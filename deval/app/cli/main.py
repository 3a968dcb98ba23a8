"""The ``deval`` command group.

Subcommands live in their own modules and are imported only when they run,
so ``deval -h`` stays fast. Library errors (:class:`~deval.errors.DevalError`)
become a one-line ``Error: ...`` message and exit code 1, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys

import click

from deval import __version__
from deval.errors import DevalError

#: command name -> "module:function"
COMMANDS: dict[str, str] = {
    "calibrate": "deval.app.cli.detect:calibrate",
    "compare": "deval.app.cli.compare:compare",
    "convert": "deval.app.cli.convert:convert",
    "demo": "deval.app.cli.demo:demo",
    "distill": "deval.app.cli.distill:distill",
    "evaluate": "deval.app.cli.detect:evaluate",
    "features": "deval.app.cli.features:features",
    "generate-negatives": "deval.app.cli.generate:generate_negatives",
    "list-generators": "deval.app.cli.generate:list_generators",
    "mine-negatives": "deval.app.cli.detect:mine_negatives",
    "relog": "deval.app.cli.relog:relog",
    "score": "deval.app.cli.detect:score",
    "train-detector": "deval.app.cli.detect:train_detector",
    "train-generator": "deval.app.cli.train:train_generator",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DevalError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="deval")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("--on-repeated-time", type=click.Choice(["drop", "error"]), default="drop", show_default=True,
              help="Samples whose timestamp repeats the one before (coalesced events, 1 ms loggers): drop them "
                   "with a one-line warning (their share goes to the metadata column repeated_time_share), or "
                   "refuse the file.")
@click.option("--layout", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Layout file (YAML/JSON) for every padded .npy input: channel meanings, scaling to undo, lengths "
                   "file, units (see the README). A layout.yaml next to the data is picked up without it.")
@click.option("--strict", is_flag=True,
              help="Unit warnings on loading (normalised coordinates, milliseconds read as seconds) become errors.")
@click.option("-O", "--read-option", "read_options", multiple=True, metavar="KEY=VALUE",
              help="A reading option for every input of the command, where its format takes it: -O time_unit=ms "
                   "(JSON, CSV), -O channels=x,y,t (padded arrays without a layout), -O max_gap_s=0.5 (event "
                   "logs)... (repeatable).")
def cli(verbose: int, on_repeated_time: str, layout: str | None, strict: bool, read_options: tuple[str, ...]
        ) -> None:
    """deval: realism metrics, hard negatives and detector evaluation for mouse-movement bot detectors."""
    from deval.app.cli.options import parse_key_values
    from deval.io import set_default_layout, set_default_read_options, set_repeated_time_policy, set_strict_units

    # SIGTERM ends a command like an exception: temporary files and staging folders are removed, outputs
    # already complete stay, nothing half-written appears under a final name
    signal.signal(signal.SIGTERM, _terminate)
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    set_repeated_time_policy(on_repeated_time)
    set_strict_units(strict)
    set_default_layout(layout)
    set_default_read_options(parse_key_values(read_options, "--read-option"))
    ctx = click.get_current_context()
    ctx.call_on_close(lambda: (set_repeated_time_policy("drop"), set_strict_units(False), set_default_layout(None),
                               set_default_read_options(None)))


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="deval")


if __name__ == "__main__":
    main()
