"""The fuzz test's edge cases reach what random generation misses (issue #18, point 5): both days of a
statistics window at once at the edge of the calendar, with nothing else wrong in the request."""

from __future__ import annotations

import pytest

from tests.api.openapi import extremes

IDS = {"call_id": 7, "organization_id": 3}


@pytest.fixture
def document(client):  # type: ignore[no-untyped-def]
    return client.get("/openapi.json").get_json()


def _cases(document, path, method="get"):  # type: ignore[no-untyped-def]
    return list(extremes.cases(document["paths"][path][method], document["components"]["schemas"], IDS))


def test_a_window_gets_both_days_at_each_edge_and_nothing_else_wrong(document):
    queries = [case["query"] for case in _cases(document, "/stats/overview")]
    for day in extremes.DAYS:
        assert {"from": day, "to": day} in queries  # organizationId left out: it is optional
    # Every integer parameter at the edge at once (the team filters of issue 19 are integers too).
    huge = str(2**63)
    assert {"organizationId": huge, "departmentId": huge, "branchId": huge} in queries


def test_a_header_meets_huge_byte_ranges_on_the_worlds_call(document):
    cases = _cases(document, "/calls/{call_id}/recording")
    ranges = [case for case in cases if case["headers"]]
    assert {case["headers"]["Range"] for case in ranges} == set(extremes.HEADER_VALUES)
    assert all(case["path_parameters"] == {"call_id": 7} and case["query"] == {} for case in ranges)
    assert {"call_id": str(10**30)} in [case["path_parameters"] for case in cases]


def test_a_body_keeps_its_required_fields_plain_while_one_kind_is_extreme(document):
    bodies = [case["body"] for case in _cases(document, "/criteria", "post")]
    assert {"name": "fuzz@fuzz.test", "weight": 1e308} in bodies
    assert any(body.get("name") == extremes.LONG_DIGITS for body in bodies)
    webhook = [case["body"] for case in _cases(document, "/sipuni-integration", "post")]
    assert {"from": "31.12.9999", "to": "31.12.9999", "organizationId": 1} in webhook
