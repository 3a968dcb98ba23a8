"""A directory of ``.npz`` parts read as one set: outputs written shard by shard.

Large runs (``deval generate-negatives --out DIR/``) write every seeded shard
as soon as it is made, so the process never holds the whole output::

    DIR/parts.json       {"format": "deval-npz-parts", "parts": ["part-00000.npz", ...], "movements": N,
                          "columns": [the metadata columns of all parts, in order of first appearance]}
    DIR/part-00000.npz   native .npz archives, in order

The parts go to a hidden staging folder beside ``DIR`` and are moved in, with
the manifest last, only when every part is written: an interrupted run leaves
no ``DIR`` (or the previous one untouched). :func:`load_trajectories` reads the
directory as one :class:`~deval.trajectories.Trajectories` (the parts in
manifest order).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from deval.errors import DataError
from deval.trajectories import Trajectories

__all__ = ["MANIFEST", "PartsManifest", "PartsWriter", "is_parts_dir", "load_parts", "meta_columns", "part_files",
           "read_manifest"]

MANIFEST = "parts.json"
FORMAT_TAG = "deval-npz-parts"


def is_parts_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory with a parts manifest."""
    p = Path(path)
    return p.is_dir() and (p / MANIFEST).is_file()


@dataclass(frozen=True)
class PartsManifest:
    """``DIR/parts.json``, checked: the part files in order, the movement count and the metadata columns (None in
    manifests written before they were recorded)."""

    files: list[Path]
    movements: int | None
    columns: list[str] | None


def read_manifest(path: str | os.PathLike) -> PartsManifest:
    """The manifest of a parts folder (DataError: unreadable, not a parts manifest, or a part missing)."""
    p = Path(path)
    try:
        manifest = json.loads((p / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(p / MANIFEST, f"unreadable parts manifest ({exc})") from None
    parts = manifest.get("parts") if isinstance(manifest, dict) else None
    if manifest.get("format") != FORMAT_TAG if isinstance(manifest, dict) else True:
        raise DataError(p / MANIFEST, f"not a {FORMAT_TAG} manifest")
    if not isinstance(parts, list) or not all(isinstance(x, str) and "/" not in x and x.endswith(".npz")
                                              for x in parts):
        raise DataError(p / MANIFEST, "the manifest's parts must be a list of .npz file names in this folder")
    missing = [x for x in parts if not (p / x).is_file()]
    if missing:
        raise DataError(p, f"missing part(s) {', '.join(missing[:3])}")
    try:
        movements = int(manifest["movements"]) if "movements" in manifest else None
    except (TypeError, ValueError):
        movements = None
    columns = manifest.get("columns")
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        columns = None
    return PartsManifest([p / x for x in parts], movements, columns)


def part_files(path: str | os.PathLike) -> list[Path]:
    """The part files of ``DIR/parts.json``, in order (DataError: a bad manifest or a missing part)."""
    return read_manifest(path).files


def load_parts(path: str | os.PathLike, **npz_options) -> Trajectories:
    """The movements of every part listed in ``DIR/parts.json``, concatenated in order."""
    from deval.io.npz import load_npz

    m = read_manifest(path)
    out = Trajectories.concat([load_npz(f, **npz_options) for f in m.files]) if m.files else Trajectories.empty()
    if m.movements is not None and m.movements != len(out):
        raise DataError(Path(path), f"the manifest lists {m.movements} movements, the parts hold {len(out)}")
    return out


def meta_columns(manifest: PartsManifest) -> list[str]:
    """The metadata columns of the whole folder, as :func:`load_parts` would have them (from the manifest; an
    older manifest without them: read from the parts, one at a time)."""
    from deval.io.npz import load_npz

    if manifest.columns is not None:
        return manifest.columns
    out: list[str] = []
    for f in manifest.files:
        out += [c for c in load_npz(f).meta.columns if c not in out]
    return out


class PartsWriter:
    """Write parts one by one into a staging folder; ``close()`` moves them into ``out_dir`` with the manifest.

    Use as a context manager: on an exception (a SIGTERM included) the
    staging folder is removed and ``out_dir`` is left as it was.
    """

    def __init__(self, out_dir: str | os.PathLike, force: bool = False):
        from deval.atomic import check_writable

        self.out = Path(out_dir)
        if self.out.exists() and not self.out.is_dir():
            raise DataError(self.out, "exists and is not a directory")
        if is_parts_dir(self.out):
            check_writable(self.out / MANIFEST, force)  # an earlier output: only with --force
        elif self.out.is_dir() and any(self.out.iterdir()):
            raise DataError(self.out, "is a non-empty directory that is not a parts output")
        self.names: list[str] = []
        self.movements = 0
        self.columns: list[str] = []

    def __enter__(self) -> "PartsWriter":
        from deval.atomic import staged_directory

        self._staging = staged_directory(self.out)
        self.stage = self._staging.__enter__()
        return self

    def add(self, traj: Trajectories) -> None:
        """Write the next part."""
        from deval.io.npz import save_npz

        name = f"part-{len(self.names):05d}.npz"
        save_npz(traj, self.stage / name, force=True)
        self.names.append(name)
        self.movements += len(traj)
        self.columns += [c for c in traj.meta.columns if c not in self.columns]

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            from deval.atomic import json_text, write_text

            for old in self.out.glob("part-*.npz") if self.out.is_dir() else ():
                if old.name not in self.names:
                    old.unlink()  # a previous, longer output (--force)
            # the manifest is the last file moved in (sorted names: "part-..." < "parts.json")
            write_text(self.stage / MANIFEST, json_text({"format": FORMAT_TAG, "parts": self.names,
                                                         "movements": self.movements, "columns": self.columns},
                                                        indent=1), force=True)
        return bool(self._staging.__exit__(exc_type, exc, tb))
