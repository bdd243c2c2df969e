"""API: stateless text analysis, so integrators and evaluators can code their own comments."""

from typing import Any

from analysis.text import analyse
from feedback.api.auth import make_blueprint, requires
from feedback.api.schemas import CodedTextSchema, CodeTextArgsSchema

bp = make_blueprint(
    "api_analysis",
    __name__,
    "/api/v1/analysis",
    "Sentiment and theme coding against the standard codebook; nothing is stored.",
)


@bp.route("/code-text", methods=["POST"])
@requires(bp)
@bp.arguments(CodeTextArgsSchema)
@bp.response(200, CodedTextSchema(many=True))
def code_text(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Code up to 1,000 texts; results come back in the order the texts were sent."""
    return [
        {
            "themes": [{"key": t.key, "confidence": t.confidence} for t in result.themes],
            "sentiment": {
                "label": result.sentiment.label,
                "polarity": round(result.sentiment.polarity, 4),
            },
        }
        for result in analyse(data["texts"])
    ]
