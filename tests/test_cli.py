"""The command group itself: version, help for every command, error handling."""

import pytest
from click.testing import CliRunner

from deval import __version__
from deval.cli.main import COMMANDS, cli


def test_version():
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output


def test_short_help_flag():
    r = CliRunner().invoke(cli, ["-h"])
    assert r.exit_code == 0
    for name in COMMANDS:
        assert name in r.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name):
    r = CliRunner().invoke(cli, [name, "-h"])
    assert r.exit_code == 0, r.output
    assert "Usage:" in r.output
    # a real description, not just the usage line
    assert len(r.output.splitlines()) > 4


def test_unknown_command_fails_cleanly():
    r = CliRunner().invoke(cli, ["no-such-command"])
    assert r.exit_code != 0 and "No such command" in r.output
