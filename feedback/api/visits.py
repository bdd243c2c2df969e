"""API: Scrutiny visits, safeguarding conversations and practitioner forums.

The same rules as the pages (feedback.services.visits): admins see and do everything;
scrutineers see, write up and submit only the records they lead or are on the team of (any
other is a 404); analysts, viewers and trainers read published records. Creating plans a record
(its details only); PATCH saves any part of the write-up, as the pages' autosave does, all or
nothing; submit, review and publish move it on.
"""

from typing import Any

import marshmallow as ma
from marshmallow import validate

from analysis.disclosure import Suppressed
from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import ID_RANGE, ErrorSchema, PageArgsSchema
from feedback.models import Action, Role, User
from feedback.models.visits import (
    Rag,
    ReviewOutcome,
    Section11Status,
    Visit,
    VisitKind,
    VisitStatus,
)
from feedback.services import NotFound, ServiceError, whole_number_or_none
from feedback.services import actions as action_service
from feedback.services import visits as visit_service
from feedback.services.visits import TEXT_MAX, Changes, PlanChange, TopicChange, VisitSpec

bp = make_blueprint(
    "api_visits",
    __name__,
    "/api/v1",
    "Scrutiny visits, safeguarding conversations and practitioner forums.",
)

WRITERS = (Role.ADMIN, Role.SCRUTINEER)
TEXT = validate.Length(max=TEXT_MAX)
LINE = validate.Length(max=200)


# -- Schemas ---------------------------------------------------------------------------------


class VisitTopicSchema(ma.Schema):
    key = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "The topic's key from the scrutiny_visit template"},
    )
    title = ma.fields.String(dump_only=True)
    rag = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf([r.value for r in Rag]),
        metadata={"description": "red, amber or green; null clears it"},
    )
    strengths = ma.fields.String(allow_none=True, validate=TEXT)
    development = ma.fields.String(
        allow_none=True, validate=TEXT, metadata={"description": "Areas for development"}
    )
    notes = ma.fields.String(allow_none=True, validate=TEXT)


class VisitPlanEntrySchema(ma.Schema):
    item_id = ma.fields.Integer(required=True, validate=ID_RANGE)
    standard = ma.fields.String(dump_only=True)
    description = ma.fields.String(dump_only=True)
    status = ma.fields.String(validate=validate.OneOf([s.value for s in Section11Status]))
    narrative = ma.fields.String(allow_none=True, validate=TEXT)


class VisitPlanItemCreateSchema(ma.Schema):
    standard = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "A Section 11 standard key, e.g. leadership"},
    )
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))


class VisitActionCreateSchema(ma.Schema):
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    owner_agency_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    due_on = ma.fields.Date(load_default=None, allow_none=True)


class VisitActionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    description = ma.fields.String(required=True)
    owner_agency_id = ma.fields.Integer(allow_none=True)
    due_on = ma.fields.Date(allow_none=True)
    status = ma.fields.String(required=True)
    rag = ma.fields.String(
        required=True, metadata={"description": "red: overdue; amber: open; green: done"}
    )


class VisitReviewEntrySchema(ma.Schema):
    outcome = ma.fields.String(required=True)
    comments = ma.fields.String(allow_none=True)
    reviewer_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class VisitReviewSchema(ma.Schema):
    outcome = ma.fields.String(
        required=True, validate=validate.OneOf([o.value for o in ReviewOutcome])
    )
    comments = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=TEXT,
        metadata={"description": "Required when sending it back"},
    )


class _DetailsFields(ma.Schema):
    occurred_on = ma.fields.Date(metadata={"description": "The day it happens or happened"})
    agency_id = ma.fields.Integer(allow_none=True, validate=ID_RANGE)
    setting = ma.fields.String(allow_none=True, validate=LINE)
    title = ma.fields.String(allow_none=True, validate=LINE)
    audience = ma.fields.String(allow_none=True, validate=LINE)
    attendee_count = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10_000))
    lead_id = ma.fields.Integer(
        allow_none=True,
        validate=ID_RANGE,
        metadata={"description": "Admins choose; a scrutineer leads what they start"},
    )
    team_ids = ma.fields.List(
        ma.fields.Integer(validate=ID_RANGE), validate=validate.Length(max=50)
    )


class VisitCreateSchema(_DetailsFields):
    kind = ma.fields.String(required=True, validate=validate.OneOf([k.value for k in VisitKind]))
    occurred_on = ma.fields.Date(required=True)


class VisitPatchSchema(_DetailsFields):
    topics = ma.fields.List(ma.fields.Nested(VisitTopicSchema), validate=validate.Length(max=50))
    people_by_role = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(max=60)),
        values=ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=999)),
        metadata={"description": "How many people of each role (never names)"},
    )
    notes = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(max=60)),
        values=ma.fields.String(allow_none=True, validate=TEXT),
        metadata={"description": "The kind's free-text sections by key; null clears one"},
    )
    action_plan = ma.fields.List(
        ma.fields.Nested(VisitPlanEntrySchema), validate=validate.Length(max=200)
    )


class VisitSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    agency_id = ma.fields.Integer(allow_none=True)
    setting = ma.fields.String(allow_none=True)
    title = ma.fields.String(allow_none=True)
    audience = ma.fields.String(allow_none=True)
    attendee_count = ma.fields.Integer(allow_none=True)
    occurred_on = ma.fields.Date(required=True)
    lead_id = ma.fields.Integer(allow_none=True)
    team_ids = ma.fields.List(ma.fields.Integer(), required=True)
    topics = ma.fields.List(ma.fields.Nested(VisitTopicSchema), required=True)
    people_by_role = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(allow_none=True),
        required=True,
        metadata={"description": "null: a count under the disclosure threshold, withheld"},
    )
    notes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)
    action_plan = ma.fields.List(ma.fields.Nested(VisitPlanEntrySchema), required=True)
    actions = ma.fields.List(ma.fields.Nested(VisitActionSchema), required=True)
    reviews = ma.fields.List(ma.fields.Nested(VisitReviewEntrySchema), required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    published_at = ma.fields.DateTime(allow_none=True)


class VisitPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(VisitSchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


class VisitListArgsSchema(PageArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf([k.value for k in VisitKind]))
    status = ma.fields.String(validate=validate.OneOf([s.value for s in VisitStatus]))
    agency_id = ma.fields.Integer(validate=ID_RANGE)


# -- Helpers ---------------------------------------------------------------------------------


def _id(value: str) -> int:
    number = whole_number_or_none(value, max_digits=10)
    if number is None:
        raise NotFound(f"There is no visit with id {value[:20]}", field="id")
    return number


def _visit(visit_id: str) -> Visit:
    return visit_service.get_visit(api_user(), _id(visit_id))


def _action_body(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "description": action.description,
        "owner_agency_id": action.owner_agency_id,
        "due_on": action.due_on,
        "status": action.status.value,
        "rag": action_service.rag(action),
    }


def _body(visit: Visit, user: User) -> dict[str, Any]:
    if visit_service.shows_exact_counts(user, visit):
        people: dict[str, int | None] = dict(visit.people_by_role or {})
    else:
        labels = {r.label: r.key for r in visit_service.people_roles(visit.kind)}
        rows, _ = visit_service.people_rows(user, visit)
        people = {
            labels[label]: (None if isinstance(count, Suppressed) else count)
            for label, count in rows
        }
    writer = visit_service.may_write(user, visit)
    return {
        "id": visit.id,
        "kind": visit.kind.value,
        "status": visit.status.value,
        "agency_id": visit.agency_id,
        "setting": visit.setting,
        "title": visit.title,
        "audience": visit.audience,
        "attendee_count": visit.attendee_count,
        "occurred_on": visit.occurred_on,
        "lead_id": visit.lead_id,
        "team_ids": [u.id for u in visit.team],
        "topics": [
            {k: t.get(k) for k in ("key", "title", "rag", "strengths", "development", "notes")}
            for t in visit.topics or []
        ],
        "people_by_role": people,
        "notes": dict(visit.notes or {}),
        "action_plan": [
            {
                "item_id": e.item_id,
                "standard": e.item.standard,
                "description": e.item.description,
                "status": e.status.value,
                "narrative": e.narrative,
            }
            for e in visit.action_plan
        ],
        "actions": [_action_body(a) for a in visit_service.actions_of(visit)],
        "reviews": [
            {
                "outcome": r.outcome.value,
                "comments": r.comments,
                "reviewer_id": r.reviewer_id,
                "created_at": r.created_at,
            }
            for r in visit.reviews
        ]
        if writer
        else [],
        "created_at": visit.created_at,
        "updated_at": visit.updated_at,
        "submitted_at": visit.submitted_at,
        "reviewed_at": visit.reviewed_at,
        "published_at": visit.published_at,
    }


DETAIL_KEYS = (
    "occurred_on",
    "agency_id",
    "setting",
    "title",
    "audience",
    "attendee_count",
    "lead_id",
    "team_ids",
)


def _details(user: User, visit: Visit, data: dict[str, Any]) -> VisitSpec | None:
    """The visit's details with the PATCH's changes laid over them, if any were sent."""
    if not any(key in data for key in DETAIL_KEYS):
        return None
    if user.role != Role.ADMIN:
        for key in ("lead_id", "team_ids"):
            if key in data:
                raise ServiceError("Only the partnership team can change who is on it", field=key)
    return VisitSpec(
        kind=visit.kind.value,
        occurred_on=data.get("occurred_on", visit.occurred_on),
        agency_id=data.get("agency_id", visit.agency_id),
        setting=data.get("setting", visit.setting),
        title=data.get("title", visit.title),
        audience=data.get("audience", visit.audience),
        attendee_count=data.get("attendee_count", visit.attendee_count),
        lead_id=data.get("lead_id", visit.lead_id),
        team_ids=data.get("team_ids", [u.id for u in visit.team]),
    )


def _topic_change(item: dict[str, Any]) -> TopicChange:
    """A topic from a PATCH: a part sent as null is cleared; a part left out stays."""
    change = TopicChange(key=item["key"])
    if "rag" in item:
        change.rag = item["rag"]
        change.clear_rag = item["rag"] is None
    for name in ("strengths", "development", "notes"):
        if name in item:
            setattr(change, name, item[name] or "")
    return change


# -- Routes ----------------------------------------------------------------------------------


@bp.route("/visits", methods=["GET"])
@requires(bp)
@bp.arguments(VisitListArgsSchema, location="query")
@bp.alt_response(422, schema=ErrorSchema, description="A filter that is not valid")
@bp.response(200, VisitPageSchema)
def list_visits(args: dict[str, Any]) -> dict[str, Any]:
    """The records the token may see, newest first: all for admins, their own for scrutineers,
    published ones for everyone else. Filter by kind, agency_id and status."""
    user = api_user()
    items, total = visit_service.list_visits(
        user,
        kind=VisitKind(args["kind"]) if args.get("kind") else None,
        agency_id=args.get("agency_id"),
        status=VisitStatus(args["status"]) if args.get("status") else None,
        page=args["page"],
        per_page=args["per_page"],
    )
    return {
        "items": [_body(v, user) for v in items],
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
    }


@bp.route("/visits", methods=["POST"])
@requires(bp, *WRITERS)
@bp.arguments(VisitCreateSchema)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Bad input, located by field: a missing agency, setting or title, an unknown "
    "lead or scrutineer, a date out of range ...",
)
@bp.response(201, VisitSchema)
def create_visit(data: dict[str, Any]) -> dict[str, Any]:
    """Plan a scrutiny visit, safeguarding conversation or practitioner forum. Admins name the
    lead (lead_id) and team (team_ids); a scrutineer starts one they lead themselves. A new
    safeguarding conversation starts with the agency's Section 11 action plan items at the
    status each had at the last conversation."""
    user = api_user()
    spec = VisitSpec(
        kind=data["kind"],
        occurred_on=data["occurred_on"],
        agency_id=data.get("agency_id"),
        setting=data.get("setting"),
        title=data.get("title"),
        audience=data.get("audience"),
        attendee_count=data.get("attendee_count"),
        lead_id=data.get("lead_id"),
        team_ids=data.get("team_ids") or [],
    )
    return _body(visit_service.create(user, spec), user)


@bp.route("/visits/<visit_id>", methods=["GET"])
@requires(bp)
@bp.alt_response(404, schema=ErrorSchema, description="No such record, or not one you may see")
@bp.response(200, VisitSchema)
def get_visit(visit_id: str) -> dict[str, Any]:
    """One record with its write-up and the actions agreed on it."""
    user = api_user()
    return _body(_visit(visit_id), user)


@bp.route("/visits/<visit_id>", methods=["PATCH"])
@requires(bp, *WRITERS)
@bp.arguments(VisitPatchSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such record, or not one you may see")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Bad input, located by path (e.g. topics.2.rag), or the record can no longer "
    "be changed (path status)",
)
@bp.response(200, VisitSchema)
def update_visit(data: dict[str, Any], visit_id: str) -> dict[str, Any]:
    """Save any part of the write-up; what is not sent stays as it is. Complete or not, it is
    kept (a planned record becomes a draft); submitting checks that it is complete."""
    user = api_user()
    visit = _visit(visit_id)
    changes = Changes(
        details=_details(user, visit, data),
        topics=[_topic_change(t) for t in data["topics"]] if "topics" in data else None,
        people_by_role=data.get("people_by_role"),
        notes={k: v or "" for k, v in data["notes"].items()} if "notes" in data else None,
        action_plan=[
            PlanChange(
                item_id=e["item_id"],
                status=e.get("status"),
                narrative=(e["narrative"] or "") if "narrative" in e else None,
            )
            for e in data["action_plan"]
        ]
        if "action_plan" in data
        else None,
    )
    visit_service.update(user, visit, changes)
    return _body(visit, user)


@bp.route("/visits/<visit_id>/submit", methods=["POST"])
@requires(bp, *WRITERS)
@bp.alt_response(404, schema=ErrorSchema, description="No such record, or not one you may see")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Not complete (each missing part located, e.g. topics.0.rag) or not in a "
    "state that can be submitted",
)
@bp.response(200, VisitSchema)
def submit_visit(visit_id: str) -> dict[str, Any]:
    """Submit the write-up for the partnership team's review."""
    user = api_user()
    return _body(visit_service.submit(user, _visit(visit_id)), user)


@bp.route("/visits/<visit_id>/review", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(VisitReviewSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such record")
@bp.alt_response(
    422, schema=ErrorSchema, description="Not submitted, or sent back without comments"
)
@bp.response(200, VisitSchema)
def review_visit(data: dict[str, Any], visit_id: str) -> dict[str, Any]:
    """Send a submitted record back with comments (outcome sent_back), or mark it reviewed."""
    user = api_user()
    visit = _visit(visit_id)
    visit_service.review(user, visit, data["outcome"], data.get("comments"))
    return _body(visit, user)


@bp.route("/visits/<visit_id>/publish", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.alt_response(404, schema=ErrorSchema, description="No such record")
@bp.alt_response(422, schema=ErrorSchema, description="Not reviewed yet")
@bp.response(200, VisitSchema)
def publish_visit(visit_id: str) -> dict[str, Any]:
    """Publish a reviewed record, so analysts, viewers and trainers can read it."""
    user = api_user()
    return _body(visit_service.publish(user, _visit(visit_id)), user)


@bp.route("/visits/<visit_id>/actions", methods=["POST"])
@requires(bp, *WRITERS)
@bp.arguments(VisitActionCreateSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such record, or not one you may see")
@bp.alt_response(422, schema=ErrorSchema, description="Bad input, or the record is not editable")
@bp.response(201, VisitActionSchema)
def add_visit_action(data: dict[str, Any], visit_id: str) -> dict[str, Any]:
    """Record an action agreed on the record; it is followed on the action tracker."""
    user = api_user()
    action = visit_service.add_action(
        user,
        _visit(visit_id),
        data["description"],
        owner_agency_id=data.get("owner_agency_id"),
        due_on=data.get("due_on"),
    )
    return _action_body(action)


@bp.route("/visits/<visit_id>/action-plan-items", methods=["POST"])
@requires(bp, *WRITERS)
@bp.arguments(VisitPlanItemCreateSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such record, or not one you may see")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Not a safeguarding conversation, not editable, or an unknown standard",
)
@bp.response(201, VisitPlanEntrySchema)
def add_plan_item(data: dict[str, Any], visit_id: str) -> dict[str, Any]:
    """Add an item to the agency's Section 11 action plan and to this conversation; later
    conversations with the agency start with it."""
    user = api_user()
    entry = visit_service.add_plan_item(
        user, _visit(visit_id), data["standard"], data["description"]
    )
    return {
        "item_id": entry.item_id,
        "standard": entry.item.standard,
        "description": entry.item.description,
        "status": entry.status.value,
        "narrative": entry.narrative,
    }
