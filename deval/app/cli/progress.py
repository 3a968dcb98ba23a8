"""Progress bars for long CLI work (tqdm on stderr; silent with ``--quiet``)."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from tqdm.auto import tqdm


@contextlib.contextmanager
def step_progress(total: int | None, label: str, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(message)``: each call completes one of ``total`` steps and shows ``message``."""
    bar = tqdm(total=total, desc=label, disable=quiet, leave=False, unit="step", dynamic_ncols=True)
    try:
        def advance(message: str) -> None:
            bar.set_postfix_str(message, refresh=False)
            bar.update(1)

        yield advance
    finally:
        bar.close()
