"""The HTTP API: validates requests, enqueues Celery tasks, answers with task and run ids.

`flask --app api run` and `gunicorn 'api:create_app()'` call `create_app()` with no argument,
which reads the settings from the environment; tests pass their own `Settings`.
"""

from __future__ import annotations

import logging

from flask import Flask

from shared.settings import Settings

BLUEPRINT_MODULES = ("api.auth", "api.users", "api.tasks", "api.health", "api.runs", "api.calls", "api.recordings",
                     "api.criteria", "api.sipuni", "api.hemis", "api.stats",
                     "api.user_admin", "api.organizations", "api.org_settings",
                     "api.metrics", "api.runs_list", "api.ui", "api.openapi.views")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (default: from the environment)."""
    from api.auth import init_jwt
    from api.cli import register_cli
    from api.errors import register_error_handlers
    from api.input_guards import install_input_guards
    from api.login_throttle import init_login_throttle
    from api.services import EXTENSION_KEY, Services
    from shared.db import make_engine, make_session_factory
    from shared.progress import ProgressStore
    from shared.redis_client import make_redis
    from shared.storage import make_storage
    from workers import create_celery

    from shared.logs import configure_api_logging

    settings = (settings or Settings.from_env()).with_api_secrets()
    configure_api_logging(settings)
    app = Flask(__name__)
    install_input_guards(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    engine = make_engine(settings.database_url)
    redis_client = make_redis(settings.redis_url)
    app.extensions[EXTENSION_KEY] = Services(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        redis=redis_client,
        progress=ProgressStore(redis_client),
        celery=create_celery(settings),
        storage=make_storage(settings),
    )
    init_jwt(app)
    init_login_throttle(app, settings.redis_url)
    register_error_handlers(app)
    for module_name in BLUEPRINT_MODULES:
        module = __import__(module_name, fromlist=["bp"])
        app.register_blueprint(module.bp)
    register_cli(app)
    if settings.secrets_generated:
        logging.getLogger(__name__).warning(
            "no %s set: using a random one for this process only", ", ".join(settings.secrets_generated))
    return app


MAX_REQUEST_BYTES = 1024 * 1024
