"""Every enrolment kept (issue 20 point 3): a person HEMIS lists twice (bachelor and master) is two
rows, the end-of-run check counts list items as HEMIS's totalCount does, deactivation is per
enrolment. A real worker against the simulator, through the API."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.models import Student
from simulators.hemis.data import STUDENT_ID_BASE, STUDENT_META_BASE
from tests.support.hemis import assert_matches_simulator, wait_for_run
from workers.hemis.pages import store_items

SEED = 11
ITEMS = 230  # list items (enrolments): five pages of 50 in tests
TWICE = 3  # persons listed twice: the last 3 items are second enrolments of persons 0, 1, 2


def _run(client, headers, app) -> object:  # type: ignore[no-untyped-def]
    response = client.post("/api/hemis/sync/students", headers=headers)
    assert response.status_code == 202, response.get_json()
    return wait_for_run(app.extensions["navai"].session_factory, response.get_json()["runId"])


def _enrolments(db, person: int) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """meta_id -> is_active of every stored enrolment of simulator person `person`."""
    db.expire_all()
    rows = db.scalars(select(Student).where(Student.hemis_id == str(STUDENT_ID_BASE + person)))
    return {row.meta_id: row.is_active for row in rows}


def test_a_person_listed_twice_keeps_both_enrolments_and_the_run_completes(hemis, worker, client, auth_headers, app,
                                                                           db):
    hemis.reset(students=ITEMS, seed=SEED, duplicate_persons=TWICE)

    run = _run(client, auth_headers("ADMIN"), app)

    assert run.status == "completed", run.errors
    assert run.errors == [] and run.total == ITEMS and run.processed == ITEMS
    assert run.stats["distinctIds"] == ITEMS == run.stats["totalCount"]  # what HEMIS counts: list items
    assert_matches_simulator(db, "students", ITEMS, SEED, duplicate_persons=TWICE)  # every field of every item
    assert db.scalar(select(func.count()).select_from(Student)) == ITEMS
    assert db.scalar(select(func.count(func.distinct(Student.hemis_id)))) == ITEMS - TWICE
    second_of_person_1 = STUDENT_META_BASE + ITEMS - TWICE + 1
    assert _enrolments(db, 1) == {str(STUDENT_META_BASE + 1): True, str(second_of_person_1): True}
    master = db.scalar(select(Student).where(Student.meta_id == str(second_of_person_1)))
    assert master.education_type_code == "12" and master.student_id_number == "320000000001"


def test_an_enrolment_that_leaves_hemis_is_deactivated_and_the_persons_other_stays(hemis, worker, client,
                                                                                 auth_headers, app, db):
    hemis.reset(students=120, seed=SEED, duplicate_persons=2)
    headers = auth_headers("ADMIN")
    first_of_0, second_of_0 = str(STUDENT_META_BASE), str(STUDENT_META_BASE + 118)
    assert _run(client, headers, app).status == "completed"
    assert _enrolments(db, 0) == {first_of_0: True, second_of_0: True}

    hemis.change("students", remove=[118])  # person 0's master's enrolment ends; the bachelor's goes on
    second = _run(client, headers, app)

    assert second.status == "completed", second.errors
    assert second.total == 119 and second.stats["deactivated"] == 1
    assert _enrolments(db, 0) == {first_of_0: True, second_of_0: False}
    gone = db.scalar(select(Student).where(Student.meta_id == second_of_0))
    assert gone.deactivated_by_run_id == second.id
    assert _enrolments(db, 1) == {str(STUDENT_META_BASE + 1): True, str(STUDENT_META_BASE + 119): True}

    hemis.reset(students=120, seed=SEED, duplicate_persons=2)  # the enrolment is listed again
    assert _run(client, headers, app).status == "completed"
    assert _enrolments(db, 0) == {first_of_0: True, second_of_0: True}


def test_an_item_without_meta_id_is_keyed_by_its_person_as_before(engine, db, hemis_org):
    """An installation that sends no `meta_id`: the person's `id` keys the row (`person:<id>`), and
    the same person on a later page updates it in place."""
    org = hemis_org.id
    store_items(engine, "students", [{"id": 777, "full_name": "A"}, {"id": 778}], run_id="run-a", organization_id=org)
    store_items(engine, "students", [{"id": 777, "full_name": "B"}, {"id": 777, "meta_id": 5}], run_id="run-a",
                organization_id=org)
    rows = {row.enrolment_key: (row.hemis_id, row.meta_id, row.full_name) for row in db.scalars(select(Student))}
    assert rows == {"person:777": ("777", None, "B"), "person:778": ("778", None, None), "5": ("777", "5", None)}


def test_a_single_record_sync_stores_every_enrolment_of_the_person(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=40, seed=SEED, duplicate_persons=2)
    response = client.post("/api/hemis/sync/student", headers=auth_headers("ADMIN"),
                           json={"student_id_number": "320000000001"})  # person 1: listed twice
    assert response.status_code == 202, response.get_json()

    run = wait_for_run(app.extensions["navai"].session_factory, response.get_json()["runId"])

    assert run.status == "completed" and run.processed == 2, run.errors
    assert _enrolments(db, 1) == {str(STUDENT_META_BASE + 1): True, str(STUDENT_META_BASE + 39): True}
    assert db.scalar(select(func.count()).select_from(Student)) == 2
