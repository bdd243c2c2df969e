"""API: The codebook's themes, with how often analysts have confirmed each."""

from typing import Any

import marshmallow as ma
from marshmallow import validate

from analysis.disclosure import is_reportable
from feedback.api.auth import api_user, make_blueprint, requires
from feedback.extensions import db
from feedback.models import Partnership, Role
from feedback.models.codebook import ThemeStatus
from feedback.services import codebook

bp = make_blueprint("api_themes", __name__, "/api/v1", "The codebook's themes.")


class ThemesArgsSchema(ma.Schema):
    status = ma.fields.String(
        load_default=None,
        validate=validate.OneOf([s.value for s in ThemeStatus]),
        metadata={"description": "Only themes with this status (active, retired or merged)"},
    )


class ThemeSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"example": "neglect"})
    label = ma.fields.String(required=True, metadata={"example": "Neglect"})
    description = ma.fields.String(required=True)
    priority = ma.fields.Integer(
        required=True, metadata={"description": "Business priority: 1 high, 2 medium, 3 low"}
    )
    status = ma.fields.String(required=True, metadata={"example": "active"})
    merged_into_key = ma.fields.String(
        allow_none=True, required=True, metadata={"description": "Set when status is merged"}
    )
    indicators = ma.fields.List(ma.fields.String(), required=True)
    weak_indicators = ma.fields.List(ma.fields.String(), required=True)
    confirmed_count = ma.fields.Integer(
        allow_none=True,
        required=True,
        metadata={
            "description": "Text segments an analyst confirmed this theme on; null when it is "
            "under the partnership's disclosure threshold and you are not an admin"
        },
    )
    suppressed = ma.fields.Boolean(
        required=True, metadata={"description": "True when confirmed_count is withheld"}
    )


class ThemesSchema(ma.Schema):
    codebook_version = ma.fields.Integer(
        required=True, metadata={"description": "Goes up with every change to the codebook"}
    )
    disclosure_threshold = ma.fields.Integer(required=True)
    themes = ma.fields.List(ma.fields.Nested(ThemeSchema), required=True)


@bp.route("/themes", methods=["GET"])
@requires(bp)
@bp.arguments(ThemesArgsSchema, location="query")
@bp.response(200, ThemesSchema)
def list_themes(args: dict[str, Any]) -> dict[str, Any]:
    """The partnership's codebook, in use first, with counts of confirmed codes per theme."""
    user = api_user()
    pid = user.partnership_id
    threshold = db.session.get(Partnership, pid).disclosure_threshold
    counts = codebook.confirmed_counts(pid)
    themes = []
    for theme in codebook.list_themes(pid):
        if args.get("status") and theme.status.value != args["status"]:
            continue
        count = counts.get(theme.key, 0)
        hidden = user.role != Role.ADMIN and count > 0 and not is_reportable(count, threshold)
        themes.append(
            {
                "key": theme.key,
                "label": theme.label,
                "description": theme.description or "",
                "priority": theme.priority,
                "status": theme.status.value,
                "merged_into_key": theme.merged_into_key,
                "indicators": list(theme.indicators or []),
                "weak_indicators": list(theme.weak_indicators or []),
                "confirmed_count": None if hidden else count,
                "suppressed": hidden,
            }
        )
    return {
        "codebook_version": codebook.version(pid),
        "disclosure_threshold": threshold,
        "themes": themes,
    }
