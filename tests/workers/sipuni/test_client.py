"""The client against the simulator over real HTTP: exports, recordings, and upstream faults."""

from __future__ import annotations

from datetime import date

import pytest

from simulators.sipuni import audio
from workers.sipuni.client import SipuniAuthError, SipuniClient
from workers.sipuni.csv_parser import call_from_row, iter_file
from workers.upstream.http import RetryPolicy, UpstreamRejected, UpstreamUnavailable

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05, connect_timeout_s=2, read_timeout_s=5)


@pytest.fixture
def client(settings):
    return SipuniClient(settings.sipuni_api_url, settings.sipuni_user, settings.sipuni_secret, policy=FAST)


def _first(calls, **wanted):
    return next(call for call in calls if all(call[key] == value for key, value in wanted.items()))


@pytest.mark.parametrize("options", [
    {"header": "new", "bom": False, "trailing": "ragged"},
    {"header": "old", "bom": True, "names": True, "trailing": "all"},
    {"header": "2015", "bom": True, "names": True},
    {"header": "new", "seconds": False, "trailing": "none"},
])
def test_export_all_in_every_format_parses_to_the_simulators_calls(client, sipuni, tmp_path, options):
    sipuni.format(**options)
    client.export_all_to(tmp_path / "all.csv", limit=25)
    parsed = [call_from_row(row) for row in iter_file(tmp_path / "all.csv")]
    truth = sipuni.calls()[:25]
    assert [call.record_id for call in parsed] == [call["record_id"] for call in truth]
    for call, expected in zip(parsed, truth):
        assert call.direction == expected["direction"]
        assert call.employee_ext == expected["employee_ext"]
        assert call.call_duration_s == expected["call_s"]
        assert int(call.started_at.timestamp()) // 60 == expected["epoch"] // 60


def test_export_with_a_date_window_is_inclusive(client, sipuni, tmp_path):
    truth = sipuni.calls()
    day = truth[-1]["local_date"]  # the oldest day
    client.export_to(tmp_path / "day.csv", *(date(*reversed([int(p) for p in day.split(".")])),) * 2)
    got = {row["ID записи"] for row in iter_file(tmp_path / "day.csv")}
    assert got == {call["record_id"] for call in truth if call["local_date"] == day}
    assert got


def test_a_wrong_secret_is_a_clear_error_and_not_retried(settings, sipuni, tmp_path):
    wrong = SipuniClient(settings.sipuni_api_url, settings.sipuni_user, "0.wrongsecret", policy=FAST)
    with pytest.raises(SipuniAuthError, match="Неправильный хеш"):
        wrong.export_all_to(tmp_path / "x.csv", limit=5)
    assert sipuni.stats()["requests"]["badHash"] == 1
    assert not (tmp_path / "x.csv").exists()


def test_account_number_keeps_its_leading_zero(settings, sipuni, tmp_path):
    stripped = SipuniClient(settings.sipuni_api_url, settings.sipuni_user.lstrip("0"), settings.sipuni_secret,
                            policy=FAST)
    with pytest.raises(SipuniAuthError):
        stripped.export_all_to(tmp_path / "x.csv", limit=5)


def test_recording_is_streamed_whole_with_its_hash(client, sipuni, tmp_path):
    call = _first(sipuni.calls(), recording="ok")
    recording = client.download_recording(call["record_id"], tmp_path / "r.part")
    assert recording is not None and recording.extension == "mp3"
    assert recording.size == call["recording_size"] == (tmp_path / "r.part").stat().st_size
    assert recording.sha256 == audio.sha256_of(call["record_id"], call["recording_size"])
    assert (tmp_path / "r.part").read_bytes()[:4] == bytes([0xFF, 0xE3, 0x48, 0x44])


@pytest.mark.parametrize("kind", ["missing", "not_audio"])
def test_no_recording_is_none_and_leaves_no_file(client, sipuni, tmp_path, kind):
    call = _first(sipuni.calls(), recording=kind)
    assert client.download_recording(call["record_id"], tmp_path / "r.part") is None
    assert list(tmp_path.iterdir()) == []


def test_5xx_and_429_are_retried(client, sipuni, tmp_path):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(failNext=[{"endpoint": "record", "status": 503, "count": 1},
                            {"endpoint": "record", "status": 429, "count": 1, "retryAfter": 0}])
    assert client.download_recording(call["record_id"], tmp_path / "r.part") is not None
    requests_seen = sipuni.stats()["requests"]
    assert requests_seen["statistic/record"] == 3
    assert requests_seen["statistic/record:injected:503"] == requests_seen["statistic/record:injected:429"] == 1


def test_a_dropped_download_deletes_the_partial_file(client, sipuni, tmp_path):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(dropRecords={call["record_id"]: 1})
    with pytest.raises(UpstreamUnavailable, match="dropped"):
        client.download_recording(call["record_id"], tmp_path / "r.part")
    assert list(tmp_path.iterdir()) == []
    assert client.download_recording(call["record_id"], tmp_path / "r.part").size == call["recording_size"]


def test_a_refused_recording_is_rejected(client, sipuni, tmp_path):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(recordStatus={call["record_id"]: 403})
    with pytest.raises(UpstreamRejected, match="403"):
        client.download_recording(call["record_id"], tmp_path / "r.part")


@pytest.mark.parametrize("content_type", ["application/force-download", "application/x-download",
                                          "application/octet-stream", "audio/mp3", ""])
def test_a_recording_is_stored_whatever_its_content_type(client, sipuni, tmp_path, content_type):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(recordContentTypes={call["record_id"]: content_type})
    recording = client.download_recording(call["record_id"], tmp_path / "r.part")
    assert recording is not None and recording.extension == "mp3" and recording.content_type == "audio/mpeg"
    assert recording.sha256 == audio.sha256_of(call["record_id"], call["recording_size"])


@pytest.mark.parametrize(("audio_format", "content_type"), [("wav", "audio/wav"), ("ogg", "audio/ogg")])
def test_the_extension_follows_the_bytes(client, sipuni, tmp_path, audio_format, content_type):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(recordFormats={call["record_id"]: audio_format},
                  recordContentTypes={call["record_id"]: "application/force-download"})
    recording = client.download_recording(call["record_id"], tmp_path / "r.part")
    assert (recording.extension, recording.content_type) == (audio_format, content_type)
    assert recording.sha256 == audio.sha256_of(call["record_id"], call["recording_size"], audio_format)


@pytest.mark.parametrize("content_type", ["audio/mpeg", "application/force-download"])
def test_an_html_page_is_no_recording_whatever_its_content_type(client, sipuni, tmp_path, content_type):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(htmlRecordings={call["record_id"]: content_type})
    assert client.download_recording(call["record_id"], tmp_path / "r.part") is None
    assert list(tmp_path.iterdir()) == []


def test_a_gzip_answer_is_checked_against_what_was_decoded(client, sipuni, tmp_path):
    call = _first(sipuni.calls(), recording="ok")
    sipuni.faults(gzipRecordings=True)
    recording = client.download_recording(call["record_id"], tmp_path / "r.part")
    assert recording is not None and recording.size == call["recording_size"]
    assert recording.sha256 == audio.sha256_of(call["record_id"], call["recording_size"])


def test_the_wrong_hash_page_is_recognised_far_into_the_body(settings, sipuni, tmp_path):
    sipuni.faults(badHashPaddingBytes=20_000)  # the marker after 20 KB of markup
    wrong = SipuniClient(settings.sipuni_api_url, settings.sipuni_user, "0.wrongsecret", policy=FAST)
    with pytest.raises(SipuniAuthError, match="Неправильный хеш"):
        wrong.download_recording(_first(sipuni.calls(), recording="ok")["record_id"], tmp_path / "r.part")
    assert sipuni.stats()["requests"]["statistic/record"] == 1  # not retried
