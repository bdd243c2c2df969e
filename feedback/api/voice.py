"""API: Child and family voice records.

The same rules as the pages (feedback.services.voice): admins, scrutineers and trainers record;
a record is seen only by admins and the person who recorded it, and every such view is audited;
everyone else reads counts and themes, with small counts hidden.
"""

from typing import Any

import marshmallow as ma
from marshmallow import validate

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import ID_RANGE, ErrorSchema, PageArgsSchema
from feedback.models import Role
from feedback.models.voice import (
    CaptureMethod,
    ConsentBy,
    SettingType,
    Sharing,
    VoiceRecord,
)
from feedback.services import NotFound, whole_number_or_none
from feedback.services import voice as voice_service
from feedback.services.voice import FORMS, RECORDERS, VoiceInputError

bp = make_blueprint(
    "api_voice",
    __name__,
    "/api/v1",
    "Child and family voice: what children, young people and parents told practitioners, or "
    "answered themselves from a link. Admins, scrutineers and trainers record; a record is seen "
    "only by admins and the practitioner who recorded it (each view is audited). Everyone else "
    "reads counts and themes, with counts under the disclosure threshold hidden. No child's "
    "name or date of birth is ever accepted or returned.",
)

ALL = tuple(Role)

#: Service field names as the API spells them.
PATHS = {
    "consent_by": "consent.given_by",
    "assent": "consent.assent",
    "sharing": "consent.sharing",
}


# -- Schemas -------------------------------------------------------------------------------------


class VoiceConsentInSchema(ma.Schema):
    given_by = ma.fields.String(
        required=True,
        validate=validate.OneOf([c.value for c in ConsentBy]),
        metadata={
            "description": "Children: parent_carer, child (competent to decide), "
            "local_authority or nobody. Parents and carers: self or nobody."
        },
    )
    assent = ma.fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Children only, required: did the child agree to share?"},
    )
    sharing = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([s.value for s in Sharing]),
        metadata={"description": "Required when consent is given; ignored without it"},
    )


class VoiceCreateSchema(ma.Schema):
    form_key = ma.fields.String(
        required=True,
        validate=validate.OneOf(list(FORMS)),
        metadata={"description": "The library form for the child's age, or family_voice"},
    )
    setting_type = ma.fields.String(
        required=True, validate=validate.OneOf([s.value for s in SettingType])
    )
    setting_detail = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=120)
    )
    agency_id = ma.fields.Integer(
        required=True, validate=ID_RANGE, metadata={"description": "The practitioner's agency"}
    )
    local_reference = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "Your own reference; a date or a name is refused"},
    )
    method = ma.fields.String(
        required=True, validate=validate.OneOf([m.value for m in CaptureMethod])
    )
    occurred_on = ma.fields.Date(
        required=True, metadata={"description": "The day it was gathered; not in the future"}
    )
    consent = ma.fields.Nested(VoiceConsentInSchema, required=True)
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
        values=ma.fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Answers by question key, as stored: scales as numbers, text as "
            "strings, multiple choice as {selected: [...], other: text}"
        },
    )


class VoiceConsentOutSchema(ma.Schema):
    given_by = ma.fields.String(required=True)
    assent = ma.fields.Boolean(allow_none=True)
    consented = ma.fields.Boolean(
        required=True, metadata={"description": "Whether the words could be kept"}
    )
    sharing = ma.fields.String(allow_none=True)


class VoiceRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True)
    form_key = ma.fields.String(required=True)
    respondent = ma.fields.String(required=True)
    age_band = ma.fields.String(allow_none=True)
    setting_type = ma.fields.String(required=True)
    setting_detail = ma.fields.String(allow_none=True)
    agency_id = ma.fields.Integer(allow_none=True)
    local_reference = ma.fields.String(allow_none=True)
    method = ma.fields.String(allow_none=True)
    occurred_on = ma.fields.Date(required=True)
    consent = ma.fields.Nested(VoiceConsentOutSchema, required=True)
    answers = ma.fields.Dict(required=True)
    text_dropped = ma.fields.Boolean(
        required=True, metadata={"description": "Words were written but not kept: no consent"}
    )
    flagged = ma.fields.Boolean(required=True)
    risk_categories = ma.fields.List(ma.fields.String(), required=True)
    flagged_at = ma.fields.DateTime(allow_none=True)
    followed_up_at = ma.fields.DateTime(allow_none=True)
    follow_up_note = ma.fields.String(allow_none=True)
    recorded_by_id = ma.fields.Integer(allow_none=True)
    collection_id = ma.fields.Integer(allow_none=True)


class VoiceSignalSchema(ma.Schema):
    category = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class VoiceSafeguardingSchema(ma.Schema):
    flagged = ma.fields.Boolean(
        required=True, metadata={"description": "The record is flagged for the partnership team"}
    )
    signals = ma.fields.List(
        ma.fields.Nested(VoiceSignalSchema),
        required=True,
        metadata={"description": "Cues of risk found in what was written now"},
    )
    prompt = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Show this to the person recording at once when it is not null: "
            "this platform is not a referral route"
        },
    )


class VoiceCreatedSchema(ma.Schema):
    record = ma.fields.Nested(VoiceRecordSchema, required=True)
    safeguarding = ma.fields.Nested(VoiceSafeguardingSchema, required=True)
    notice = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Tell the person recording, e.g. that words were not kept"},
    )


class VoicePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(VoiceRecordSchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


class VoiceCountRowSchema(ma.Schema):
    label = ma.fields.String(required=True)
    count = ma.fields.Integer(allow_none=True, required=True)
    suppressed = ma.fields.Boolean(required=True)


class VoiceCountTableSchema(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    rows = ma.fields.List(ma.fields.Nested(VoiceCountRowSchema), required=True)
    total = ma.fields.Integer(allow_none=True)
    total_suppressed = ma.fields.Boolean(required=True)


class VoiceSummarySchema(ma.Schema):
    threshold = ma.fields.Integer(required=True)
    suppressing = ma.fields.Boolean(
        required=True, metadata={"description": "Counts under the threshold are null for you"}
    )
    total = ma.fields.Integer(allow_none=True, required=True)
    tables = ma.fields.List(ma.fields.Nested(VoiceCountTableSchema), required=True)
    themes = ma.fields.Nested(VoiceCountTableSchema, required=True)


class VoiceFollowUpSchema(ma.Schema):
    note = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=voice_service.MAX_FOLLOW_UP_NOTE),
        metadata={"description": "What was done to follow the flag up"},
    )


# -- Helpers -------------------------------------------------------------------------------------


def _record_body(r: VoiceRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "channel": r.channel.value,
        "form_key": r.form_key,
        "respondent": r.respondent.value,
        "age_band": r.age_band.value if r.age_band else None,
        "setting_type": r.setting_type.value,
        "setting_detail": r.setting_detail,
        "agency_id": r.agency_id,
        "local_reference": r.local_reference,
        "method": r.method.value if r.method else None,
        "occurred_on": r.occurred_on,
        "consent": {
            "given_by": r.consent_by.value,
            "assent": r.assent,
            "consented": r.consented,
            "sharing": r.sharing.value if r.sharing else None,
        },
        "answers": dict(r.answers or {}),
        "text_dropped": r.text_dropped,
        "flagged": r.flagged,
        "risk_categories": list(r.risk_categories or []),
        "flagged_at": r.flagged_at,
        "followed_up_at": r.followed_up_at,
        "follow_up_note": r.follow_up_note,
        "recorded_by_id": r.recorded_by_id,
        "collection_id": r.collection_id,
    }


def _located(exc: VoiceInputError) -> VoiceInputError:
    """The service's field names as the API spells them."""
    details = []
    for d in exc.details:
        path = d["path"]
        details.append({"path": PATHS.get(path, path), "message": d["message"]})
    return VoiceInputError(details)


def _id(value: str) -> int:
    number = whole_number_or_none(value, max_digits=9)
    if number is None:
        raise NotFound(f"There is no voice record {value[:20]} you can see", field="id")
    return number


def _table(table: voice_service.CountTable) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "rows": [
            {
                "label": label,
                "count": cell if isinstance(cell, int) else None,
                "suppressed": not isinstance(cell, int),
            }
            for label, cell in table.rows
        ],
        "total": table.total if isinstance(table.total, int) else None,
        "total_suppressed": table.total is not None and not isinstance(table.total, int),
    }


# -- Endpoints -----------------------------------------------------------------------------------


@bp.route("/voice", methods=["POST"])
@requires(bp, *RECORDERS)
@bp.arguments(VoiceCreateSchema)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Bad input, each problem located: an unknown agency, a date in the future, a "
    "local reference holding a date or a name, consent missing, an answer its question cannot "
    "take ...",
)
@bp.response(201, VoiceCreatedSchema)
def create_voice(data: dict[str, Any]) -> dict[str, Any]:
    """Record what a child or parent said. Without consent no free text is kept (notice says
    so). When the words suggest a risk, the record is flagged and safeguarding.prompt must be
    shown to the person recording at once."""
    user = api_user()
    consent = data["consent"]
    spec = voice_service.VoiceSpec(
        form_key=data["form_key"],
        setting_type=data["setting_type"],
        agency_id=data["agency_id"],
        occurred_on=data["occurred_on"],
        method=data["method"],
        consent_by=consent["given_by"],
        assent=consent.get("assent"),
        sharing=consent.get("sharing"),
        setting_detail=data.get("setting_detail"),
        local_reference=data.get("local_reference"),
        answers=data.get("answers") or {},
    )
    try:
        outcome = voice_service.record_voice(user.partnership, spec, user)
    except VoiceInputError as exc:
        raise _located(exc) from None
    return {
        "record": _record_body(outcome.record),
        "safeguarding": {
            "flagged": outcome.record.flagged,
            "signals": [{"category": s.category, "label": s.label} for s in outcome.signals],
            "prompt": outcome.prompt,
        },
        "notice": voice_service.TEXT_DROPPED_NOTICE if outcome.text_dropped else None,
    }


@bp.route("/voice", methods=["GET"])
@requires(bp, *RECORDERS)
@bp.arguments(PageArgsSchema, location="query")
@bp.alt_response(422, schema=ErrorSchema, description="A page or page size out of range")
@bp.response(200, VoicePageSchema)
def list_voice(args: dict[str, Any]) -> dict[str, Any]:
    """The records you may see, newest first: every record for admins, your own for
    scrutineers and trainers. Each record returned is an audited view."""
    user = api_user()
    per_page = min(args["per_page"], voice_service.MAX_PER_PAGE)
    records, total = voice_service.list_records(user.partnership, user, args["page"], per_page)
    voice_service.record_views(records, user, "api")
    return {
        "items": [_record_body(r) for r in records],
        "total": total,
        "page": args["page"],
        "per_page": per_page,
    }


@bp.route("/voice/summary", methods=["GET"])
@requires(bp, *ALL)
@bp.response(200, VoiceSummarySchema)
def voice_summary() -> dict[str, Any]:
    """Counts by age band, setting, agency, month and channel, and confirmed themes. For tokens
    other than admins', counts under the disclosure threshold (and any that would give one
    away) are null with suppressed true."""
    user = api_user()
    result = voice_service.summary(user.partnership, user.role)
    return {
        "threshold": result.threshold,
        "suppressing": result.suppressing,
        "total": result.total if isinstance(result.total, int) else None,
        "tables": [_table(t) for t in result.tables],
        "themes": _table(result.themes),
    }


@bp.route("/voice/<record_id>", methods=["GET"])
@requires(bp, *RECORDERS)
@bp.alt_response(404, schema=ErrorSchema, description="No such record, or not yours to see")
@bp.response(200, VoiceRecordSchema)
def get_voice(record_id: str) -> dict[str, Any]:
    """One record, for an admin or the practitioner who recorded it; the view is audited."""
    user = api_user()
    return _record_body(voice_service.view_record(user.partnership, _id(record_id), user, "api"))


@bp.route("/voice/<record_id>/follow-up", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(VoiceFollowUpSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such record")
@bp.alt_response(
    422, schema=ErrorSchema, description="Not flagged, already followed up, or no note"
)
@bp.response(200, VoiceRecordSchema)
def follow_up_voice(data: dict[str, Any], record_id: str) -> dict[str, Any]:
    """Mark a flagged record as followed up, saying what was done (audited)."""
    user = api_user()
    record = voice_service.get_record(user.partnership, _id(record_id), user)
    voice_service.follow_up(record, data["note"], user)
    return _record_body(record)
