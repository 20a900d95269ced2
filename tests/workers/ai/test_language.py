"""The organization's analysis language reaches the model: `PATCH /settings` through the API, then a
real worker sends an unlabelled transcript (today's speech-to-text) to the AI simulator."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import TranscriptSegment
from tests.support.calls import make_call, make_criteria
from tests.workers.ai.conftest import process, wait_for_calls


def test_each_organization_is_analysed_in_its_own_language(db, engine, settings, client, auth_headers, make_user,
                                                           celery_app, sim, ai_settings, ai_worker):
    russian_admin, default_admin = make_user("ADMIN"), make_user("ADMIN")
    patched = client.patch("/settings", json={"analysisLanguage": "ru"}, headers=auth_headers(user=russian_admin))
    assert patched.status_code == 200 and patched.get_json()["analysisLanguage"] == "ru"
    make_criteria(db, russian_admin.organization, ("Приветствие", 1))
    make_criteria(db, default_admin.organization, ("Salomlashish", 1))
    calls = [make_call(db, settings, admin.organization_id) for admin in (russian_admin, default_admin)]
    ai_worker(ai_settings("gemini"))  # STT_LANGUAGE is uz: the default of the second organization

    process(celery_app, *(call.id for call in calls))
    done = wait_for_calls(engine, [call.id for call in calls])

    assert {c.ai_status for c in done.values()} == {"done"}, {c.id: c.ai_error for c in done.values()}
    speakers = db.scalars(select(TranscriptSegment.speaker).where(
        TranscriptSegment.call_id.in_([call.id for call in calls]))).all()
    assert speakers and set(speakers) == {"unknown"}  # the simulator answers like today's speech-to-text
    asks = {_user_text(ask.body): ask.body for ask in sim.requests("gemini")}
    assert len(asks) == 2
    russian = next(body for user, body in asks.items() if "Приветствие" in user)
    uzbek = next(body for user, body in asks.items() if "Salomlashish" in user)
    assert _system_text(russian).startswith("Вы — аналитик отдела контроля качества колл-центра.")
    assert "В расшифровке нет меток говорящих" in _system_text(russian)
    assert "на русском языке" in _user_text(russian)
    assert _system_text(uzbek).startswith("Sizning vazifangiz — call-markazda sifat nazorati")
    assert "so'zlovchilar belgilanmagan" in _system_text(uzbek) and "o'zbek tilida" in _user_text(uzbek)
    for body in (russian, uzbek):
        assert '"agent"' not in _system_text(body) + _user_text(body)


def _system_text(body: dict) -> str:
    return body["systemInstruction"]["parts"][0]["text"]


def _user_text(body: dict) -> str:
    return body["contents"][0]["parts"][0]["text"]
