"""Where the files of a sync live: the local `DATA_DIR` or an S3-compatible object store.

Chosen by `STORAGE_URL` (`make_storage(settings)`): empty = `LocalStorage(DATA_DIR)`, the layout
of one host; `s3://bucket[/prefix]` = `S3Storage`, shared by every host (API, workers on any
machine). Everything one task hands to another (the step-1 CSV, recordings) goes through a
`Storage`, never through a path on a disk the reader might not have.

Keys are relative, `/`-separated paths such as `sipuni/7/recordings/2025-10-06/1759740560.70091.mp3`.
"""

from __future__ import annotations

from shared.storage.base import ObjectNotFound, Storage, StorageError, check_key
from shared.storage.factory import make_storage

__all__ = ["ObjectNotFound", "Storage", "StorageError", "check_key", "make_storage"]
