"""Agencies and practitioners: creating them one at a time or importing a CSV list."""

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from feedback.extensions import db
from feedback.models import Agency, Partnership, Person, Sector, User
from feedback.services import ServiceError, audit, transaction

IMPORT_COLUMNS = ("name", "email", "agency", "job_role", "team")
REQUIRED_COLUMNS = ("name", "email", "agency")
MAX_IMPORT_ROWS = 50_000


@dataclass
class RowError:
    """One rejected row: its line number in the file (the header is row 1) and why."""

    row: int
    message: str


@dataclass
class ImportReport:
    """What an import did: counts of created and updated people, and every rejected row."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def list_agencies(partnership: Partnership) -> list[Agency]:
    return list(
        db.session.scalars(
            sa.select(Agency).where(Agency.partnership_id == partnership.id).order_by(Agency.name)
        )
    )


def get_agency(partnership: Partnership, agency_id: int) -> Agency | None:
    return db.session.scalar(
        sa.select(Agency).where(Agency.id == agency_id, Agency.partnership_id == partnership.id)
    )


def clean_email(raw: str) -> str:
    """The normalised, lower-cased address, or ServiceError saying what is wrong with it."""
    raw = (raw or "").strip()
    if not raw:
        raise ServiceError("Enter an email address", field="email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        raise ServiceError(
            f"'{raw}' is not a valid email address (for example name@agency.gov.uk)",
            field="email",
        ) from None
    return result.normalized.lower()


def create_agency(partnership: Partnership, name: str, sector: str, actor: User | None) -> Agency:
    """Add an agency; its name must be new to the partnership and its sector one we know."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Enter the agency's name", field="name")
    if len(name) > 200:
        raise ServiceError("Agency name must be 200 characters or fewer", field="name")
    try:
        sector_value = Sector(sector)
    except ValueError:
        choices = ", ".join(s.value for s in Sector)
        raise ServiceError(f"Sector must be one of: {choices}", field="sector") from None
    # SQLite's lower() folds only ASCII, so the exact name is matched too: otherwise "Élan"
    # twice passes this check and hits the unique constraint (a 500).
    exists = db.session.scalar(
        sa.select(Agency.id).where(
            Agency.partnership_id == partnership.id,
            sa.or_(Agency.name == name, sa.func.lower(Agency.name) == name.lower()),
        )
    )
    if exists is not None:
        raise ServiceError(f"There is already an agency called '{name}'", field="name")
    with transaction():
        agency = Agency(partnership_id=partnership.id, name=name, sector=sector_value)
        db.session.add(agency)
        db.session.flush()
        audit.record(
            "agency.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="agency",
            record_id=agency.id,
        )
    return agency


def list_people(
    partnership: Partnership, *, page: int = 1, per_page: int = 50
) -> tuple[list[Person], int]:
    """One page of practitioners by name, and how many there are in all."""
    where = Person.partnership_id == partnership.id
    total = db.session.scalar(sa.select(sa.func.count(Person.id)).where(where)) or 0
    people = db.session.scalars(
        sa.select(Person)
        .where(where)
        .order_by(Person.name, Person.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(people), total


def _check_text(value: str | None, label: str, field_name: str, limit: int) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(f"{label} must be {limit} characters or fewer", field=field_name)
    return value or None


def create_person(
    partnership: Partnership,
    *,
    name: str,
    email: str,
    agency_id: int | None,
    job_role: str | None = None,
    team: str | None = None,
    actor: User | None = None,
) -> Person:
    """Add one practitioner; the email must be new to the partnership."""
    name = _check_text(name, "Name", "name", 200) or ""
    if not name:
        raise ServiceError("Enter the practitioner's name", field="name")
    email = clean_email(email)
    agency = None
    if agency_id is not None:
        agency = get_agency(partnership, agency_id)
        if agency is None:
            raise ServiceError(f"There is no agency with id {agency_id}", field="agency_id")
    job_role = _check_text(job_role, "Job role", "job_role", 120)
    team = _check_text(team, "Team", "team", 120)
    exists = db.session.scalar(
        sa.select(Person.id).where(Person.partnership_id == partnership.id, Person.email == email)
    )
    if exists is not None:
        raise ServiceError(f"Someone with the email {email} is already listed", field="email")
    with transaction():
        person = Person(
            partnership_id=partnership.id,
            name=name,
            email=email,
            agency=agency,
            job_role=job_role,
            team=team,
        )
        db.session.add(person)
        db.session.flush()
        audit.record(
            "person.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="person",
            record_id=person.id,
        )
    return person


def decode_upload(data: bytes) -> str:
    """Text of an uploaded CSV; Excel's UTF-8 with a byte-order mark is fine."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(
            "The file is not UTF-8 text: in Excel, save it as 'CSV UTF-8 (Comma delimited)'"
        ) from None


def csv_reader(text: str, columns: Sequence[str], required: Sequence[str]) -> csv.DictReader:
    """A reader of CSV text whose header, trimmed and lower-cased, names every required column.

    A file that is empty, unreadable or missing a required column raises ServiceError naming
    row 1 and the columns expected (columns, in order).
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise ServiceError(f"Row 1: the file is not readable CSV ({exc})") from None
    header = [(h or "").strip().lower() for h in (fieldnames or [])]
    if not header:
        raise ServiceError(
            "The file is empty: the first row must name the columns " + ",".join(columns)
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise ServiceError(
            f"Row 1: the header is missing the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (expected {','.join(columns)})"
        )
    reader.fieldnames = header
    return reader


def csv_rows(reader: csv.DictReader) -> Iterator[dict[str | Any, Any]]:
    """The reader's rows; the csv module's own errors (a field over its size limit, say) become
    a refusal naming the row, before anything is written."""
    try:
        yield from reader
    except csv.Error as exc:
        raise ServiceError(
            f"Row {reader.line_num + 1}: the file is not readable CSV ({exc})"
        ) from None


def row_values(row: dict[str | Any, Any]) -> dict[str, str]:
    """A CSV row's cells by column, trimmed; a missing cell is empty, extra values are left out
    (a row with more values than the header has them under None)."""
    return {
        k: (v or "").strip() if isinstance(v, str) else "" for k, v in row.items() if k is not None
    }


def import_people_csv(partnership: Partnership, text: str, actor: User | None) -> ImportReport:
    """Create or update practitioners from CSV text with columns name,email,agency,job_role,team.

    Good rows are imported and each bad row is reported with its line number; the whole
    import is one transaction. A file without the required columns imports nothing and
    raises ServiceError.
    """
    reader = csv_reader(text, IMPORT_COLUMNS, REQUIRED_COLUMNS)

    agencies = {a.name.strip().lower(): a for a in list_agencies(partnership)}
    existing = {
        p.email: p
        for p in db.session.scalars(
            sa.select(Person).where(Person.partnership_id == partnership.id)
        )
    }
    report = ImportReport()
    seen: dict[str, int] = {}
    rows: list[tuple[int, dict[str, str | None]]] = []

    for row in csv_rows(reader):
        line = reader.line_num
        if len(rows) + len(report.errors) >= MAX_IMPORT_ROWS:
            raise ServiceError(f"The file has more than {MAX_IMPORT_ROWS:,} rows: split it up")
        values = row_values(row)
        if not any(values.values()) and None not in row:
            continue  # blank lines are not errors
        if None in row:
            report.errors.append(RowError(line, "has more values than the header has columns"))
            continue
        problems: list[str] = []
        if not values.get("name"):
            problems.append("name is missing")
        elif len(values["name"]) > 200:
            problems.append("name is longer than 200 characters")
        email = None
        try:
            email = clean_email(values.get("email", ""))
        except ServiceError as exc:
            problems.append(exc.message[0].lower() + exc.message[1:])
        agency_name = values.get("agency", "")
        agency = agencies.get(agency_name.lower()) if agency_name else None
        if not agency_name:
            problems.append("agency is missing")
        elif agency is None:
            problems.append(f"agency '{agency_name}' is not one of the partnership's agencies")
        for col, limit in (("job_role", 120), ("team", 120)):
            if len(values.get(col) or "") > limit:
                problems.append(f"{col} is longer than {limit} characters")
        if email is not None and email in seen:
            problems.append(f"email {email} is a duplicate of row {seen[email]}")
        if problems:
            report.errors.append(RowError(line, "; ".join(problems)))
            continue
        assert email is not None
        seen[email] = line
        rows.append(
            (
                line,
                {
                    "name": values["name"],
                    "email": email,
                    "agency": agency,
                    "job_role": values.get("job_role") or None,
                    "team": values.get("team") or None,
                },
            )
        )

    with transaction():
        for _line, data in rows:
            person = existing.get(data["email"])
            if person is None:
                db.session.add(Person(partnership_id=partnership.id, **data))
                report.created += 1
            else:
                changed = False
                for key, value in data.items():
                    if getattr(person, key) != value:
                        setattr(person, key, value)
                        changed = True
                report.updated += int(changed)
        audit.record(
            "person.import",
            user=actor,
            partnership_id=partnership.id,
            detail={
                "created": report.created,
                "updated": report.updated,
                "rejected": len(report.errors),
            },
        )
    return report


def people_by_emails(partnership: Partnership, text: str) -> tuple[list[int], list[str]]:
    """The practitioners named in a pasted list of email addresses (one per line, or separated
    by commas or semicolons), and a located problem for each address that is not listed."""
    wanted: list[tuple[int, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        for part in line.replace(";", ",").split(","):
            if part.strip():
                wanted.append((number, part.strip().lower()))
    if not wanted:
        return [], []
    known = dict(
        db.session.execute(
            sa.select(Person.email, Person.id).where(
                Person.partnership_id == partnership.id,
                Person.email.in_({email for _, email in wanted}),
            )
        ).all()
    )
    ids: list[int] = []
    problems: list[str] = []
    for number, email in wanted:
        if email in known:
            if known[email] not in ids:
                ids.append(known[email])
        else:
            problems.append(
                f"Line {number}: nobody with the email {email} is listed; add or import them first"
            )
    return ids, problems


def job_roles(partnership: Partnership) -> list[str]:
    """The job roles practitioners in the partnership have, in order, each once."""
    return list(
        db.session.scalars(
            sa.select(Person.job_role)
            .where(Person.partnership_id == partnership.id, Person.job_role.is_not(None))
            .distinct()
            .order_by(Person.job_role)
        )
    )
