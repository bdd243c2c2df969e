"""API: campaigns: creating, launching and other moves, response rates, responses and exports."""

from typing import Any

import sqlalchemy as sa
from flask import Response as FlaskResponse

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import (
    RATE_FIELDS,
    CampaignCreateSchema,
    CampaignExtendSchema,
    CampaignSchema,
    CampaignStatsSchema,
    ErrorSchema,
    ExportArgsSchema,
    PageArgsSchema,
    ResponsePageSchema,
)
from feedback.extensions import db
from feedback.models import Campaign, Person, Response, Role
from feedback.models.campaigns import Invitation
from feedback.services import (
    NotFound,
    ServiceError,
    audit,
    exports,
    results,
    transaction,
    whole_number_or_none,
)
from feedback.services import campaigns as campaign_service
from feedback.services import instruments as instrument_service

bp = make_blueprint(
    "api_campaigns",
    __name__,
    "/api/v1/campaigns",
    "Campaigns: a published instrument version sent to an audience. Admins create and run "
    "them; admins, analysts and viewers read their figures. Counts under the partnership's "
    "disclosure threshold are hidden from everyone but admins, and nobody but admins ever sees "
    "who gave an answer (nobody at all in anonymous campaigns).",
)

READERS = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
CSV = "text/csv"


def _id(value: str) -> int:
    """The campaign id from the path; anything but digits is no campaign (404)."""
    number = whole_number_or_none(value, max_digits=18)
    if number is None:
        raise NotFound(f"There is no campaign with id {value[:20]}", field="id")
    return number


def _campaign(campaign_id: str) -> Campaign:
    return campaign_service.get_campaign(api_user().partnership, _id(campaign_id))


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _campaign_body(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "purpose": c.purpose,
        "mode": c.mode.value,
        "status": c.status.value,
        "instrument_id": c.instrument_version.instrument_id,
        "instrument_version_id": c.instrument_version_id,
        "version": c.instrument_version.number,
        "audience": c.audience or {},
        "opens_at": c.opens_at,
        "closes_at": c.closes_at,
        "reminder_days": list(c.reminder_days or []),
        "invited": _count(Invitation, Invitation.campaign_id == c.id),
        "responses": _count(Response, Response.campaign_id == c.id),
        "created_at": c.created_at,
        "launched_at": c.launched_at,
        "closed_at": c.closed_at,
    }


# -- Creating and running ------------------------------------------------------------------------


@bp.route("", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(CampaignCreateSchema)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Bad input, located by field: unknown instrument or version, dates in the "
    "wrong order, an unknown audience part ...",
)
@bp.response(201, CampaignSchema)
def create_campaign(data: dict[str, Any]) -> dict[str, Any]:
    """Create a draft campaign of an instrument's published version (the latest unless
    version is given). Nobody is invited until it is launched."""
    user = api_user()
    try:
        version = instrument_service.get_published_version(
            user.partnership, data["instrument_id"], data.get("version")
        )
    except NotFound as exc:
        field = "version" if exc.field == "version" else "instrument_id"
        raise ServiceError(exc.message, field=field) from None
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title=data["title"],
        mode=data["mode"],
        opens_at=data["opens_at"],
        closes_at=data["closes_at"],
        audience={k: v for k, v in data["audience"].items() if v},
        reminder_days=tuple(data["reminder_days"]),
        subject_template=data.get("subject_template"),
        body_template=data.get("body_template"),
    )
    campaign = campaign_service.create_campaign(user.partnership, spec, user)
    return _campaign_body(campaign)


@bp.route("/<campaign_id>", methods=["GET"])
@requires(bp, *READERS)
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.response(200, CampaignSchema)
def get_campaign(campaign_id: str) -> dict[str, Any]:
    """One campaign."""
    return _campaign_body(_campaign(campaign_id))


def _move(campaign_id: str, action: str) -> dict[str, Any]:
    user = api_user()
    campaign = _campaign(campaign_id)
    if action == "launch":
        campaign_service.launch(campaign, user)
    else:
        campaign_service.change_state(campaign, action, user)
    return _campaign_body(campaign)


_MOVE_DOCS = {
    "launch": "Go live: invite the audience and queue their emails, all or nothing.",
    "pause": "Pause a live campaign: links say so and no reminders go out.",
    "resume": "Resume a paused campaign.",
    "close": "Close the campaign now; links stop accepting answers.",
}


def _register_move(action: str) -> None:
    def view(campaign_id: str) -> dict[str, Any]:
        return _move(campaign_id, action)

    view.__name__ = f"{action}_campaign"
    view.__doc__ = _MOVE_DOCS[action]
    view = bp.response(200, CampaignSchema)(view)
    view = bp.alt_response(
        422, schema=ErrorSchema, description="The campaign cannot make that move now"
    )(view)
    view = bp.alt_response(404, schema=ErrorSchema, description="No such campaign")(view)
    view = requires(bp, Role.ADMIN)(view)
    bp.route(f"/<campaign_id>/{action}", methods=["POST"])(view)


for _action in _MOVE_DOCS:
    _register_move(_action)


@bp.route("/<campaign_id>/extend", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(CampaignExtendSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.alt_response(422, schema=ErrorSchema, description="Closed, or the date is not in the future")
@bp.response(200, CampaignSchema)
def extend_campaign(data: dict[str, Any], campaign_id: str) -> dict[str, Any]:
    """Move the close date later (or earlier, but still in the future)."""
    user = api_user()
    campaign = _campaign(campaign_id)
    campaign_service.change_state(campaign, "extend", user, closes_at=data["closes_at"])
    return _campaign_body(campaign)


# -- Reading -------------------------------------------------------------------------------------


@bp.route("/<campaign_id>/stats", methods=["GET"])
@requires(bp, *READERS)
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.response(200, CampaignStatsSchema)
def campaign_stats(campaign_id: str) -> dict[str, Any]:
    """Invited, sent, failed, opened, started, completed and opted out, overall and by agency.

    For tokens other than admins', per-agency counts under the disclosure threshold (and any
    count that would give one away) are null, and the row says "suppressed": true.
    """
    user = api_user()
    campaign = _campaign(campaign_id)
    threshold = user.partnership.disclosure_threshold
    table = campaign_service.rates(
        campaign, disclose_small=results.discloses_small(user.role), threshold=threshold
    )
    rows = []
    for name, counts in table.by_agency:
        row: dict[str, Any] = {"agency": name}
        hidden = False
        for key in RATE_FIELDS:
            value = counts.get(key)
            if isinstance(value, int):
                row[key] = value
            else:
                row[key] = None
                hidden = True
        row["suppressed"] = hidden
        rows.append(row)
    return {
        "campaign_id": campaign.id,
        "overall": {k: table.overall.get(k) for k in RATE_FIELDS},
        "completion_percent": table.completion_percent,
        "by_agency": rows,
        "suppressed": any(r["suppressed"] for r in rows),
        "disclosure_threshold": threshold,
    }


@bp.route("/<campaign_id>/responses", methods=["GET"])
@requires(bp, *READERS)
@bp.arguments(PageArgsSchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.response(200, ResponsePageSchema)
def list_responses(args: dict[str, int], campaign_id: str) -> dict[str, Any]:
    """One page of submitted responses, in a random but stable order.

    "person" and "submitted_at" are given to admin tokens only, and never for anonymous
    campaigns. For everyone else (and for anonymous campaigns), an agency or job role shared
    by fewer responses than the disclosure threshold is hidden.
    """
    user = api_user()
    campaign = _campaign(campaign_id)
    plan = exports.plan_export(campaign, user.role)
    page, per_page = args["page"], args["per_page"]
    total = _count(Response, Response.campaign_id == campaign.id)
    query = sa.select(Response).where(Response.campaign_id == campaign.id)
    if plan.people:
        query = query.add_columns(Person.id, Person.name, Person.email).outerjoin(
            Person, Person.id == Response.person_id
        )
    query = query.order_by(Response.id).limit(per_page).offset((page - 1) * per_page)
    items = []
    for row in db.session.execute(query):
        response: Response = row[0]
        agency_id = response.agency_id
        if plan.shown_agencies is not None and agency_id not in plan.shown_agencies:
            agency_id = None
        job_role = response.job_role
        if plan.shown_roles is not None and job_role not in plan.shown_roles:
            job_role = exports.HIDDEN
        item: dict[str, Any] = {
            "id": response.id,
            "instrument_version_id": response.instrument_version_id,
            "submitted_on": response.submitted_on,
            "agency_id": agency_id,
            "job_role": job_role,
            "answers": response.answers or {},
        }
        if plan.people:
            item["person"] = {"id": row[1], "name": row[2], "email": row[3]}
            item["submitted_at"] = response.submitted_at
        items.append(item)
    if plan.people and items:
        with transaction():
            audit.record(
                "responses.view_identifiable",
                user=user,
                record_type="campaign",
                record_id=campaign.id,
                detail={"responses": len(items), "page": page, "via": "api"},
            )
    return {"items": items, "total": total, "page": page, "per_page": per_page}


# -- Exports -------------------------------------------------------------------------------------


@bp.route("/<campaign_id>/export.csv", methods=["GET"])
@requires(bp, *READERS)
@bp.arguments(ExportArgsSchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.response(
    200,
    description="One row per response, one column per question (matrix rows and learning "
    "outcomes split into their own columns), streamed",
    content_type=CSV,
)
def export_csv(args: dict[str, str], campaign_id: str) -> FlaskResponse:
    """Every response as CSV. Person columns for admin tokens only, never when anonymous."""
    from feedback.web.results import export_csv_response, record_download

    user = api_user()
    campaign = _campaign(campaign_id)
    record_download(campaign, user, "responses", "csv", via="api")
    return export_csv_response(campaign, user.role, keys=args["header"] == "keys")


@bp.route("/<campaign_id>/export.xlsx", methods=["GET"])
@requires(bp, *READERS)
@bp.arguments(ExportArgsSchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="No such campaign")
@bp.response(
    200,
    description="The same as the CSV, as an Excel workbook with a sheet naming the columns",
    content_type=exports.XLSX_MIMETYPE,
)
def export_xlsx(args: dict[str, str], campaign_id: str) -> FlaskResponse:
    """Every response as an Excel workbook, with the same rules as the CSV."""
    from feedback.web.results import export_xlsx_response, record_download

    user = api_user()
    campaign = _campaign(campaign_id)
    record_download(campaign, user, "responses", "xlsx", via="api")
    return export_xlsx_response(campaign, user.role, keys=args["header"] == "keys")
