"""Error responses: a friendly page for people, one JSON shape for API clients."""

import logging

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError

from feedback.api.errors import error_response, is_api_request

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Go back and try again."),
    403: (
        "You do not have access to this page",
        "Your account's role does not include this page. Ask the partnership team if you "
        "need access.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you "
        "pasted the web address, check you copied the entire address.",
    ),
    405: ("Sorry, that cannot be done here", "Go back and try again."),
    413: ("The file is too large", "Files must be smaller than 10 MB."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you entered has been saved twice or half-saved.",
    ),
    503: ("Sorry, the service is unavailable", "Try again later."),
}

#: Seconds a client is asked to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_SECONDS = 60
UNAVAILABLE_API_MESSAGE = (
    "The service is unavailable: its database is not accepting requests at the moment. "
    "Nothing was changed. Try again in a minute."
)

#: SQLite result codes (sqlite3's sqlite_errorname) meaning the database cannot take the
#: request now: read-only file, full disk, I/O failure, locked past the busy timeout.
SQLITE_UNAVAILABLE = (
    "SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY",
    "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_NOMEM", "SQLITE_PROTOCOL",
)  # fmt: skip
#: PostgreSQL SQLSTATE classes and codes with the same meaning: 08 connection lost or refused,
#: 53 out of disk, memory or connections, 57 administrator shutdown or terminated backend,
#: 25006 a read-only transaction (a standby, or default_transaction_read_only), 55P03 a lock
#: wait that timed out.
PG_UNAVAILABLE_CLASSES = ("08", "53", "57")
PG_UNAVAILABLE_CODES = ("25006", "55P03")
#: Words that say the same when a driver gives no code.
UNAVAILABLE_WORDS = (
    "readonly", "read-only", "disk", "database is locked", "unable to open", "no space",
    "server closed the connection", "terminating connection", "could not connect",
    "connection refused",
)  # fmt: skip


def database_unavailable(error: sa.exc.DBAPIError) -> bool:
    """Whether a database error means "cannot serve this now" (503), not a bug (500)."""
    if error.connection_invalidated:
        return True
    orig = error.orig
    sqlite_name = getattr(orig, "sqlite_errorname", None)
    if sqlite_name:
        return sqlite_name.startswith(SQLITE_UNAVAILABLE)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return sqlstate[:2] in PG_UNAVAILABLE_CLASSES or sqlstate in PG_UNAVAILABLE_CODES
    text = str(orig).lower()
    return any(word in text for word in UNAVAILABLE_WORDS)


def render_error(error: HTTPException):  # noqa: ANN201 - a Flask response tuple
    from flask import render_template

    code = error.code or 500
    if is_api_request():
        return error_response(code, exc=error)
    title, message = MESSAGES.get(code, (error.name, error.description or ""))
    return render_template("errors/error.html", code=code, title=title, message=message), code


def render_unavailable():  # noqa: ANN201 - a Flask response
    """The 503 page, rendered without touching the database (no signed-in user, no navigation).

    Rendering through render_template would run the layout's context processors, which load
    the user's partnership: the very database that just failed.
    """
    from flask import make_response

    from feedback.security import csp_nonce
    from feedback.web.layout import SERVICE_NAME

    if is_api_request():
        response, _ = error_response(503, UNAVAILABLE_API_MESSAGE)
    else:
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        page = template.render(
            title=MESSAGES[503][0],
            service_name=SERVICE_NAME,
            partnership_name=None,
            navigation_items=[],
            cspNonce=csp_nonce(),
        )
        response = make_response(page, 503)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):  # noqa: ANN202
        return render_error(error)

    @app.errorhandler(sa.exc.DBAPIError)
    def handle_database(error: sa.exc.DBAPIError):  # noqa: ANN202
        if not database_unavailable(error):
            return handle_unexpected(error)
        from feedback.extensions import db

        try:
            db.session.rollback()  # nothing half-written; the connection goes back clean
        except Exception:  # the connection may be gone altogether; teardown discards it
            log.debug("Rollback after a database failure failed too", exc_info=True)
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        # The driver's own message only: the statement and its parameters may hold answers.
        reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        log.error(
            "Database unavailable on %s %s: %s: %s",
            request.method,
            rule,
            type(error.orig).__name__,
            reason[:200],
        )
        return render_unavailable()

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):  # noqa: ANN202
        # The stack trace goes to the log, never to the user.
        user = current_user.get_id() if current_user else None
        # The route pattern, not the path: respondent paths carry tokens that must not be logged.
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        log.exception("Unhandled error on %s %s (user %s)", request.method, rule, user)
        return render_error(InternalServerError())
