"""A new organization starts with the default criteria, in its analysis language, unless told not to
(`POST /organizations` and `flask orgs create`)."""

from __future__ import annotations

from sqlalchemy import select

from api.criteria.defaults import DEFAULT_CRITERIA
from shared.models import Criterion, Organization

UZBEK_NAMES = ["Salomlashish", "Ehtiyojni aniqlash", "Mahsulotni bilish", "Xushmuomalalik", "Suhbatni yakunlash"]
RUSSIAN_NAMES = ["Приветствие", "Выявление потребностей", "Знание продукта", "Вежливость", "Завершение разговора"]
ENGLISH_NAMES = ["Greeting", "Needs discovery", "Product knowledge", "Politeness", "Closing"]
WEIGHTS = [1.0, 2.0, 2.0, 1.0, 1.0]


def _criteria(db, organization_id: int) -> list[Criterion]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(Criterion).where(Criterion.organization_id == organization_id)
                           .order_by(Criterion.id)))


def test_a_new_organization_gets_the_default_criteria_in_its_language(client, auth_headers, db):
    root = auth_headers("SUPERADMIN")
    created = client.post("/organizations", json={"name": "Call centre"}, headers=root)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["defaultCriteriaCreated"] == 5 and body["organization"]["analysisLanguage"] == "uz"  # STT_LANGUAGE
    organization_id = body["organization"]["id"]

    listed = client.get(f"/criteria?organizationId={organization_id}", headers=root).get_json()["criteria"]
    assert [c["name"] for c in listed] == UZBEK_NAMES
    assert [c["weight"] for c in listed] == WEIGHTS
    assert all(c["description"] and c["isActive"] for c in listed)
    assert listed[0]["description"].startswith("Mijoz bilan salomlashadi")

    russian = client.post("/organizations", json={"name": "Колл-центр", "analysisLanguage": "ru"},
                          headers=root).get_json()
    assert russian["organization"]["analysisLanguage"] == "ru"
    names = [c.name for c in _criteria(db, russian["organization"]["id"])]
    assert names == RUSSIAN_NAMES


def test_the_default_criteria_are_ordinary_criteria_an_admin_edits(client, auth_headers, db):
    created = client.post("/organizations", json={"name": "Editable", "analysisLanguage": "en"},
                          headers=auth_headers("SUPERADMIN")).get_json()
    organization_id = created["organization"]["id"]
    greeting, needs, *_ = _criteria(db, organization_id)
    headers = auth_headers("ADMIN", organization=db.get(Organization, organization_id))
    renamed = client.patch(f"/criteria/{greeting.id}", json={"name": "Warm greeting", "weight": 3}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["criterion"]["name"] == "Warm greeting"
    assert client.delete(f"/criteria/{needs.id}", headers=headers).status_code == 200
    active = [c["name"] for c in client.get("/criteria", headers=headers).get_json()["criteria"]]
    assert active == ["Warm greeting", *ENGLISH_NAMES[2:]]


def test_default_criteria_false_starts_without_criteria(client, auth_headers, db):
    root = auth_headers("SUPERADMIN")
    created = client.post("/organizations", json={"name": "Bare", "defaultCriteria": False}, headers=root)
    assert created.status_code == 201 and created.get_json()["defaultCriteriaCreated"] == 0
    assert _criteria(db, created.get_json()["organization"]["id"]) == []
    for bad in ("no", 0, None):
        refused = client.post("/organizations", json={"name": "X", "defaultCriteria": bad}, headers=root)
        assert refused.status_code == 400 and "defaultCriteria" in refused.get_json()["errors"], bad


def test_the_cli_gives_the_default_criteria_unless_told_not_to(app, db):
    runner = app.test_cli_runner()
    with_defaults = runner.invoke(args=["orgs", "create", "--name", "A", "--analysis-language", "en"])
    assert with_defaults.exit_code == 0, with_defaults.output
    assert [c.name for c in _criteria(db, int(with_defaults.output.strip()))] == ENGLISH_NAMES
    following = runner.invoke(args=["orgs", "create", "--name", "B"])
    assert [c.name for c in _criteria(db, int(following.output.strip()))] == UZBEK_NAMES  # STT_LANGUAGE's
    bare = runner.invoke(args=["orgs", "create", "--name", "C", "--no-default-criteria"])
    assert bare.exit_code == 0 and _criteria(db, int(bare.output.strip())) == []
    wrong = runner.invoke(args=["orgs", "create", "--name", "D", "--analysis-language", "de"])
    assert wrong.exit_code != 0 and "--analysis-language" in wrong.output


def test_every_default_criterion_is_written_in_every_analysis_language():
    for default in DEFAULT_CRITERIA:
        assert set(default.wordings) == {"uz", "ru", "en"}
        assert all(wording.name and wording.description for wording in default.wordings.values())
    assert [d.wordings["en"].name for d in DEFAULT_CRITERIA] == ENGLISH_NAMES
