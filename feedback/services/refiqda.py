"""REFI-QDA export: the codebook as a .qdc file and coded text as a .qdpx project.

REFI-QDA is the exchange standard NVivo, ATLAS.ti, MAXQDA and QualCoder read. A codebook file
is XML in the namespace urn:QDA-XML:codebook:1.0 (a CodeBook of Codes). A project file is a zip
holding project.qde (XML in urn:QDA-XML:project:1.0: Users, CodeBook, Variables, Sources) and
the plain text of every source under sources/. Here each source record (a survey response, a
visit's notes, an audit) is one TextSource whose text is its segments one after another, each
under its field's label; every confirmed theme on a segment is a Coding on a PlainTextSelection
covering exactly that segment's text (startPosition inclusive, endPosition exclusive, counted in
characters). GUIDs are name-based (uuid5), so exporting the same work again gives the same ids.
"""

import io
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Campaign, Partnership, TextSegment, User
from feedback.models.codebook import CodebookTheme, CodeStatus, SegmentCode, ThemeStatus
from feedback.services import ServiceError, codebook
from feedback.services.coding import SegmentFilters, describe, segment_query

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "Front-line Intelligence"
#: The namespace our name-based GUIDs are made in (fixed, so GUIDs are stable across exports).
GUID_NAMESPACE = uuid.UUID("5b0f3c1e-8d8a-4c1f-9a57-2f6b1d0c7e41")
#: Colours by business priority: high red, medium orange, low blue (GOV.UK palette).
PRIORITY_COLOURS = {1: "#D4351C", 2: "#F47738", 3: "#1D70B8"}
#: A project export holds at most this many segments; narrower filters for more.
MAX_SEGMENTS = 50_000
_CHUNK = 900


def guid(*parts: object) -> str:
    """A stable GUID for one thing in one partnership, e.g. guid("code", 3, "neglect")."""
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join(str(p) for p in parts)))


def _stamp(moment: datetime | None) -> str:
    return (moment or clock.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _code_description(theme: CodebookTheme) -> str:
    lines = [theme.description or theme.label]
    lines.append(f"Priority: {codebook.PRIORITIES.get(theme.priority, theme.priority)}.")
    if theme.indicators:
        lines.append("Indicators: " + "; ".join(theme.indicators) + ".")
    if theme.weak_indicators:
        lines.append("Weaker indicators: " + "; ".join(theme.weak_indicators) + ".")
    if theme.status != ThemeStatus.ACTIVE:
        lines.append(f"Status: {theme.status.label.lower()}.")
    return "\n".join(lines)


def _codes(parent: ET.Element, pid: int, themes: Iterable[CodebookTheme]) -> None:
    codes = ET.SubElement(parent, "Codes")
    for theme in themes:
        code = ET.SubElement(
            codes,
            "Code",
            {
                "guid": guid("code", pid, theme.key),
                "name": theme.label,
                "isCodable": "true",
                "color": PRIORITY_COLOURS.get(theme.priority, "#505A5F"),
            },
        )
        ET.SubElement(code, "Description").text = _code_description(theme)


def _xml(root: ET.Element) -> bytes:
    """The document as UTF-8 XML. Elements are built unqualified and the root carries the
    default namespace as its xmlns attribute, so every element is in it when read back
    (ElementTree's default_namespace option refuses unqualified attributes, which REFI uses)."""
    ET.indent(root)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()


def codebook_qdc(partnership_id: int) -> bytes:
    """The themes in use as a REFI-QDA codebook (.qdc)."""
    themes = codebook.list_themes(partnership_id, active_only=True)
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    _codes(root, partnership_id, themes)
    return _xml(root)


# -- The project ---------------------------------------------------------------------------------


@dataclass
class _Placed:
    """A segment's place in its source document."""

    segment: TextSegment
    start: int
    end: int


@dataclass
class _Document:
    guid: str
    name: str
    text: str
    placed: list[_Placed]
    first: TextSegment


def _documents(
    pid: int, segments: Sequence[TextSegment], campaigns: dict[int, str]
) -> list[_Document]:
    groups: dict[tuple[str, str], list[TextSegment]] = {}
    for segment in segments:
        groups.setdefault((segment.source_type.value, segment.source_id), []).append(segment)
    documents = []
    for (source_type, source_id), members in groups.items():
        members.sort(key=lambda s: s.id)
        parts: list[str] = []
        placed = []
        offset = 0
        for segment in members:
            heading = f"{segment.field_label or segment.field}\n"
            parts.append(heading)
            offset += len(heading)
            placed.append(_Placed(segment, offset, offset + len(segment.text)))
            parts.append(segment.text)
            offset += len(segment.text)
            parts.append("\n\n")
            offset += 2
        first = members[0]
        where = campaigns.get(first.campaign_id) if first.campaign_id else None
        name = " – ".join(p for p in (first.source_type.label, where, f"{source_id[:8]}") if p)
        documents.append(
            _Document(
                guid("source", pid, source_type, source_id), name, "".join(parts), placed, first
            )
        )
    documents.sort(key=lambda d: (d.first.occurred_on, d.name))
    return documents


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def project_qdpx(
    partnership_id: int, filters: SegmentFilters, exported_by: User | None = None
) -> bytes:
    """The segments matching the filters, with their confirmed themes, as a .qdpx project."""
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(segment_query(partnership_id, filters).subquery())
    )
    if count and count > MAX_SEGMENTS:
        raise ServiceError(
            f"{count:,} text segments match: narrow the filters to {MAX_SEGMENTS:,} or fewer "
            "to export them"
        )
    segments = list(db.session.scalars(segment_query(partnership_id, filters)))
    ids = [s.id for s in segments]
    codes: dict[int, list[SegmentCode]] = {}
    for chunk in _chunks(ids):
        for code in db.session.scalars(
            sa.select(SegmentCode)
            .where(
                SegmentCode.segment_id.in_(chunk),
                SegmentCode.coder_id.is_(None),
                SegmentCode.status == CodeStatus.CONFIRMED,
            )
            .order_by(SegmentCode.theme_key)
        ):
            codes.setdefault(code.segment_id, []).append(code)
    used = {c.theme_key for cs in codes.values() for c in cs}
    themes = [
        t
        for t in codebook.list_themes(partnership_id)
        if t.status == ThemeStatus.ACTIVE or t.key in used
    ]
    known = {t.key for t in themes}
    user_ids = {c.decided_by_id for cs in codes.values() for c in cs if c.decided_by_id}
    if exported_by is not None:
        user_ids.add(exported_by.id)
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    campaign_ids = {s.campaign_id for s in segments if s.campaign_id}
    campaigns = (
        dict(
            db.session.execute(
                sa.select(Campaign.id, Campaign.title).where(Campaign.id.in_(campaign_ids))
            ).all()
        )
        if campaign_ids
        else {}
    )
    agency_ids = {s.agency_id for s in segments if s.agency_id}
    agencies = (
        dict(
            db.session.execute(
                sa.select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))
            ).all()
        )
        if agency_ids
        else {}
    )
    partnership = db.session.get(Partnership, partnership_id)
    now = clock.now()
    attributes = {
        "xmlns": PROJECT_NS,
        "name": f"{partnership.name}: coded text" if partnership else "Coded text",
        "origin": ORIGIN,
        "creationDateTime": _stamp(now),
    }
    if exported_by is not None:
        attributes["creatingUserGUID"] = guid("user", partnership_id, exported_by.id)
    root = ET.Element("Project", attributes)
    if users:
        users_el = ET.SubElement(root, "Users")
        for user in sorted(users.values(), key=lambda u: u.id):
            ET.SubElement(
                users_el,
                "User",
                {"guid": guid("user", partnership_id, user.id), "name": user.name},
            )
    if themes:  # the schema wants at least one Code in a CodeBook
        _codes(ET.SubElement(root, "CodeBook"), partnership_id, themes)
    variables = {
        "source": guid("variable", partnership_id, "source"),
        "agency": guid("variable", partnership_id, "agency"),
        "date": guid("variable", partnership_id, "date"),
    }
    variables_el = ET.SubElement(root, "Variables")
    for key, name, kind, text in (
        ("source", "Source", "Text", "Where the text came from"),
        ("agency", "Agency", "Text", "The agency of the person or record, where known"),
        ("date", "Date", "Date", "The day the text was written or the visit happened"),
    ):
        variable = ET.SubElement(
            variables_el,
            "Variable",
            {"guid": variables[key], "name": name, "typeOfVariable": kind},
        )
        ET.SubElement(variable, "Description").text = text
    documents = _documents(partnership_id, segments, campaigns)
    files: list[tuple[str, str]] = []
    sources = ET.SubElement(root, "Sources") if documents else root
    for document in documents:
        source = ET.SubElement(
            sources,
            "TextSource",
            {
                "guid": document.guid,
                "name": document.name,
                "plainTextPath": f"internal://{document.guid}.txt",
                "creationDateTime": _stamp(document.first.created_at),
            },
        )
        files.append((f"sources/{document.guid}.txt", document.text))
        for place in document.placed:
            segment_codes = [c for c in codes.get(place.segment.id, []) if c.theme_key in known]
            if not segment_codes:
                continue
            selection = ET.SubElement(
                source,
                "PlainTextSelection",
                {
                    "guid": guid("selection", partnership_id, place.segment.id),
                    "name": (place.segment.field_label or place.segment.field)[:200],
                    "startPosition": str(place.start),
                    "endPosition": str(place.end),
                    "creationDateTime": _stamp(place.segment.created_at),
                },
            )
            for code in segment_codes:
                coding_attributes = {
                    "guid": guid("coding", partnership_id, place.segment.id, code.theme_key),
                    "creationDateTime": _stamp(code.decided_at or code.created_at),
                }
                if code.decided_by_id in users:
                    coding_attributes["creatingUser"] = guid(
                        "user", partnership_id, code.decided_by_id
                    )
                coding = ET.SubElement(selection, "Coding", coding_attributes)
                ET.SubElement(
                    coding,
                    "CodeRef",
                    {"targetGUID": guid("code", partnership_id, code.theme_key)},
                )
        first = document.first
        for key, value_tag, value in (
            ("source", "TextValue", first.source_type.label),
            ("agency", "TextValue", agencies.get(first.agency_id) if first.agency_id else None),
            (
                "date",
                "DateValue",
                first.occurred_on.isoformat() if isinstance(first.occurred_on, date) else None,
            ),
        ):
            if value is None:
                continue
            variable_value = ET.SubElement(source, "VariableValue")
            ET.SubElement(variable_value, "VariableRef", {"targetGUID": variables[key]})
            ET.SubElement(variable_value, value_tag).text = value
    ET.SubElement(root, "Description").text = (
        f"Exported from {ORIGIN} on {now.date().isoformat()}: "
        f"{describe(partnership_id, filters)}; {len(segments):,} text segments, confirmed themes "
        "only."
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _xml(root))
        for path, text in files:
            archive.writestr(path, text.encode("utf-8"))
    return buffer.getvalue()
