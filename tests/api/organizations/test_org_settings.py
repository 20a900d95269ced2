"""GET/PATCH /settings: the Sipuni secret is write-only, schedules and time zones are checked."""

from __future__ import annotations

from datetime import datetime

from shared.models import Organization


def test_settings_round_trip_and_the_secret_is_never_shown(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    before = client.get("/settings", headers=headers).get_json()
    assert (before["sipuniSecretSet"], before["syncSchedule"], before["timeZone"], before["scoringMode"]) == \
        (False, None, "UTC", "TEN")
    secret = "0.abcdefghijk"
    response = client.patch("/settings", json={"sipuniUser": "060957", "sipuniSecret": secret,
                                               "syncSchedule": "30 2 * * *", "timeZone": "Asia/Tashkent",
                                               "scoringMode": "HUNDRED"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    after = client.get("/settings", headers=headers)
    body = after.get_json()
    assert secret not in response.get_data(as_text=True) + after.get_data(as_text=True)
    assert (body["sipuniUser"], body["sipuniSecretSet"], body["syncSchedule"], body["timeZone"],
            body["scoringMode"]) == ("060957", True, "30 2 * * *", "Asia/Tashkent", "HUNDRED")
    due = datetime.fromisoformat(body["nextScheduledSync"])
    assert (due.hour, due.minute) == (21, 30)  # 02:30 in Tashkent is 21:30 UTC
    db.expire_all()
    assert db.get(Organization, admin.organization_id).sipuni_secret == secret

    cleared = client.patch("/settings", json={"syncSchedule": None}, headers=headers).get_json()
    assert cleared["syncSchedule"] is None and cleared["nextScheduledSync"] is None


def test_bad_settings_are_400_naming_the_field(client, auth_headers):
    headers = auth_headers("ADMIN")
    for body, field in (({"syncSchedule": "0 25 * * *"}, "syncSchedule"), ({"syncSchedule": "every day"}, "syncSchedule"),
                        ({"timeZone": "Asia/Nowhere"}, "timeZone"), ({"scoringMode": "FIVE"}, "scoringMode"),
                        ({"sipuniUser": "12a"}, "sipuniUser"), ({"colour": "red"}, "colour"),
                        ({"timeZone": None}, "timeZone")):
        response = client.patch("/settings", json=body, headers=headers)
        assert response.status_code == 400, body
        assert field in response.get_json()["errors"], response.get_json()


def test_superadmin_reads_and_changes_any_organizations_settings(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers("SUPERADMIN")
    organization_id = admin.organization_id
    patched = client.patch(f"/settings?organizationId={organization_id}", json={"timeZone": "Europe/Moscow"},
                           headers=headers)
    assert patched.status_code == 200 and patched.get_json()["organizationId"] == organization_id
    assert client.get(f"/settings?organizationId={organization_id}", headers=headers).get_json()["timeZone"] == \
        "Europe/Moscow"
    assert client.get("/settings?organizationId=999999", headers=headers).status_code == 404
