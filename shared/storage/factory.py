"""Build the storage a deployment's settings ask for."""

from __future__ import annotations

from shared.settings import Settings
from shared.storage.base import Storage
from shared.storage.local import LocalStorage
from shared.storage.s3 import S3Location, S3Options, S3Storage


def make_storage(settings: Settings) -> Storage:
    """`STORAGE_URL` empty: files under `DATA_DIR`; `s3://bucket[/prefix]`: that bucket."""
    if not settings.storage_url:
        return LocalStorage(settings.data_dir)
    options = S3Options(
        endpoint_url=settings.aws_endpoint_url_s3 or settings.aws_endpoint_url or None,
        access_key_id=settings.aws_access_key_id or None,
        secret_access_key=settings.aws_secret_access_key or None,
        region=settings.aws_default_region or None)
    return S3Storage(S3Location.parse(settings.storage_url), options)
