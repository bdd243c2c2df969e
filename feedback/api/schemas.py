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
