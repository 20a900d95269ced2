"""The HTTP API: validates requests, enqueues Celery tasks, answers with task and run ids.

`flask --app api run` and `gunicorn 'api:create_app()'` call `create_app()` with no argument,
which reads the settings from the environment; tests pass their own `Settings`. The API imports
no task module: it publishes tasks by name (`shared.catalog`) through the start paths of `shared`.
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.settings import Settings

MAX_REQUEST_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (default: from the environment)."""
    from api.auth.routes import init_jwt
    from api.auth.throttle import init_login_throttle
    from api.http import security_headers
    from api.http.errors import register_error_handlers
    from api.http.input_guards import install_input_guards
    from api.http.services import EXTENSION_KEY, make_celery_client
    from api.sipuni.startup import init_sipuni
    from shared.logs import configure_api_logging
    from shared.services import Services

    settings = (settings or Settings.from_env()).with_api_secrets()
    configure_api_logging(settings)
    app = Flask(__name__)
    if settings.trusted_proxies:
        # The client address (login throttle, logs) from X-Forwarded-For, believed for that many hops only.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    install_input_guards(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.extensions[EXTENSION_KEY] = Services(settings, celery=make_celery_client(settings))
    init_jwt(app)
    init_login_throttle(app, settings.redis_target)
    init_sipuni(app, settings)  # the webhook-key throttle; WEBHOOK_API_KEY's deprecation
    register_error_handlers(app)
    security_headers.init_app(app)
    register_blueprints(app)
    register_commands(app)
    if settings.secrets_generated:
        logging.getLogger(__name__).warning(
            "no %s set: using a random one for this process only", ", ".join(settings.secrets_generated))
    return app


def register_blueprints(app: Flask) -> None:
    """Every route of the API, feature by feature."""
    from api.auth.routes import bp as auth
    from api.calls.recording import bp as recording
    from api.calls.routes import bp as calls
    from api.criteria.routes import bp as criteria
    from api.directory.routes import bp as directory
    from api.hemis.cancel import bp as hemis_cancel
    from api.hemis.check import bp as hemis_check
    from api.hemis.routes import bp as hemis
    from api.observability.health import bp as health
    from api.observability.metrics import bp as metrics
    from api.openapi.views import bp as docs
    from api.organizations.routes import bp as organizations
    from api.organizations.settings_routes import bp as organization_settings
    from api.runs.cancel import bp as run_cancel
    from api.runs.overview import bp as overview
    from api.runs.routes import bp as runs
    from api.runs.tasks import bp as tasks
    from api.sipuni.connection import bp as sipuni_connection
    from api.sipuni.routes import bp as sipuni
    from api.stats.routes import bp as stats
    from api.teams.branches import bp as branches
    from api.teams.departments import bp as departments
    from api.ui.routes import bp as ui
    from api.users.admin import bp as user_admin
    from api.users.routes import bp as users

    for blueprint in (auth, users, user_admin, organizations, organization_settings, calls, recording, criteria,
                      sipuni, hemis, stats, runs, overview, tasks, health, metrics, ui, docs):
        app.register_blueprint(blueprint)
    app.register_blueprint(sipuni_connection)
    app.register_blueprint(run_cancel)  # POST /runs/<runId>/cancel (issues 19, 20)
    app.register_blueprint(hemis_cancel)  # POST /api/hemis/cancel/<kind>
    app.register_blueprint(hemis_check)  # GET /api/hemis/check
    app.register_blueprint(branches)  # /branches (issue 19)
    app.register_blueprint(departments)  # /departments (issue 19)
    app.register_blueprint(directory)  # /students, /employees, /hemis/<list>, /stats/students (issue 20)


def register_commands(app: Flask) -> None:
    """The `flask --app api ...` command groups."""
    from api.criteria.cli import criteria_cli
    from api.hemis.cli import hemis_cli
    from api.organizations.cli import orgs_cli
    from api.runs.cli import runs_cli
    from api.sipuni.cli import sipuni_cli
    from api.users.cli import users_cli

    for group in (orgs_cli, users_cli, criteria_cli, hemis_cli, sipuni_cli, runs_cli):
        app.cli.add_command(group)
