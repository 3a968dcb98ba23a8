"""JSON conversion for the metric result dataclasses.

Each metric returns a small frozen dataclass that carries its value(s) and the
settings that produced them; :class:`JSONResult` gives them ``to_dict()``
with plain Python types (floats, ints, strings, lists, None), ready for
:func:`json.dumps`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) else value
    return value


class JSONResult:
    """Mixin for result dataclasses: ``to_dict()`` with JSON-ready values (NaN becomes None)."""

    def to_dict(self) -> dict[str, Any]:
        """Every field as a plain Python value (arrays and tuples become lists)."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return {f.name: _plain(getattr(self, f.name)) for f in fields}
