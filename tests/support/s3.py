"""A real S3-compatible server for the tests: moto's standalone server, once per test session,
on a free port; every test that asks for `s3_settings` gets a bucket of its own."""

from __future__ import annotations

import atexit
import secrets
from dataclasses import dataclass

import boto3
import pytest

from shared.settings import Settings
from tests.conftest import settings_with
from tests.support.services import free_port

S3_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client("s3", endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key_id,
                            aws_secret_access_key=self.secret_access_key, region_name=S3_REGION)

    def new_bucket(self) -> str:
        name = f"navai-test-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """Every object's key and size under `prefix`."""
        found: dict[str, int] = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
        return found

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


_server: S3Server | None = None


def s3_server_once() -> S3Server:
    """Start moto's server on first use (several conftests share it); stopped at exit."""
    global _server
    if _server is None:
        from moto.server import ThreadedMotoServer

        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        atexit.register(server.stop)
        # moto accepts any credentials; fresh ones keep real secrets out of the tests
        _server = S3Server(f"http://127.0.0.1:{port}", "test-" + secrets.token_hex(4), secrets.token_hex(16))
    return _server


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    return s3_server_once()


@pytest.fixture
def s3_settings(settings: Settings, s3_server: S3Server) -> Settings:
    """The test settings with STORAGE_URL pointing at a fresh bucket (with a prefix) of the S3 server."""
    bucket = s3_server.new_bucket()
    return settings_with(settings, storage_url=f"s3://{bucket}/navai", aws_endpoint_url_s3=s3_server.endpoint_url,
                         aws_access_key_id=s3_server.access_key_id,
                         aws_secret_access_key=s3_server.secret_access_key, aws_default_region=S3_REGION)
