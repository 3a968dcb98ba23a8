"""Deprecated import path: the GAN-harness hooks moved to :mod:`deval.app.hooks`.

``from deval.hooks import DiffusionEvalHook`` and ``import deval.hooks.diffusion_eval`` keep working, with a
:class:`DeprecationWarning`; write ``deval.app.hooks`` instead.
"""

from __future__ import annotations

import sys
import warnings
from importlib import import_module

warnings.warn("deval.hooks moved to deval.app.hooks; import it from there", DeprecationWarning, stacklevel=2)

from deval.app.hooks import *  # noqa: E402,F401,F403
from deval.app.hooks import __all__  # noqa: E402,F401

# the submodules under their old names too (import deval.hooks.diffusion_eval)
__path__: list[str] = []
for _name in ("args", "data", "diffusion_eval", "isolation", "overlays", "realism_eval"):
    sys.modules[f"{__name__}.{_name}"] = import_module(f"deval.app.hooks.{_name}")
