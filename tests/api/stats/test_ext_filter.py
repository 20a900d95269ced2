"""`extCode` on every `/stats/*` route and download: every figure is of the calls on that extension
(the call log's extension of each call; a scored call by its call-log row), against the
simulator's calls after a real step 1."""

from __future__ import annotations

import csv
import io
from statistics import mean

import pytest
from openpyxl import load_workbook

from tests.api.stats.sim_data import local_time, score_of, scored, violations_of
from tests.support.sipuni import EMPLOYEE_EXTS

UNKNOWN_EXT = "294"  # the simulator's extension that no employee has
ROUTES = ("/stats/overview", "/stats/employees", "/stats/employees.csv", "/stats/employees.xlsx", "/stats/daily",
          "/stats/criteria", "/stats/monthly", "/stats/monthly.csv", "/stats/monthly.xlsx", "/stats/hourly",
          "/stats/hourly.csv", "/stats/hourly.xlsx")


def _get(client, headers, path):  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.get_json())
    return response.get_json() if response.is_json else response


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _xlsx(response) -> list[tuple]:  # type: ignore[no-untyped-def]
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def test_every_route_and_download_counts_only_the_extensions_calls(client, synced):
    headers, _organization, truth, users, criteria = synced
    days = sorted({local_time(call).date() for call in truth})
    window = f"from={days[0].isoformat()}&to={days[-1].isoformat()}"
    year = days[0].year
    ext = max(EMPLOYEE_EXTS, key=lambda code: sum(call["employee_ext"] == code for call in truth))
    on_ext = [call for call in truth if call["employee_ext"] == ext]
    scored_on_ext = scored(on_ext)
    assert 0 < len(on_ext) < len(truth) and scored_on_ext

    overview = _get(client, headers, f"/stats/overview?{window}&extCode={ext}")
    assert overview["extCode"] == ext
    assert (overview["calls"], overview["answered"]) == (len(on_ext), sum(call["answered"] for call in on_ext))
    assert overview["talkTimeS"] == sum(call["talk_s"] or 0 for call in on_ext)
    assert (overview["scoredCalls"], overview["violations"]) == \
        (len(scored_on_ext), sum(violations_of(call) for call in scored_on_ext))
    assert overview["avgScore"] == round(mean(score_of(call) * 10 for call in scored_on_ext), 2)

    rows = _get(client, headers, f"/stats/employees?{window}&extCode={ext}")["employees"]
    assert [(row["employeeId"], row["calls"], row["scoredCalls"]) for row in rows] == \
        [(users[ext].id, len(on_ext), len(scored_on_ext))]
    assert [line[0] for line in _csv(_get(client, headers, f"/stats/employees.csv?{window}&extCode={ext}"))[1:]] == \
        [str(users[ext].id)]
    assert [line[0] for line in _xlsx(_get(client, headers, f"/stats/employees.xlsx?{window}&extCode={ext}"))[1:]] \
        == [users[ext].id]

    daily = _get(client, headers, f"/stats/daily?{window}&extCode={ext}")["days"]
    assert sum(day["calls"] for day in daily) == len(on_ext)
    for criterion in _get(client, headers, f"/stats/criteria?{window}&extCode={ext}")["criteria"]:
        assert criterion["scoredCalls"] == len(scored_on_ext), criterion
    assert len(criteria) == 2

    months = _get(client, headers, f"/stats/monthly?year={year}&extCode={ext}")["months"]
    assert (sum(m["calls"] for m in months), sum(m["scoredCalls"] for m in months)) == (len(on_ext), len(scored_on_ext))
    assert sum(int(line[1]) for line in _csv(_get(client, headers, f"/stats/monthly.csv?year={year}&extCode={ext}"))[1:]) \
        == len(on_ext)
    assert sum(row[1] for row in _xlsx(_get(client, headers, f"/stats/monthly.xlsx?year={year}&extCode={ext}"))[1:]) \
        == len(on_ext)

    hours = _get(client, headers, f"/stats/hourly?{window}&extCode={ext}")["hours"]
    assert sum(hour["missed"] for hour in hours) == sum(not call["answered"] for call in on_ext)
    assert sum(int(line[1]) for line in _csv(_get(client, headers, f"/stats/hourly.csv?{window}&extCode={ext}"))[1:]) \
        == len(on_ext)
    assert sum(row[1] for row in _xlsx(_get(client, headers, f"/stats/hourly.xlsx?{window}&extCode={ext}"))[1:]) \
        == len(on_ext)

    # An extension nobody has: its calls are counted, nobody's row shows them, nothing was scored.
    unknown = [call for call in truth if call["employee_ext"] == UNKNOWN_EXT]
    nobody = _get(client, headers, f"/stats/overview?{window}&extCode={UNKNOWN_EXT}")
    assert (nobody["calls"], nobody["scoredCalls"], nobody["avgScore"]) == (len(unknown), 0, None) and unknown
    assert _get(client, headers, f"/stats/employees?{window}&extCode={UNKNOWN_EXT}")["employees"] == []
    # An empty extCode is no filter.
    assert _get(client, headers, f"/stats/overview?{window}&extCode=")["calls"] == len(truth)


def test_an_employee_filtering_by_an_extension_still_sees_only_their_own(client, synced, auth_headers):
    _headers, _organization, truth, users, _criteria = synced
    days = sorted({local_time(call).date() for call in truth})
    window = f"from={days[0].isoformat()}&to={days[-1].isoformat()}"
    own, other = EMPLOYEE_EXTS[0], EMPLOYEE_EXTS[1]
    employee = auth_headers(user=users[own])
    assert _get(client, employee, f"/stats/overview?{window}&extCode={other}")["calls"] == 0
    mine = _get(client, employee, f"/stats/overview?{window}&extCode={own}")
    assert mine["calls"] == _get(client, employee, f"/stats/overview?{window}")["calls"] == \
        sum(call["employee_ext"] == own for call in truth)


@pytest.mark.parametrize("value", ["abc", "1", "1234567", "20 1", "-201", "=1+1"])
def test_a_bad_extension_is_a_400_naming_extcode_on_every_route(client, auth_headers, value):
    headers = auth_headers("EMPLOYEE")
    for path in ROUTES:
        response = client.get(path, headers=headers, query_string={"extCode": value})
        assert response.status_code == 400, (path, value)
        assert "extCode" in response.get_json()["errors"], (path, response.get_json())
