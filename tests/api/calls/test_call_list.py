"""`GET /calls` lists every exported call, recorded or not, against figures the test computes
itself from the simulator's calls.

Step 1 runs for real (simulator → worker → call log, callback columns included); one test runs
step 2 too. Elsewhere the stored calls stand for what step 2 and the AI pipeline would store: the
test stores some of the logged calls with a recording, an AI status and a score it chooses, so
every expected row is known.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, text

from api.calls.export import CALLS_EXPORT_MAX_ROWS
from shared.models import Call, CallLogEntry, User
from tests.support.sipuni import EMPLOYEE_EXTS, wait_for_run

SIM_CALLS = 300
SIM_SEED = 11
SIM_OFFSET = timedelta(hours=5)  # the simulator's accounts are UTC+5
SIM_TZ = "Asia/Tashkent"
AI_STATUSES = ("done", "failed", "pending")


def _started(sim: dict) -> datetime:
    return datetime.fromtimestamp(sim["epoch"], timezone.utc)


def _expected_callback(sim: dict) -> tuple:
    if sim["callback"] in (None, "none"):
        return sim["callback"], None, None
    if sim["callback_local"]:
        local = datetime.strptime(sim["callback_local"], "%Y-%m-%d %H:%M:%S")
        at = (local - SIM_OFFSET).replace(tzinfo=timezone.utc)
    else:
        at = _started(sim) + timedelta(seconds=sim["callback_delay_s"])
    return sim["callback"], at.isoformat(), sim["callback_delay_s"]


def _is_stored(sim: dict) -> bool:
    """Which logged calls the test stores: attributable ones, every third by start."""
    return sim["employee_ext"] in EMPLOYEE_EXTS and sim["epoch"] % 3 == 0


def _ai_status(sim: dict) -> str:
    return AI_STATUSES[sim["epoch"] // 3 % len(AI_STATUSES)]  # not by epoch % 3: that is who is stored


def _score(sim: dict) -> float | None:
    return float(sim["epoch"] % 11) if _ai_status(sim) == "done" else None  # 0..10 on a scale of 10


def _has_recording(sim: dict) -> bool:
    return sim["epoch"] % 5 != 0


def _step1(client, headers: dict, calls: int) -> None:
    response = client.post(f"/sipuni/step1-fetch-csv?limit={calls}", headers=headers)
    assert response.status_code == 202, response.get_json()
    assert wait_for_run(client, headers, response.get_json()["runId"])["status"] == "completed"


def _listed(client, headers: dict, query: str = "") -> list[dict]:
    """Every row of the filter, walked page after page with the cursor."""
    rows: list[dict] = []
    cursor = None
    while True:
        page = _get(client, headers, f"/calls?limit=100&{query}" + (f"&cursor={cursor}" if cursor else ""))
        rows += page["calls"]
        cursor = page["nextCursor"]
        if cursor is None:
            assert page["total"] == len(rows)
            return rows


def _get(client, headers: dict, path: str) -> dict:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.get_json())
    return response.get_json()


def _ids(rows: list[dict]) -> list[str]:
    return [row["externalId"] for row in rows]


def _newest_first(calls: list[dict]) -> list[str]:
    return [call["record_id"] for call in sorted(calls, key=lambda call: -call["epoch"])]


@pytest.fixture
def logged(client, auth_headers, sipuni, sipuni_org, worker, db):
    """Step 1 of SIM_CALLS calls, a third of the attributable ones stored; returns
    (admin headers, organization, truth, users by extension)."""
    admin, organization = sipuni_org
    organization.time_zone, organization.scoring_mode = SIM_TZ, "TEN"
    db.commit()
    headers = auth_headers(user=admin)
    sipuni.reset(calls=SIM_CALLS, seed=SIM_SEED)
    _step1(client, headers, SIM_CALLS)
    truth = sipuni.calls()
    users = {user.ext_code: user for user in db.scalars(select(User).where(User.organization_id == organization.id))}
    for sim in filter(_is_stored, truth):
        db.add(Call(organization_id=organization.id, employee_id=users[sim["employee_ext"]].id,
                    external_id=sim["record_id"], direction=sim["direction"],
                    status="answered" if sim["answered"] else "missed", started_at=_started(sim), raw={},
                    recording_path=f"recordings/{sim['record_id']}.mp3" if _has_recording(sim) else None,
                    ai_status=_ai_status(sim), overall_score=_score(sim), score_max=10))
    db.commit()
    return headers, organization, truth, users


def test_every_exported_call_is_listed_recorded_or_not_after_steps_1_and_2(client, auth_headers, sipuni,
                                                                           sipuni_org, worker, db):
    admin, _organization = sipuni_org
    headers = auth_headers(user=admin)
    _step1(client, headers, 60)
    step2 = client.post("/sipuni/step2-process-recordings", headers=headers)
    assert wait_for_run(client, headers, step2.get_json()["runId"])["status"] == "completed"
    truth = {call["record_id"]: call for call in sipuni.calls()}
    stored = {call.external_id: call for call in db.scalars(select(Call))}
    assert 0 < len(stored) < len(truth)  # some calls have no stored recording
    users = {user.id: user for user in db.scalars(select(User))}

    rows = _listed(client, headers)
    assert _ids(rows) == _newest_first(list(truth.values()))
    for row in rows:
        sim, call = truth[row["externalId"]], stored.get(row["externalId"])
        assert row["callLogId"] is not None
        assert (row["direction"], row["status"]) == (sim["direction"], "answered" if sim["answered"] else "missed")
        assert row["startedAt"] == _started(sim).isoformat()
        assert row["extCode"] == sim["employee_ext"]
        assert (row["fromNumber"], row["toNumber"], row["callDurationS"]) == (sim["caller"], sim["callee"],
                                                                              sim["call_s"])
        assert (row["callback"], row["callbackAt"], row["callbackDelayS"]) == _expected_callback(sim)
        if call is None:  # listed all the same, with nothing of a stored call
            assert (row["id"], row["hasRecording"], row["aiStatus"], row["overallScore"]) == (None, False, None, None)
        else:
            assert (row["id"], row["hasRecording"]) == (call.id, True)
            assert row["aiStatus"]  # moving on meanwhile: the AI pipeline runs on the worker
            assert row["employeeId"] == call.employee_id
            assert row["employeeName"] == users[call.employee_id].email  # no name given: the email
            detail = _get(client, headers, f"/calls/{call.id}")["call"]
            assert (detail["callLogId"], detail["callback"], detail["extCode"]) == \
                (row["callLogId"], row["callback"], row["extCode"])
    missed_incoming = [sim for sim in truth.values() if sim["direction"] == "incoming" and not sim["answered"]]
    assert missed_incoming and all(row["callback"] for row in rows if row["externalId"] in
                                   {sim["record_id"] for sim in missed_incoming})


def test_the_worklist_is_the_missed_incoming_calls_nobody_called_back(client, logged):
    headers, _organization, truth, _users = logged
    waiting = [sim for sim in truth if not sim["answered"] and sim["callback"] == "none"]
    assert waiting and all(sim["direction"] == "incoming" for sim in waiting)

    rows = _listed(client, headers, "status=missed&callback=none")
    assert _ids(rows) == _newest_first(waiting)
    first = _get(client, headers, "/calls?status=missed&callback=none&limit=5")
    assert first["total"] == len(waiting) and _ids(first["calls"]) == _newest_first(waiting)[:5]


@pytest.mark.parametrize(("query", "wanted"), [
    ("status=answered", lambda sim: sim["answered"]),
    ("status=missed", lambda sim: not sim["answered"]),
    ("direction=outgoing", lambda sim: sim["direction"] == "outgoing"),
    ("direction=internal&status=missed", lambda sim: sim["direction"] == "internal" and not sim["answered"]),
    ("callback=called_back", lambda sim: sim["callback"] == "called_back"),
    ("callback=tried", lambda sim: sim["callback"] == "tried"),
    ("callback=client_called_back", lambda sim: sim["callback"] == "client_called_back"),
    ("extCode=203", lambda sim: sim["employee_ext"] == "203"),
    ("extCode=294", lambda sim: sim["employee_ext"] == "294"),  # an extension nobody has
    ("hasRecording=true", lambda sim: _is_stored(sim) and _has_recording(sim)),
    ("hasRecording=false", lambda sim: not (_is_stored(sim) and _has_recording(sim))),
    ("aiStatus=failed", lambda sim: _is_stored(sim) and _ai_status(sim) == "failed"),
    ("status=failed", lambda sim: _is_stored(sim) and _ai_status(sim) == "failed"),  # the former meaning
    ("aiStatus=done&minScore=4&maxScore=7", lambda sim: _is_stored(sim) and _score(sim) is not None
     and 4 <= _score(sim) <= 7),
    ("minScore=9", lambda sim: _is_stored(sim) and (_score(sim) or 0) >= 9),
])
def test_each_filter_selects_what_it_says(client, logged, query, wanted):
    headers, _organization, truth, _users = logged
    expected = [sim for sim in truth if wanted(sim)]
    assert expected
    assert _ids(_listed(client, headers, query)) == _newest_first(expected)


def test_the_employee_window_and_phone_number_filters(client, logged):
    headers, _organization, truth, users = logged
    alice = users["205"]
    mine = [sim for sim in truth if sim["employee_ext"] == "205"]
    assert _ids(_listed(client, headers, f"employeeId={alice.id}")) == _newest_first(mine)
    assert all(row["employeeId"] == alice.id for row in _listed(client, headers, f"employeeId={alice.id}"))

    ordered = sorted(truth, key=lambda sim: sim["epoch"])
    first, last = _started(ordered[100]), _started(ordered[199])
    window = f"from={first.isoformat().replace('+00:00', 'Z')}&to={(last + timedelta(seconds=1)).isoformat()}"
    assert _ids(_listed(client, headers, window.replace("+", "%2B"))) == _newest_first(ordered[100:200])
    day = _started(ordered[0]).date()
    in_day = [sim for sim in truth if _started(sim).date() == day]
    assert _ids(_listed(client, headers, f"from={day}&to={day}")) == _newest_first(in_day)  # whole UTC days

    client_number = next(sim["caller"] for sim in truth if sim["direction"] == "incoming"
                         and sim["caller"] != "anonymous")
    matching = [sim for sim in truth if client_number[-7:] in (sim["caller"][-7:], sim["callee"][-7:])]
    spaced = f"{client_number[-7:-4]} {client_number[-4:-2]}-{client_number[-2:]}"  # "123 45-67"
    assert _ids(_listed(client, headers, f"search={spaced}")) == _newest_first(matching)


def test_cursor_pages_neither_skip_nor_repeat_while_new_calls_arrive(client, logged, db):
    headers, organization, truth, _users = logged
    expected = _newest_first(truth)
    walked: list[str] = []
    page = _get(client, headers, "/calls?limit=7")
    newest = _started(max(truth, key=lambda sim: sim["epoch"]))
    for number in range(3):  # new calls land at the top of the list meanwhile
        db.execute(insert(CallLogEntry).values(
            organization_id=organization.id, record_id=f"new.{number}", direction="incoming", status="missed",
            started_at=newest + timedelta(minutes=number + 1), has_recording=False,
            first_seen_at=datetime.now(timezone.utc), updated_at=datetime.now(timezone.utc)))
    db.commit()
    while True:
        walked += _ids(page["calls"])
        if page["nextCursor"] is None:
            break
        page = _get(client, headers, f"/calls?limit=7&cursor={page['nextCursor']}")
    assert walked == expected  # each call once, in order; the new ones are before the first page

    by_number = [row for n in range(1, 8) for row in _ids(_get(client, headers, f"/calls?limit=50&page={n}")["calls"])]
    assert by_number == [f"new.{n}" for n in (2, 1, 0)] + expected  # page numbers: the same order


def test_a_row_with_an_unknown_start_comes_first_and_is_paged_over(client, logged, db):
    headers, organization, truth, _users = logged
    now = datetime.now(timezone.utc)
    db.execute(insert(CallLogEntry), [{"organization_id": organization.id, "record_id": f"undated.{n}",
                                       "has_recording": False, "first_seen_at": now, "updated_at": now}
                                      for n in range(3)])
    db.commit()
    walked: list[str] = []
    cursor = None
    while True:
        page = _get(client, headers, "/calls?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        walked += _ids(page["calls"])
        if (cursor := page["nextCursor"]) is None:
            break
    assert walked == ["undated.2", "undated.1", "undated.0"] + _newest_first(truth)
    assert "undated.0" not in _ids(_listed(client, headers, "from=2000-01-01"))


def test_an_employee_sees_their_own_calls_only(client, auth_headers, logged, db):
    headers, organization, truth, users = logged
    bob, carol = users["202"], users["203"]
    # A call the log credits to Bob but whose stored call was credited to Carol (the extension
    # changed hands between step 1 and step 2): neither employee sees it.
    shared = next(sim for sim in truth if sim["employee_ext"] == "202" and not _is_stored(sim))
    db.add(Call(organization_id=organization.id, employee_id=carol.id, external_id=shared["record_id"], raw={},
                recording_path="recordings/x.mp3", ai_status="done", summary="Carol's summary"))
    db.commit()
    bob_headers = auth_headers(user=bob)

    own = _listed(client, bob_headers)
    expected = [sim for sim in truth if sim["employee_ext"] == "202" and sim is not shared]
    assert _ids(own) == _newest_first(expected) and all(row["employeeId"] == bob.id for row in own)
    assert _ids(_listed(client, bob_headers, f"employeeId={bob.id}&status=missed")) == \
        _newest_first([sim for sim in expected if not sim["answered"]])
    assert client.get(f"/calls?employeeId={carol.id}", headers=bob_headers).status_code == 403
    assert client.get(f"/calls.csv?employeeId={carol.id}", headers=bob_headers).status_code == 403
    assert shared["record_id"] not in _ids(_listed(client, auth_headers(user=carol)))
    assert shared["record_id"] in _ids(_listed(client, headers))  # the admin sees it


def test_another_organization_sees_none_of_the_calls(client, auth_headers, logged, make_user):
    _headers, organization, truth, _users = logged
    other = auth_headers(user=make_user("ADMIN"))
    assert _get(client, other, "/calls")["total"] == 0
    assert _get(client, other, f"/calls?organizationId={organization.id}")["total"] == 0  # not a SUPERADMIN
    assert client.get("/calls.csv", headers=other).data.decode("utf-8-sig").count("\n") == 1  # the header
    superadmin = auth_headers("SUPERADMIN")
    assert _get(client, superadmin, f"/calls?organizationId={organization.id}")["total"] == len(truth)
    assert client.get("/calls?organizationId=2147483647", headers=superadmin).status_code == 404


def test_downloads_hold_the_filtered_list_in_the_organizations_time(client, logged):
    headers, _organization, truth, _users = logged
    query = "status=missed&direction=incoming"
    rows = _listed(client, headers, query)
    assert rows

    response = client.get(f"/calls.csv?{query}", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["X-Export-Truncated"] == "false"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="calls-')
    table = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [line["Sipuni ID"] for line in table] == _ids(rows)
    by_id = {sim["record_id"]: sim for sim in truth}
    for line, row in zip(table, rows, strict=True):
        sim = by_id[row["externalId"]]
        assert line[f"Started at ({SIM_TZ})"] == sim["local_time"][6:10] + "-" + sim["local_time"][3:5] + "-" + \
            sim["local_time"][:2] + sim["local_time"][10:]  # the account's own wall clock
        assert (line["Callback"], line["Status"], line["Direction"]) == (row["callback"], "missed", "incoming")
        if sim["callback_local"]:  # "Время перезвона" as the export had it: the same wall clock
            assert line[f"Callback at ({SIM_TZ})"] == sim["callback_local"]
        elif row["callbackAt"] is None:
            assert line[f"Callback at ({SIM_TZ})"] == ""
        assert (line["From"], line["Extension"]) == (sim["caller"], sim["employee_ext"] or "")

    workbook = load_workbook(io.BytesIO(client.get(f"/calls.xlsx?{query}", headers=headers).data))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    values = list(sheet.iter_rows(values_only=True))
    titles = list(values[0])
    assert [line[titles.index("Sipuni ID")] for line in values[1:]] == _ids(rows)
    first = by_id[rows[0]["externalId"]]
    assert values[1][titles.index(f"Started at ({SIM_TZ})")] == datetime.strptime(first["local_time"],
                                                                                   "%d.%m.%Y %H:%M:%S")

    scored = load_workbook(io.BytesIO(client.get("/calls.xlsx?aiStatus=done", headers=headers).data)).active
    column = [cell.value for cell in scored[1]].index("Score") + 1
    fills = {}
    for (cell,) in scored.iter_rows(min_row=2, min_col=column, max_col=column):
        band = "red" if cell.value < 5 else "amber" if cell.value < 8 else "green"
        fills.setdefault(band, set()).add(cell.fill.start_color.rgb[-6:])
    assert fills == {"red": {"FFC7CE"}, "amber": {"FFEB9C"}, "green": {"C6EFCE"}}  # bands of a scale of 10


def test_an_export_holds_the_newest_calls_up_to_its_cap(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    cap = CALLS_EXPORT_MAX_ROWS
    db.execute(text("INSERT INTO call_log (organization_id, record_id, status, started_at, has_recording, "
                    "first_seen_at, updated_at) SELECT :org, 'r.' || n, 'missed', "
                    "timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => n), false, now(), now() "
                    "FROM generate_series(1, :rows) AS n"), {"org": admin.organization_id, "rows": cap + 2})
    db.commit()
    response = client.get("/calls.csv?status=missed", headers=auth_headers(user=admin))
    assert response.headers["X-Export-Truncated"] == "true"
    lines = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [line["Sipuni ID"] for line in lines] == [f"r.{n}" for n in range(cap + 2, 2, -1)]  # the newest


def test_cells_that_look_like_formulas_stay_text(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    now = datetime.now(timezone.utc)
    db.add(CallLogEntry(organization_id=admin.organization_id, record_id="1.1", from_number="=HYPERLINK(\"x\")",
                        to_number="+998901234567", started_at=now, has_recording=False))
    db.commit()
    text = client.get("/calls.csv", headers=auth_headers(user=admin)).data.decode("utf-8-sig")
    line = next(iter(csv.DictReader(io.StringIO(text))))
    assert (line["From"], line["To"]) == ("'=HYPERLINK(\"x\")", "'+998901234567")


@pytest.mark.parametrize(("query", "field"), [
    ("status=finished", "status"), ("callback=maybe", "callback"), ("direction=sideways", "direction"),
    ("extCode=2%201", "extCode"), ("hasRecording=perhaps", "hasRecording"), ("aiStatus=great", "aiStatus"),
    ("minScore=-1", "minScore"), ("maxScore=101", "maxScore"), ("minScore=nan", "minScore"),
    ("minScore=8&maxScore=3", "minScore"), ("search=12", "search"), ("search=abc123", "search"),
    ("search=" + "1" * 21, "search"), ("cursor=garbage", "cursor"), ("cursor=W251bGwsIDBd", "cursor"),
    ("employeeId=0", "employeeId"), ("departmentId=1", "departmentId"), ("branchId=1", "branchId"),
    ("limit=101", "limit"), ("from=yesterday", "from"),
])
def test_a_bad_filter_is_a_400_naming_it(client, auth_headers, query, field):
    headers = auth_headers("ADMIN")
    for path in ("/calls", "/calls.csv", "/calls.xlsx"):
        if path != "/calls" and field in ("limit", "cursor"):
            continue  # the downloads take no page
        response = client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 400, (path, query, response.get_data(as_text=True)[:300])
        assert field in response.get_json()["errors"], (path, query, response.get_json())


def test_a_cursor_with_a_page_number_is_refused(client, auth_headers, logged):
    headers, *_ = logged
    cursor = _get(client, headers, "/calls?limit=3")["nextCursor"]
    response = client.get(f"/calls?cursor={cursor}&page=2", headers=headers)
    assert response.status_code == 400 and "cursor" in response.get_json()["errors"]
