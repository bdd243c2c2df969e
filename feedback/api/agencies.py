"""API: the partnership's agencies."""

from typing import Any

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import AgencySchema
from feedback.models import Agency, Role
from feedback.services import people

bp = make_blueprint(
    "api_agencies", __name__, "/api/v1/agencies", "The partnership's member agencies."
)


@bp.route("", methods=["GET"])
@requires(bp)
@bp.response(200, AgencySchema(many=True))
def list_agencies() -> list[Agency]:
    """List the partnership's agencies by name."""
    return people.list_agencies(api_user().partnership)


@bp.route("", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(AgencySchema)
@bp.response(201, AgencySchema)
def create_agency(data: dict[str, Any]) -> Agency:
    """Add an agency (admins)."""
    user = api_user()
    return people.create_agency(user.partnership, data["name"], data["sector"], user)
