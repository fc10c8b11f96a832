"""Where a release's files come from: a directory or a ``.zip``, read and decoded strictly.

:class:`_Source` finds files by base name (a zip may hold them at its root or in one top folder)
and turns every read failure (a truncated or corrupt archive, an unreadable file) into an
:class:`~movierec.core.errors.IngestError` that names the file.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from movierec.core.errors import IngestError
from movierec.ingest.movielens.fields import _fail

# What a truncated or corrupt archive (or an unreadable file) raises while reading.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error)


class _Source:
    """The files of a release, by base name, in a directory or a zip (with or without a top folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if not path.exists():
            raise IngestError(f"{path}: no such file or directory")
        if path.is_dir():
            self._members = {p.name: p.name for p in sorted(path.iterdir()) if p.is_file()}
            self.folder_name = path.name
        elif zipfile.is_zipfile(path):
            try:
                self._zip = zipfile.ZipFile(path)
                names = self._zip.namelist()
            except _READ_ERRORS as e:
                raise IngestError(f"{path}: not a readable zip archive (truncated or corrupt?): {e}") from e
            # Shallowest member per base name wins (GroupLens zips hold one top folder).
            for name in sorted(names, key=lambda n: (n.count("/"), n)):
                if name.endswith("/"):
                    continue
                base = PurePosixPath(name).name
                self._members.setdefault(base, name)
            tops = {PurePosixPath(n).parts[0] for n in names if "/" in n}
            self.folder_name = tops.pop() if len(tops) == 1 else path.stem
        else:
            if path.suffix.lower() == ".zip":
                raise IngestError(f"{path}: not a readable zip archive (truncated or corrupt?)")
            raise IngestError(f"{path}: not a directory or a .zip archive of a MovieLens release")

    @classmethod
    def single_file(cls, path: Path) -> _Source:
        """One plain file on its own (e.g. a ratings file), named in messages by its base name."""
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        source = cls.__new__(cls)
        source.path = path.parent
        source._zip = None
        source._members = {path.name: path.name}
        source.folder_name = path.parent.name
        return source

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, name: str) -> bool:
        return name in self._members

    def label(self, name: str) -> str:
        """How error messages name a file: ``ratings.csv``, or ``x.zip:ml-1m/ratings.dat``."""
        if self._zip is not None:
            return f"{self.path.name}:{self._members.get(name, name)}"
        return name

    def require(self, names: Sequence[str], dataset: str) -> None:
        missing = [n for n in names if not self.has(n)]
        if missing:
            raise IngestError(
                f"{self.path}: missing {', '.join(missing)} (needed by the {dataset} format; found: "
                f"{', '.join(sorted(self._members)) or 'no files'})"
            )

    def read_bytes(self, name: str) -> bytes:
        try:
            if self._zip is not None:
                return self._zip.read(self._members[name])
            return (self.path / self._members[name]).read_bytes()
        except _READ_ERRORS as e:
            raise IngestError(f"{self.label(name)}: cannot be read (truncated or corrupt archive?): {e}") from e

    def open_binary(self, name: str) -> IO[bytes]:
        try:
            if self._zip is not None:
                return self._zip.open(self._members[name])
            return open(self.path / self._members[name], "rb")  # noqa: SIM115 - returned to the caller
        except _READ_ERRORS as e:
            raise IngestError(f"{self.label(name)}: cannot be read (truncated or corrupt archive?): {e}") from e


def _decode(source: _Source, name: str, encoding: str) -> str:
    """Decode a whole text file strictly; a bad byte is reported with its line."""
    data = source.read_bytes(name)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _fail(source.label(name), line, f"not valid {encoding.upper()} (byte {data[e.start]:#04x})") from e


def _decode_any(source: _Source, name: str) -> str:
    """The file as UTF-8 when its bytes are valid UTF-8, else as latin-1 (which never fails).

    Used for the ``.dat`` files' text (``movies.dat``, ``users.dat``, ``tags.dat`` of ml-1m and
    ml-10m): a latin-1 file (as GroupLens ships ml-1m's ``movies.dat``) and a UTF-8 one both read.
    """
    data = source.read_bytes(name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
