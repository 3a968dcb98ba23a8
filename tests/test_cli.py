"""The command group itself: version, help for every command, error handling."""

import pytest
from click.testing import CliRunner

from deval import __version__
from deval.app.cli.main import COMMANDS, cli


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


@pytest.mark.parametrize("command", ["compare", "generate-negatives", "generate-negatives-parts"])
def test_sigterm_leaves_no_partial_outputs_and_no_temporary_files(tmp_path, command):
    import os
    import signal
    import subprocess
    import sys
    import time

    from deval.data import sample_path

    out = tmp_path / "out"
    args = {"compare": ["compare", str(sample_path()), str(sample_path()), "--out", str(out), "-q"],
            "generate-negatives": ["generate-negatives", "-s", "sigma-lognormal", "--n", "2000000",
                                   "--out", str(tmp_path / "neg.npz"), "-q"],
            "generate-negatives-parts": ["generate-negatives", "-s", "spline", "--n", "2000000",
                                         "--out", str(tmp_path / "neg") + "/", "-q"]}[command]
    proc = subprocess.Popen([sys.executable, "-m", "deval.app.cli.main", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    time.sleep(6)
    assert proc.poll() is None, proc.stderr.read().decode()[-1000:]
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr.read().decode()
    left = sorted(p.name for p in tmp_path.rglob("*"))
    assert left == [], left


def test_same_seed_same_bytes_for_generate_and_compare(tmp_path):
    from deval.data import load_sample

    load_sample()[:300].save(tmp_path / "real.npz")
    for k in (1, 2):
        r = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "-s", "pid", "--like",
                                     str(tmp_path / "real.npz"), "--n", "150", "--seed", "5", "-q",
                                     "--out", str(tmp_path / f"neg{k}.npz")])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli, ["compare", str(tmp_path / "real.npz"), str(tmp_path / f"neg{k}.npz"), "-q",
                                     "--metrics", "c2st,mmd,prd,prdc", "--no-baselines", "--permutations", "20",
                                     "--out", str(tmp_path / f"rep{k}")])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "neg1.npz").read_bytes() == (tmp_path / "neg2.npz").read_bytes()
    a = (tmp_path / "rep1" / "metrics.json").read_text()
    b = (tmp_path / "rep2" / "metrics.json").read_text().replace('"neg2"', '"neg1"')  # the file names differ
    assert a == b


def test_score_gives_the_same_bytes_twice(tmp_path):
    from deval.data import load_sample

    real = load_sample()
    real[:300].save(tmp_path / "real.npz")
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "spline", "--like", str(tmp_path / "real.npz"),
                                 "--n", "300", "-q", "--out", str(tmp_path / "neg.npz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["train-detector", "--real", str(tmp_path / "real.npz"), "--negatives",
                                 str(tmp_path / "neg.npz"), "--head", "hgb", "--out", str(tmp_path / "det"), "-q"])
    assert r.exit_code == 0, r.output
    real[300:500].save(tmp_path / "new.npz")
    for k in (1, 2):
        r = CliRunner().invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / "new.npz"), "--out",
                                     str(tmp_path / f"s{k}.csv"), "-q"])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "s1.csv").read_bytes() == (tmp_path / "s2.csv").read_bytes()
    r = CliRunner().invoke(cli, ["score", str(tmp_path / "det"), str(tmp_path / "new.npz"), "--out",
                                 str(tmp_path / "new.npz"), "--force"])
    assert r.exit_code != 0 and "one of this command's inputs" in r.output


@pytest.mark.parametrize("threads", [2])
def test_one_thread_and_several_threads_give_the_same_bytes(tmp_path, threads):
    """generate-negatives (diffusion, torch), compare (HGB, MMD, sequence probe) and score, 1 vs N threads."""
    import os
    import subprocess
    import sys

    from deval.data import load_sample

    pytest.importorskip("deval.generators.diffusion.pretrained")
    load_sample()[:240].save(tmp_path / "real.npz")
    script = ("import sys; from deval.app.cli.main import cli; cli.main(sys.argv[1:], prog_name='deval')")
    for k in (1, threads):
        env = {**os.environ, "OMP_NUM_THREADS": str(k), "MKL_NUM_THREADS": str(k)}

        def run(*args):
            proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
                                  timeout=600)
            assert proc.returncode == 0, proc.stderr

        run("generate-negatives", "-s", "diffusion", "-s", "spline", "--like", str(tmp_path / "real.npz"),
            "--n", "120", "--seed", "3", "-q", "--out", str(tmp_path / f"neg{k}.npz"))
        run("compare", str(tmp_path / "real.npz"), str(tmp_path / f"neg{k}.npz"), "-q", "--metrics", "c2st,mmd",
            "--no-baselines", "--permutations", "20", "--out", str(tmp_path / f"rep{k}"))
    assert (tmp_path / "neg1.npz").read_bytes() == (tmp_path / f"neg{threads}.npz").read_bytes()
    a = (tmp_path / "rep1" / "metrics.json").read_text()
    b = (tmp_path / f"rep{threads}" / "metrics.json").read_text().replace(f'"neg{threads}"', '"neg1"')
    assert a == b


def test_sigterm_during_training_leaves_a_resumable_run_and_no_temporary_files(tmp_path):
    """train-generator's run directory is its resumable state: a SIGTERM leaves the last complete checkpoint
    (written atomically at each validation), no temporary file, and --resume finishes the run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from deval.data import sample_path

    run = tmp_path / "run"
    args = ["train-generator", "gan", "--data", str(sample_path()), "--preset", "smoke", "--steps", "100000",
            "train.val_every=20", "train.val_samples=20", "--out", str(run), "-q"]
    proc = subprocess.Popen([sys.executable, "-m", "deval.app.cli.main", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline and not (run / "last" / "training_state.pt").exists():
        time.sleep(0.5)
    time.sleep(2)
    assert proc.poll() is None, proc.stderr.read().decode()[-1000:]
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr.read().decode()
    hidden = [p.name for p in tmp_path.rglob(".*")]
    assert hidden == [], hidden
    assert not (run / "final").exists()
    import json

    done = max(json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip())
    r = CliRunner().invoke(cli, ["train-generator", "gan", "--data", str(sample_path()), "--preset", "smoke",
                                 "--steps", str(done + 20), "train.val_every=20", "train.val_samples=20", "--out", str(run),
                                 "--resume", "-q"])
    assert r.exit_code == 0, r.output
    assert (run / "final").is_dir()
