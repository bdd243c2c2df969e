"""What each role's home page shows: their own work, counted."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Agency, Person, Role, User


@dataclass
class HomeSummary:
    """Headline figures and next steps for one user's home page."""

    role: Role
    figures: list[tuple[str, int, str | None]] = field(default_factory=list)
    next_steps: list[tuple[str, str]] = field(default_factory=list)


def summary_for(user: User) -> HomeSummary:
    """The figures the user's role cares about; later capabilities add theirs here."""
    pid = user.partnership_id
    summary = HomeSummary(role=user.role)

    def count(model: type, *where: sa.ColumnElement[bool]) -> int:
        stmt = (
            sa.select(sa.func.count()).select_from(model).where(model.partnership_id == pid, *where)
        )
        return db.session.scalar(stmt) or 0

    agencies = count(Agency)
    if user.role == Role.ADMIN:
        summary.figures = [
            ("Agencies", agencies, "people.agencies"),
            ("Practitioners", count(Person), "people.people"),
            ("Opted out", count(Person, Person.opted_out_at.is_not(None)), None),
            ("Accounts", count(User), "admin.users"),
        ]
        summary.next_steps = [
            ("Import practitioners from a CSV file", "people.people_import"),
            ("Add an agency", "people.agencies"),
        ]
    else:
        summary.figures = [("Agencies in the partnership", agencies, "people.agencies")]
    return summary
