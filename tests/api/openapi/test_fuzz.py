"""Schemathesis fuzzes every operation of /openapi.json as ADMIN, MANAGER, EMPLOYEE and without a
token (issue #12, point 9; issue #18, point 6): no 5xx, and status codes, content types and bodies
as documented. Every route of the app is an operation of the document (`test_declarations.py`), so
every route is fuzzed: the statistics exports, the recording with its `Range` header, the webhook,
the pages, `/metrics`.

Each operation gets a fixed, small example budget (`EXAMPLES_PER_OPERATION`) of inputs that fit the
document and as many that do not, with a fixed seed, so the run is deterministic. Every example is
sent four times, once per caller, so the same inputs meet each role. Inputs that fit the document
aim their integer ids at the world's objects (`world.FuzzWorld`), so they get past "404 no such
call" into the code that reads bodies and headers; inputs that do not fit keep whatever was made.
Then every operation meets its edge cases (`extremes.py`): each kind of input in turn at the edges
of what the system can represent (year 1 and 9999, 2**63, 5,000 digits, NUL, huge byte ranges).
Besides the documented answers, a 400 from the database's safety net (a value that reached
PostgreSQL unchecked, answered without naming its field) is a failure too.

Isolation: the fuzzed app works on a database and a data directory of its own (`conftest.py`) and
publishes to an in-memory broker (no sync it starts runs anywhere); its state is the fuzz test's
own world, rebuilt after every operation that changed it and emptied at the end (see `world.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask_jwt_extended import create_access_token
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from api.http.errors import VALUE_REFUSED_BY_DATABASE
from tests.api.openapi import extremes
from tests.api.openapi.world import FuzzWorld

EXAMPLES_PER_OPERATION = 20  # per generation mode (positive, negative)
# /health answers 503 by design when no worker answers its ping (none runs here): documented, not a fault.
DOCUMENTED_UNAVAILABLE = {("GET", "/health")}
# Schemathesis leaves out the operation that serves the schema it reads; this test reads it too.
SCHEMA_OPERATION = "GET /openapi.json"
WEBHOOK_KEY_HEADER = "X-API-Key"
# Generated credentials are replaced by each caller's own.
CREDENTIAL_HEADERS = frozenset({"authorization", WEBHOOK_KEY_HEADER.lower()})

Headers = Callable[[], dict[str, str]]
# What a failing case raises: schemathesis' FailureGroup is a BaseExceptionGroup, not an Exception.
FAILURES = (Exception, BaseExceptionGroup)


def no_server_error(ctx, response, case):  # type: ignore[no-untyped-def]
    if response.status_code >= 500 and (case.method.upper(), case.path) not in DOCUMENTED_UNAVAILABLE:
        raise AssertionError(f"{case.method} {case.formatted_path} answered {response.status_code}: "
                             f"{response.text[:300]}")
    return None


def no_validation_gap(ctx, response, case):  # type: ignore[no-untyped-def]
    """A value the database refused is answered 400 by a safety net that names no field: the input
    should have been refused, naming its field, before it reached the database."""
    if response.status_code == 400 and VALUE_REFUSED_BY_DATABASE in response.text:
        raise AssertionError(f"{case.method} {case.formatted_path}: a value reached the database unchecked "
                             f"(query {case.query}, body {str(case.body)[:200]})")
    return None


CHECKS = [no_server_error, no_validation_gap, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def world(fuzz_app: Flask, fuzz_engine, redis_client, fuzz_settings):  # type: ignore[no-untyped-def]
    world = FuzzWorld(fuzz_engine, redis_client, fuzz_settings)
    yield world
    world.clear()  # as if the test had not run


@pytest.fixture
def callers(fuzz_app: Flask, world: FuzzWorld, fuzz_settings) -> dict[str, Headers]:  # type: ignore[no-untyped-def]
    """Header makers per caller. Each request gets a freshly minted token (as /auth/login issues),
    since the fuzzed POST /auth/logout revokes the token it is sent with. The signed-in callers
    also carry the deployment's webhook key, as the telephony would, so that the webhook's body is
    fuzzed too and not only its refusal."""

    def bearer(user_id: int) -> Headers:
        def headers() -> dict[str, str]:
            with fuzz_app.app_context():
                token = create_access_token(identity=str(user_id))
            return {"Authorization": f"Bearer {token}", WEBHOOK_KEY_HEADER: fuzz_settings.webhook_api_key}
        return headers

    seeded = world.seeded
    return {"ADMIN": bearer(seeded.admin_id), "MANAGER": bearer(seeded.manager_id),
            "EMPLOYEE": bearer(seeded.employee_id), "anonymous": dict}


def test_no_operation_answers_5xx_or_off_the_document(fuzz_app, world, callers, engine):  # type: ignore[no-untyped-def]
    # Driven from Python rather than schemathesis' pytest plugin, whose lazy fixtures do not run
    # on pytest 9.2: one Hypothesis run per operation, failures collected and reported together.
    suite_rows_before = _rows(engine)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    document = fuzz_app.test_client().get("/openapi.json").get_json()
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert {op.label for op in operations} == documented - {SCHEMA_OPERATION}
    requests: Counter[str] = Counter()
    failures = []
    for operation in operations:
        for mode in GenerationMode:  # inputs that fit the document, and inputs that do not
            world.reset_if_changed()
            try:
                _fuzz(operation, mode, callers, world, requests)
            except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
                assert mode == GenerationMode.NEGATIVE, operation.label
            except FAILURES as exc:  # every failure is reported below, with its operation
                failures.append(f"{operation.label} ({mode.value}): {type(exc).__name__}: {str(exc)[:1500]}")
        spec = document["paths"][operation.path][operation.method.lower()]
        for inputs in extremes.cases(spec, document["components"]["schemas"], world.seeded.path_ids()):
            world.reset_if_changed()
            try:
                _send(operation, operation.Case(**inputs), callers, world, requests)
            except FAILURES as exc:  # as above
                failures.append(f"{operation.label} (extremes {_shown(inputs)}): {type(exc).__name__}: "
                                f"{str(exc)[:1500]}")
    print(f"fuzzed {len(operations)} operations with {sum(requests.values())} requests")  # shown with -s
    assert not failures, "\n\n".join(failures)
    assert set(requests) == {op.label for op in operations}, "every operation was sent requests"
    assert _rows(engine) == suite_rows_before, "the fuzzing wrote into the suite's own database"


def _fuzz(operation, mode: GenerationMode, callers: dict[str, Headers], world: FuzzWorld,  # type: ignore[no-untyped-def]
          requests: Counter[str]) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    if mode == GenerationMode.POSITIVE:
        strategy = strategy.map(lambda case: _aimed_at_the_world(case, world.seeded.path_ids()))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        _send(operation, case, callers, world, requests)

    run()


def _send(operation, case, callers: dict[str, Headers], world: FuzzWorld,  # type: ignore[no-untyped-def]
          requests: Counter[str]) -> None:
    """The case once per caller, with that caller's credentials instead of generated ones."""
    generated = {name: value for name, value in (case.headers or {}).items()
                 if name.lower() not in CREDENTIAL_HEADERS}
    for headers in callers.values():
        case.headers = {**generated, **headers()}
        requests[operation.label] += 1
        response = case.call()
        world.note(case.method, response.status_code)
        case.validate_response(response, checks=CHECKS)


def _aimed_at_the_world(case, ids: dict[str, int]):  # type: ignore[no-untyped-def]
    for name in case.path_parameters or {}:
        if name in ids:
            case.path_parameters[name] = ids[name]
    return case


def _shown(inputs: dict[str, Any]) -> str:
    """A case's inputs for a failure message, long values cut."""
    return repr({key: value for key, value in inputs.items() if value})[:300]


def _rows(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table of the suite's test database."""
    with engine.connect() as connection:
        tables = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in tables}
