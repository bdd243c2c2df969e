"""API: Scrutiny visits, safeguarding conversations and practitioner forums."""

from feedback.api.auth import make_blueprint

bp = make_blueprint(
    "api_visits",
    __name__,
    "/api/v1",
    "Scrutiny visits, safeguarding conversations and practitioner forums.",
)
