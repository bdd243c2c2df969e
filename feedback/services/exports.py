"""Response exports: one row per response, one column per question, streamed in bounded memory.

Rows are read with yield_per (a server-side cursor on PostgreSQL), written a batch at a time and
never all held at once, so 100,000 responses export as easily as 100. CSV is a generator of
text chunks; XLSX goes through openpyxl's write-only mode into a temporary file.

Who gets which columns:
- person columns (name, email, time of submission) only where results.may_see_people allows:
  admins, and never for anonymous campaigns;
- agency, sector and job role are what could pick one person out of a small group, so for
  anyone but admins, and for everyone in anonymous campaigns, a value shared by fewer responses
  than the disclosure threshold is shown as "[c]".
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa

import forms
from feedback.extensions import db
from feedback.models import Agency, Campaign, Partnership, Person, Response, ResponseMode, Role
from feedback.services.results import BATCH, answerable_questions, may_see_people

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HIDDEN = "[c]"
#: Spreadsheet programs run a cell starting with these as a formula; free text must not.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: Turns a stored answer (or the row, for the fixed columns) into the cell value.
    read: Callable[[Any], Any]


@dataclass(frozen=True)
class ExportPlan:
    campaign: Campaign
    columns: list[Column]
    people: bool
    #: Agency, sector and role values that may be shown, when they are limited (else None).
    shown_agencies: set[int | None] | None
    shown_roles: set[str | None] | None

    @property
    def filename_stem(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.campaign.title.lower()).strip("-")[:60]
        return f"campaign-{self.campaign.id}-{slug or 'responses'}"


def _label_of(levels: list[dict[str, Any]]) -> Callable[[Any], Any]:
    def read(stored: Any) -> Any:
        if stored is None:
            return None
        if stored == "dont_know":
            return "Don't know"
        for level in levels:
            if forms.questions.same_value(level["value"], stored):
                return level["label"]
        return stored

    return read


def question_columns(question: Mapping[str, Any]) -> list[Column]:
    """The columns one question becomes: one, or one per matrix row or outcome and moment."""
    key, label = question["key"], question["label"]
    summary = forms.summarise(question)
    kind = summary["kind"]
    if kind == "ordinal_grid":
        read_level = _label_of(summary["levels"])
        return [
            Column(
                f"{key}.{row['key']}",
                f"{label}: {row['label']}",
                lambda a, k=row["key"]: read_level(a.get(k)) if isinstance(a, Mapping) else None,
            )
            for row in summary.get("rows", [])
        ]
    if kind == "paired_ordinal":
        read_level = _label_of(summary["levels"])
        return [
            Column(
                f"{key}.{item['key']}.{moment}",
                f"{label}: {item['label']} ({moment})",
                lambda a, k=item["key"], m=moment: (
                    read_level((a.get(k) or {}).get(m))
                    if isinstance(a, Mapping) and isinstance(a.get(k), Mapping)
                    else None
                ),
            )
            for item in summary.get("items", [])
            for moment in summary.get("moments", ("before", "now"))
        ]
    if kind == "multi_categorical":
        read_level = _label_of(summary["levels"])
        columns = [
            Column(
                key,
                label,
                lambda a: (
                    "; ".join(str(read_level(v)) for v in a.get("selected", []))
                    if isinstance(a, Mapping)
                    else None
                ),
            )
        ]
        if summary.get("free_text"):
            columns.append(
                Column(
                    f"{key}.other",
                    f"{label}: other",
                    lambda a: a.get("other") if isinstance(a, Mapping) else None,
                )
            )
        return columns
    if kind == "ranking":
        read_level = _label_of(summary["levels"])
        return [
            Column(
                key,
                f"{label} (first to last)",
                lambda a: "; ".join(str(read_level(v)) for v in a) if isinstance(a, list) else None,
            )
        ]
    if question["type"] in ("rating", "safety_scale") or kind in ("number", "text", "date"):
        return [Column(key, label, lambda a: a)]
    if "levels" in summary:
        return [Column(key, label, _label_of(summary["levels"]))]
    return [Column(key, label, lambda a: a)]


def _shown_values(campaign: Campaign, column: Any, threshold: int) -> set[Any]:
    rows = db.session.execute(
        sa.select(column, sa.func.count())
        .where(Response.campaign_id == campaign.id)
        .group_by(column)
    ).all()
    return {value for value, n in rows if n >= threshold}


def plan_export(campaign: Campaign, role: Role | str) -> ExportPlan:
    """The columns of a campaign's export for this reader."""
    people = may_see_people(role, campaign.mode)
    limited = Role(role) != Role.ADMIN or campaign.mode == ResponseMode.ANONYMOUS
    threshold = db.session.get(Partnership, campaign.partnership_id).disclosure_threshold
    shown_agencies = _shown_values(campaign, Response.agency_id, threshold) if limited else None
    shown_roles = _shown_values(campaign, Response.job_role, threshold) if limited else None

    def agency(row: Any) -> Any:
        if shown_agencies is not None and row.agency_id not in shown_agencies:
            return HIDDEN
        return row.agency_name

    def sector(row: Any) -> Any:
        if shown_agencies is not None and row.agency_id not in shown_agencies:
            return HIDDEN
        return row.sector.label if row.sector else None

    def job_role(row: Any) -> Any:
        if shown_roles is not None and row.job_role not in shown_roles:
            return HIDDEN
        return row.job_role

    fixed = [
        Column("response_id", "Response", lambda r: r.id),
        Column("submitted_on", "Submitted on", lambda r: r.submitted_on.isoformat()),
    ]
    if people:
        fixed += [
            Column("person_name", "Name", lambda r: r.person_name),
            Column("person_email", "Email", lambda r: r.person_email),
            Column(
                "submitted_at",
                "Submitted at (UTC)",
                lambda r: r.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if r.submitted_at else None,
            ),
        ]
    fixed += [
        Column("agency", "Agency", agency),
        Column("sector", "Sector", sector),
        Column("job_role", "Job role", job_role),
    ]
    answer_columns = []
    for question in answerable_questions(campaign.instrument_version.definition):
        for column in question_columns(question):
            answer_columns.append(
                Column(
                    column.key,
                    column.label,
                    lambda r, c=column, k=question["key"]: c.read((r.answers or {}).get(k)),
                )
            )
    return ExportPlan(
        campaign=campaign,
        columns=fixed + answer_columns,
        people=people,
        shown_agencies=shown_agencies,
        shown_roles=shown_roles,
    )


def _rows(plan: ExportPlan) -> Iterator[Any]:
    columns: list[Any] = [
        Response.id,
        Response.submitted_on,
        Response.submitted_at,
        Response.agency_id,
        Response.job_role,
        Response.answers,
        Agency.name.label("agency_name"),
        Agency.sector.label("sector"),
    ]
    query = sa.select(*columns)
    if plan.people:
        query = query.add_columns(
            Person.name.label("person_name"), Person.email.label("person_email")
        ).outerjoin(Person, Person.id == Response.person_id)
    query = (
        query.outerjoin(Agency, Agency.id == Response.agency_id)
        .where(Response.campaign_id == plan.campaign.id)
        .order_by(Response.id)
        .execution_options(yield_per=BATCH)
    )
    yield from db.session.execute(query)


def safe(value: Any) -> Any:
    """A cell value a spreadsheet will show as typed, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def header(plan: ExportPlan, keys: bool = False) -> list[str]:
    return [c.key if keys else c.label for c in plan.columns]


def iter_records(plan: ExportPlan) -> Iterator[list[Any]]:
    """Each response as a list of cell values, in column order."""
    for row in _rows(plan):
        yield [c.read(row) for c in plan.columns]


def stream_csv(plan: ExportPlan, keys: bool = False) -> Iterator[str]:
    """The export as CSV text, a batch of rows at a time (starting with a byte-order mark, so
    Excel reads the UTF-8 correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(plan, keys))
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, record in enumerate(iter_records(plan), start=1):
        writer.writerow([safe(v) for v in record])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def xlsx_file(
    sheets: list[tuple[str, Iterator[list[Any]] | list[list[Any]]]],
) -> IO[bytes]:
    """A workbook written in openpyxl's write-only mode to a temporary file, rewound for sending.

    Each sheet is (title, rows); rows may be a generator, so nothing needs to be held in memory.
    Text cells are always stored as text, so an answer starting with "=" is never a formula.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, rows in sheets:
        name = _sheet_name(title, used)
        sheet = workbook.create_sheet(name)
        for record in rows:
            cells = []
            for value in record:
                value = str(value) if value is not None and not _plain(value) else value
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
    # Not a context manager: send_file closes it once the response has been sent.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def _plain(value: Any) -> bool:
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "Sheet"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base[:25]} {n}"
    used.add(name.lower())
    return name


def export_xlsx(plan: ExportPlan, keys: bool = False) -> IO[bytes]:
    """The export as an .xlsx workbook in a temporary file: responses, then the question keys."""

    def rows() -> Iterator[list[Any]]:
        yield header(plan, keys)
        yield from iter_records(plan)

    codebook = [["Column", "Label"], *[[c.key, c.label] for c in plan.columns]]
    return xlsx_file([("Responses", rows()), ("Columns", codebook)])
