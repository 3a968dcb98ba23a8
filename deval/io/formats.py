"""The file-format registry: one :class:`FileFormat` per name, built-ins and ``deval.formats`` plugins.

A format is a reader (``load(path, **options) -> Trajectories``), optionally a writer
(``save(traj, path, force=False)``) and the file suffixes it writes. A plugin registers one with
``FORMATS.register("my-format", FileFormat("my-format", load=..., save=..., suffixes=(".my",)))`` or
through the entry-point group ``deval.formats`` (``my-format = "pkg:MY_FORMAT"``); then
``load_trajectories(path, "my-format")``, ``--format my-format`` and, for its suffixes,
:func:`~deval.io.save_trajectories` and detection use it. Built-in detection runs first, so a plugin
cannot take over ``.npz`` or ``.csv``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Union

from deval.errors import ConfigError
from deval.registry import Registry

__all__ = ["FORMATS", "FileFormat", "write_formats"]

Function = Union[str, Callable]  # "module:function" (imported on first use) or the function itself


def _resolve(fn: Function) -> Callable:
    if callable(fn):
        return fn
    module, attr = fn.split(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class FileFormat:
    """A trajectory file format.

    Attributes
    ----------
    name : registry name (kebab-case)
    load : ``fn(path, **options) -> Trajectories`` or its ``"module:function"``
    save : ``fn(traj, path, force=False)`` or its ``"module:function"``; None: read-only
    suffixes : lower-case suffixes written in this format (``(".npz",)``); a plugin's are also detected
    description : one line for help texts
    """

    name: str
    load: Function
    save: Function | None = None
    suffixes: tuple[str, ...] = ()
    description: str = ""

    def loader(self) -> Callable:
        """The reading function."""
        return _resolve(self.load)

    def saver(self) -> Callable | None:
        """The writing function, or None for a read-only format."""
        return None if self.save is None else _resolve(self.save)


def _check_format(name: str, fmt: object) -> FileFormat:
    if not isinstance(fmt, FileFormat):
        raise ConfigError(f"file format {name!r}: {fmt!r} is not a deval.io.formats.FileFormat")
    if fmt.name != name:
        raise ConfigError(f"file format {name!r}: its FileFormat is named {fmt.name!r}")
    if not (callable(fmt.load) or isinstance(fmt.load, str)):
        raise ConfigError(f"file format {name!r}: load must be a function or 'module:function'")
    if any(not s.startswith(".") or s != s.lower() for s in fmt.suffixes):
        raise ConfigError(f"file format {name!r}: suffixes must be lower-case and start with '.'")
    return fmt


FORMATS: Registry[FileFormat] = Registry("file format", group="deval.formats", check=_check_format)
_BUILTINS = (
    FileFormat("npz", "deval.io.npz:load_npz", "deval.io.npz:save_npz", (".npz",),
               "native CSR archive (SapiMouse-dev layout)"),
    FileFormat("padded", "deval.io.padded:load_padded", "deval.io.padded:save_padded", (".npy",),
               "[N, T, C] .npy (lengths/mask/NaN padding)"),
    FileFormat("actions", "deval.io.actions:load_actions", None, (),
               "flat [N*T, 3] x, y, press .npy, or a folder of *_actions.npy"),
    FileFormat("csv", "deval.io.long_csv:load_long_csv", "deval.io.long_csv:save_long_csv", (".csv",),
               "long CSV traj_id, t, x, y[, press]"),
    FileFormat("events", "deval.io.event_log:load_event_log", "deval.io.event_log:save_event_log", (),
               "raw event log timestamp, button, state, x, y cut into movements"),
    FileFormat("json", "deval.io.json_lists:load_json_lists", "deval.io.json_lists:save_json_lists", (".json",),
               "list of point lists"),
    FileFormat("parts", "deval.io.parts:load_parts", None, (), "a folder of .npz parts with parts.json"),
)
for _fmt in _BUILTINS:
    FORMATS.register(_fmt.name, _fmt)
_BUILTIN_NAMES = frozenset(f.name for f in _BUILTINS)


def _plugins() -> list[FileFormat]:
    """The registered formats that are not built in."""
    return [FORMATS.get(n) for n in FORMATS.available() if n not in _BUILTIN_NAMES]


def write_formats() -> dict[str, str]:
    """Output suffix -> the format :func:`~deval.io.save_trajectories` writes for it (built-ins win)."""
    out: dict[str, str] = {}
    for fmt in (*_BUILTINS, *_plugins()):
        if fmt.save is not None:
            for suffix in fmt.suffixes:
                out.setdefault(suffix, fmt.name)
    return out


def plugin_format_for(suffix: str) -> str | None:
    """The registered non-built-in format that claims ``suffix``, if any (detection's last resort)."""
    return next((fmt.name for fmt in _plugins() if suffix.lower() in fmt.suffixes), None)

