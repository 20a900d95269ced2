"""The storage protocol every backend speaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

READ_CHUNK_BYTES = 64 * 1024


class StorageError(RuntimeError):
    """The store failed (unreachable, refused); trying later may help."""


class ObjectNotFound(StorageError):
    """No object under this key."""


def check_key(key: str) -> str:
    """A key is a relative path without `..` or empty parts: it can never leave the store's root."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def put_file(self, source: Path, key: str, content_type: str) -> None:
        """Store the complete local file `source` under `key`, replacing any object there. The
        object appears under `key` only when complete (atomic rename; S3 multipart completion)."""

    def open(self, key: str, first: int | None = None, last: int | None = None) -> BinaryIO:
        """A readable stream of the object, or of bytes `first..last` (inclusive) of it.
        Raises `ObjectNotFound`."""

    def size(self, key: str) -> int | None:
        """The object's size in bytes, None when there is none."""

    def delete(self, key: str) -> None:
        """Remove the object; no error when it is already gone."""

    def describe(self, key: str) -> str:
        """Where the object is, for people: a path or an `s3://` URL."""


def iter_chunks(stream: BinaryIO, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
    """Read a stream to its end in chunks, closing it afterwards (also when abandoned)."""
    try:
        while chunk := stream.read(chunk_bytes):
            yield chunk
    finally:
        stream.close()
