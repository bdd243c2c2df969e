"""API: practitioners who can be surveyed, one at a time or imported from CSV."""

from typing import Any

from flask import request
from flask_smorest import abort

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import (
    ErrorSchema,
    ImportReportSchema,
    PageArgsSchema,
    PersonPageSchema,
    PersonSchema,
)
from feedback.models import Person, Role
from feedback.services import ServiceError, people

bp = make_blueprint(
    "api_people",
    __name__,
    "/api/v1/people",
    "Practitioners who can be invited to answer (admins only).",
)


def _person(p: Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "agency_id": p.agency_id,
        "job_role": p.job_role,
        "team": p.team,
        "opted_out": p.opted_out_at is not None,
    }


@bp.route("", methods=["GET"])
@requires(bp, Role.ADMIN)
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, PersonPageSchema)
def list_people(args: dict[str, int]) -> dict[str, Any]:
    """One page of practitioners, by name."""
    items, total = people.list_people(
        api_user().partnership, page=args["page"], per_page=args["per_page"]
    )
    return {
        "items": [_person(p) for p in items],
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
    }


@bp.route("", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(PersonSchema)
@bp.response(201, PersonSchema)
def create_person(data: dict[str, Any]) -> dict[str, Any]:
    """Add one practitioner; 422 if the email is already listed or the agency is unknown."""
    user = api_user()
    person = people.create_person(user.partnership, actor=user, **data)
    return _person(person)


@bp.route("/import", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.doc(
    requestBody={
        "required": True,
        "description": "CSV with a header row: name,email,agency,job_role,team",
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "name,email,agency,job_role,team\n"
                "Sam Patel,sam.patel@example.org,Northshire Police,"
                "Detective Constable,Child Abuse Investigation\n",
            }
        },
    }
)
@bp.alt_response(415, schema=ErrorSchema, description="The body is not text/csv")
@bp.alt_response(422, schema=ErrorSchema, description="The file has no usable header")
@bp.response(200, ImportReportSchema)
def import_people() -> dict[str, Any]:
    """Create or update practitioners from CSV; good rows import, each bad row is reported."""
    if request.mimetype != "text/csv":
        abort(415, message="Send the file as the request body with Content-Type: text/csv")
    user = api_user()
    try:
        text = people.decode_upload(request.get_data(cache=False))
    except ServiceError as exc:
        abort(422, message=exc.message)
    report = people.import_people_csv(user.partnership, text, user)
    return {
        "created": report.created,
        "updated": report.updated,
        "errors": [{"row": e.row, "message": e.message} for e in report.errors],
    }
