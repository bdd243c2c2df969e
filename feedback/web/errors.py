"""Error responses: a friendly page for people, one JSON shape for API clients."""

import logging

from flask import Flask, request
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


def render_error(error: HTTPException):  # noqa: ANN201 - a Flask response tuple
    from flask import render_template

    code = error.code or 500
    if is_api_request():
        return error_response(code, exc=error)
    title, message = MESSAGES.get(code, (error.name, error.description or ""))
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):  # noqa: ANN202
        return render_error(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):  # noqa: ANN202
        # The stack trace goes to the log, never to the user.
        user = current_user.get_id() if current_user else None
        # The route pattern, not the path: respondent paths carry tokens that must not be logged.
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        log.exception("Unhandled error on %s %s (user %s)", request.method, rule, user)
        return render_error(InternalServerError())
