"""API: Audits, reviews, tracked actions, theme links, evidence and the Learning Needs Analysis."""

from feedback.api.auth import make_blueprint

bp = make_blueprint(
    "api_records",
    __name__,
    "/api/v1",
    "Audits, reviews, tracked actions, theme links, evidence and the Learning Needs Analysis.",
)
