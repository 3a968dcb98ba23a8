"""Shared fixtures.

``sapimouse_path`` is the real SapiMouse-dev file from ``../shared/data``
(override with the ``DEVAL_SAPIMOUSE`` environment variable); tests that need it
skip with a clear reason when it is absent. ``one_torch_thread`` runs a
module's torch work on one thread (``pytestmark =
pytest.mark.usefixtures("one_torch_thread")``).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SAPIMOUSE = Path(os.environ.get("DEVAL_SAPIMOUSE", REPO.parent / "shared" / "data" / "sapimouse_dev.npz"))


@pytest.fixture(scope="session")
def sapimouse_path() -> Path:
    """Path of the SapiMouse-dev file; skips the test when the file is absent."""
    if not SAPIMOUSE.exists():
        pytest.skip(f"real data not found at {SAPIMOUSE} (set DEVAL_SAPIMOUSE to its path)")
    return SAPIMOUSE


@pytest.fixture(scope="session")
def sapimouse(sapimouse_path):
    """SapiMouse-dev as :class:`~deval.trajectories.Trajectories` (loaded once)."""
    from deval.io import load_trajectories

    return load_trajectories(sapimouse_path)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run the module's torch work on one thread, then restore torch's setting.

    Small tensors: one thread is much faster than two on a shared 2-core machine.
    """
    from deval.detectors.sequence_training import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """``deval demo`` on a small synthetic reference, run once per session: ``(output folder, index.html)``.

    Shared by the demo test and the browser test (each would otherwise run it).
    """
    from deval.app.demo import DemoSettings, run_demo

    out = tmp_path_factory.mktemp("small_demo") / "demo"
    settings = DemoSettings(synthetic_reference=True, n_people=6, movements_per_person=40, n_per_source=80,
                            diffusion_steps=10, gan_steps=10, keyframe_steps=10, max_compare=200, views=("raw",))
    return out, run_demo(out, None, settings)
