"""Schemathesis fuzzes every operation of /openapi.json as ADMIN, EMPLOYEE and without a token
(issue #12, point 9): no 5xx, and status codes, content types and bodies as documented.

Each operation gets a fixed, small example budget (`EXAMPLES_PER_OPERATION`) of inputs that fit the
document and as many that do not, with a fixed seed, so
the run is deterministic and takes about a minute. Every example is sent three times, once per
caller, so the same inputs meet each role.
"""

from __future__ import annotations

import pytest
from flask_jwt_extended import create_access_token
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 8  # per generation mode (positive, negative)
# /health answers 503 by design when no worker answers its ping (none runs here): documented, not a fault.
DOCUMENTED_UNAVAILABLE = {("GET", "/health")}


def no_server_error(ctx, response, case):  # type: ignore[no-untyped-def]
    if response.status_code >= 500 and (case.method.upper(), case.path) not in DOCUMENTED_UNAVAILABLE:
        raise AssertionError(f"{case.method} {case.formatted_path} answered {response.status_code}: "
                             f"{response.text[:300]}")
    return None


CHECKS = [no_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def callers(app, make_user):  # type: ignore[no-untyped-def]
    """Header makers per caller. Each request gets a freshly minted token (as /auth/login issues),
    since the fuzzed POST /auth/logout revokes the token it is sent with."""
    admin = make_user("ADMIN")
    employee = make_user("EMPLOYEE", organization=admin.organization)

    def bearer(user_id: int):  # type: ignore[no-untyped-def]
        def headers() -> dict[str, str]:
            with app.app_context():
                return {"Authorization": f"Bearer {create_access_token(identity=str(user_id))}"}
        return headers

    return {"ADMIN": bearer(admin.id), "EMPLOYEE": bearer(employee.id), "anonymous": dict}


def test_no_operation_answers_5xx_or_off_the_document(app, callers):  # type: ignore[no-untyped-def]
    # Driven from Python rather than schemathesis' pytest plugin, whose lazy fixtures do not run
    # on pytest 9.2: one Hypothesis run per operation, failures collected and reported together.
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:
        for mode in GenerationMode:  # inputs that fit the document, and inputs that do not
            try:
                _fuzz(operation, mode, callers)
            except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
                assert mode == GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # noqa: BLE001 - every failure is reported below, with its operation
                failures.append(f"{operation.label} ({mode.value}): {type(exc).__name__}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation, mode: GenerationMode, callers) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        generated = {name: value for name, value in (case.headers or {}).items() if name.lower() != "authorization"}
        for headers in callers.values():
            case.headers = {**generated, **headers()}
            case.validate_response(case.call(), checks=CHECKS)

    run()
