"""Migration 0013 (HEMIS per organization): the rows and runs synced from the deployment's one
HEMIS go to the organization it served, nothing is lost, keys become unique per organization; with
no organization at all, one is created to hold them; the downgrade refuses to mix organizations."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from tests.conftest import alembic_config
from tests.support.services import database_url_for_tests, recreate_database

NOW = "2026-01-05 01:00:00+00:00"
BEFORE, AFTER = "0012_teams", "0013_hemis_tenants"


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "postgresql":
        url = database_url_for_tests() + "_hemis_tenants"
        recreate_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'hemis-tenants.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, BEFORE)
    engine = create_engine(url)
    yield engine, config
    engine.dispose()


def _seed_hemis(connection) -> None:  # type: ignore[no-untyped-def]
    for key, person in (("m1", "p1"), ("m2", "p1"), ("person:p2", "p2")):  # p1 studies twice
        connection.execute(text(
            "INSERT INTO students (enrolment_key, hemis_id, raw, is_active, synced_at, created_at) "
            f"VALUES (:key, :person, '{{}}', true, '{NOW}', '{NOW}')"), {"key": key, "person": person})
    connection.execute(text("INSERT INTO employees (meta_id, hemis_id, raw, is_active, synced_at, created_at) "
                            f"VALUES ('e1', 'x1', '{{}}', true, '{NOW}', '{NOW}')"))
    for run_id, kind in (("run-students", "hemis_students"), ("run-one", "hemis_student"), ("run-calls", "sipuni_step2")):
        connection.execute(text("INSERT INTO sync_runs (id, kind, status, started_at, total, processed, skipped, failed, "
                                f"errors, stats) VALUES (:id, :kind, 'completed', '{NOW}', 0, 0, 0, 0, '[]', '{{}}')"),
                           {"id": run_id, "kind": kind})


def _owners(connection, table: str) -> set:  # type: ignore[no-untyped-def]
    return set(connection.execute(text(f"SELECT organization_id FROM {table}")).scalars())


def test_rows_and_runs_go_to_the_organization_the_hemis_served_and_stay_unique_per_organization(database):
    engine, config = database
    with engine.begin() as connection:
        for org_id in (2, 5):  # the first (lowest id) organization held the deployment's HEMIS
            connection.execute(text(f"INSERT INTO organizations (id, name, created_at) VALUES ({org_id}, 'O', '{NOW}')"))
        _seed_hemis(connection)
    command.upgrade(config, AFTER)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM students")).scalar() == 3
        assert _owners(connection, "students") == _owners(connection, "employees") == {2}
        runs = dict(connection.execute(text("SELECT id, organization_id FROM sync_runs")).all())
        assert runs == {"run-students": 2, "run-one": 2, "run-calls": None}  # only HEMIS runs move
        # The same enrolment key may now exist once per organization, not twice in one.
        connection.execute(text("INSERT INTO students (organization_id, enrolment_key, hemis_id, raw, is_active, "
                                f"synced_at, created_at) VALUES (5, 'm1', 'p1', '{{}}', true, '{NOW}', '{NOW}')"))
    with pytest.raises(Exception), engine.begin() as connection:
        connection.execute(text("INSERT INTO students (organization_id, enrolment_key, hemis_id, raw, is_active, "
                                f"synced_at, created_at) VALUES (5, 'm1', 'p1', '{{}}', true, '{NOW}', '{NOW}')"))
    with pytest.raises(RuntimeError, match="2 organizations"):  # one table again would mix them
        command.downgrade(config, BEFORE)


def test_rows_without_any_organization_get_one_and_the_downgrade_restores_them(database):
    engine, config = database
    with engine.begin() as connection:
        _seed_hemis(connection)
    command.upgrade(config, AFTER)
    with engine.begin() as connection:
        holder = connection.execute(text("SELECT id, name FROM organizations")).one()
        assert holder.name == "HEMIS" and _owners(connection, "students") == {holder.id}
        assert connection.execute(text("SELECT count(*) FROM hemis_departments")).scalar() == 0
    command.downgrade(config, BEFORE)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM students")).scalar() == 3
    command.upgrade(config, AFTER)
