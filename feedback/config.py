"""Settings read from the environment when the app is made, with defaults for a fresh machine."""

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict[str, Any]:
    """Everything the app reads at start-up; production sets these in the environment."""
    env = os.environ.get
    debug = _bool("FLASK_DEBUG", False)
    dist = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
    return {
        "SECRET_KEY": env("SECRET_KEY", "dev-only-not-secret"),
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL", f"sqlite:///{INSTANCE / 'feedback.db'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DEBUG": debug,
        # Sessions: HttpOnly always, SameSite=Lax, Secure unless we are in local debug.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", not debug),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        "MAIL_SERVER": env("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env("MAIL_PORT", "1025")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "no-reply@frontline.invalid"),
        # The address respondents' links start with, as they reach the service from outside.
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Messages claimed by a dispatcher that died are taken over after this many seconds.
        "OUTBOX_CLAIM_TIMEOUT_SECONDS": int(env("OUTBOX_CLAIM_TIMEOUT_SECONDS", "300")),
        "OUTBOX_BATCH_SIZE": int(env("OUTBOX_BATCH_SIZE", "200")),
        # The Maildir the development mail catcher writes to; unset in production.
        "MAIL_CATCHER_DIR": env("MAIL_CATCHER_DIR"),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        # How many reverse proxies stand in front of the app; their X-Forwarded-For is then
        # trusted, so rate limits see each visitor's address rather than the proxy's.
        "PROXY_FIX_HOPS": int(env("PROXY_FIX_HOPS", "0")),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sign-in attempts allowed from one address.
        "SIGN_IN_RATE_LIMIT": env("SIGN_IN_RATE_LIMIT", "10 per minute"),
        # Account lockout: this many failed sign-ins within the window lock the account for
        # SIGN_IN_LOCKOUT_MINUTES (an admin can unlock it sooner from the accounts page).
        "SIGN_IN_LOCKOUT_ATTEMPTS": int(env("SIGN_IN_LOCKOUT_ATTEMPTS", "5")),
        "SIGN_IN_LOCKOUT_WINDOW_MINUTES": int(env("SIGN_IN_LOCKOUT_WINDOW_MINUTES", "15")),
        "SIGN_IN_LOCKOUT_MINUTES": int(env("SIGN_IN_LOCKOUT_MINUTES", "15")),
        # Where `flask --app wsgi backup` writes when no --output is given.
        "BACKUP_DIR": env("BACKUP_DIR", str(INSTANCE / "backups")),
        # Where GOV.UK Frontend's built files are after `npm ci`.
        "GOVUK_FRONTEND_DIST": env("GOVUK_FRONTEND_DIST", str(dist)),
        # flask-smorest: the OpenAPI document is generated from the schemas the API validates with.
        "API_TITLE": "Front-line Intelligence API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "info": {
                "description": "JSON API for a Safeguarding Children Partnership's front-line "
                "intelligence. Send `Authorization: Bearer <token>`; an admin makes a token "
                "with `flask --app wsgi users token EMAIL`."
            },
        },
        "SCHEDULER_INTERVAL_SECONDS": int(env("SCHEDULER_INTERVAL_SECONDS", "5")),
    }
