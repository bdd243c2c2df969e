"""The Front-line Intelligence service: create_app() builds the Flask application."""

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from feedback.config import INSTANCE, ROOT, from_environment

__version__ = "0.1.0"


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, use WAL so readers never block the writer, wait on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of the process; only an OS crash or power cut can
        # lose the last commits. FULL syncs the disk on every commit, which is what the outbox
        # (a commit per message) was waiting on.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overridden by `config` (tests pass their own)."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "feedback" / "static"),
    )
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_jobs()
    return app


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, mail, CSRF, sign-in, rate limits and headers."""
    from feedback import logredact, security
    from feedback.extensions import csrf, db, limiter, login, mail, migrate

    logredact.install()
    db.init_app(app)
    from feedback.db import render_item

    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)
    login.login_view = "auth.sign_in"
    login.login_message = "Sign in to see that page."
    login.login_message_category = "info"
    security.init_app(app)

    @login.user_loader
    def load_user(user_id: str) -> Any:
        from feedback.models import User
        from feedback.services import whole_number_or_none

        number = whole_number_or_none(user_id)
        return db.session.get(User, number) if number is not None else None


def register_templates(app: Flask) -> None:
    """Our templates first, then GOV.UK Frontend's macros and WTForms widgets."""
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    from feedback.web import layout

    layout.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Pages, assets, health check and the JSON API."""
    from feedback import api
    from feedback.web import (
        admin,
        assets,
        auth,
        campaigns,
        home,
        instruments,
        lna,
        ops,
        people,
        records,
        respond,
        results,
        themes,
        training,
        training_dashboards,
        visits,
        voice,
    )

    for module in (assets, ops, auth, home, people, instruments, campaigns, admin, respond):
        app.register_blueprint(module.bp)
    app.register_blueprint(results.bp)
    for module in (training, training_dashboards, visits, voice, themes, records, lna):
        app.register_blueprint(module.bp)
    api.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for people, one JSON shape for the API."""
    from feedback.web import errors

    errors.init_app(app)


def register_jobs() -> None:
    """Import the modules whose @job functions the scheduler and `jobs run-due` run."""
    from feedback.services import (  # noqa: F401
        campaigns,
        outbox,
        privacy,
        text_analysis,
        training,
    )


def register_commands(app: Flask) -> None:
    """The `flask --app wsgi ...` commands."""
    from feedback import cli

    cli.init_app(app)
