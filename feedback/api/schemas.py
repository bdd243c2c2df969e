"""The API's payloads: each schema validates requests and generates the OpenAPI document."""

import marshmallow as ma
from marshmallow import validate

from feedback.models import Sector


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
    agency_id = ma.fields.Integer(required=True, allow_none=True)
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
        validate=validate.Range(min=1),
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
