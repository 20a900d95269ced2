"""GET /calls and GET /calls/<id>: the caller's organization only, with the AI results."""

from __future__ import annotations

from datetime import datetime, timezone

from shared.models import Call, CallScore, TranscriptSegment, Violation
from tests.support.calls import make_call, make_criteria


def _analysed_call(db, settings, org, employee, criteria, started_at):
    call = make_call(db, settings, org.id, employee, started_at=started_at, ai_status="done")
    call.summary, call.overall_score, call.transcript = "Yaxshi suhbat", 8.5, "[agent]: Salom"
    db.add_all([TranscriptSegment(call_id=call.id, position=0, speaker="agent", text="Salom", start_ms=0, end_ms=900),
                TranscriptSegment(call_id=call.id, position=1, speaker="customer", text="Salom", start_ms=1000,
                                  end_ms=1800)])
    db.add_all(CallScore(call_id=call.id, criterion_id=c.id, score=8.0, max_score=10, weight=c.weight)
               for c in criteria)
    db.add(Violation(call_id=call.id, position=0, description="No name asked", timestamp="00:04", timestamp_ms=4000))
    db.commit()
    return call


def test_call_detail_has_transcript_scores_violations_and_summary(db, settings, client, make_user, auth_headers):
    admin = make_user("ADMIN")
    criteria = make_criteria(db, admin.organization, ("Greeting", 2), ("Closing", 1))
    call = _analysed_call(db, settings, admin.organization, None, criteria, datetime(2024, 5, 1, 9, tzinfo=timezone.utc))

    response = client.get(f"/calls/{call.id}", headers=auth_headers(user=admin))

    assert response.status_code == 200
    body = response.get_json()["call"]
    assert (body["aiStatus"], body["summary"], body["overallScore"]) == ("done", "Yaxshi suhbat", 8.5)
    assert body["segments"] == [{"speaker": "agent", "text": "Salom", "startMs": 0, "endMs": 900},
                                {"speaker": "customer", "text": "Salom", "startMs": 1000, "endMs": 1800}]
    assert body["scores"] == [{"criterionId": c.id, "criterionName": c.name, "score": 8.0, "maxScore": 10,
                               "weight": c.weight} for c in criteria]
    assert body["violations"] == [{"description": "No name asked", "timestamp": "00:04", "timestampMs": 4000}]
    assert body["startedAt"] == "2024-05-01T09:00:00+00:00"


def test_one_organization_cannot_read_or_reprocess_another_organizations_calls(db, settings, client, make_user,
                                                                                auth_headers):
    mine, theirs = make_user("ADMIN"), make_user("ADMIN")
    foreign = _analysed_call(db, settings, theirs.organization, None, [], datetime.now(timezone.utc))
    make_call(db, settings, mine.organization_id)
    headers = auth_headers(user=mine)

    assert client.get(f"/calls/{foreign.id}", headers=headers).status_code == 404
    assert client.post(f"/calls/{foreign.id}/reprocess", headers=headers).status_code == 404
    listing = client.get("/calls", headers=headers).get_json()
    assert listing["total"] == 1 and foreign.id not in [c["id"] for c in listing["calls"]]
    db.expire_all()
    assert db.get(Call, foreign.id).ai_status == "done"  # untouched by the refused reprocess


def test_batch_reprocess_touches_only_the_callers_organization(db, settings, make_user, client, auth_headers):
    mine, other = make_user("ADMIN"), make_user("ADMIN")
    own_call = make_call(db, settings, mine.organization_id, ai_status="failed")
    foreign_call = make_call(db, settings, other.organization_id, ai_status="failed")

    response = client.post("/calls/reprocess?status=failed", headers=auth_headers(user=mine))

    assert response.status_code == 202
    assert response.get_json()["callIds"] == [own_call.id]
    db.expire_all()
    assert db.get(Call, foreign_call.id).ai_status == "failed"


def test_calls_are_filtered_by_date_employee_and_status_and_paginated(db, settings, client, make_user,
                                                                      auth_headers):
    admin = make_user("ADMIN")
    org = admin.organization
    alice = make_user("EMPLOYEE", organization=org, ext_code="201")
    bob = make_user("EMPLOYEE", organization=org, ext_code="202")
    day = [datetime(2024, 5, d, 12, tzinfo=timezone.utc) for d in (1, 2, 3)]
    a1 = make_call(db, settings, org.id, alice, started_at=day[0], ai_status="done")
    a2 = make_call(db, settings, org.id, alice, started_at=day[1], ai_status="failed")
    b3 = make_call(db, settings, org.id, bob, started_at=day[2], ai_status="done")
    headers = auth_headers(user=admin)

    def ids(query):
        response = client.get(f"/calls?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [c["id"] for c in response.get_json()["calls"]]

    assert ids("") == [b3.id, a2.id, a1.id]  # newest first
    assert ids(f"employeeId={alice.id}") == [a2.id, a1.id]
    assert ids("status=done") == [b3.id, a1.id]
    assert ids("from=2024-05-02&to=2024-05-02") == [a2.id]  # a date means the whole day
    assert ids("from=2024-05-02T12:00:00Z") == [b3.id, a2.id]
    page2 = client.get("/calls?limit=2&page=2", headers=headers).get_json()
    assert (page2["total"], page2["page"], page2["limit"], [c["id"] for c in page2["calls"]]) == (3, 2, 2, [a1.id])

    alice_view = client.get("/calls", headers=auth_headers(user=alice)).get_json()
    assert [c["id"] for c in alice_view["calls"]] == [a2.id, a1.id]  # an employee sees their own calls
    assert client.get(f"/calls/{b3.id}", headers=auth_headers(user=alice)).status_code == 404


def test_bad_queries_are_clear_400s_and_reprocess_needs_an_admin(client, make_user, auth_headers):
    headers = auth_headers("ADMIN")
    for query in ("status=finished", "page=0", "limit=1000", "from=yesterday", "colour=red"):
        response = client.get(f"/calls?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.get_json()["success"] is False and response.get_json()["errors"]
    assert client.post("/calls/reprocess", headers=headers).status_code == 400  # status is required
    assert client.post("/calls/reprocess?status=failed", headers=auth_headers("EMPLOYEE")).status_code == 403
    assert client.get("/calls").status_code == 401
