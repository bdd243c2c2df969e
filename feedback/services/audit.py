"""The audit log: recording events inside the caller's transaction, and searching them."""

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import AuditEvent, Partnership, User
from feedback.services import whole_number_or_none

#: What the search page calls the commonest actions; any other shows as its dotted name.
ACTION_LABELS = {
    "user.sign_in": "Signed in",
    "user.sign_in_failed": "Sign-in failed",
    "user.lock": "Account locked after failed sign-ins",
    "user.unlock": "Account unlocked",
    "user.create": "Account created",
    "api_token.create": "API token issued",
    "api_token.revoke": "API tokens revoked",
    "person.opt_out": "Opted out of emails",
    "person.subject_access": "Subject access export",
    "person.erase": "Personal data erased",
    "responses.export": "Responses downloaded",
    "responses.view_identifiable": "Identifiable responses viewed",
    "results.export": "Results downloaded",
    "audit_log.export": "Audit log downloaded",
    "partnership.privacy_notice": "Privacy notice changed",
    "partnership.retention": "Retention periods changed",
    "retention.deidentify": "Identifiable links removed (retention)",
}

#: The longest text the search box takes.
TEXT_MAX = 200


def record(
    action: str,
    *,
    user: User | None = None,
    partnership_id: int | None = None,
    record_type: str | None = None,
    record_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it lands with the change it describes."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        partnership_id=partnership_id
        if partnership_id is not None
        else (user.partnership_id if user is not None else None),
        record_type=record_type,
        record_id=str(record_id) if record_id is not None else None,
        detail=detail,
    )
    db.session.add(event)
    return event


def label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def describe_detail(detail: Mapping[str, Any] | None) -> str:
    """An event's detail as short readable text ("reason: locked; count: 2")."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        shown = value if isinstance(value, str | int | float) else json.dumps(value, default=str)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


# -- Searching -----------------------------------------------------------------------------------

SYSTEM = "system"


@dataclass(frozen=True)
class AuditFilters:
    """What the admin asked for; every part optional."""

    #: A user's id as text, or SYSTEM for events no user caused (jobs, unknown sign-ins).
    user: str = ""
    action: str = ""
    record_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""

    @property
    def active(self) -> bool:
        return any(
            (self.user, self.action, self.record_type, self.date_from, self.date_to, self.text)
        )

    def query_args(self) -> dict[str, str]:
        """The filters as the search form's query string, for pagination and the download."""
        args = {
            "user": self.user,
            "action": self.action,
            "record_type": self.record_type,
            "text": self.text,
        }
        for prefix, value in (("from", self.date_from), ("to", self.date_to)):
            if value is not None:
                args.update(
                    {
                        f"{prefix}-day": str(value.day),
                        f"{prefix}-month": str(value.month),
                        f"{prefix}-year": str(value.year),
                    }
                )
        return {k: v for k, v in args.items() if v}


def _date_from_args(
    args: Mapping[str, str], prefix: str, label_text: str
) -> tuple[date | None, str | None]:
    parts = [(args.get(f"{prefix}-{p}") or "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None, None
    names = ("a day", "a month", "a year")
    missing = [names[i] for i, part in enumerate(parts) if not part]
    if missing:
        return None, f"{label_text} must include {' and '.join(missing)}"
    try:
        day, month, year = (int(p) for p in parts)
        if year < 1000:
            raise ValueError
        return date(year, month, day), None
    except ValueError:
        return None, f"{label_text} must be a real date, for example 27 3 2027"


def parse_filters(
    partnership: Partnership, args: Mapping[str, str]
) -> tuple[AuditFilters, list[tuple[str, str]]]:
    """Filters from a query string, and (field, message) for each part that makes no sense."""
    errors: list[tuple[str, str]] = []
    user = (args.get("user") or "").strip()
    if user and user != SYSTEM:
        user_id = whole_number_or_none(user)
        known = user_id is not None and db.session.scalar(
            sa.select(User.id).where(User.id == user_id, User.partnership_id == partnership.id)
        )
        if not known:
            errors.append(("user", "Choose a user from the list"))
            user = ""
    date_from, problem = _date_from_args(args, "from", "Date from")
    if problem:
        errors.append(("from-day", problem))
    date_to, problem = _date_from_args(args, "to", "Date to")
    if problem:
        errors.append(("to-day", problem))
    if date_from and date_to and date_to < date_from:
        errors.append(("to-day", "Date to must be the same as or after date from"))
        date_to = None
    text = (args.get("text") or "").strip()
    if len(text) > TEXT_MAX:
        errors.append(("text", f"Search text must be {TEXT_MAX} characters or fewer"))
        text = text[:TEXT_MAX]
    filters = AuditFilters(
        user=user,
        action=(args.get("action") or "").strip()[:80],
        record_type=(args.get("record_type") or "").strip()[:60],
        date_from=date_from,
        date_to=date_to,
        text=text,
    )
    return filters, errors


def filter_choices(partnership: Partnership) -> dict[str, list[Any]]:
    """The users, actions and record types the partnership's log holds, for the select boxes."""
    scoped = AuditEvent.partnership_id == partnership.id
    return {
        "users": [
            (str(uid), email)
            for uid, email in db.session.execute(
                sa.select(User.id, User.email)
                .where(User.partnership_id == partnership.id)
                .order_by(User.email)
            )
        ],
        "actions": list(
            db.session.scalars(
                sa.select(AuditEvent.action).where(scoped).distinct().order_by(AuditEvent.action)
            )
        ),
        "record_types": list(
            db.session.scalars(
                sa.select(AuditEvent.record_type)
                .where(scoped, AuditEvent.record_type.is_not(None))
                .distinct()
                .order_by(AuditEvent.record_type)
            )
        ),
    }


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _query(partnership_id: int, filters: AuditFilters) -> sa.Select[Any]:
    query = (
        sa.select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.partnership_id == partnership_id)
    )
    if filters.user == SYSTEM:
        query = query.where(AuditEvent.user_id.is_(None))
    elif filters.user:
        query = query.where(AuditEvent.user_id == int(filters.user))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.record_type:
        query = query.where(AuditEvent.record_type == filters.record_type)
    if filters.date_from:
        query = query.where(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(1)))
    if filters.text:
        needle = filters.text.lower()
        searched = [
            AuditEvent.action,
            AuditEvent.record_type,
            AuditEvent.record_id,
            sa.cast(AuditEvent.detail, sa.Text),
            User.email,
        ]
        query = query.where(
            sa.or_(
                *(
                    sa.func.lower(sa.func.coalesce(column, "")).contains(needle, autoescape=True)
                    for column in searched
                )
            )
        )
    return query


def search(
    partnership: Partnership, filters: AuditFilters, *, page: int = 1, per_page: int = 50
) -> tuple[list[tuple[AuditEvent, str | None]], int]:
    """One page of matching events, newest first, each with its user's email; and the total."""
    query = _query(partnership.id, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return [(event, email) for event, email in rows], total


CSV_HEADER = ["Time (UTC)", "User", "Action", "Record type", "Record id", "Detail"]


def stream_csv(partnership: Partnership, filters: AuditFilters) -> Iterator[str]:
    """Every matching event as CSV, oldest first, a batch at a time.

    The query is built now, from plain values, so the stream needs no ORM object later.
    """
    query = (
        _query(partnership.id, filters)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
        .execution_options(yield_per=500)
    )
    return _csv_rows(query)


def _csv_rows(query: sa.Select[Any]) -> Iterator[str]:
    from feedback.services.exports import safe

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, (event, email) in enumerate(db.session.execute(query), start=1):
        writer.writerow(
            [
                safe(value)
                for value in (
                    event.occurred_at.isoformat(timespec="seconds"),
                    email or "system",
                    event.action,
                    event.record_type or "",
                    event.record_id or "",
                    json.dumps(event.detail, sort_keys=True) if event.detail else "",
                )
            ]
        )
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def about(
    partnership_id: int, record_type: str, record_id: object
) -> list[tuple[AuditEvent, str | None]]:
    """Every event about one of the partnership's records, oldest first, with who acted."""
    return [
        (event, email)
        for event, email in db.session.execute(
            sa.select(AuditEvent, User.email)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(
                AuditEvent.partnership_id == partnership_id,
                AuditEvent.record_type == record_type,
                AuditEvent.record_id == str(record_id),
            )
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    ]
