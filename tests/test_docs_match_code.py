"""The README and the configuration files say what the code does: plugin groups and written-out presets."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _code_groups() -> set[str]:
    groups = set()
    for path in [*(ROOT / "deval").rglob("*.py"), *(ROOT / "generators").rglob("*.py"),
                 *(ROOT / "detectors").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        groups |= set(re.findall(r'group="(deval\.[a-z_.]+)"', text))
        groups |= set(re.findall(r'ENTRY_POINT_GROUP\s*=\s*"(deval\.[a-z_.]+)"', text))
        if 'group=f"deval.composite.{f}s"' in text:
            groups |= {"deval.composite.paths", "deval.composite.speeds", "deval.composite.noises",
                       "deval.composite.timings"}
    return groups


def test_every_plugin_group_the_readme_names_is_one_the_code_discovers():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set()
    for sentence in re.findall(r"entry-point groups? ((?:`deval\.[a-z_.]+`(?:,\s*| and |\s*)?)+)", readme):
        named |= set(re.findall(r"`(deval\.[a-z_.]+)`", sentence))
    table = re.search(r"\| to add \| write \| register it with \| entry-point group \|(.*?)\n\n", readme, re.S)
    named |= set(re.findall(r"\| `(deval\.[a-z_.]+)`[^|]*\|\s*$", table.group(1), re.M))
    code = _code_groups()
    assert named, "the README names no plugin group"
    assert named <= code, f"named in the README but not discovered by the code: {sorted(named - code)}"
    assert {"deval.generators", "deval.logger_clocks", "deval.composite.timings"} <= named


def test_a_preset_written_out_in_full_is_the_preset():
    from deval.generators.diffusion.config import DiffusionConfig

    for path in sorted((ROOT / "configs").glob("*.yaml")):
        head = path.read_text(encoding="utf-8").split("\n", 3)[:3]
        m = re.search(r"`(\w+)` preset written out in full", " ".join(head))
        if not m:
            continue
        assert path.name.startswith("diffusion"), path
        written = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert written == DiffusionConfig.from_preset(m.group(1)).to_dict(), path
