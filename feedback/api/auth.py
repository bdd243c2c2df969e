"""Bearer-token authentication and role checks for API blueprints."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_smorest import Blueprint, abort

from feedback.api.schemas import ErrorSchema
from feedback.models import Role, User
from feedback.services import accounts


def make_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """An API blueprint whose every request must carry a live bearer token."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix, description=description)

    @bp.before_request
    def authenticate() -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = accounts.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            abort(401, message="Send a valid API token: 'Authorization: Bearer <token>'")
        g.api_user = user

    return bp


def api_user() -> User:
    """The user whose token authenticated this request."""
    return g.api_user


def requires(bp: Blueprint, *roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Admit tokens of these roles (any role when none are named); documents 401 and 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if roles and api_user().role not in roles:
                allowed = ", ".join(r.value for r in roles)
                abort(403, message=f"This needs one of these roles: {allowed}")
            return view(*args, **kwargs)

        wrapped = bp.alt_response(401, schema=ErrorSchema, description="No valid bearer token")(
            wrapped
        )
        if roles:
            wrapped = bp.alt_response(
                403, schema=ErrorSchema, description="The token's role may not do this"
            )(wrapped)
        return wrapped

    return decorator
