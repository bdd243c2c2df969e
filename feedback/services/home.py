"""What each role's home page shows: their own work, counted."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Agency,
    Campaign,
    CampaignStatus,
    CourseSession,
    Instrument,
    Invitation,
    Person,
    Role,
    User,
)


@dataclass
class HomeSummary:
    """Headline figures and next steps for one user's home page."""

    role: Role
    figures: list[tuple[str, int, str | None]] = field(default_factory=list)
    next_steps: list[tuple[str, str]] = field(default_factory=list)
    #: (campaign, invited, completed) for campaigns taking answers now.
    live_campaigns: list[tuple[Campaign, int, int]] = field(default_factory=list)
    #: A trainer's sessions, most recent first, each with its evaluation stages' progress.
    sessions: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    #: (template, context) for each capability's own section, in the order they were added.
    panels: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


#: Each capability adds its own work to a role's home page by registering a function here with
#: @panel: it receives the user and the summary built so far, and may append figures, next steps
#: or a panel (a template under templates/home/ and its context).
PANELS: list[Callable[[User, HomeSummary], None]] = []


def panel(function: Callable[[User, HomeSummary], None]) -> Callable[[User, HomeSummary], None]:
    """Register a home-page contribution (see PANELS)."""
    PANELS.append(function)
    return function


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
            ("Instruments", count(Instrument, Instrument.archived.is_(False)), "instruments.index"),
        ]
        summary.next_steps = [
            ("Import practitioners from a CSV file", "people.people_import"),
            ("Add an agency", "people.agencies"),
            ("Design a survey or copy a standard one", "instruments.index"),
        ]
        summary.next_steps.insert(0, ("Start a new campaign", "campaigns.new"))
    else:
        summary.figures = [("Agencies in the partnership", agencies, "people.agencies")]
    if user.role in (Role.ADMIN, Role.ANALYST, Role.VIEWER):
        summary.live_campaigns = _live_campaigns(pid)
    if user.role == Role.TRAINER:
        summary.sessions = _trainer_sessions(user)
        upcoming = [s for s, _ in summary.sessions if s.starts_at > clock.now()]
        summary.figures.insert(0, ("Your upcoming sessions", len(upcoming), None))
    for contribute in PANELS:
        contribute(user, summary)
    return summary


def _trainer_sessions(user: User) -> list[tuple[Any, dict[str, Any]]]:
    from feedback.services import training

    sessions = db.session.scalars(
        sa.select(CourseSession)
        .where(CourseSession.trainer_id == user.id, CourseSession.cancelled_at.is_(None))
        .order_by(CourseSession.starts_at.desc())
        .limit(20)
    ).all()
    return [(session, training.evaluation_summary(session)) for session in sessions]


def _live_campaigns(partnership_id: int) -> list[tuple[Campaign, int, int]]:
    rows = db.session.execute(
        sa.select(
            Campaign,
            sa.func.count(Invitation.id),
            sa.func.count(sa.case((Invitation.responded, 1))),
        )
        .outerjoin(Invitation, Invitation.campaign_id == Campaign.id)
        .where(
            Campaign.partnership_id == partnership_id,
            Campaign.status.in_([CampaignStatus.LIVE, CampaignStatus.PAUSED]),
        )
        .group_by(Campaign.id)
        .order_by(Campaign.closes_at)
    ).all()
    return [(campaign, invited, completed) for campaign, invited, completed in rows]
