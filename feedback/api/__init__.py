"""The JSON API under /api/v1: bearer tokens, one error shape, a generated OpenAPI document."""

from flask import Flask
from flask_smorest import Api

from feedback.api.errors import error_response, is_api_request
from feedback.api.schemas import ErrorSchema
from feedback.services import NotFound, ServiceError


class FeedbackApi(Api):
    """flask-smorest's Api with our error shape, documented from the schema that builds it."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # feedback.web.errors handles every HTTP error, for pages and the API alike.
        pass


api = FeedbackApi()


def init_app(app: Flask) -> None:
    """Register the API's blueprints and its handler for refused domain requests."""
    from feedback.api import (
        agencies,
        analysis,
        campaigns,
        instruments,
        people,
        records,
        themes,
        training,
        visits,
        voice,
    )
    from feedback.extensions import csrf

    api.init_app(app)
    modules = (agencies, people, instruments, campaigns, training, analysis)
    for module in (*modules, visits, voice, themes, records):
        csrf.exempt(module.bp)  # token-authenticated, never cookie-authenticated
        api.register_blueprint(module.bp)

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):  # noqa: ANN202
        if not is_api_request():
            raise error
        status = 404 if isinstance(error, NotFound) else 422
        details = getattr(error, "details", None) or [
            {"path": error.field or "", "message": error.message}
        ]
        return error_response(status, error.message, details)
