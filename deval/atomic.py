"""Atomic, no-clobber file writes, and standard JSON.

Everything deval writes goes through :func:`atomic_write`: the content is
written to a temporary file in the destination directory and renamed over
the target, so a crash never leaves a half-written file, and an existing
file is only replaced when ``force`` is true. JSON goes through
:func:`json_text`: standard JSON only (NaN and infinities as ``null``), so
strict parsers (browsers, ``jq``) read every file deval writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from deval.errors import OutputExistsError


def json_ready(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays as Python values, paths as strings and NaN/inf as None."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def json_text(obj: Any, indent: int | None = None) -> str:
    """``obj`` as standard JSON text (see :func:`json_ready`; ``allow_nan=False`` guards the result)."""
    return json.dumps(json_ready(obj), indent=indent, allow_nan=False, default=str)


def check_writable(path: str | os.PathLike, force: bool = False) -> Path:
    """Return ``path`` as a :class:`Path`, raising if it exists and not ``force``."""
    p = Path(path)
    if p.exists() and not force:
        raise OutputExistsError(p)
    return p


def check_not_an_input(outputs: Iterable[str | os.PathLike], inputs: Iterable[str | os.PathLike | None]) -> None:
    """Refuse (even with ``--force``) an output path that resolves to one of a command's input files."""
    ins = {Path(p).resolve() for p in inputs if p is not None}
    for out in outputs:
        if Path(out).resolve() in ins:
            raise OutputExistsError(Path(out), "it is one of this command's inputs; write the output elsewhere "
                                               "(inputs are never overwritten, even with --force)")


def check_files_writable(out_dir: str | os.PathLike, names: Iterable[str], force: bool = False) -> Path:
    """Return ``out_dir`` as a :class:`Path`, raising if any of the files ``names`` exists there and not ``force``.

    Call it before any work or any write, so that a refused run leaves nothing behind.
    """
    out = Path(out_dir)
    for name in names:
        check_writable(out / name, force)
    return out


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "wb", force: bool = False, encoding: str | None = None
) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it onto ``path`` on success.

    Parameters
    ----------
    path : path-like
        Destination file. Its parent directory is created if needed.
    mode : {"wb", "w"}
        Binary or text mode.
    force : bool
        Replace an existing file. Without it an existing file raises
        :class:`~deval.errors.OutputExistsError` before anything is written.
    """
    p = check_writable(path, force)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        if "b" in mode:
            f = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding=encoding or "utf-8", newline="")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str, force: bool = False) -> Path:
    """Atomically write ``text`` (UTF-8) to ``path``."""
    with atomic_write(path, "w", force=force) as f:
        f.write(text)
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes, force: bool = False) -> Path:
    """Atomically write ``data`` to ``path``."""
    with atomic_write(path, "wb", force=force) as f:
        f.write(data)
    return Path(path)


@contextlib.contextmanager
def staged_directory(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Write a command's files into a hidden staging folder beside ``out_dir``; move them in only on success.

    The files appear under their final names together at the end (one
    ``os.replace`` each, after all were written); on any exception, a
    ``SystemExit`` from SIGTERM included, the staging folder is removed and
    ``out_dir`` is left as it was.
    """
    import shutil

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(stage.iterdir()):
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
