"""The audit log: who did what to which record, and when."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback import clock
from feedback.db import Base


class AuditEvent(Base):
    """One recorded action; written in the same transaction as the change it describes."""

    __tablename__ = "audit_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    #: Who acted; empty for the system (jobs) or a failed sign-in with an unknown email.
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: A dotted verb such as "user.sign_in" or "person.import".
    action: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    record_type: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    record_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: Small structured facts about the change; never answers or free text.
    detail: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    occurred_at: so.Mapped[datetime] = so.mapped_column(default=clock.now, index=True)
