"""The pretrained diffusion model shipped with deval: sampled in seconds, no training, no checkpoint to give."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.data import load_sample
from deval.generators import get
from deval.generators.diffusion import pretrained
from deval.io import load_trajectories

pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              pytest.mark.skipif(not pretrained.available(), reason="no pretrained model installed in this checkout")]


def test_shipped_files_are_tensors_and_json_within_25_mb():
    d = pretrained.checkpoint_path()
    names = sorted(p.name for p in d.iterdir())
    assert {"model.safetensors", "config.json", "normalizer.json", "encoder.json", "logger.json", "card.json",
            "MODEL_CARD.md"} <= set(names)
    assert sum(p.stat().st_size for p in d.iterdir()) < 25 * 2**20
    import torch
    from safetensors.torch import load_file

    state = load_file(d / "model.safetensors")
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    card = pretrained.card()
    # a trained model's card has its realism on held-out people; a distilled one's, its teacher's and the comparison
    held_out = card.get("held_out") or card["teacher_held_out"]
    assert card["data"]["users"] == 72 and held_out["c2st"] > 0.5
    if "distilled_from" in card:
        vs = card["vs_teacher"]["c2st"]
        assert abs(vs["student_ddim5"] - vs["teacher_ddim10"]) <= 0.01 and pretrained.available(card["distilled_from"])
    for f in ("config.json", "encoder.json", "logger.json", "card.json"):
        json.loads((d / f).read_text(), parse_constant=lambda c: pytest.fail(f"{f} holds {c}"))


def test_default_diffusion_samples_human_like_movements_without_a_checkpoint():
    real = load_sample()
    gen = get("diffusion")()
    assert gen.is_fitted and gen.checkpoint_dir == pretrained.checkpoint_path()
    cond = real.endpoints().resample(300, seed=0)
    fake = gen.sample(300, cond=cond, seed=1)
    fake.validate()
    np.testing.assert_array_equal(fake.end, cond.end)
    dt = np.diff(fake.t)[np.diff(fake.segment_ids) == 0] * 1000
    assert np.allclose(dt, np.round(dt))  # the training data's logger: whole milliseconds
    assert 0.5 < np.median(fake.durations) / np.median(real.durations) < 2.0
    free = gen.sample(50, seed=2)  # no condition: endpoints and durations from the stored training table
    free.validate()
    assert np.array_equal(gen.sample(50, seed=2).x, free.x)


def test_headline_command_needs_no_checkpoint(tmp_path):
    load_sample()[:200].save(tmp_path / "real.npz")
    r = CliRunner().invoke(cli, ["generate-negatives", "--source", "diffusion", "--like", str(tmp_path / "real.npz"),
                                 "--n", "200", "--out", str(tmp_path / "neg.npz"), "-q"])
    assert r.exit_code == 0, r.output
    neg = load_trajectories(tmp_path / "neg.npz")
    assert len(neg) == 200 and set(neg.meta["logged_by"]) == {"like"}
    r = CliRunner().invoke(cli, ["list-generators"])
    assert "sapimouse-small" in r.output


def test_demo_first_screen_compares_pretrained_negatives_with_people(tmp_path):
    from deval.app.demo import DemoSettings, run_demo

    settings = DemoSettings(n_per_source=120, gan_steps=0, keyframe_steps=0, max_compare=400, views=("raw",))
    index = run_demo(tmp_path / "demo", None, settings)
    html = index.read_text()
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert summary["shipped_reference"] and not summary["synthetic_reference"]
    assert summary["headline"]["source"] == "diffusion (pretrained)" and summary["headline"]["human_vs_human"]
    assert "How human do the diffusion (pretrained) negatives read?" in html and "human vs human" in html
    assert "SapiMouse" in html and "SYNTHETIC" not in html
