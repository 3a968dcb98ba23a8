"""``deval demo`` end to end on a tiny configuration (the full default run is the README's first command)."""

import json

from click.testing import CliRunner

from deval.app.cli.main import cli
from deval.app.demo import synthetic_humans


def test_synthetic_humans_are_labelled_and_differ_by_person():
    tr = synthetic_humans(4, 50, seed=0)
    assert len(tr) == 200 and set(tr.user) == {1, 2, 3, 4}
    assert (tr.label == 0).all() and set(tr.style) == {"synthetic-human"}
    assert "SYNTHETIC" in tr.attrs["origin"]
    tr.validate()
    again = synthetic_humans(4, 50, seed=0)
    assert (again.x == tr.x).all()


def test_demo_runs_end_to_end(small_demo):
    out, index = small_demo
    html = index.read_text()
    assert "SYNTHETIC" in html and "compare/report.html" in html and "evaluate/report.html" in html
    assert (out / "compare" / "report.html").exists()
    assert (out / "evaluate" / "report.html").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert {"diffusion", "gan", "spline", "pid", "noise", "sigma-lognormal"} <= set(summary["sources"])
    assert summary["skipped_sources"] == {} and summary["trained"] == ["diffusion", "gan", "keyframe-diffusion"]
    assert "gan/ (checkpoint)" in html
    assert "deval generate-negatives -s spline" in html and summary["commands"]["spline"].startswith("deval")
    assert summary["headline"]["source"] == "diffusion" and 0.4 <= summary["headline"]["c2st_acc"] <= 1.0
    # no overwrite without --force
    before = sorted(p.name for p in out.iterdir())
    r = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert r.exit_code != 0 and "--force" in r.output
    assert sorted(p.name for p in out.iterdir()) == before
