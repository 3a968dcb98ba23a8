"""Training the diffusion generator end to end (smoke preset) and sampling from its checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.errors import CheckpointError
from deval.generators import registry
from deval.trajectories import Endpoints

from test_diffusion_representation import _movements


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module", autouse=True)
def diffusion_registered():
    """Make sure "diffusion" resolves in the registry (BUILTINS entry or explicit registration)."""
    from deval.generators.diffusion.generator import DiffusionGenerator

    added = False
    try:
        registry.get("diffusion")
    except Exception:
        registry.register("diffusion", DiffusionGenerator)
        added = True
    yield
    if added:
        registry.unregister("diffusion")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "real.npz"
    _movements(240, seed=3).save(path)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_file):
    out = tmp_path_factory.mktemp("run") / "smoke"
    res = CliRunner().invoke(cli, ["train-generator", "diffusion", "--data", str(data_file), "--out", str(out),
                                   "--preset", "smoke", "--seed", "0", "-q", "train.val_samples=40"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    return out, summary


def test_smoke_preset_overfits_one_batch(trained):
    out, summary = trained
    start, end = summary["fixed_batch_loss"]
    assert start / end >= 10, f"single-batch loss fell only {start / end:.1f}x ({start:.4f} -> {end:.4f})"
    assert summary["steps"] == 250


def test_run_directory_contents(trained):
    out, _ = trained
    for sub in ("best", "final"):
        for f in ("model.safetensors", "config.json", "normalizer.json", "encoder.json", "logger.json"):
            assert (out / sub / f).is_file()
        from safetensors.torch import load_file

        state = load_file(out / sub / "model.safetensors")
        assert all(isinstance(v, torch.Tensor) for v in state.values())
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 1
    for key in ("step", "train_loss", "val_loss", "c2st_acc", "mmd2", "prd_precision", "prd_recall",
                "goal_distance_err_rel", "goal_angle_err_deg"):
        assert key in lines[0]
    split = json.loads((out / "split.json").read_text())
    assert split["how"] == "user" and split["fraction"] == 0.15 and split["seed"] == 0
    assert len(split["val_users"]) == 1  # ceil(0.15 * 5 users)
    norm = json.loads((out / "best" / "normalizer.json").read_text())
    assert norm["channels"] == ["dx", "dy", "dt", "moving"]  # presets add the moving channel


def test_existing_output_needs_force(trained, data_file):
    out, _ = trained
    res = CliRunner().invoke(cli, ["train-generator", "diffusion", "--data", str(data_file), "--out", str(out),
                                   "--preset", "smoke", "-q"])
    assert res.exit_code == 1 and "already exists" in res.output


def test_resume_continues_the_run(trained, data_file, tmp_path):
    import shutil

    out, _ = trained
    run = tmp_path / "resumed"
    shutil.copytree(out, run)
    res = CliRunner().invoke(cli, ["train-generator", "diffusion", "--data", str(data_file), "--out", str(run),
                                   "--resume", "--steps", "260", "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["steps"] == 260
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [250, 260]


def test_bad_cli_input(data_file, tmp_path):
    r = CliRunner().invoke(cli, ["train-generator", "diffusion", "--data", str(data_file), "--out",
                                 str(tmp_path / "x"), "--preset", "tiny"])
    assert r.exit_code == 1 and "preset" in r.output
    r = CliRunner().invoke(cli, ["train-generator", "diffusion", "--data", str(data_file), "--out",
                                 str(tmp_path / "y"), "train.lr=abc"])
    assert r.exit_code == 1 and "train.lr" in r.output
    r = CliRunner().invoke(cli, ["train-generator", "spline", "--data", str(data_file), "--out", str(tmp_path / "z")])
    assert r.exit_code == 1 and "cannot be trained" in r.output


def test_generator_from_checkpoint(trained, data_file):
    from deval.generators.diffusion.generator import DiffusionGenerator
    from deval.io import load_trajectories

    out, _ = trained
    real = load_trajectories(data_file)[:60]
    gen = registry.get("diffusion").load(out, steps=5, timing="own")
    cond = real.endpoints()
    a = gen.sample(60, cond=cond, seed=7)
    b = gen.sample(60, cond=cond, seed=7)
    c = gen.sample(60, cond=cond, seed=8)
    a.validate()
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    np.testing.assert_array_equal(a.end, cond.end)
    np.testing.assert_array_equal(a.start, cond.start)
    np.testing.assert_array_equal(a.lengths, cond.n_points)
    assert (a.style == "diffusion").all() and (a.label == 1).all()
    assert {"uncorrected_end_x", "uncorrected_end_y"} <= set(a.meta.columns)
    free = gen.sample(20, seed=0)  # endpoints drawn from the training movements
    free.validate()
    # the default timing re-records with the training data's logger (logger.json): whole ms, whole px, exact ends
    logged = registry.get("diffusion").load(out, steps=5)
    assert logged.logger is not None and (gen.checkpoint_dir / "logger.json").is_file()
    m = logged.sample(60, cond=cond, seed=7)
    m.validate()
    np.testing.assert_array_equal(m.end, np.round(cond.end))
    assert np.allclose(m.t * 1000, np.round(m.t * 1000)) and np.array_equal(m.x, np.round(m.x))
    np.testing.assert_array_equal(m.x, logged.sample(60, cond=cond, seed=7).x)
    guided = DiffusionGenerator.load(out, steps=4, sampler="ddim", cfg_scale=2.0).sample(10, cond=cond.take(range(10)), seed=0)
    np.testing.assert_array_equal(guided.end, cond.end[:10])
    raw = gen.generate_diffusion_samples(12, 10, seed=3)
    assert raw.shape == (12, 10, gen.encoder.n_channels) and gen.encoder.n_channels == 4 and raw.dtype == torch.float32 and torch.isfinite(raw).all()
    torch.testing.assert_close(raw, gen.generate_diffusion_samples(12, 10, seed=3))
    raw_c = gen.generate_diffusion_samples(2, 16, cond=Endpoints([[0, 0], [5, 5]], [[300, 0], [5, 400]]), steps=3)
    assert raw_c.shape == (2, 16, 4)


def test_module_level_api_and_missing_checkpoint(trained, monkeypatch):
    import deval.generators.diffusion as D

    out, _ = trained
    from deval.generators.diffusion import pretrained

    monkeypatch.setattr(pretrained, "available", lambda name=None: False)  # as in a checkout without the model
    D.set_default_checkpoint(None)
    monkeypatch.delenv("DEVAL_DIFFUSION_CHECKPOINT", raising=False)
    with pytest.raises(CheckpointError, match="train-generator"):
        D.generate_diffusion_samples(4, 8)
    monkeypatch.setenv("DEVAL_DIFFUSION_CHECKPOINT", str(out))
    x = D.generate_diffusion_samples(4, 8, steps=3, seed=0)
    assert x.shape == (4, 8, 4)  # dx, dy, dt, moving
    D.set_default_checkpoint(None)
    with pytest.raises(CheckpointError, match="train-generator"):
        registry.get("diffusion")().sample(3, seed=0)


def test_crafted_checkpoint_runs_no_code_and_the_error_gives_no_unsafe_hint(trained, tmp_path):
    """A model.pt whose pickle would write a marker file when unpickled: refused, marker absent, no weights_only hint."""
    import pickle
    import shutil

    out, _ = trained
    bad = tmp_path / "bad"
    shutil.copytree(out / "best", bad)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (bad / "model.safetensors").unlink()  # an older checkpoint: model.pt, read with weights_only=True only
    with open(bad / "model.pt", "wb") as f:
        pickle.dump({"w": Evil()}, f)
    with pytest.raises(CheckpointError) as err:
        registry.get("diffusion").load(bad)
    assert not marker.exists()
    assert "weights_only=False" not in str(err.value) and "refusing" in str(err.value)
    res = CliRunner().invoke(cli, ["generate-negatives", "-s", "diffusion", "--checkpoint", str(bad), "--n", "3",
                                   "-o", str(tmp_path / "x.npz")])
    assert res.exit_code != 0 and "Traceback" not in res.output and not marker.exists()
    assert "weights_only=False" not in res.output


def test_weights_are_safetensors_and_a_corrupt_file_is_refused(trained, tmp_path):
    import shutil

    out, _ = trained
    bad = tmp_path / "bad"
    shutil.copytree(out / "best", bad)
    assert not (bad / "model.pt").exists()
    (bad / "model.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(CheckpointError, match="safetensors"):
        registry.get("diffusion").load(bad)


def test_a_distilled_student_samples_what_its_teacher_does_in_half_the_steps(trained, data_file):
    """Progressive distillation: the student's 2 DDIM steps land nearer the teacher's 4-step samples (same noise,
    same goals) than the teacher's own 2 steps do."""
    import torch

    from deval.generators.diffusion.distillation import distill_halving
    from deval.generators.diffusion.generator import DiffusionGenerator
    from deval.generators.learned.batches import training_goal
    from deval.io import load_trajectories

    out, _ = trained
    net, enc, _ = DiffusionGenerator.load(out)._require()
    data = load_trajectories(data_file)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    student = distill_halving(net, enc, data, teacher_steps=4, iterations=120, batch_size=64, lr=1e-4, seed=0)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())  # the teacher is untouched
    cb = enc.canonical(data[:200])
    _, mask = enc.features_of(cb)
    goal = training_goal(enc, cb, 0.0, None)

    def sample(model, steps):
        return model.sample(mask, goal, sampler="ddim", steps=steps, generator=torch.Generator().manual_seed(1))

    ref = sample(net, 4)

    def err(x):
        return float((((x - ref) ** 2) * mask[..., None]).sum() / mask.sum())

    assert err(sample(student, 2)) < 0.6 * err(sample(net, 2)), (err(sample(student, 2)), err(sample(net, 2)))


def test_distill_command_writes_a_half_step_checkpoint(trained, data_file, tmp_path):
    out, _ = trained
    r = CliRunner().invoke(cli, ["distill", str(out), "--data", str(data_file), "--out", str(tmp_path / "fast"),
                                 "--iterations", "3", "--batch-size", "32", "-q"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    teacher_steps = json.loads((out / "best" / "config.json").read_text())["sample"]["steps"] \
        if (out / "best").exists() else json.loads((out / "final" / "config.json").read_text())["sample"]["steps"]
    assert summary["student_steps"] == teacher_steps // 2 and summary["iterations"] == 3
    cfg = json.loads((tmp_path / "fast" / "config.json").read_text())
    assert cfg["sample"] == {**cfg["sample"], "sampler": "ddim", "steps": teacher_steps // 2}
    assert json.loads((tmp_path / "fast" / "encoder.json").read_text())["extra"]["distillation"]["teacher_steps"] \
        == teacher_steps
    r = CliRunner().invoke(cli, ["generate-negatives", "-s", "diffusion", "--checkpoint",
                                 f"diffusion={tmp_path / 'fast'}", "--n", "20", "-q", "-o", str(tmp_path / "n.npz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["distill", str(out), "--data", str(data_file), "--out", str(tmp_path / "fast"),
                                 "--iterations", "3", "-q"])
    assert r.exit_code == 1 and "already exists" in r.output
    r = CliRunner().invoke(cli, ["distill", str(out), "--data", str(data_file), "--out", str(tmp_path / "odd"),
                                 "--teacher-steps", "3", "-q"])
    assert r.exit_code == 1 and "even" in r.output and not (tmp_path / "odd").exists()
