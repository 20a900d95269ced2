"""Fixtures over real services: PostgreSQL, Redis and Celery worker processes.

State is isolated per test: every table is emptied and the Redis test DB cleared before each test
that asks for `settings` (and so for `app`, `client`, `worker`...).
Upstream services (HEMIS, Sipuni, STT, LLM) are the only things simulated; their URLs point at
ports reserved here, where the feature tests start the simulators.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from celery import Celery
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.db import make_engine, make_session_factory, session_scope
from shared.models import Organization, User
from simulators.hemis.control import SimulatorControl
from shared.redis_client import make_redis
from shared.settings import ENV_TEST, Settings
from tests.support.services import (
    database_url_for_tests,
    free_port,
    recreate_database,
    redis_url_for_tests,
    reset_redis,
    truncate_all,
)
from tests.support.workers import PROJECT_ROOT, WorkerProcess, start_beat, start_worker

TEST_TASK_TIME_LIMIT_S = 30
TEST_VISIBILITY_TIMEOUT_S = 40
# Crash recovery at test speed: sweeps every second, a unit or worker silent 3 s is presumed dead.
TEST_RECOVERY = {"recovery_sweep_interval_s": 1, "recovery_lease_s": 3, "recovery_worker_alive_s": 3,
                 "recovery_queued_grace_s": 15}
TEST_PASSWORD = "correct-horse-battery"


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    database_url = database_url_for_tests()
    recreate_database(database_url)
    command.upgrade(alembic_config(database_url), "head")
    return Settings(
        navai_env=ENV_TEST,
        database_url=database_url,
        redis_url=redis_url_for_tests(),
        jwt_secret_key=secrets.token_urlsafe(32),
        webhook_api_key=secrets.token_urlsafe(24),
        data_dir=str(tmp_path_factory.mktemp("data")),
        hemis_api_url=f"http://127.0.0.1:{free_port()}",
        hemis_bearer_token=secrets.token_urlsafe(24),
        hemis_rate_limit=0,
        hemis_page_size=50,  # tests page at 50 (not the default 200), so a few hundred records make many pages
        sipuni_api_url=f"http://127.0.0.1:{free_port()}/api",
        sipuni_user="012345",
        sipuni_secret="0." + secrets.token_hex(6),
        sipuni_rate_limit=0,
        celery_task_time_limit_s=TEST_TASK_TIME_LIMIT_S,
        celery_visibility_timeout_s=TEST_VISIBILITY_TIMEOUT_S,
        **TEST_RECOVERY,
    ).checked()


@pytest.fixture(scope="session")
def engine(session_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(session_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_client(session_settings: Settings):  # type: ignore[no-untyped-def]
    return make_redis(session_settings.redis_url)


@pytest.fixture
def settings(session_settings: Settings, engine: Engine, redis_client) -> Settings:  # type: ignore[no-untyped-def]
    """The test settings, with the database, Redis and data directory emptied first."""
    truncate_all(engine)
    reset_redis(redis_client)
    data_dir = Path(session_settings.data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    return session_settings


@pytest.fixture
def db(settings: Settings, engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        yield session


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["navai"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def celery_app(session_settings: Settings) -> Celery:
    from workers import create_celery

    return create_celery(session_settings)


@pytest.fixture(scope="session")
def worker_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-logs")


@pytest.fixture(scope="session")
def session_worker(session_settings: Settings, worker_log_dir: Path) -> Iterator[WorkerProcess]:
    worker = start_worker(session_settings, worker_log_dir, "test-main", concurrency=2)
    yield worker
    worker.stop()


@pytest.fixture
def worker(settings: Settings, session_worker: WorkerProcess) -> WorkerProcess:
    """A running Celery worker process serving every queue, on clean state."""
    if session_worker.process.poll() is not None:
        raise RuntimeError(f"the session worker died:\n{session_worker.log()}")
    return session_worker


@pytest.fixture
def extra_workers(session_settings: Settings, worker_log_dir: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start more worker processes in a test; all are stopped at its end."""
    started: list[WorkerProcess] = []

    def start(name: str, **kwargs: object) -> WorkerProcess:
        worker = start_worker(kwargs.pop("settings", session_settings), worker_log_dir,  # type: ignore[arg-type]
                              f"{name}-{secrets.token_hex(3)}", **kwargs)  # type: ignore[arg-type]
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def beat(settings: Settings, worker_log_dir: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start a beat process in a test (recovery sweeps every second); stopped at its end."""
    started: list[WorkerProcess] = []

    def start(settings_for_beat: Settings | None = None) -> WorkerProcess:
        process = start_beat(settings_for_beat or settings, worker_log_dir, f"beat-{secrets.token_hex(3)}")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    """Create a user (and its organization, unless one is given) with TEST_PASSWORD."""
    from api.auth.routes import hash_password

    counter = iter(range(1, 10_000))

    def make(role: str = "ADMIN", organization: Organization | None = None, ext_code: str | None = None,
             email: str | None = None) -> User:
        number = next(counter)
        if organization is None and role != "SUPERADMIN":
            organization = Organization(name=f"Org {number}")
            db.add(organization)
            db.flush()
        user = User(email=email or f"user{number}-{secrets.token_hex(3)}@example.test",
                    password_hash=hash_password(TEST_PASSWORD), role=role,
                    organization_id=organization.id if organization else None, ext_code=ext_code)
        db.add(user)
        db.commit()
        return user

    return make


@pytest.fixture
def auth_headers(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """Log in through the API and return the Authorization header for a user of `role`."""

    def headers(role: str = "ADMIN", user: User | None = None, **kwargs: object) -> dict[str, str]:
        user = user or make_user(role=role, **kwargs)
        response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return headers


def settings_with(settings: Settings, **changes: object) -> Settings:
    return settings.replace(**changes)


@pytest.fixture
def hemis_org(db: Session, settings: Settings) -> Organization:
    """An organization with its own HEMIS: the session's simulator (`settings.hemis_api_url`). Its id
    is one no other test's organization had (`own_hemis_organization_id`: workers cache HEMIS by id)."""
    from tests.support.hemis import own_hemis_organization_id

    organization = Organization(id=own_hemis_organization_id(), name="University",
                                hemis_url=settings.hemis_api_url, hemis_token=settings.hemis_bearer_token)
    db.add(organization)
    db.commit()
    return organization


@pytest.fixture
def hemis(settings: Settings) -> SimulatorControl:
    """The session's HEMIS simulator, emptied: no data, instance, fault or latency (`fresh_simulator`)."""
    from tests.support.hemis import fresh_simulator

    return fresh_simulator(settings)
