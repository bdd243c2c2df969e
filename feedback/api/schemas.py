"""The API's payloads: each schema validates requests and generates the OpenAPI document."""

import marshmallow as ma
from marshmallow import validate

from feedback.models import Sector

# Ids and version numbers are 32-bit integer columns: a larger number names nothing, and SQLite
# cannot even bind one beyond 64 bits (OverflowError, a 500), so it is refused as bad input.
ID_RANGE = validate.Range(min=1, max=2**31 - 1)


class ErrorDetailSchema(ma.Schema):
    path = ma.fields.String(metadata={"description": "Where the problem is, e.g. 'email'"})
    message = ma.fields.String()
    row = ma.fields.Integer(metadata={"description": "CSV line number, for imports"})


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "unprocessable_entity"})
    message = ma.fields.String(required=True)
    details = ma.fields.List(ma.fields.Nested(ErrorDetailSchema), required=True)


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


class AgencySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    sector = ma.fields.String(required=True, validate=validate.OneOf([s.value for s in Sector]))


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PersonSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(required=True, validate=validate.Length(max=320))
    agency_id = ma.fields.Integer(required=True, allow_none=True, validate=ID_RANGE)
    job_role = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=120)
    )
    team = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    opted_out = ma.fields.Boolean(dump_only=True)


class PersonPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PersonSchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


class ImportRowErrorSchema(ma.Schema):
    row = ma.fields.Integer(
        required=True, metadata={"description": "Line in the file; 1 is the header"}
    )
    message = ma.fields.String(required=True)


class ImportReportSchema(ma.Schema):
    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)
    errors = ma.fields.List(ma.fields.Nested(ImportRowErrorSchema), required=True)


# -- Instruments --------------------------------------------------------------------------------

ORIGINS = ("library", "copy", "custom")


class VersionSummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.Integer(required=True, metadata={"description": "1, 2, 3 ..."})
    status = ma.fields.String(required=True, validate=validate.OneOf(["draft", "published"]))
    created_at = ma.fields.DateTime(required=True)
    published_at = ma.fields.DateTime(allow_none=True)


class InstrumentSummarySchema(ma.Schema):
    id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "null for a standard instrument not yet copied in"},
    )
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    origin = ma.fields.String(
        required=True,
        validate=validate.OneOf(ORIGINS),
        metadata={
            "description": "library: a standard instrument not yet copied in (copy it with "
            'POST /api/v1/instruments {"library_key": key}); copy: copied from the library; '
            "custom: written by the partnership"
        },
    )
    library_key = ma.fields.String(
        allow_none=True, metadata={"description": "The standard instrument it comes from"}
    )
    archived = ma.fields.Boolean(required=True)
    latest_version = ma.fields.Nested(
        VersionSummarySchema,
        allow_none=True,
        metadata={"description": "The newest version: the draft when there is one"},
    )
    latest_published_version = ma.fields.Nested(
        VersionSummarySchema,
        allow_none=True,
        metadata={"description": "The version campaigns send out"},
    )


class InstrumentCreateSchema(ma.Schema):
    definition = ma.fields.Dict(
        metadata={"description": "A forms definition (schema_version 1); see forms/README.md"}
    )
    library_key = ma.fields.String(
        metadata={"description": "Copy this standard instrument instead of sending a definition"}
    )
    publish = ma.fields.Boolean(
        load_default=False, metadata={"description": "Publish version 1 at once"}
    )

    @ma.validates_schema
    def one_source(self, data: dict, **_kwargs: object) -> None:
        if ("definition" in data) == ("library_key" in data):
            raise ma.ValidationError(
                "Send either a definition or a library_key, not both or neither",
                field_name="definition",
            )


class InstrumentCreatedSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The instrument's id"})
    version = ma.fields.Integer(required=True, metadata={"description": "The version number"})
    version_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    warnings = ma.fields.List(
        ma.fields.Nested(ErrorDetailSchema),
        metadata={"description": "XLSForm imports: things that did not stop the import"},
    )


class VersionArgsSchema(ma.Schema):
    version = ma.fields.Integer(
        validate=ID_RANGE,
        metadata={"description": "A version number; the latest when left out"},
    )


class InstrumentVersionSchema(VersionSummarySchema):
    definition = ma.fields.Dict(required=True)


class InstrumentDetailSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    origin = ma.fields.String(required=True, validate=validate.OneOf(ORIGINS))
    library_key = ma.fields.String(allow_none=True)
    archived = ma.fields.Boolean(required=True)
    version = ma.fields.Nested(InstrumentVersionSchema, required=True)
    versions = ma.fields.List(ma.fields.Nested(VersionSummarySchema), required=True)


# -- Campaigns ----------------------------------------------------------------------------------

MODES = ("identified", "confidential", "anonymous")


class AudienceSchema(ma.Schema):
    person_ids = ma.fields.List(
        ma.fields.Integer(validate=ID_RANGE), metadata={"description": "Practitioners"}
    )
    agency_ids = ma.fields.List(
        ma.fields.Integer(validate=ID_RANGE), metadata={"description": "Everyone in these agencies"}
    )
    roles = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=120)),
        metadata={"description": "Everyone with one of these job roles"},
    )


class CampaignCreateSchema(ma.Schema):
    instrument_id = ma.fields.Integer(required=True, validate=ID_RANGE)
    version = ma.fields.Integer(
        validate=ID_RANGE,
        metadata={"description": "A published version number; the latest published if left out"},
    )
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    mode = ma.fields.String(required=True, validate=validate.OneOf(MODES))
    audience = ma.fields.Nested(AudienceSchema, required=True)
    opens_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 with a time zone"}
    )
    closes_at = ma.fields.AwareDateTime(required=True)
    reminder_days = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=365)),
        load_default=lambda: [7, 14],
        metadata={"description": "Days after the invitation to remind non-responders"},
    )
    subject_template = ma.fields.String(validate=validate.Length(min=1, max=300))
    body_template = ma.fields.String(
        validate=validate.Length(min=1, max=10_000),
        metadata={"description": "Must include {link}"},
    )


class CampaignSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    mode = ma.fields.String(required=True, validate=validate.OneOf(MODES))
    status = ma.fields.String(
        required=True, validate=validate.OneOf(["draft", "live", "paused", "closed"])
    )
    instrument_id = ma.fields.Integer(required=True)
    instrument_version_id = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "The version number"})
    audience = ma.fields.Nested(AudienceSchema, required=True)
    opens_at = ma.fields.DateTime(required=True)
    closes_at = ma.fields.DateTime(required=True)
    reminder_days = ma.fields.List(ma.fields.Integer(), required=True)
    invited = ma.fields.Integer(required=True, metadata={"description": "Invitations written"})
    responses = ma.fields.Integer(required=True, metadata={"description": "Responses submitted"})
    created_at = ma.fields.DateTime(required=True)
    launched_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)


class CampaignExtendSchema(ma.Schema):
    closes_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "The new close moment, with a time zone"}
    )


RATE_FIELDS = ("invited", "sent", "failed", "opened", "started", "completed", "opted_out")


def _count(description: str) -> ma.fields.Integer:
    return ma.fields.Integer(allow_none=True, metadata={"description": description})


class RateCountsSchema(ma.Schema):
    invited = _count("Invitations written")
    sent = _count("First emails delivered to the mail server")
    failed = _count("First emails refused for good")
    opened = _count("Links opened")
    started = _count("People who saved at least one page")
    completed = _count("Responses submitted")
    opted_out = _count("People who have opted out")


class AgencyRatesSchema(RateCountsSchema):
    agency = ma.fields.String(required=True)
    suppressed = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when a count in this row is hidden (null) because it is "
            "under the disclosure threshold or would give a hidden count away"
        },
    )


class CampaignStatsSchema(ma.Schema):
    campaign_id = ma.fields.Integer(required=True)
    overall = ma.fields.Nested(RateCountsSchema, required=True)
    completion_percent = ma.fields.Float(allow_none=True)
    by_agency = ma.fields.List(ma.fields.Nested(AgencyRatesSchema), required=True)
    suppressed = ma.fields.Boolean(
        required=True, metadata={"description": "True when any per-agency count is hidden"}
    )
    disclosure_threshold = ma.fields.Integer(required=True)


class RespondentSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)


class ResponseItemSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "Random; says nothing"})
    instrument_version_id = ma.fields.Integer(required=True)
    submitted_on = ma.fields.Date(required=True)
    agency_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "null when hidden: fewer responses than the threshold share it"},
    )
    job_role = ma.fields.String(
        allow_none=True,
        metadata={"description": '"[c]" when fewer responses than the threshold share it'},
    )
    answers = ma.fields.Dict(
        required=True, metadata={"description": "{question key: stored answer}"}
    )
    person = ma.fields.Nested(
        RespondentSchema,
        metadata={"description": "Admin tokens only, and never for anonymous campaigns"},
    )
    submitted_at = ma.fields.DateTime(
        metadata={"description": "Admin tokens only, and never for anonymous campaigns"}
    )


class ResponsePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ResponseItemSchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


class ExportArgsSchema(ma.Schema):
    header = ma.fields.String(
        load_default="labels",
        validate=validate.OneOf(["labels", "keys"]),
        metadata={"description": "Header row of question labels (default) or question keys"},
    )


# -- Training ---------------------------------------------------------------------------------


class CourseSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = ma.fields.String(load_default=None, allow_none=True)
    learning_outcomes = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=3, max=8),
        metadata={"description": "3 to 8 short statements"},
    )
    themes = ma.fields.List(ma.fields.String(), load_default=list)
    level = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    format = ma.fields.String(
        load_default="face_to_face",
        validate=validate.OneOf(["face_to_face", "virtual", "e_learning"]),
    )


class CourseSessionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    course_id = ma.fields.Integer(dump_only=True)
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    venue = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    online = ma.fields.Boolean(load_default=False)
    trainer_id = ma.fields.Integer(load_default=None, allow_none=True)
    capacity = ma.fields.Integer(load_default=None, allow_none=True)


class AttendanceSchema(ma.Schema):
    person_ids = ma.fields.List(
        ma.fields.Integer(), required=True, validate=validate.Length(min=1, max=1000)
    )
    attended = ma.fields.Boolean(
        required=True, allow_none=True, metadata={"description": "null: booked, not yet marked"}
    )


class AttendanceResultSchema(ma.Schema):
    changed = ma.fields.Integer(required=True)


class StageCountsSchema(ma.Schema):
    invited = ma.fields.Integer(required=True)
    responded = ma.fields.Integer(required=True)


class OutcomeChangeSchema(ma.Schema):
    outcome = ma.fields.String(required=True)
    n_pairs = ma.fields.Integer(required=True)
    median_before = ma.fields.Float(allow_none=True)
    median_now = ma.fields.Float(allow_none=True)
    median_change = ma.fields.Float(allow_none=True)
    wilcoxon_p = ma.fields.Float(allow_none=True)
    effect_size = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "matched-pairs rank-biserial correlation, positive when confidence rose"
        },
    )
    suppressed = ma.fields.Boolean(required=True)


class BarrierSchema(ma.Schema):
    barrier = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class FollowUpSchema(ma.Schema):
    n = ma.fields.Integer(required=True)
    suppressed = ma.fields.Boolean(required=True)
    applied_pct = ma.fields.Float(allow_none=True)
    barriers = ma.fields.List(ma.fields.Nested(BarrierSchema), required=True)


class EvaluationSchema(ma.Schema):
    stages = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(StageCountsSchema), required=True
    )
    outcomes = ma.fields.List(ma.fields.Nested(OutcomeChangeSchema), required=True)
    follow_up = ma.fields.Nested(FollowUpSchema, required=True)


# -- Text analysis ------------------------------------------------------------------------------


class CodeTextArgsSchema(ma.Schema):
    texts = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=20_000)),
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Up to 1,000 free-text comments"},
    )


class ThemeCodeSchema(ma.Schema):
    key = ma.fields.String(required=True)
    confidence = ma.fields.Float(required=True)


class SentimentSchema(ma.Schema):
    label = ma.fields.String(required=True, metadata={"example": "positive"})
    polarity = ma.fields.Float(required=True)


class CodedTextSchema(ma.Schema):
    themes = ma.fields.List(ma.fields.Nested(ThemeCodeSchema), required=True)
    sentiment = ma.fields.Nested(SentimentSchema, required=True)
