"""Objects as files under one directory (`DATA_DIR`): the single-host default.

A file is placed with `os.replace` from a temporary name beside it, so a reader never sees half of
one. Rows written before object storage hold absolute paths: those are read where they are.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO

from shared.storage.base import ObjectNotFound, check_key

COPY_CHUNK_BYTES = 1024 * 1024


class _Range:
    """Bytes `first..last` of a file, as a readable stream."""

    def __init__(self, stream: BinaryIO, first: int, last: int | None) -> None:
        stream.seek(first)
        self._stream = stream
        self._left = None if last is None else last - first + 1

    def read(self, size: int = -1) -> bytes:
        if self._left is not None:
            size = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(size)
        if self._left is not None:
            self._left -= len(data)
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> "_Range":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        legacy = Path(key)
        if legacy.is_absolute():  # a recording_path stored before object storage existed
            return legacy
        return self.root / check_key(key)

    def put_file(self, source: Path, key: str, content_type: str) -> None:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.{secrets.token_hex(6)}.tmp")
        try:
            try:
                os.replace(source, temporary)  # same file system: no copy
            except OSError:
                shutil.copyfile(source, temporary)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)

    def open(self, key: str, first: int | None = None, last: int | None = None) -> BinaryIO:
        try:
            stream = self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        if first is None and last is None:
            return stream
        return _Range(stream, first or 0, last)  # type: ignore[return-value]

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def describe(self, key: str) -> str:
        return str(self.path(key))
