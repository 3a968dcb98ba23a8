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


def test_outputs_never_overwrite_inputs_even_with_force(tmp_path):
    from deval.data import load_sample
    from deval.io import load_trajectories

    src = tmp_path / "real.npz"
    load_sample()[:60].save(src)
    before = src.read_bytes()
    for args in (["convert", str(src), "--out", str(src), "--force"],
                 ["generate-negatives", "-s", "spline", "--like", str(src), "--n", "5", "--out", str(src), "--force"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code != 0 and "one of this command's inputs" in r.output and "Traceback" not in r.output
    assert src.read_bytes() == before
    load_trajectories(src)
