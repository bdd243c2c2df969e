"""Recording audit events inside the caller's transaction."""

from typing import Any

from feedback.extensions import db
from feedback.models import AuditEvent, User


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
