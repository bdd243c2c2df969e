"""Tracked actions: agreed on a visit, a conversation, an audit or a review, followed to done."""

from datetime import date

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, ActionStatus, SourceType, User
from feedback.services import ServiceError

#: Statuses that mean nothing more is owed; such an action is never overdue.
FINISHED = frozenset({ActionStatus.COMPLETE, ActionStatus.CLOSED})


def rag(action: Action, today: date | None = None) -> str:
    """ "red" when overdue and unfinished, "green" when finished, otherwise "amber"."""
    today = today or clock.today()
    if action.status in FINISHED:
        return "green"
    if action.due_on is not None and action.due_on < today:
        return "red"
    return "amber"


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


def for_source(source_type: SourceType, source_id: object) -> list[Action]:
    """The actions agreed on one record, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.source_type == source_type, Action.source_id == str(source_id))
            .order_by(Action.id)
        )
    )
