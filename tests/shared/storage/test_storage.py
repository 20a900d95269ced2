"""Both storages behave alike: local files under DATA_DIR, and a real S3 server (moto)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from shared.storage import ObjectNotFound, StorageError, check_key, make_storage
from shared.storage.local import LocalStorage
from shared.storage.s3 import MULTIPART_THRESHOLD_BYTES, S3Location


@pytest.fixture(params=["local", "s3"])
def storage(request, settings, tmp_path):
    if request.param == "local":
        return make_storage(settings)
    return make_storage(request.getfixturevalue("s3_settings"))


def _file(tmp_path: Path, data: bytes, name: str = "source.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_put_open_range_size_delete(storage, tmp_path):
    data = os.urandom(100_000)
    storage.put_file(_file(tmp_path, data), "sipuni/1/recordings/2025-10-06/a.mp3", "audio/mpeg")
    key = "sipuni/1/recordings/2025-10-06/a.mp3"
    assert storage.size(key) == len(data)
    with storage.open(key) as stream:
        assert stream.read() == data
    with storage.open(key, 10, 19) as stream:
        assert stream.read() == data[10:20]
    with storage.open(key, 99_990) as stream:
        assert stream.read() == data[99_990:]
    storage.delete(key)
    storage.delete(key)  # already gone: no error
    assert storage.size(key) is None
    with pytest.raises(ObjectNotFound):
        storage.open(key)


def test_put_replaces_the_object_whole(storage, tmp_path):
    storage.put_file(_file(tmp_path, b"first version, longer"), "sipuni/1/export.csv", "text/csv")
    storage.put_file(_file(tmp_path, b"second", "b.bin"), "sipuni/1/export.csv", "text/csv")
    with storage.open("sipuni/1/export.csv") as stream:
        assert stream.read() == b"second"


@pytest.mark.parametrize("key", ["", "/etc/passwd", "a/../b", "a//b", "./a"])
def test_keys_cannot_leave_the_store(key):
    with pytest.raises(ValueError):
        check_key(key)


def test_local_storage_keeps_the_data_dir_layout_and_reads_legacy_absolute_paths(settings, tmp_path):
    storage = make_storage(settings)
    assert isinstance(storage, LocalStorage)
    storage.put_file(_file(tmp_path, b"x"), "sipuni/3/sipuni-all-records.csv", "text/csv")
    assert (Path(settings.data_dir) / "sipuni/3/sipuni-all-records.csv").read_bytes() == b"x"
    legacy = _file(tmp_path, b"old row", "legacy.wav")
    assert storage.size(str(legacy)) == 7  # recording_path of a call stored before object storage


def test_s3_objects_live_under_the_prefix_and_large_ones_go_multipart(s3_settings, s3_server, tmp_path):
    storage = make_storage(s3_settings)
    location = S3Location.parse(s3_settings.storage_url)
    data = os.urandom(MULTIPART_THRESHOLD_BYTES + 1024 * 1024)
    storage.put_file(_file(tmp_path, data), "sipuni/1/recordings/big.wav", "audio/wav")
    key = "navai/sipuni/1/recordings/big.wav"
    assert s3_server.objects(location.bucket) == {key: len(data)}
    head = s3_server.client().head_object(Bucket=location.bucket, Key=key)
    assert head["ContentType"] == "audio/wav"
    assert "-" in head["ETag"]  # a multipart upload's ETag is "<md5 of md5s>-<parts>"
    assert hashlib.sha256(s3_server.read(location.bucket, key)).digest() == hashlib.sha256(data).digest()
    assert storage.describe("sipuni/1/recordings/big.wav") == f"s3://{location.bucket}/{key}"


def test_a_failed_upload_leaves_no_object(s3_settings, s3_server, tmp_path):
    storage = make_storage(s3_settings)
    with pytest.raises(StorageError):
        storage.put_file(tmp_path / "vanished.mp3", "sipuni/1/recordings/x.mp3", "audio/mpeg")
    assert storage.size("sipuni/1/recordings/x.mp3") is None


def test_storage_url_must_be_s3(settings):
    from shared.settings import ConfigError
    from tests.conftest import settings_with

    with pytest.raises(ConfigError, match="STORAGE_URL"):
        settings_with(settings, storage_url="ftp://bucket")
