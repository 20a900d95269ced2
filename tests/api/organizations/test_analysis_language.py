"""`analysisLanguage` in GET/PATCH /settings: uz, ru or en, the deployment's STT_LANGUAGE until set."""

from __future__ import annotations

from api import create_app
from shared.models import Organization
from tests.conftest import TEST_PASSWORD, settings_with


def test_analysis_language_follows_stt_language_until_set_and_is_validated(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    assert client.get("/settings", headers=headers).get_json()["analysisLanguage"] == "uz"  # STT_LANGUAGE

    for language in ("ru", "en", "uz"):
        patched = client.patch("/settings", json={"analysisLanguage": language}, headers=headers)
        assert patched.status_code == 200 and patched.get_json()["analysisLanguage"] == language
        assert client.get("/settings", headers=headers).get_json()["analysisLanguage"] == language
    db.expire_all()
    assert db.get(Organization, admin.organization_id).analysis_language == "uz"

    for bad in ("de", "RU", "", 5, ["ru"]):
        refused = client.patch("/settings", json={"analysisLanguage": bad}, headers=headers)
        assert refused.status_code == 400, bad
        assert "analysisLanguage" in refused.get_json()["errors"], refused.get_json()
    refused = client.post("/organizations", json={"name": "X", "analysisLanguage": "fr"},
                          headers=auth_headers("SUPERADMIN"))
    assert refused.status_code == 400 and "analysisLanguage" in refused.get_json()["errors"]

    reset = client.patch("/settings", json={"analysisLanguage": None}, headers=headers).get_json()
    assert reset["analysisLanguage"] == "uz"  # back to following STT_LANGUAGE
    db.expire_all()
    assert db.get(Organization, admin.organization_id).analysis_language is None


def test_the_default_is_stt_languages_or_english_for_one_the_prompt_lacks(settings, make_user, db):
    admin = make_user("ADMIN")
    for stt_language, shown in (("ru", "ru"), ("kk", "en")):
        app = create_app(settings_with(settings, stt_language=stt_language))
        try:
            client = app.test_client()
            token = client.post("/auth/login", json={"email": admin.email, "password": TEST_PASSWORD}).get_json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            assert client.get("/settings", headers=headers).get_json()["analysisLanguage"] == shown, stt_language
        finally:
            app.extensions["navai"].engine.dispose()
