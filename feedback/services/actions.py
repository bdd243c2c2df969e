"""Tracked actions: agreed on a visit, a conversation, an audit or a review, followed to done.

The RAG rating is worked out, never stored: an unfinished action past its due date is red by
itself, a finished one (complete or closed) green, anything else amber. The tracker lists
overdue actions first, then the rest by due date, finished ones last.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, ActionStatus, ActionUpdate, Agency, SourceType, User
from feedback.services import NotFound, ServiceError, audit, transaction, whole_number_or_none

#: Statuses that mean nothing more is owed; such an action is never overdue.
FINISHED = frozenset({ActionStatus.COMPLETE, ActionStatus.CLOSED})
#: The words shown in the RAG tag, and the GOV.UK tag colour that goes with each.
RAG_LABELS = {"red": "Red", "amber": "Amber", "green": "Green"}
RAG_TAGS = {"red": "govuk-tag--red", "amber": "govuk-tag--orange", "green": "govuk-tag--green"}
MAX_DESCRIPTION = 2000
MAX_NOTE = 5000
#: A due date further ahead than this is a typing mistake.
MAX_YEARS_AHEAD = 5


def rag(action: Action, today: date | None = None) -> str:
    """ "red" when overdue and unfinished, "green" when finished, otherwise "amber"."""
    today = today or clock.today()
    if action.status in FINISHED:
        return "green"
    if action.due_on is not None and action.due_on < today:
        return "red"
    return "amber"


def is_overdue(action: Action, today: date | None = None) -> bool:
    """Past its due date and not finished."""
    return rag(action, today) == "red"


def days_overdue(action: Action, today: date | None = None) -> int:
    """How many days past its due date an unfinished action is (0 when it is not overdue)."""
    today = today or clock.today()
    if not is_overdue(action, today) or action.due_on is None:
        return 0
    return (today - action.due_on).days


def _check_due(due_on: date | None) -> None:
    if due_on is None:
        return
    if not date(2000, 1, 1) <= due_on <= clock.today() + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise ServiceError(
            f"Enter a due date no more than {MAX_YEARS_AHEAD} years from now", field="due_on"
        )


def _check_owner(partnership_id: int, owner_agency_id: int | None) -> None:
    if owner_agency_id is None:
        return
    agency = db.session.get(Agency, owner_agency_id)
    if agency is None or agency.partnership_id != partnership_id:
        raise ServiceError(
            "Choose the agency that owns the action from the list", field="owner_agency_id"
        )


def _clean_description(description: str | None) -> str:
    description = (description or "").strip()
    if not description:
        raise ServiceError("Describe the action", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            f"The action must be {MAX_DESCRIPTION:,} characters or fewer", field="description"
        )
    return description


def create(
    partnership_id: int,
    source_type: SourceType,
    source_id: object,
    description: str,
    *,
    owner_agency_id: int | None,
    due_on: date | None,
    actor: User | None,
) -> Action:
    """Add an action to the session (the caller's transaction commits it)."""
    description = (description or "").strip()
    if not description:
        raise ServiceError("Describe the action", field="description")
    action = Action(
        partnership_id=partnership_id,
        source_type=source_type,
        source_id=str(source_id),
        description=description,
        owner_agency_id=owner_agency_id,
        due_on=due_on,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(action)
    db.session.flush()
    return action


def add_to_record(
    partnership_id: int,
    source_type: SourceType,
    source_id: object,
    description: str | None,
    *,
    owner_agency_id: int | None,
    due_on: date | None,
    actor: User | None,
) -> Action:
    """Check and add an action agreed on an audit or a review, in a transaction of its own."""
    text = _clean_description(description)
    _check_owner(partnership_id, owner_agency_id)
    _check_due(due_on)
    with transaction():
        action = create(
            partnership_id,
            source_type,
            source_id,
            text,
            owner_agency_id=owner_agency_id,
            due_on=due_on,
            actor=actor,
        )
        audit.record(
            "action.create",
            user=actor,
            partnership_id=partnership_id,
            record_type="action",
            record_id=action.id,
            detail={"source": f"{source_type.value}:{source_id}"},
        )
    return action


def for_source(source_type: SourceType, source_id: object) -> list[Action]:
    """The actions agreed on one record, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.source_type == source_type, Action.source_id == str(source_id))
            .order_by(Action.id)
        )
    )


def get(partnership_id: int, action_id: int) -> Action:
    """One of the partnership's actions; NotFound for another partnership's or none."""
    action = db.session.get(Action, action_id) if 0 < action_id < 2**31 else None
    if action is None or action.partnership_id != partnership_id:
        raise NotFound(f"There is no action {action_id}")
    return action


# -- Progress ------------------------------------------------------------------------------------


def add_update(
    action: Action,
    *,
    status: ActionStatus | str | None,
    text: str | None,
    actor: User | None,
    evidence_of_impact: str | None = None,
) -> ActionUpdate:
    """Record progress: a note and the status the action is now at; optionally its impact."""
    try:
        new_status = ActionStatus(status) if status else None
    except ValueError:
        new_status = None
    if new_status is None:
        raise ServiceError("Choose the action's status now", field="status")
    note = (text or "").strip()
    if not note:
        raise ServiceError("Write what has happened since the last update", field="text")
    if len(note) > MAX_NOTE:
        raise ServiceError(f"The update must be {MAX_NOTE:,} characters or fewer", field="text")
    impact = (evidence_of_impact or "").strip()
    if len(impact) > MAX_NOTE:
        raise ServiceError(
            f"Evidence of impact must be {MAX_NOTE:,} characters or fewer",
            field="evidence_of_impact",
        )
    with transaction():
        before = action.status
        update = ActionUpdate(
            action=action,
            author_id=actor.id if actor is not None else None,
            text=note,
            status=new_status,
            written_at=clock.now(),
        )
        db.session.add(update)
        action.status = new_status
        if impact:
            action.evidence_of_impact = impact
        action.updated_at = clock.now()
        audit.record(
            "action.update",
            user=actor,
            partnership_id=action.partnership_id,
            record_type="action",
            record_id=action.id,
            detail={"from": before.value, "to": new_status.value, "impact": bool(impact)},
        )
    return update


def edit(
    action: Action,
    *,
    description: str | None,
    owner_agency_id: int | None,
    due_on: date | None,
    actor: User | None,
) -> Action:
    """Change what the action is, who owns it and when it is due."""
    text = _clean_description(description)
    _check_owner(action.partnership_id, owner_agency_id)
    _check_due(due_on)
    with transaction():
        changed = {
            name: True
            for name, old, new in (
                ("description", action.description, text),
                ("owner_agency_id", action.owner_agency_id, owner_agency_id),
                ("due_on", action.due_on, due_on),
            )
            if old != new
        }
        action.description = text
        action.owner_agency_id = owner_agency_id
        action.due_on = due_on
        audit.record(
            "action.edit",
            user=actor,
            partnership_id=action.partnership_id,
            record_type="action",
            record_id=action.id,
            detail={"changed": sorted(changed)},
        )
    return action


# -- The tracker ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which actions the tracker shows; None means any."""

    status: ActionStatus | None = None
    rag: str | None = None
    owner_agency_id: int | None = None
    source_type: SourceType | None = None

    @property
    def active(self) -> bool:
        return any(
            v is not None for v in (self.status, self.rag, self.owner_agency_id, self.source_type)
        )

    def as_args(self) -> dict[str, str]:
        args = {
            "status": self.status.value if self.status else None,
            "rag": self.rag,
            "owner": str(self.owner_agency_id) if self.owner_agency_id else None,
            "source": self.source_type.value if self.source_type else None,
        }
        return {k: v for k, v in args.items() if v}


def parse_filters(
    args: Mapping[str, Any], partnership_id: int
) -> tuple[Filters, list[tuple[str, str]]]:
    """Filters from a query string; unknown values are reported, not obeyed."""
    errors: list[tuple[str, str]] = []
    status = source = owner = rag_value = None
    raw = str(args.get("status") or "").strip()
    if raw:
        try:
            status = ActionStatus(raw)
        except ValueError:
            errors.append(("status", "Choose a status from the list"))
    raw = str(args.get("rag") or "").strip()
    if raw:
        if raw in RAG_LABELS:
            rag_value = raw
        else:
            errors.append(("rag", "Choose red, amber or green"))
    raw = str(args.get("source") or args.get("source_type") or "").strip()
    if raw:
        try:
            source = SourceType(raw)
        except ValueError:
            errors.append(("source", "Choose where the action came from from the list"))
    raw = str(args.get("owner") or args.get("owner_agency_id") or "").strip()
    if raw:
        agency_id = whole_number_or_none(raw, max_digits=9)
        agency = db.session.get(Agency, agency_id) if agency_id is not None else None
        if agency is None or agency.partnership_id != partnership_id:
            errors.append(("owner", "Choose an agency from the list"))
        else:
            owner = agency.id
    return Filters(status, rag_value, owner, source), errors


def _rag_clause(value: str, today: date) -> sa.ColumnElement[bool]:
    finished = Action.status.in_(list(FINISHED))
    late = sa.and_(Action.due_on.is_not(None), Action.due_on < today)
    if value == "green":
        return finished
    if value == "red":
        return sa.and_(sa.not_(finished), late)
    return sa.and_(sa.not_(finished), sa.not_(late))


def tracker(
    partnership_id: int, filters: Filters = Filters(), today: date | None = None
) -> list[Action]:
    """The partnership's actions as filtered: overdue first (most overdue at the top), then open
    ones by due date (undated last), then finished ones."""
    today = today or clock.today()
    query = sa.select(Action).where(Action.partnership_id == partnership_id)
    if filters.status is not None:
        query = query.where(Action.status == filters.status)
    if filters.rag is not None:
        query = query.where(_rag_clause(filters.rag, today))
    if filters.owner_agency_id is not None:
        query = query.where(Action.owner_agency_id == filters.owner_agency_id)
    if filters.source_type is not None:
        query = query.where(Action.source_type == filters.source_type)
    order = {"red": 0, "amber": 1, "green": 2}
    actions = list(db.session.scalars(query))
    actions.sort(
        key=lambda a: (
            order[rag(a, today)],
            a.due_on is None,
            a.due_on or date.max,
            a.id,
        )
    )
    return actions


def overdue(partnership_id: int, today: date | None = None) -> list[Action]:
    """Unfinished actions past their due date, most overdue first."""
    return tracker(partnership_id, Filters(rag="red"), today)


def counts(partnership_id: int, today: date | None = None) -> dict[str, int]:
    """How many actions are red, amber and green now."""
    today = today or clock.today()
    out = dict.fromkeys(RAG_LABELS, 0)
    for value in RAG_LABELS:
        out[value] = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Action)
                .where(Action.partnership_id == partnership_id, _rag_clause(value, today))
            )
            or 0
        )
    return out


#: Where each source's record page lives: (endpoint, its id argument).
SOURCE_PAGES: dict[SourceType, tuple[str, str]] = {
    SourceType.AUDIT: ("records.audit", "audit_id"),
    SourceType.REVIEW: ("records.review", "review_id"),
    SourceType.SCRUTINY_VISIT: ("visits.show", "visit_id"),
    SourceType.SAFEGUARDING_CONVERSATION: ("visits.show", "visit_id"),
    SourceType.PRACTITIONER_FORUM: ("visits.show", "visit_id"),
}


#: What one record of each source is called, for "agreed on" columns.
SOURCE_NAMES: dict[SourceType, str] = {
    SourceType.AUDIT: "Audit",
    SourceType.REVIEW: "Review",
    SourceType.SCRUTINY_VISIT: "Scrutiny visit",
    SourceType.SAFEGUARDING_CONVERSATION: "Safeguarding conversation",
    SourceType.PRACTITIONER_FORUM: "Practitioner forum",
    SourceType.VOICE: "Child or family voice",
    SourceType.STAFF_SURVEY: "Staff survey",
    SourceType.POST_COURSE: "Training evaluation",
    SourceType.FOLLOW_UP: "Training follow-up",
}


def source_name(action: Action) -> str:
    return SOURCE_NAMES.get(action.source_type, action.source_type.label)


def source_titles(partnership_id: int, actions: list[Action]) -> dict[tuple[str, str], str]:
    """A readable name for the record each action was agreed on, where one can be found."""
    from feedback.models.records import Audit, Review

    try:
        from feedback.models.visits import Visit
    except ImportError:  # pragma: no cover - visits ship with the app
        Visit = None  # noqa: N806
    models: dict[SourceType, Any] = {SourceType.AUDIT: Audit, SourceType.REVIEW: Review}
    if Visit is not None:
        for kind in (
            SourceType.SCRUTINY_VISIT,
            SourceType.SAFEGUARDING_CONVERSATION,
            SourceType.PRACTITIONER_FORUM,
        ):
            models[kind] = Visit
    out: dict[tuple[str, str], str] = {}
    for action in actions:
        key = (action.source_type.value, action.source_id)
        model = models.get(action.source_type)
        source_id = whole_number_or_none(action.source_id)
        if key in out or model is None or source_id is None:
            continue
        record = db.session.get(model, source_id)
        if record is None or record.partnership_id != partnership_id:
            continue
        title = getattr(record, "title", None)
        if not title:
            when = getattr(record, "occurred_on", None)
            agency = getattr(getattr(record, "agency", None), "name", None)
            parts = [p for p in (agency or getattr(record, "setting", None), when) if p]
            title = ", ".join(
                f"{p.day} {p:%B %Y}" if isinstance(p, date) else str(p) for p in parts
            )
        if title:
            out[key] = title
    return out


def source_page(action: Action) -> tuple[str, dict[str, int]] | None:
    """(endpoint, arguments) of the page of the record the action was agreed on, if it has one."""
    page = SOURCE_PAGES.get(action.source_type)
    source_id = whole_number_or_none(action.source_id)
    if page is None or source_id is None:
        return None
    return page[0], {page[1]: source_id}
