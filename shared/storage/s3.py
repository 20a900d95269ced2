"""Objects in an S3-compatible store (MinIO, AWS S3, Ceph...) through boto3.

Uploads go through boto3's managed transfer: a file over `MULTIPART_THRESHOLD_BYTES` is sent as a
multipart upload in `MULTIPART_CHUNK_BYTES` parts read from disk as they are sent, and the object
exists under its key only once S3 completes the upload (an interrupted one is aborted, never
visible). Downloads are streamed `GetObject` bodies, with a `Range` when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from shared.storage.base import ObjectNotFound, StorageError, check_key

MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024
MULTIPART_CHUNK_BYTES = 8 * 1024 * 1024
MAX_UPLOAD_THREADS = 4  # parts in flight at once: bounds an upload's memory to a few parts
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
# When AWS_DEFAULT_REGION is empty: boto3 would read the empty variable itself and build an invalid
# endpoint; MinIO and Ceph accept any region, and AWS redirects S3 requests to the bucket's own.
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"

    @classmethod
    def parse(cls, url: str) -> "S3Location":
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"STORAGE_URL must look like s3://bucket[/prefix], got {url!r}")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "")


@dataclass(frozen=True)
class S3Options:
    """The standard AWS settings; None leaves a value to boto3's own lookup (instance roles...)."""

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None


class S3Storage:
    def __init__(self, location: S3Location, options: S3Options, client: Any | None = None) -> None:
        self.location = location
        self._options = options
        self._client = client

    @property
    def client(self) -> Any:
        """Made on first use, in the process that uses it (a worker child after the fork)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self._options.endpoint_url, aws_access_key_id=self._options.access_key_id,
                aws_secret_access_key=self._options.secret_access_key,
                region_name=self._options.region or DEFAULT_REGION,
                config=Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}))
        return self._client

    def _key(self, key: str) -> str:
        return self.location.prefix + check_key(key)

    def put_file(self, source: Path, key: str, content_type: str) -> None:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD_BYTES, multipart_chunksize=MULTIPART_CHUNK_BYTES,
                                max_concurrency=MAX_UPLOAD_THREADS)
        try:
            self.client.upload_file(str(source), self.location.bucket, self._key(key), Config=config,
                                    ExtraArgs={"ContentType": content_type})
        except Exception as exc:  # boto3's S3UploadFailedError, ClientError, connection errors
            raise StorageError(f"upload of {key} to {self.describe(key)} failed: {exc}") from exc

    def open(self, key: str, first: int | None = None, last: int | None = None) -> BinaryIO:
        extra: dict[str, str] = {}
        if first is not None or last is not None:
            extra["Range"] = f"bytes={first or 0}-{'' if last is None else last}"
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=self._key(key), **extra)
        except Exception as exc:
            raise _translated(exc, key) from exc
        return answer["Body"]  # a botocore StreamingBody: read(n) pulls from the socket

    def size(self, key: str) -> int | None:
        try:
            answer = self.client.head_object(Bucket=self.location.bucket, Key=self._key(key))
        except Exception as exc:
            error = _translated(exc, key)
            if isinstance(error, ObjectNotFound):
                return None
            raise error from exc
        return int(answer["ContentLength"])

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self._key(key))
        except Exception as exc:
            error = _translated(exc, key)
            if not isinstance(error, ObjectNotFound):
                raise error from exc

    def describe(self, key: str) -> str:
        return f"s3://{self.location.bucket}/{self._key(key)}"


def _translated(exc: Exception, key: str) -> StorageError:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    if code in MISSING_CODES:
        return ObjectNotFound(key)
    return StorageError(f"object store error on {key}: {exc}")
