"""The pipeline reads the audio from S3 storage, and DELETE_AUDIO_AFTER_ANALYSIS deletes it there."""

from __future__ import annotations

import time

from shared.storage import make_storage
from tests.support.calls import make_call, write_wav
from tests.support.s3 import s3_server, s3_settings  # noqa: F401 (fixtures)
from tests.workers.ai.conftest import process, wait_for_calls

DELETE_WAIT_S = 10.0


def test_audio_in_s3_is_transcribed_and_deleted_after_the_analysis(db, engine, settings, s3_settings, make_user,
                                                                  celery_app, sim, ai_settings, ai_worker, tmp_path):
    admin = make_user("ADMIN")
    call = make_call(db, settings, admin.organization.id, with_audio=False)
    key = f"sipuni/{admin.organization.id}/recordings/2025-10-06/{call.external_id}.wav"
    storage = make_storage(s3_settings)
    audio = write_wav(tmp_path / "call.wav", seconds=0.7)
    size = audio.stat().st_size
    storage.put_file(audio, key, "audio/wav")
    call.recording_path = key
    db.commit()
    s3 = {name: getattr(s3_settings, name) for name in (
        "storage_url", "aws_endpoint_url_s3", "aws_access_key_id", "aws_secret_access_key", "aws_default_region")}
    ai_worker(ai_settings("gemini", delete_audio_after_analysis=True, **s3))

    process(celery_app, call.id)
    stored = wait_for_calls(engine, [call.id])[call.id]

    assert stored.ai_status == "done", stored.ai_error
    assert [upload.file_size for upload in sim.requests("stt")] == [size]  # streamed whole from the bucket
    deadline = time.monotonic() + DELETE_WAIT_S  # deleted just after the analysis is committed
    while storage.size(key) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert storage.size(key) is None  # deleted from the store, not from a local disk
