"""API: survey instruments, their versions, publishing, and XLSForm upload and download."""

from typing import Any

from flask import Response, request
from flask_smorest import abort

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import (
    ErrorSchema,
    InstrumentCreatedSchema,
    InstrumentCreateSchema,
    InstrumentDetailSchema,
    InstrumentSummarySchema,
    VersionArgsSchema,
)
from feedback.models import Instrument, InstrumentVersion, Role
from feedback.services import NotFound, instruments, whole_number_or_none

bp = make_blueprint(
    "api_instruments",
    __name__,
    "/api/v1/instruments",
    "Survey instruments and their versions. A published version never changes; campaigns "
    "send a published version and responses record which one they answered.",
)

XLSX = instruments.XLSX_MIMETYPE


def _version(v: InstrumentVersion | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "id": v.id,
        "number": v.number,
        "status": v.status.value,
        "created_at": v.created_at,
        "published_at": v.published_at,
    }


def _id(value: str) -> int:
    """The instrument id from the path; anything but digits is no instrument (404).

    Path parameters are untyped (<instrument_id>, not <int:...>) so the route and its OpenAPI
    path read the same.
    """
    number = whole_number_or_none(value, max_digits=18)
    if number is None:
        raise NotFound(f"There is no instrument with id {value[:20]}", field="id")
    return number


def _origin(instrument: Instrument) -> str:
    return "copy" if instrument.source else "custom"


def _created(version: InstrumentVersion, warnings: list | None = None) -> dict[str, Any]:
    return {
        "id": version.instrument_id,
        "version": version.number,
        "version_id": version.id,
        "status": version.status.value,
        "warnings": [{"path": p.path, "message": p.message} for p in warnings or []],
    }


# -- Listing and reading --------------------------------------------------------------------------


@bp.route("", methods=["GET"])
@requires(bp)
@bp.response(200, InstrumentSummarySchema(many=True))
def list_instruments() -> list[dict[str, Any]]:
    """The partnership's instruments, then the standard ones it has not copied in yet.

    Standard instruments not yet copied in have id null and origin "library"; copy one with
    POST /api/v1/instruments {"library_key": key}. Listing never copies anything.
    """
    partnership = api_user().partnership
    items: list[dict[str, Any]] = [
        {
            "id": i.id,
            "key": i.key,
            "title": i.title,
            "origin": _origin(i),
            "library_key": i.source,
            "archived": i.archived,
            "latest_version": _version(i.latest),
            "latest_published_version": _version(i.latest_published),
        }
        for i in instruments.list_instruments(partnership)
    ]
    items += [
        {
            "id": None,
            "key": key,
            "title": title,
            "origin": "library",
            "library_key": key,
            "archived": False,
            "latest_version": None,
            "latest_published_version": None,
        }
        for key, title in instruments.library_not_copied(partnership)
    ]
    return items


@bp.route("/<instrument_id>", methods=["GET"])
@requires(bp)
@bp.arguments(VersionArgsSchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="No such instrument or version")
@bp.response(200, InstrumentDetailSchema)
def get_instrument(args: dict[str, int], instrument_id: str) -> dict[str, Any]:
    """One instrument with a version's definition (the latest unless ?version=N)."""
    partnership = api_user().partnership
    version = instruments.get_version(partnership, _id(instrument_id), args.get("version"))
    instrument = version.instrument
    return {
        "id": instrument.id,
        "key": instrument.key,
        "title": instrument.title,
        "origin": _origin(instrument),
        "library_key": instrument.source,
        "archived": instrument.archived,
        "version": {**(_version(version) or {}), "definition": version.definition},
        "versions": [_version(v) for v in instrument.versions],
    }


# -- Creating and publishing ----------------------------------------------------------------------


@bp.route("", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(InstrumentCreateSchema)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="The definition has problems, each located by its path "
    "(pages[1].questions[3].label), or the key is already used",
)
@bp.response(201, InstrumentCreatedSchema)
def create_instrument(data: dict[str, Any]) -> dict[str, Any]:
    """Create an instrument from a definition, or copy a standard one in (version 1).

    A definition with any problem is refused whole. Version 1 is a draft unless publish is true.
    """
    user = api_user()
    if "library_key" in data:
        version = instruments.copy_from_library(
            user.partnership, data["library_key"], user, publish=data["publish"]
        )
    else:
        version = instruments.create_instrument(
            user.partnership, data["definition"], user, publish=data["publish"]
        )
    return _created(version)


@bp.route("/<instrument_id>/publish", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.alt_response(404, schema=ErrorSchema, description="No such instrument")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="The draft has problems (each located by its path), or there is no draft",
)
@bp.response(200, InstrumentCreatedSchema)
def publish_instrument(instrument_id: str) -> dict[str, Any]:
    """Publish the instrument's draft; from then on that version never changes."""
    user = api_user()
    return _created(instruments.publish(user.partnership, _id(instrument_id), user))


# -- XLSForm ------------------------------------------------------------------------------------


@bp.route("/import-xlsform", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.doc(
    requestBody={
        "required": True,
        "description": "An XLSForm workbook (.xlsx) with survey, choices and settings sheets. "
        "A form key already in use makes the next draft version of that instrument.",
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
    }
)
@bp.alt_response(415, schema=ErrorSchema, description="The body is not an .xlsx workbook")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Problems located by sheet and row ('survey row 12') or definition path",
)
@bp.response(201, InstrumentCreatedSchema)
def import_xlsform() -> dict[str, Any]:
    """Create (or make the next draft of) an instrument from an XLSForm workbook."""
    if request.mimetype != XLSX:
        abort(415, message=f"Send the workbook as the request body with Content-Type: {XLSX}")
    user = api_user()
    result = instruments.import_xlsform(user.partnership, request.get_data(cache=False), user)
    return _created(result.version, result.warnings)


@bp.route("/<instrument_id>/xlsform", methods=["GET"])
@requires(bp)
@bp.arguments(VersionArgsSchema, location="query")
@bp.alt_response(404, schema=ErrorSchema, description="No such instrument or version")
@bp.response(
    200,
    description="The version as an XLSForm workbook",
    content_type=XLSX,
)
def download_xlsform(args: dict[str, int], instrument_id: str) -> Response:
    """A version (the latest unless ?version=N) as an XLSForm workbook."""
    partnership = api_user().partnership
    version = instruments.get_version(partnership, _id(instrument_id), args.get("version"))
    data, filename = instruments.export_xlsform(version)
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
