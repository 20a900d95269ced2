"""GET /calls/<id>/recording: streamed audio with ranges, under the same access rule as the call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.calls import make_call


@pytest.fixture
def recorded(db, settings, make_user):
    admin = make_user("ADMIN")
    employee = make_user("EMPLOYEE", organization=admin.organization, ext_code="210")
    call = make_call(db, settings, admin.organization.id, employee, seconds=1.0)
    return admin, employee, call, (Path(settings.data_dir) / call.recording_path).read_bytes()


def test_the_whole_recording_with_its_headers(client, auth_headers, recorded):
    admin, _, call, audio = recorded
    response = client.get(f"/calls/{call.id}/recording", headers=auth_headers(user=admin))
    assert response.status_code == 200 and response.data == audio
    assert response.headers["Content-Type"] == "audio/wav"
    assert response.headers["Content-Length"] == str(len(audio))
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(("header", "first", "last"), [("bytes=0-99", 0, 99), ("bytes=100-", 100, None),
                                                       ("bytes=-50", -50, None), ("bytes=10-999999", 10, None)])
def test_a_range_answers_206_with_content_range(client, auth_headers, recorded, header, first, last):
    admin, _, call, audio = recorded
    response = client.get(f"/calls/{call.id}/recording", headers={**auth_headers(user=admin), "Range": header})
    expected = audio[first:] if last is None else audio[first:last + 1]
    start = first if first >= 0 else len(audio) + first
    assert response.status_code == 206 and response.data == expected
    assert response.headers["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(audio)}"
    assert response.headers["Content-Length"] == str(len(expected))


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=-0", "bytes=50-10"])
def test_an_unsatisfiable_range_is_416(client, auth_headers, recorded, header):
    admin, _, call, audio = recorded
    response = client.get(f"/calls/{call.id}/recording", headers={**auth_headers(user=admin), "Range": header})
    assert response.status_code == 416 and response.get_json()["success"] is False
    assert response.headers["Content-Range"] == f"bytes */{len(audio)}"


def test_the_same_access_rule_as_the_call(client, auth_headers, recorded, make_user, db, settings):
    admin, employee, call, audio = recorded
    assert client.get(f"/calls/{call.id}/recording", headers=auth_headers(user=employee)).data == audio
    colleague = make_user("EMPLOYEE", organization=admin.organization, ext_code="211")
    outsider = make_user("ADMIN")
    for user in (colleague, outsider):
        response = client.get(f"/calls/{call.id}/recording", headers=auth_headers(user=user))
        assert response.status_code == 404 and response.get_json()["success"] is False
    assert client.get(f"/calls/{call.id}/recording").status_code == 401


def test_a_call_without_a_stored_recording_is_404_json(client, auth_headers, recorded, db, settings):
    admin, employee, call, _ = recorded
    silent = make_call(db, settings, admin.organization.id, employee, with_audio=False)
    headers = auth_headers(user=admin)
    assert client.get(f"/calls/{silent.id}/recording", headers=headers).get_json()["message"] == \
        f"Call {silent.id} has no stored recording"
    (Path(settings.data_dir) / call.recording_path).unlink()  # deleted after analysis
    response = client.get(f"/calls/{call.id}/recording", headers=headers)
    assert response.status_code == 404 and response.is_json


def test_an_unreachable_storage_is_503_json(db, settings, make_user):
    from api import create_app
    from tests.conftest import TEST_PASSWORD, settings_with
    from tests.support.services import free_port

    admin = make_user("ADMIN")
    call = make_call(db, settings, admin.organization.id)
    down = settings_with(settings, storage_url="s3://navai", aws_endpoint_url_s3=f"http://127.0.0.1:{free_port()}",
                         aws_access_key_id="nobody", aws_secret_access_key="nothing", aws_default_region="us-east-1")
    app = create_app(down)
    client = app.test_client()
    token = client.post("/auth/login", json={"email": admin.email, "password": TEST_PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for path in (f"/calls/{call.id}/recording", "/sipuni/csv", "/sipuni/step2-process-recordings"):
        response = client.open(path, method="POST" if "step2" in path else "GET", headers=headers)
        assert response.status_code == 503, (path, response.data)
        assert response.get_json()["message"] == "The file storage is unavailable; try again later"
    app.extensions["navai"].engine.dispose()
