"""Every registered generator passes the library contract (deval.generators.contract.check_generator),
the learned ones from checkpoints trained for a few steps with their ``smoke`` preset."""

from __future__ import annotations

import numpy as np
import pytest

from deval.generators import available, get
from deval.generators.contract import CHECKS, check_generator

LEARNED_DATA = {"gan": "pointing", "keyframe-diffusion": "pointing", "action-diffusion": "actions"}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """name -> a smoke checkpoint directory (a few training steps; the contract is about behaviour, not quality)."""
    from deval.data import load_sample

    pointing = load_sample()[:400]
    actions = get("gestures")().sample(120, seed=0).with_meta(user=np.arange(120) % 6)
    out = {}
    for name, kind in LEARNED_DATA.items():
        d = tmp_path_factory.mktemp(name) / "run"
        get(name).train_run(pointing if kind == "pointing" else actions, d, preset_name="smoke", steps=4,
                            overrides={"train.val_samples": 20} if name != "action-diffusion" else None, seed=0,
                            val_split="random")
        out[name] = d
    return out


def _factory(name, checkpoints):
    cls = get(name)
    if name in LEARNED_DATA:
        return lambda: cls.load(checkpoints[name])
    if name == "replay":
        from deval.data import load_sample

        library = load_sample()[:300]
        return lambda: cls().fit(library)
    return cls


@pytest.mark.parametrize("name", available())
def test_every_registered_generator_passes_the_contract(name, checkpoints):
    n = 16 if name in LEARNED_DATA or name == "diffusion" else 48
    assert check_generator(_factory(name, checkpoints), n=n) == list(CHECKS)


def test_the_contract_catches_a_broken_generator():
    from deval.generators import Generator
    from deval.trajectories import Trajectories

    class MissesTheTarget(Generator):
        name = "misses-the-target"
        description = "ends 5 px short (a broken generator)"

        def _generate(self, cond, rng):
            n = len(cond)
            x = np.column_stack([cond.start[:, 0], cond.end[:, 0] - 5.0]).ravel()
            y = np.column_stack([cond.start[:, 1], cond.end[:, 1]]).ravel()
            t = np.tile([0.0, 0.5], n)
            return Trajectories.from_arrays(x, y, t, lengths=np.full(n, 2))

    with pytest.raises(AssertionError, match="hits_endpoints: last points miss the targets"):
        check_generator(MissesTheTarget)
