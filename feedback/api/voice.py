"""API: Child and family voice records."""

from feedback.api.auth import make_blueprint

bp = make_blueprint("api_voice", __name__, "/api/v1", "Child and family voice records.")
