"""Operational state the service keeps about itself: which scheduler process may run jobs."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from feedback.db import Base


class SchedulerLock(Base):
    """A named lock held by one process at a time, renewed while it lives.

    A holder that stops renewing (killed, hung, cut off from the database) loses the lock when
    `expires_at` passes, so a crashed scheduler never blocks its replacement for long.
    """

    __tablename__ = "scheduler_lock"

    #: What the lock guards; the scheduler's is "jobs".
    name: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    #: The process holding it (host:pid:random); empty once released.
    holder: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    #: When the current holder took it.
    acquired_at: so.Mapped[datetime | None]
    #: The holder's last renewal: the operator's sign that it is alive.
    heartbeat_at: so.Mapped[datetime | None]
    #: After this moment any process may take the lock.
    expires_at: so.Mapped[datetime]
