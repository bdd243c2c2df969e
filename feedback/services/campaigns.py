"""Campaigns: creating them, choosing the audience, launching (invitations and their emails in
one transaction), pausing, extending, closing, and the jobs that remind and close."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.jobs import job
from feedback.models import InstrumentVersion, Partnership, Person, User
from feedback.models.campaigns import (
    Campaign,
    CampaignStatus,
    DeliveryStatus,
    Invitation,
    OutboxMessage,
    ResponseMode,
)
from feedback.models.instruments import VersionStatus
from feedback.services import NotFound, ServiceError, audit, messages, transaction
from feedback.services.instruments import has_placeholders

MAX_REMINDERS = 5


@dataclass(frozen=True)
class CampaignSpec:
    """What an admin (or the training timeline) asks for when creating a campaign."""

    instrument_version_id: int
    title: str
    mode: str
    opens_at: datetime
    closes_at: datetime
    audience: dict[str, Any]
    reminder_days: tuple[int, ...] = (7, 14)
    subject_template: str | None = None
    body_template: str | None = None
    purpose: str = "survey"


def get_campaign(partnership: Partnership, campaign_id: int) -> Campaign:
    campaign = db.session.scalar(
        sa.select(Campaign).where(
            Campaign.id == campaign_id, Campaign.partnership_id == partnership.id
        )
    )
    if campaign is None:
        raise NotFound(f"There is no campaign {campaign_id}")
    return campaign


def list_campaigns(partnership: Partnership) -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.partnership_id == partnership.id)
            .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
        )
    )


def _check_spec(partnership: Partnership, spec: CampaignSpec) -> InstrumentVersion:
    title = (spec.title or "").strip()
    if not title:
        raise ServiceError("Enter a title for the campaign", field="title")
    if len(title) > 200:
        raise ServiceError("Title must be 200 characters or fewer", field="title")
    try:
        ResponseMode(spec.mode)
    except ValueError:
        raise ServiceError(
            "Response mode must be identified, confidential or anonymous", field="mode"
        ) from None
    version = db.session.scalar(
        sa.select(InstrumentVersion).where(
            InstrumentVersion.id == spec.instrument_version_id,
            InstrumentVersion.partnership_id == partnership.id,
        )
    )
    if version is None:
        raise ServiceError(
            "Choose an instrument version of this partnership", field="instrument_version_id"
        )
    if version.status != VersionStatus.PUBLISHED:
        raise ServiceError(
            "Only a published version can be sent: publish it first", field="instrument_version_id"
        )
    if has_placeholders(version.definition) and spec.purpose == "survey":
        raise ServiceError(
            "This instrument asks about a course's learning outcomes, so it is sent by the "
            "training timeline for a course session, not as a survey",
            field="instrument_version_id",
        )
    for moment, name in ((spec.opens_at, "opens_at"), (spec.closes_at, "closes_at")):
        if moment.tzinfo is None:
            raise ServiceError("Give the time with its time zone", field=name)
    if spec.closes_at <= spec.opens_at:
        raise ServiceError("The close date must be after the open date", field="closes_at")
    days = list(spec.reminder_days)
    if any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in days):
        raise ServiceError(
            "Reminder days must be whole numbers of 1 or more", field="reminder_days"
        )
    if len(days) > MAX_REMINDERS or len(set(days)) != len(days):
        raise ServiceError(
            f"Give up to {MAX_REMINDERS} different reminder days", field="reminder_days"
        )
    for template, name in (
        (spec.subject_template, "subject_template"),
        (spec.body_template, "body_template"),
    ):
        if template is not None:
            messages.check_template(template, name)
    if spec.body_template is not None and "{link}" not in spec.body_template:
        raise ServiceError(
            "The message must include {link}, or nobody can answer", field="body_template"
        )
    unknown = set(spec.audience) - {"person_ids", "agency_ids", "roles"}
    if unknown:
        raise ServiceError(f"Unknown audience part: {', '.join(sorted(unknown))}", field="audience")
    return version


def create_campaign(partnership: Partnership, spec: CampaignSpec, actor: User | None) -> Campaign:
    """Create a draft campaign; nobody is invited until it is launched."""
    with transaction():
        return build_campaign(partnership, spec, actor)


def build_campaign(partnership: Partnership, spec: CampaignSpec, actor: User | None) -> Campaign:
    """Add a checked draft campaign to the caller's transaction (the training timeline creates
    and launches one together with its own record, all or nothing)."""
    _check_spec(partnership, spec)
    campaign = Campaign(
        partnership_id=partnership.id,
        instrument_version_id=spec.instrument_version_id,
        title=spec.title.strip(),
        purpose=spec.purpose,
        mode=ResponseMode(spec.mode),
        opens_at=spec.opens_at,
        closes_at=spec.closes_at,
        reminder_days=sorted(spec.reminder_days),
        audience={k: list(v) for k, v in spec.audience.items()},
        subject_template=spec.subject_template or messages.DEFAULT_SUBJECT,
        body_template=spec.body_template or messages.DEFAULT_BODY,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        "campaign.create",
        user=actor,
        partnership_id=partnership.id,
        record_type="campaign",
        record_id=campaign.id,
    )
    return campaign


def audience_people(campaign: Campaign) -> list[Person]:
    """Everyone the audience names who has not opted out, once each."""
    spec = campaign.audience or {}
    conditions = []
    if spec.get("person_ids"):
        conditions.append(Person.id.in_(spec["person_ids"]))
    if spec.get("agency_ids"):
        conditions.append(Person.agency_id.in_(spec["agency_ids"]))
    if spec.get("roles"):
        conditions.append(Person.job_role.in_(spec["roles"]))
    if not conditions:
        return []
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(
                Person.partnership_id == campaign.partnership_id,
                Person.opted_out_at.is_(None),
                sa.or_(*conditions),
            )
            .order_by(Person.id)
        )
    )


def _message_for(
    invitation: Invitation, campaign: Campaign, partnership_name: str, kind: str
) -> OutboxMessage:
    token = messages.token_for("invitation", invitation.token_nonce)
    person = invitation.person
    values = {
        "first_name": person.name.split()[0] if person.name.split() else person.name,
        "survey_title": campaign.instrument_version.title,
        "link": messages.public_url(f"/r/{token}"),
        "close_date": messages.format_date(campaign.closes_at),
        "partnership": partnership_name,
    }
    opt_out = messages.public_url(f"/r/{token}/opt-out")
    subject = messages.render(campaign.subject_template, values)
    if kind == "reminder":
        subject = messages.REMINDER_PREFIX + subject
    body = (
        messages.render(campaign.body_template, values)
        + f"\n--\nTo stop receiving these emails from {partnership_name}: {opt_out}\n"
    )
    return OutboxMessage(
        campaign_id=campaign.id,
        invitation=invitation,
        kind=kind,
        to_address=person.email,
        subject=subject[:300],
        body_text=body,
        headers={"List-Unsubscribe": f"<{opt_out}>"},
        next_attempt_at=max(campaign.opens_at, clock.now()),
    )


def invite(campaign: Campaign, people: list[Person]) -> int:
    """Invite people not yet invited (skipping anyone opted out), inside the caller's
    transaction: each invitation is written with its outbox message."""
    already = set(
        db.session.scalars(
            sa.select(Invitation.person_id).where(Invitation.campaign_id == campaign.id)
        )
    )
    partnership_name = db.session.get(Partnership, campaign.partnership_id).name
    count = 0
    for person in people:
        if person.id in already or person.opted_out_at is not None:
            continue
        nonce = messages.new_nonce()
        invitation = Invitation(
            campaign_id=campaign.id,
            person=person,
            token_nonce=nonce,
            token_hash=messages.hash_token(messages.token_for("invitation", nonce)),
        )
        db.session.add(invitation)
        db.session.add(_message_for(invitation, campaign, partnership_name, "invitation"))
        already.add(person.id)
        count += 1
    return count


def launch(campaign: Campaign, actor: User | None) -> int:
    """Go live and invite the audience: all invitations and emails land, or none do."""
    with transaction():
        return start(campaign, actor)


def start(campaign: Campaign, actor: User | None, *, allow_empty: bool = False) -> int:
    """Go live and invite the audience inside the caller's transaction; returns how many."""
    people = audience_people(campaign)
    if not people and not allow_empty:
        raise ServiceError(
            "Nobody is in the audience (or everyone has opted out)", field="audience"
        )
    campaign.launch(clock.now())
    count = invite(campaign, people)
    audit.record(
        "campaign.launch",
        user=actor,
        partnership_id=campaign.partnership_id,
        record_type="campaign",
        record_id=campaign.id,
        detail={"invited": count},
    )
    return count


def change_state(
    campaign: Campaign, action: str, actor: User | None, closes_at: datetime | None = None
) -> None:
    """Pause, resume, extend or close; the campaign refuses a move that makes no sense."""
    now = clock.now()
    with transaction():
        if action == "pause":
            campaign.pause()
        elif action == "resume":
            campaign.resume(now)
        elif action == "close":
            campaign.close(now)
        elif action == "extend":
            if closes_at is None:
                raise ServiceError("Give the new close date", field="closes_at")
            campaign.extend(closes_at, now)
        else:
            raise ServiceError(f"Unknown action {action!r}")
        audit.record(
            f"campaign.{action}",
            user=actor,
            partnership_id=campaign.partnership_id,
            record_type="campaign",
            record_id=campaign.id,
        )


def delivery_failures(campaign: Campaign, limit: int = 50) -> list[OutboxMessage]:
    """Emails refused for good, for the partnership team to correct addresses."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.campaign_id == campaign.id,
                OutboxMessage.status == DeliveryStatus.FAILED,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def enable_open_link(campaign: Campaign, actor: User | None) -> str:
    """Give an anonymous campaign a shareable link for events; returns its path."""
    if campaign.mode != ResponseMode.ANONYMOUS:
        raise ServiceError(
            "Only an anonymous campaign can have an open link: nobody who uses it is known"
        )
    if campaign.status == CampaignStatus.CLOSED:
        raise ServiceError("This campaign is closed")
    if campaign.open_link_nonce is None:
        with transaction():
            campaign.open_link_nonce = messages.new_nonce()
            audit.record(
                "campaign.open_link",
                user=actor,
                partnership_id=campaign.partnership_id,
                record_type="campaign",
                record_id=campaign.id,
            )
    return open_link_path(campaign)


def open_link_path(campaign: Campaign) -> str:
    assert campaign.open_link_nonce is not None
    return f"/o/{campaign.id}/{messages.token_for('open', campaign.open_link_nonce)}"


@job("reminders")
def send_reminders(now: datetime) -> str | None:
    """Queue a reminder for each non-responder whose next reminder day has come.

    After a long outage only the latest due reminder goes: people are not sent two at once.
    """
    live = db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.LIVE, Campaign.closes_at > now)
    ).all()
    queued = 0
    for campaign in live:
        days = campaign.reminder_days or []
        if not days:
            continue
        with transaction():
            partnership_name = db.session.get(Partnership, campaign.partnership_id).name
            candidates = db.session.scalars(
                sa.select(Invitation)
                .join(Person)
                .where(
                    Invitation.campaign_id == campaign.id,
                    Invitation.responded.is_(False),
                    Invitation.sent_at.is_not(None),
                    Invitation.reminders_sent < len(days),
                    Person.opted_out_at.is_(None),
                )
                .with_for_update(skip_locked=True)
            ).all()
            for invitation in candidates:
                due = sum(1 for d in days if invitation.sent_at + timedelta(days=d) <= now)
                if due > invitation.reminders_sent:
                    invitation.reminders_sent = due
                    db.session.add(_message_for(invitation, campaign, partnership_name, "reminder"))
                    queued += 1
    return f"queued {queued} reminder(s)" if queued else None


@job("close_campaigns")
def close_due_campaigns(now: datetime) -> str | None:
    """Close live and paused campaigns whose close date has passed."""
    due = db.session.scalars(
        sa.select(Campaign).where(
            Campaign.status.in_([CampaignStatus.LIVE, CampaignStatus.PAUSED]),
            Campaign.closes_at <= now,
        )
    ).all()
    for campaign in due:
        with transaction():
            campaign.close(now)
            # Nothing more should go out for a closed campaign.
            db.session.execute(
                sa.delete(OutboxMessage).where(
                    OutboxMessage.campaign_id == campaign.id,
                    OutboxMessage.status == DeliveryStatus.PENDING,
                    OutboxMessage.kind == "reminder",
                )
            )
            audit.record(
                "campaign.close",
                partnership_id=campaign.partnership_id,
                record_type="campaign",
                record_id=campaign.id,
                detail={"by": "schedule"},
            )
    return f"closed {len(due)} campaign(s)" if due else None


# -- Response rates ------------------------------------------------------------------------------

RATE_COLUMNS = ("invited", "sent", "failed", "opened", "started", "completed", "opted_out")
RATE_LABELS = {
    "invited": "Invited",
    "sent": "Sent",
    "failed": "Delivery failed",
    "opened": "Opened",
    "started": "Started",
    "completed": "Completed",
    "opted_out": "Opted out",
}


@dataclass(frozen=True)
class RateTable:
    """Live response figures, overall and per agency; cells may be Suppressed markers."""

    overall: dict[str, Any]
    by_agency: list[tuple[str, dict[str, Any]]]
    suppressed: bool

    @property
    def completion_percent(self) -> float | None:
        invited, completed = self.overall.get("invited"), self.overall.get("completed")
        if not isinstance(invited, int) or not isinstance(completed, int) or not invited:
            return None
        return round(100 * completed / invited, 1)


def rates(campaign: Campaign, *, disclose_small: bool, threshold: int) -> RateTable:
    """Invited, sent, failed, opened, started, completed and opted out, overall and by agency.

    For anyone but admins (disclose_small=False), per-agency counts under the partnership's
    threshold are hidden, with secondary suppression down each column, whose overall figure is
    shown and would otherwise give a hidden count away.
    """
    from analysis.disclosure import suppress_counts
    from feedback.models import Agency

    # An invitation with nobody behind it came from the open link (never emailed), or was
    # emailed to someone whose link retention or erasure has since removed.
    group = sa.func.coalesce(
        Agency.name,
        sa.case(
            (sa.and_(Invitation.person_id.is_(None), Invitation.sent_at.is_(None)), "Open link"),
            (Invitation.person_id.is_(None), "No longer linked to a person"),
            else_="No agency recorded",
        ),
    )
    rows = db.session.execute(
        sa.select(
            group,
            sa.func.count(Invitation.id),
            sa.func.count(sa.case((Invitation.delivery == DeliveryStatus.SENT, 1))),
            sa.func.count(sa.case((Invitation.delivery == DeliveryStatus.FAILED, 1))),
            sa.func.count(Invitation.opened_at),
            sa.func.count(
                sa.case((sa.or_(Invitation.started_at.is_not(None), Invitation.responded), 1))
            ),
            sa.func.count(sa.case((Invitation.responded, 1))),
            sa.func.count(Person.opted_out_at),
        )
        .select_from(Invitation)
        .outerjoin(Person, Person.id == Invitation.person_id)
        .outerjoin(Agency, Agency.id == Person.agency_id)
        .where(Invitation.campaign_id == campaign.id)
        .group_by(group)
        .order_by(group)
    ).all()
    by_agency = {name: dict(zip(RATE_COLUMNS, counts, strict=True)) for name, *counts in rows}
    overall = {c: sum(r[c] for r in by_agency.values()) for c in RATE_COLUMNS}
    if disclose_small:
        return RateTable(overall, list(by_agency.items()), suppressed=False)
    shown: dict[str, dict[str, Any]] = {name: {} for name in by_agency}
    for column in RATE_COLUMNS:
        cells = suppress_counts({n: r[column] for n, r in by_agency.items()}, threshold).cells
        for name, cell in cells.items():
            shown[name][column] = cell
    return RateTable(overall, list(shown.items()), suppressed=True)
