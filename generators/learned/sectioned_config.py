"""Configurations made of sections: dict/YAML/JSON loading, presets, ``key=value`` overrides, validation.

A learned generator's configuration is a ``@dataclass`` that subclasses
:class:`SectionedConfig`. Its fields are *sections* (dataclasses named in
``SECTIONS``, e.g. ``data``, ``model``, ``train``) and top-level scalars
(``seed``, ``preset`` and, for a tagged checkpoint format, ``generator``)::

    @dataclass
    class MyConfig(SectionedConfig):
        SECTIONS: ClassVar[dict] = {"data": DataConfig, "model": MyModel, "train": MyTrain}
        PRESETS: ClassVar[tuple] = ("smoke", "small")
        GENERATOR_TAG: ClassVar[str | None] = "my-gen"

        data: DataConfig = field(default_factory=DataConfig)
        model: MyModel = field(default_factory=MyModel)
        train: MyTrain = field(default_factory=MyTrain)
        seed: int = 0
        preset: str = "small"
        generator: str = "my-gen"

        def apply_preset(self, name): ...          # mutate self for preset ``name``
        def checks(self): return super().checks() + [(self.model.width > 0, "model.width must be > 0")]

It is built with ``MyConfig.from_preset(name)``, updated from a file with
``MyConfig.load_file(path, base)`` and from overrides with
``cfg.override({"train.lr": "3e-4", "lr": 1e-3})``. Values are coerced to
the annotated type of their field (``bool``, ``int``, ``float``, ``str``,
``list`` of ints); unknown keys, ambiguous short keys, wrong types and
failed checks raise :class:`~deval.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

import yaml

from deval.errors import ConfigError

__all__ = ["SectionedConfig", "set_field", "read_config_mapping"]


def set_field(obj: Any, key: str, value: Any, path: str) -> None:
    """Set ``obj.key = value`` after checking that the field exists and coercing ``value`` to its annotated type.

    Parameters
    ----------
    obj : dataclass instance
        A section (or the configuration itself, for top-level keys).
    key : str
        Field name.
    value : any
        New value; strings are parsed (``"true"``/``"false"``/``"1"``/``"0"``/
        ``"yes"``/``"no"`` for booleans, numbers for ints and floats), a single
        number is accepted for a ``list`` field.
    path : str
        The dotted key as the user wrote it, for error messages.

    Raises
    ------
    ConfigError
        Unknown field, or a value that is not a valid value of the field's type.
    """
    if key not in {f.name for f in dataclasses.fields(obj)}:
        raise ConfigError(f"unknown config key {path!r}")
    hint = get_type_hints(type(obj))[key]
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = value.lower() in ("true", "1", "yes")
            elif not isinstance(value, (bool, int)):
                raise ValueError
            value = bool(value)
        elif hint is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            value = int(value)
        elif hint is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif hint is str:
            if not isinstance(value, str):
                raise ValueError
        elif hint is list:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, (list, tuple)):
                raise ValueError
            value = [int(v) for v in value]
    except (TypeError, ValueError):
        raise ConfigError(f"config key {path!r}: {value!r} is not a valid {getattr(hint, '__name__', hint)}") from None
    setattr(obj, key, value)


def read_config_mapping(path: str | os.PathLike) -> dict:
    """Parse a YAML or JSON (by the ``.json`` suffix) configuration file into a dict (an empty file gives ``{}``).

    Raises
    ------
    ConfigError
        Unreadable file, invalid YAML/JSON, or a top level that is not a mapping (the message names the file).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config ({exc.strerror})") from None
    is_json = p.suffix.lower() == ".json"
    try:
        d = json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: not valid {'JSON' if is_json else 'YAML'} ({exc})") from None
    if d is None:
        d = {}
    if not isinstance(d, dict):
        raise ConfigError(f"{p}: the top level must be a mapping")
    return d


class SectionedConfig:
    """Base of the ``@dataclass`` configurations of learned generators (see the module docstring).

    Class attributes
    ----------------
    SECTIONS : dict[str, type]
        Section name -> section dataclass, in the order of the dataclass fields.
    PRESETS : tuple of str
        Names accepted by :meth:`from_preset`.
    PRESET_DIR : str or None
        Folder of the preset files ``configs/<PRESET_DIR>/<preset>.yaml``; None: :meth:`apply_preset` in code.
    DEFAULT_PRESET : str
        Preset used when neither the caller nor a config file names one.
    GENERATOR_TAG : str or None
        Value of the top-level ``generator`` field written into every
        ``config.json`` of this generator, which tells its checkpoints from
        other generators' (the registry name, by convention). ``None`` only for
        the untagged legacy format of ``diffusion``; a new generator sets one
        and declares ``generator: str = TAG`` as a field.
    LABEL : str
        How messages name this kind of configuration (``"GAN"``).
    """

    SECTIONS: ClassVar[dict[str, type]] = {}
    PRESETS: ClassVar[tuple[str, ...]] = ()
    #: folder of the preset YAML files under ``configs/`` (None: presets in code, :meth:`apply_preset`)
    PRESET_DIR: ClassVar[str | None] = None
    DEFAULT_PRESET: ClassVar[str] = "small"
    GENERATOR_TAG: ClassVar[str | None] = None
    LABEL: ClassVar[str] = "generator"

    # ----------------------------------------------------------- structure
    @classmethod
    def top_level_keys(cls) -> tuple[str, ...]:
        """Fields that are not sections (``seed``, ``preset``, ``generator``, ...)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in cls.SECTIONS)

    def to_dict(self) -> dict:
        """Plain JSON-ready nested dict (what ``config.json`` holds)."""
        return dataclasses.asdict(self)

    # ------------------------------------------------------------- loading
    @classmethod
    def from_dict(cls, d: dict, base: "SectionedConfig | None" = None):
        """Update ``base`` (default: the dataclass defaults) with the nested dict ``d``; validates keys and types.

        Returns a new configuration; ``base`` is not modified.
        """
        cfg = copy.deepcopy(base) if base is not None else cls()
        if not isinstance(d, dict):
            raise ConfigError(f"configuration must be a mapping, got {type(d).__name__}")
        top = cls.top_level_keys()
        for key, value in d.items():
            if key in cls.SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"config section {key!r} must be a mapping")
                for k, v in value.items():
                    set_field(getattr(cfg, key), k, v, f"{key}.{k}")
            elif key in top:
                set_field(cfg, key, value, key)
            else:
                raise ConfigError(f"unknown config key {key!r} (sections: {', '.join(cls.SECTIONS)}, {', '.join(top)})")
        cfg.validate()
        return cfg

    def override(self, pairs: dict[str, Any]):
        """A copy with ``{"section.key": value}`` or ``{"key": value}`` (key unique across sections) applied."""
        sections = self.SECTIONS
        top = self.top_level_keys()
        nested: dict[str, Any] = {}
        for key, value in pairs.items():
            if key in top:
                nested[key] = value
                continue
            if "." in key:
                sec, name = key.split(".", 1)
            else:
                owners = [s for s, c in sections.items() if key in {f.name for f in dataclasses.fields(c)}]
                if not owners:
                    raise ConfigError(f"unknown config key {key!r}")
                if len(owners) > 1:
                    raise ConfigError(f"config key {key!r} is ambiguous; write one of "
                                      + ", ".join(f"{o}.{key}" for o in owners))
                sec, name = owners[0], key
            if sec not in sections:
                raise ConfigError(f"unknown config section {sec!r} in {key!r} (sections: {', '.join(sections)})")
            nested.setdefault(sec, {})[name] = value
        return type(self).from_dict(nested, base=self)

    @classmethod
    def from_preset(cls, name: str):
        """The built-in preset ``name`` (one of ``PRESETS``), validated.

        A preset is data: ``configs/<PRESET_DIR>/<name>.yaml`` (package
        ``deval.configs``) applied on top of the defaults. A configuration
        without preset files may implement :meth:`apply_preset` in code instead.
        """
        if name not in cls.PRESETS:
            names = list(cls.PRESETS)
            choices = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
            raise ConfigError(f"unknown preset {name!r}; choose {choices}")
        cfg = cls(preset=name)
        path = cls.preset_path(name)
        if path is not None:
            try:
                cfg = cls.from_dict(read_config_mapping(path), base=cfg)
            except ConfigError as exc:
                raise ConfigError(f"{path}: {exc}") from None
        else:
            cfg.apply_preset(name)
        cfg.validate()
        return cfg

    @classmethod
    def preset_path(cls, name: str) -> "Path | None":
        """The YAML file of preset ``name`` under ``configs/<PRESET_DIR>/``, or None."""
        if cls.PRESET_DIR is None:
            return None
        from deval.configs import preset_file

        return preset_file(cls.PRESET_DIR, name)

    def apply_preset(self, name: str) -> None:
        """Code presets, for configurations without preset files (built-in generators keep theirs as YAML)."""

    @classmethod
    def load_file(cls, path: str | os.PathLike, base: "SectionedConfig | None" = None):
        """Read a YAML or JSON file on top of ``base`` (default: the file's own ``preset``, else ``DEFAULT_PRESET``)."""
        d = read_config_mapping(path)
        if base is None:
            base = cls.from_preset(d.get("preset", cls.DEFAULT_PRESET))
        try:
            return cls.from_dict(d, base=base)
        except ConfigError as exc:
            raise ConfigError(f"{Path(path)}: {exc}") from None

    # ---------------------------------------------------------- validation
    def checks(self) -> list[tuple[bool, str]]:
        """``(ok, message)`` pairs checked by :meth:`validate`.

        The base checks the generator tag and collects ``checks()`` of every
        section that defines it (e.g. :class:`~.movement_config.DataConfig`);
        subclasses add their own: ``return super().checks() + [...]``.
        """
        out: list[tuple[bool, str]] = []
        if self.GENERATOR_TAG is not None:
            out.append((getattr(self, "generator", None) == self.GENERATOR_TAG,
                        f"generator must be {self.GENERATOR_TAG!r} in a {self.LABEL} configuration"))
        for name in self.SECTIONS:
            section_checks = getattr(getattr(self, name), "checks", None)
            if section_checks is not None:
                out.extend(section_checks())
        return out

    def validate(self) -> None:
        """Raise :class:`ConfigError` with the message of the first failed check."""
        for ok, msg in self.checks():
            if not ok:
                raise ConfigError(msg)

    # ------------------------------------------------------ training length
    def movements_per_step(self) -> int:
        """Real training movements one optimiser step consumes (default ``train.batch_size``)."""
        return int(self.train.batch_size)  # type: ignore[attr-defined]

    def steps_for_epochs(self, epochs: float, n_movements: int) -> int:
        """Optimiser steps of ``epochs`` passes over the training split of ``n_movements`` movements.

        The training split is ``n_movements * (1 - data.val_fraction)`` movements
        (at most ``data.max_train`` when set); the result is at least 1.
        """
        n_train = n_movements * (1 - self.data.val_fraction)  # type: ignore[attr-defined]
        if self.data.max_train:  # type: ignore[attr-defined]
            n_train = min(n_train, self.data.max_train)  # type: ignore[attr-defined]
        return max(1, int(math.ceil(epochs * n_train / self.movements_per_step())))
