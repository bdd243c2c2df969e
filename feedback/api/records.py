"""API: Audits, reviews, tracked actions, theme links, evidence and the Learning Needs Analysis.

Who may do what: admins record audits, reviews and actions; admins and analysts link themes;
admins, analysts and viewers read audits, reviews, evidence and the Learning Needs Analysis;
every role reads the action tracker. Counts under the disclosure threshold are null (with
"suppressed": true) for everyone but admins.
"""

from datetime import date
from typing import Any

import marshmallow as ma
from flask_smorest import abort
from marshmallow import validate

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import ID_RANGE, ErrorSchema
from feedback.models import Action, ActionStatus, Role, SourceType
from feedback.models.records import Audit, AuditType, LinkedRecord, RecordStatus, Review, ReviewType
from feedback.services import NotFound, ServiceError, whole_number_or_none
from feedback.services import actions as action_service
from feedback.services import evidence as evidence_service
from feedback.services import lna as lna_service
from feedback.services import records as record_service

bp = make_blueprint(
    "api_records",
    __name__,
    "/api/v1",
    "Audits, reviews, tracked actions, theme links, evidence and the Learning Needs Analysis.",
)

READERS = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
DATE_RANGE = validate.Range(
    min=date(2000, 1, 1), max=date(2100, 12, 31), error="Enter a date between 2000 and 2100"
)
KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,59}$", error="A theme key is lower_snake_case")


# -- Schemas -------------------------------------------------------------------------------------


class RecordRecommendationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    text = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=record_service.MAX_RECOMMENDATION)
    )
    training = ma.fields.Boolean(
        load_default=False, metadata={"description": "Tagged to training: counted in the LNA"}
    )
    theme_key = ma.fields.String(load_default=None, allow_none=True, validate=KEY)


class _RecordSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=record_service.MAX_TITLE)
    )
    start_on = ma.fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    end_on = ma.fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    status = ma.fields.String(
        load_default=RecordStatus.PLANNED.value,
        validate=validate.OneOf([s.value for s in RecordStatus]),
    )
    recommendations = ma.fields.List(
        ma.fields.Nested(RecordRecommendationSchema),
        load_default=list,
        validate=validate.Length(max=record_service.MAX_RECOMMENDATIONS),
    )
    themes = ma.fields.List(
        ma.fields.String(), dump_only=True, metadata={"description": "Linked theme keys"}
    )
    created_at = ma.fields.DateTime(dump_only=True)

    @ma.validates_schema
    def _dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            raise ma.ValidationError("The end date must be on or after the start date", "end_on")


class AuditSchema(_RecordSchema):
    audit_type = ma.fields.String(
        required=True, validate=validate.OneOf([t.value for t in AuditType])
    )
    scope = ma.fields.String(load_default="", validate=validate.Length(max=record_service.MAX_TEXT))
    agency_ids = ma.fields.List(
        ma.fields.Integer(validate=ID_RANGE), load_default=list, validate=validate.Length(max=500)
    )
    findings = ma.fields.String(
        load_default="",
        validate=validate.Length(max=record_service.MAX_TEXT),
        metadata={"description": "One finding a line; each becomes a text segment"},
    )


class CaseReviewSchema(_RecordSchema):
    review_type = ma.fields.String(
        required=True, validate=validate.OneOf([t.value for t in ReviewType])
    )
    summary = ma.fields.String(
        load_default="", validate=validate.Length(max=record_service.MAX_TEXT)
    )
    learning_points = ma.fields.String(
        load_default="",
        validate=validate.Length(max=record_service.MAX_TEXT),
        metadata={"description": "One learning point a line; each becomes a text segment"},
    )


class TrackedActionUpdateSchema(ma.Schema):
    written_at = ma.fields.DateTime(required=True)
    status = ma.fields.String(required=True)
    text = ma.fields.String(required=True)


class TrackedActionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    source_type = ma.fields.String(
        required=True,
        validate=validate.OneOf([SourceType.AUDIT.value, SourceType.REVIEW.value]),
        metadata={"description": "Actions are added here to audits and reviews"},
    )
    source_id = ma.fields.Integer(required=True, validate=ID_RANGE)
    description = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=action_service.MAX_DESCRIPTION)
    )
    owner_agency_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    due_on = ma.fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    status = ma.fields.String(dump_only=True)
    rag = ma.fields.String(dump_only=True, metadata={"description": "red, amber or green"})
    overdue = ma.fields.Boolean(dump_only=True)
    days_overdue = ma.fields.Integer(dump_only=True)
    evidence_of_impact = ma.fields.String(dump_only=True, allow_none=True)
    updates = ma.fields.List(ma.fields.Nested(TrackedActionUpdateSchema), dump_only=True)
    themes = ma.fields.List(ma.fields.String(), dump_only=True)


class TrackedActionArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in ActionStatus]))
    rag = ma.fields.String(validate=validate.OneOf(list(action_service.RAG_LABELS)))
    owner_agency_id = ma.fields.Integer(validate=ID_RANGE)
    source_type = ma.fields.String(validate=validate.OneOf([s.value for s in SourceType]))


class ThemeLinkCreateSchema(ma.Schema):
    record_type = ma.fields.String(
        required=True, validate=validate.OneOf([r.value for r in LinkedRecord])
    )
    record_id = ma.fields.Integer(required=True, validate=ID_RANGE)


class ThemeLinkSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    theme_key = ma.fields.String(required=True)
    record_type = ma.fields.String(required=True)
    record_id = ma.fields.Integer(required=True)
    linked_at = ma.fields.DateTime(required=True)


class ReportPeriodArgsSchema(ma.Schema):
    from_on = ma.fields.Date(data_key="from", validate=DATE_RANGE)
    to_on = ma.fields.Date(data_key="to", validate=DATE_RANGE)

    @ma.validates_schema
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("from_on"), data.get("to_on")
        if start and end and end < start:
            raise ma.ValidationError("The end of the period must be on or after its start", "to")


class EvidenceThemeSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class EvidenceQuoteSchema(ma.Schema):
    text = ma.fields.String(required=True)
    sentiment = ma.fields.String(allow_none=True)
    field = ma.fields.String(allow_none=True)
    occurred_on = ma.fields.Date(required=True)


class EvidenceSentimentSchema(ma.Schema):
    positive = ma.fields.Integer(allow_none=True)
    neutral = ma.fields.Integer(allow_none=True)
    negative = ma.fields.Integer(allow_none=True)


class SourceEvidenceSchema(ma.Schema):
    source = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    segments = ma.fields.Integer(allow_none=True, metadata={"description": "null when hidden"})
    respondents = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.Boolean(required=True)
    sentiment = ma.fields.Nested(EvidenceSentimentSchema, required=True)
    quotes = ma.fields.List(ma.fields.Nested(EvidenceQuoteSchema), required=True)


class EvidenceTrendPointSchema(ma.Schema):
    label = ma.fields.String(required=True)
    starts_on = ma.fields.Date(required=True)
    segments = ma.fields.Integer(allow_none=True)
    respondents = ma.fields.Integer(allow_none=True)
    suppressed = ma.fields.Boolean(required=True)
    negative_percent = ma.fields.Float(allow_none=True)
    agree_percent = ma.fields.Float(allow_none=True)
    after_link = ma.fields.Boolean(allow_none=True)


class EvidenceComparisonSchema(ma.Schema):
    verdict = ma.fields.String(
        required=True,
        metadata={"description": "better, worse, about the same or not enough evidence yet"},
    )
    summary = ma.fields.String(required=True)
    before_percent = ma.fields.Float(allow_none=True)
    after_percent = ma.fields.Float(allow_none=True)


class EvidenceTrendSchema(ma.Schema):
    linked_on = ma.fields.Date(allow_none=True)
    quarters = ma.fields.List(ma.fields.Nested(EvidenceTrendPointSchema), required=True)
    survey_rounds = ma.fields.List(ma.fields.Nested(EvidenceTrendPointSchema), required=True)
    comments = ma.fields.Nested(EvidenceComparisonSchema, allow_none=True)
    survey = ma.fields.Nested(EvidenceComparisonSchema, allow_none=True)


class EvidenceLinkSchema(ma.Schema):
    record_type = ma.fields.String(required=True)
    record_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    linked_at = ma.fields.DateTime(required=True)


class ThemeEvidenceSchema(ma.Schema):
    theme = ma.fields.Nested(EvidenceThemeSchema, required=True)
    from_on = ma.fields.Date(data_key="from", allow_none=True)
    to_on = ma.fields.Date(data_key="to", allow_none=True)
    disclosure_threshold = ma.fields.Integer(required=True)
    suppressing = ma.fields.Boolean(required=True)
    total_segments = ma.fields.Integer(allow_none=True)
    total_respondents = ma.fields.Integer(allow_none=True)
    sources = ma.fields.List(ma.fields.Nested(SourceEvidenceSchema), required=True)
    trend = ma.fields.Nested(EvidenceTrendSchema, required=True)
    links = ma.fields.List(ma.fields.Nested(EvidenceLinkSchema), required=True)


class LnaWeightSchema(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    explanation = ma.fields.String(required=True)
    weight = ma.fields.Integer(required=True)


class LnaMethodSchema(ma.Schema):
    summary = ma.fields.String(required=True)
    max_score = ma.fields.Integer(required=True)
    weights = ma.fields.List(ma.fields.Nested(LnaWeightSchema), required=True)


class LnaSurveyItemSchema(ma.Schema):
    survey = ma.fields.String(required=True)
    statement = ma.fields.String(required=True)
    answered = ma.fields.Integer(allow_none=True)
    percent_agree = ma.fields.Float(allow_none=True)


class LnaRecommendationSchema(ma.Schema):
    text = ma.fields.String(required=True)
    record_type = ma.fields.String(required=True)
    record_id = ma.fields.Integer(required=True)
    record_title = ma.fields.String(required=True)


class LnaNeedSourcesSchema(ma.Schema):
    survey_items = ma.fields.List(ma.fields.Nested(LnaSurveyItemSchema), required=True)
    training_people = ma.fields.Integer(allow_none=True)
    front_line_people = ma.fields.Integer(allow_none=True)
    comments_now = ma.fields.Integer(allow_none=True)
    comments_before = ma.fields.Integer(allow_none=True)
    recommendations = ma.fields.List(ma.fields.Nested(LnaRecommendationSchema), required=True)
    courses = ma.fields.List(ma.fields.String(), required=True)
    reached = ma.fields.Integer(allow_none=True)
    workforce = ma.fields.Integer(required=True)


class LnaNeedSchema(ma.Schema):
    rank = ma.fields.Integer(required=True)
    theme = ma.fields.Nested(EvidenceThemeSchema, required=True)
    score = ma.fields.Float(required=True)
    components = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(), required=True)
    previous_rank = ma.fields.Integer(allow_none=True)
    previous_score = ma.fields.Float(allow_none=True)
    movement = ma.fields.String(required=True)
    sources = ma.fields.Nested(LnaNeedSourcesSchema, required=True)


class LnaPeriodSchema(ma.Schema):
    from_on = ma.fields.Date(data_key="from", required=True)
    to_on = ma.fields.Date(data_key="to", required=True)


class LnaPrioritySchema(ma.Schema):
    position = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    theme_key = ma.fields.String(allow_none=True)


class LnaPrioritiesSchema(ma.Schema):
    year = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.Nested(LnaPrioritySchema), required=True)


class LnaSchema(ma.Schema):
    from_on = ma.fields.Date(data_key="from", required=True)
    to_on = ma.fields.Date(data_key="to", required=True)
    previous = ma.fields.Nested(LnaPeriodSchema, required=True)
    disclosure_threshold = ma.fields.Integer(required=True)
    suppressing = ma.fields.Boolean(required=True)
    method = ma.fields.Nested(LnaMethodSchema, required=True)
    needs = ma.fields.List(ma.fields.Nested(LnaNeedSchema), required=True)
    priorities = ma.fields.Nested(LnaPrioritiesSchema, required=True)


# -- Shaping records -----------------------------------------------------------------------------


def _themes(record_type: LinkedRecord, record_id: int) -> list[str]:
    return [link.theme_key for link in record_service.links_for(record_type, record_id)]


def _record_dict(record: Audit | Review) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "start_on": record.start_on,
        "end_on": record.end_on,
        "status": record.status.value,
        "recommendations": [
            {"id": r.id, "text": r.text, "training": r.training, "theme_key": r.theme_key}
            for r in record.recommendations
        ],
        "themes": _themes(record.record_type, record.id),
        "created_at": record.created_at,
    }
    if isinstance(record, Audit):
        data.update(
            audit_type=record.audit_type.value,
            scope=record.scope,
            agency_ids=[a.id for a in record.agencies],
            findings=record.findings,
        )
    else:
        data.update(
            review_type=record.review_type.value,
            summary=record.summary,
            learning_points=record.learning_points,
        )
    return data


def _action_dict(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "source_type": action.source_type.value,
        "source_id": whole_number_or_none(action.source_id) or 0,
        "description": action.description,
        "owner_agency_id": action.owner_agency_id,
        "due_on": action.due_on,
        "status": action.status.value,
        "rag": action_service.rag(action),
        "overdue": action_service.is_overdue(action),
        "days_overdue": action_service.days_overdue(action),
        "evidence_of_impact": action.evidence_of_impact,
        "updates": [
            {"written_at": u.written_at, "status": u.status.value, "text": u.text}
            for u in action.updates
        ],
        "themes": _themes(LinkedRecord.ACTION, action.id),
    }


def _recommendations(data: dict[str, Any]) -> list[record_service.RecommendationSpec]:
    return [
        record_service.RecommendationSpec(r["text"], bool(r.get("training")), r.get("theme_key"))
        for r in data.get("recommendations") or []
    ]


# -- Audits and reviews --------------------------------------------------------------------------


@bp.route("/audits", methods=["GET"])
@requires(bp, *READERS)
@bp.response(200, AuditSchema(many=True))
def list_audits() -> list[dict[str, Any]]:
    """The partnership's audits, newest first, with their recommendations and linked themes."""
    return [_record_dict(a) for a in record_service.list_audits(api_user().partnership_id)]


@bp.route("/audits", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(AuditSchema)
@bp.response(201, AuditSchema)
def create_audit(data: dict[str, Any]) -> dict[str, Any]:
    """Record an audit; each line of its findings becomes a text segment for the analysis."""
    user = api_user()
    spec = record_service.AuditSpec(
        audit_type=data["audit_type"],
        title=data["title"],
        scope=data.get("scope") or "",
        agency_ids=data.get("agency_ids") or [],
        start_on=data.get("start_on"),
        end_on=data.get("end_on"),
        status=data.get("status") or RecordStatus.PLANNED.value,
        findings=data.get("findings") or "",
        recommendations=_recommendations(data),
    )
    return _record_dict(record_service.create_audit(user.partnership, spec, user))


@bp.route("/audits/<int:audit_id>", methods=["GET"])
@requires(bp, *READERS)
@bp.alt_response(404, schema=ErrorSchema, description="No such audit")
@bp.response(200, AuditSchema)
def get_audit(audit_id: int) -> dict[str, Any]:
    """One audit."""
    try:
        return _record_dict(record_service.get_audit(api_user().partnership_id, audit_id))
    except NotFound:
        abort(404, message=f"There is no audit {audit_id}")


@bp.route("/reviews", methods=["GET"])
@requires(bp, *READERS)
@bp.response(200, CaseReviewSchema(many=True))
def list_reviews() -> list[dict[str, Any]]:
    """The partnership's reviews, newest first, with their recommendations and linked themes."""
    return [_record_dict(r) for r in record_service.list_reviews(api_user().partnership_id)]


@bp.route("/reviews", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(CaseReviewSchema)
@bp.response(201, CaseReviewSchema)
def create_review(data: dict[str, Any]) -> dict[str, Any]:
    """Record a review; each line of its learning points becomes a text segment."""
    user = api_user()
    spec = record_service.ReviewSpec(
        review_type=data["review_type"],
        title=data["title"],
        summary=data.get("summary") or "",
        start_on=data.get("start_on"),
        end_on=data.get("end_on"),
        status=data.get("status") or RecordStatus.PLANNED.value,
        learning_points=data.get("learning_points") or "",
        recommendations=_recommendations(data),
    )
    return _record_dict(record_service.create_review(user.partnership, spec, user))


@bp.route("/reviews/<int:review_id>", methods=["GET"])
@requires(bp, *READERS)
@bp.alt_response(404, schema=ErrorSchema, description="No such review")
@bp.response(200, CaseReviewSchema)
def get_review(review_id: int) -> dict[str, Any]:
    """One review."""
    try:
        return _record_dict(record_service.get_review(api_user().partnership_id, review_id))
    except NotFound:
        abort(404, message=f"There is no review {review_id}")


# -- Actions -------------------------------------------------------------------------------------


@bp.route("/actions", methods=["GET"])
@requires(bp)
@bp.arguments(TrackedActionArgsSchema, location="query")
@bp.response(200, TrackedActionSchema(many=True))
def list_actions(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The action tracker: overdue first, then by due date; filter by status, RAG, owner agency
    and source."""
    user = api_user()
    query = {
        "status": args.get("status"),
        "rag": args.get("rag"),
        "owner": str(args["owner_agency_id"]) if args.get("owner_agency_id") else None,
        "source": args.get("source_type"),
    }
    filters, errors = action_service.parse_filters(
        {k: v for k, v in query.items() if v}, user.partnership_id
    )
    if errors:
        name, message = errors[0]
        field = {"owner": "owner_agency_id", "source": "source_type"}.get(name, name)
        raise ServiceError(message, field=field)
    return [_action_dict(a) for a in action_service.tracker(user.partnership_id, filters)]


@bp.route("/actions", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(TrackedActionSchema)
@bp.response(201, TrackedActionSchema)
def create_action(data: dict[str, Any]) -> dict[str, Any]:
    """Add an action to an audit or a review: it joins the tracker."""
    user = api_user()
    kind = LinkedRecord(data["source_type"])
    try:
        record = record_service.find_record(user.partnership_id, kind, data["source_id"])
    except NotFound:
        raise ServiceError(
            f"There is no {kind.value} {data['source_id']}", field="source_id"
        ) from None
    action = action_service.add_to_record(
        user.partnership_id,
        SourceType(data["source_type"]),
        record.id,
        data["description"],
        owner_agency_id=data.get("owner_agency_id"),
        due_on=data.get("due_on"),
        actor=user,
    )
    return _action_dict(action)


# -- Theme links and evidence --------------------------------------------------------------------


def _theme_label(partnership_id: int, key: str) -> str:
    labels = record_service.theme_labels(partnership_id)
    if key not in labels:
        abort(404, message=f"There is no theme {key!r} in the codebook")
    return labels[key]


@bp.route("/themes/<theme_key>/links", methods=["POST"])
@requires(bp, Role.ADMIN, Role.ANALYST)
@bp.arguments(ThemeLinkCreateSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such theme")
@bp.alt_response(200, schema=ThemeLinkSchema, description="The theme was already linked")
@bp.response(201, ThemeLinkSchema)
def link_theme(data: dict[str, Any], theme_key: str) -> tuple[dict[str, Any], int]:
    """Link a theme to an audit, a review or an action, so its evidence shows on the record."""
    user = api_user()
    _theme_label(user.partnership_id, theme_key)
    try:
        record_service.find_record(user.partnership_id, data["record_type"], data["record_id"])
    except NotFound:
        raise ServiceError(
            f"There is no {data['record_type']} {data['record_id']}", field="record_id"
        ) from None
    link, created = record_service.link_theme(
        user.partnership_id, theme_key, data["record_type"], data["record_id"], user
    )
    body = {
        "id": link.id,
        "theme_key": link.theme_key,
        "record_type": link.record_type.value,
        "record_id": link.record_id,
        "linked_at": link.linked_at,
    }
    return body, 201 if created else 200


@bp.route("/themes/<theme_key>/evidence", methods=["GET"])
@requires(bp, *READERS)
@bp.arguments(ReportPeriodArgsSchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="No such theme")
@bp.response(200, ThemeEvidenceSchema)
def theme_evidence(args: dict[str, Any], theme_key: str) -> dict[str, Any]:
    """A theme's front-line evidence by source (counts, sentiment, quotes) and its trend, with
    the records it is linked to. Counts under the disclosure threshold are null for non-admins."""
    user = api_user()
    label = _theme_label(user.partnership_id, theme_key)
    linked = record_service.records_for_theme(user.partnership_id, theme_key)
    evidence = evidence_service.theme_evidence(
        user.partnership,
        theme_key,
        label,
        role=user.role,
        from_on=args.get("from_on"),
        to_on=args.get("to_on"),
        linked_at=min((link.linked_at for link, _ in linked), default=None),
    )
    data = evidence.as_dict()
    data["from_on"], data["to_on"] = data.pop("from"), data.pop("to")
    data["links"] = [
        {
            "record_type": link.record_type.value,
            "record_id": link.record_id,
            "title": record_service.record_title(record),
            "linked_at": link.linked_at,
        }
        for link, record in linked
    ]
    return data


@bp.route("/reports/lna", methods=["GET"])
@requires(bp, *READERS)
@bp.arguments(ReportPeriodArgsSchema, location="query")
@bp.response(200, LnaSchema)
def lna_report(args: dict[str, Any]) -> dict[str, Any]:
    """The Learning Needs Analysis for a period (default: the last 12 months): learning needs
    ranked by the weighted sum of their evidence, the method, and the priorities for next year."""
    user = api_user()
    from_on, to_on = lna_service.resolve_period(args.get("from_on"), args.get("to_on"))
    labels = record_service.theme_labels(user.partnership_id)
    report = lna_service.report(user.partnership, labels, from_on, to_on, user.role)
    data = report.as_dict()
    data["from_on"], data["to_on"] = data.pop("from"), data.pop("to")
    data["previous"] = {
        "from_on": data["previous"]["from"],
        "to_on": data["previous"]["to"],
    }
    return data
