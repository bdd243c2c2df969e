"""Personal data as UK GDPR expects: the privacy notice, retention, subject access and erasure.

Practitioners' answers are the partnership's evidence and outlive the people who gave them;
what does not outlive its purpose is the link between a person and their answers. So retention
and erasure both de-identify rather than delete: the answers stay, the person goes.
"""

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.jobs import job
from feedback.models import (
    Attendance,
    Campaign,
    CampaignStatus,
    CourseSession,
    DeliveryStatus,
    Invitation,
    OutboxMessage,
    Partnership,
    Person,
    Response,
    Role,
    User,
)
from feedback.services import (
    NotFound,
    ServiceError,
    audit,
    home,
    transaction,
    whole_number_or_none,
)

# -- Retention settings -------------------------------------------------------------------------

DEFAULT_RETENTION_MONTHS = 24
MIN_RETENTION_MONTHS = 1
MAX_RETENTION_MONTHS = 120

#: Campaign purposes (Campaign.purpose) in the partnership's words; others show as stored.
CAMPAIGN_TYPES: dict[str, str] = {
    "survey": "Staff surveys",
    "post_course": "Post-course evaluations",
    "followup_3_month": "3-month training follow-ups",
    "followup_6_month": "6-month training follow-ups",
}


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (the month's last day if shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def type_label(purpose: str) -> str:
    return CAMPAIGN_TYPES.get(purpose, purpose.replace("_", " ").capitalize())


def campaign_types(partnership: Partnership) -> list[tuple[str, str]]:
    """(purpose, label) for the standard types and any other the partnership's campaigns use."""
    seen = db.session.scalars(
        sa.select(Campaign.purpose).where(Campaign.partnership_id == partnership.id).distinct()
    )
    purposes = list(CAMPAIGN_TYPES) + sorted(set(seen) - set(CAMPAIGN_TYPES))
    return [(p, type_label(p)) for p in purposes]


def retention_months(partnership: Partnership, purpose: str) -> int:
    """How many months after a campaign of this type closes its identifiable links are kept."""
    months = (partnership.retention_months or {}).get(purpose)
    return months if isinstance(months, int) else DEFAULT_RETENTION_MONTHS


def check_retention(values: Mapping[str, str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Months by purpose from a form's text, and (purpose, message) for each that is not valid."""
    months: dict[str, int] = {}
    errors: list[tuple[str, str]] = []
    for purpose, raw in values.items():
        text = (raw or "").strip()
        what = type_label(purpose)
        if not text:
            errors.append((purpose, f"Enter how many months to keep {what.lower()} identifiable"))
        # Checked against the range before it is kept, so a long number gets the range message.
        elif (number := whole_number_or_none(text, max_digits=100)) is None:
            errors.append((purpose, f"Months for {what.lower()} must be a whole number, like 24"))
        elif not MIN_RETENTION_MONTHS <= number <= MAX_RETENTION_MONTHS:
            errors.append(
                (
                    purpose,
                    f"Months for {what.lower()} must be between {MIN_RETENTION_MONTHS} and "
                    f"{MAX_RETENTION_MONTHS}",
                )
            )
        else:
            months[purpose] = number
    return months, errors


def set_retention(partnership: Partnership, months: Mapping[str, int], actor: User | None) -> None:
    """Save the retention period of each campaign type; refuses a value out of range."""
    cleaned: dict[str, int] = {}
    for purpose, value in months.items():
        if not isinstance(value, int) or not (
            MIN_RETENTION_MONTHS <= value <= MAX_RETENTION_MONTHS
        ):
            raise ServiceError(
                f"Months for {type_label(purpose).lower()} must be between "
                f"{MIN_RETENTION_MONTHS} and {MAX_RETENTION_MONTHS}",
                field=purpose,
            )
        cleaned[str(purpose)[:40]] = value
    with transaction():
        before = dict(partnership.retention_months or {})
        partnership.retention_months = {**before, **cleaned}
        partnership.retention_checked_at = None  # apply the new periods at the next run
        changed = {p: m for p, m in cleaned.items() if before.get(p, DEFAULT_RETENTION_MONTHS) != m}
        if changed:
            audit.record(
                "partnership.retention",
                user=actor,
                partnership_id=partnership.id,
                record_type="partnership",
                record_id=partnership.id,
                detail={"months": changed},
            )


# -- The privacy notice -------------------------------------------------------------------------

NOTICE_MAX = 20_000
CONTACT_MAX = 300


def default_privacy_notice(partnership: Partnership) -> str:
    """A UK GDPR privacy notice for respondents, filled in with the partnership's own settings.

    Written in the notice's own light markup: "## " starts a heading, "- " a bullet, a blank
    line a new paragraph.
    """
    name = partnership.name
    contact = (
        partnership.privacy_contact
        or "the partnership's data protection lead (your agency's safeguarding lead can put you "
        "in touch)"
    )
    retention = "\n".join(
        f"- {label}: {retention_months(partnership, purpose)} months after the survey closes"
        for purpose, label in CAMPAIGN_TYPES.items()
    )
    return f"""## Who holds your information
{name} (the partnership) is the controller of the information you give through this service. \
The partnership is the local authority, the police and the NHS integrated care board working \
together, with the agencies that are its members, to keep children in the area safe.

## Why we ask and what we use it for
We ask practitioners about their work, their training and the safeguarding arrangements \
around them so that the partnership can learn what is working, improve training and practice, \
and check that agencies are meeting their safeguarding duties. Your answers are combined with \
other people's in reports to the partnership and its subgroups. Reports for anyone outside the \
partnership team never show a group of fewer than {partnership.disclosure_threshold} people.

## Our lawful basis
We use this information because it is needed for a task carried out in the public interest \
(UK GDPR Article 6(1)(e)): the partnership's duties under the Children Act 2004 and Working \
Together to Safeguard Children. We do not ask for special category information. Please do not \
write anything in your answers that would identify a child or family.

## What we hold
- your name, work email address, agency, job role and team, as your agency or the partnership \
gave them to us
- whether each survey was sent to you, opened and finished, and any opt-out
- your answers

Each invitation says how your answers are linked to you:
- identified: your answers are linked to you
- confidential: your answers are linked to you, but only the partnership team can see who \
said what
- anonymous: nobody, including the partnership team, can link your answers to you; we keep \
only the day you answered

## How long we keep it
Your answers are kept for as long as they help the partnership learn. The link between you \
and your answers, the time you answered and the record of the email we sent you are removed:
{retention}

After that your answers are kept without your name. If you ask us to erase your details \
sooner, we remove them and keep your answers without them.

## Who sees it
The partnership team, and people the partnership asks to analyse the answers. Everyone else \
sees only combined, de-identified results. We do not use your information for anything else \
and we never sell it.

## Your rights
You can ask for a copy of the information we hold about you, ask us to correct it, erase it \
or restrict its use, and object to our using it. You can stop all emails from us at any time \
with the opt-out link in every email. To use any of these rights, contact {contact}.

If you are unhappy with how we have used your information, you can complain to the \
Information Commissioner's Office (ICO) at ico.org.uk/make-a-complaint or on 0303 123 1113."""


def notice_text(partnership: Partnership) -> str:
    """The notice respondents see: the admins' own text, or the default."""
    return partnership.privacy_notice or default_privacy_notice(partnership)


@dataclass(frozen=True)
class NoticeBlock:
    """One piece of a notice as the page lays it out: "heading", "paragraph" or "list"."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()


def notice_blocks(text: str) -> list[NoticeBlock]:
    """A notice's light markup as headings, paragraphs and bullet lists, for the template."""
    blocks: list[NoticeBlock] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(NoticeBlock("paragraph", " ".join(paragraph)))
            paragraph.clear()
        if items:
            blocks.append(NoticeBlock("list", items=tuple(items)))
            items.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            blocks.append(NoticeBlock("heading", line.lstrip("#").strip()))
        elif line.startswith(("- ", "* ")):
            if paragraph:
                flush()
            items.append(line[2:].strip())
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return blocks


def set_privacy_notice(
    partnership: Partnership, text: str | None, contact: str | None, actor: User | None
) -> None:
    """Save the notice and contact; an empty notice (or the default, unchanged) means "default"."""
    text = (text or "").replace("\r\n", "\n").strip()
    contact = (contact or "").strip() or None
    if len(text) > NOTICE_MAX:
        raise ServiceError(
            f"The privacy notice must be {NOTICE_MAX:,} characters or fewer", field="notice"
        )
    if contact and len(contact) > CONTACT_MAX:
        raise ServiceError(
            f"The contact must be {CONTACT_MAX} characters or fewer", field="contact"
        )
    with transaction():
        before = (partnership.privacy_notice, partnership.privacy_contact)
        partnership.privacy_contact = contact
        # Compared after the contact changes, so an unedited default follows the new contact.
        default = default_privacy_notice(partnership)
        partnership.privacy_notice = None if text in ("", default.strip()) else text
        if (partnership.privacy_notice, partnership.privacy_contact) != before:
            audit.record(
                "partnership.privacy_notice",
                user=actor,
                partnership_id=partnership.id,
                record_type="partnership",
                record_id=partnership.id,
                detail={
                    "uses_default": partnership.privacy_notice is None,
                    "contact_changed": before[1] != contact,
                },
            )


# -- Retention: the job -------------------------------------------------------------------------


def _closed_at(campaign: Campaign) -> datetime:
    return campaign.closed_at or campaign.closes_at


def _holds_identifiable(campaign_id: Any) -> sa.ColumnElement[bool]:
    """Whether a campaign still holds anything that links a person to it."""
    return sa.or_(
        sa.exists().where(
            Response.campaign_id == campaign_id,
            sa.or_(Response.person_id.is_not(None), Response.submitted_at.is_not(None)),
        ),
        sa.exists().where(
            Invitation.campaign_id == campaign_id,
            sa.or_(
                Invitation.person_id.is_not(None),
                Invitation.completed_at.is_not(None),
                Invitation.draft_answers.is_not(None),
            ),
        ),
        sa.exists().where(OutboxMessage.campaign_id == campaign_id),
    )


def removal_due(campaign: Campaign, partnership: Partnership) -> datetime:
    """When the retention job removes this campaign's identifiable links."""
    return add_months(_closed_at(campaign), retention_months(partnership, campaign.purpose))


def pending_removals(partnership: Partnership) -> list[tuple[Campaign, datetime]]:
    """Closed campaigns still holding identifiable links, each with when they are removed."""
    campaigns = db.session.scalars(
        sa.select(Campaign).where(
            Campaign.partnership_id == partnership.id,
            Campaign.status == CampaignStatus.CLOSED,
            _holds_identifiable(Campaign.id),
        )
    ).all()
    return sorted(((c, removal_due(c, partnership)) for c in campaigns), key=lambda pair: pair[1])


@dataclass
class Deidentified:
    """What de-identifying a campaign changed."""

    responses: int = 0
    invitations: int = 0
    emails: int = 0


def deidentify_campaign(campaign: Campaign) -> Deidentified:
    """Remove every link between people and a campaign, keeping the answers (in the caller's
    transaction): responses lose their person and time of day, invitations their person and
    part-finished answers, and the outbox its addresses."""
    counts = Deidentified()
    counts.responses = db.session.execute(
        sa.update(Response)
        .where(
            Response.campaign_id == campaign.id,
            sa.or_(Response.person_id.is_not(None), Response.submitted_at.is_not(None)),
        )
        .values(person_id=None, submitted_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    counts.invitations = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.campaign_id == campaign.id,
            sa.or_(
                Invitation.person_id.is_not(None),
                Invitation.completed_at.is_not(None),
                Invitation.draft_answers.is_not(None),
            ),
        )
        .values(person_id=None, completed_at=None, draft_answers=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    counts.emails = db.session.execute(
        sa.delete(OutboxMessage)
        .where(OutboxMessage.campaign_id == campaign.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    return counts


#: How often the job looks at a partnership's closed campaigns.
RETENTION_CHECK_EVERY = timedelta(hours=1)


def _due_for_check(now: datetime) -> sa.ColumnElement[bool]:
    """Partnerships not looked at within the hour (or "looked at" later than now, when an
    operator runs jobs at an earlier moment with `jobs run-due --now`)."""
    checked = Partnership.retention_checked_at
    return sa.or_(
        checked.is_(None),
        checked <= now - RETENTION_CHECK_EVERY,
        checked > now,
    )


@job("retention", order=80)
def remove_identifiable_links(now: datetime) -> str | None:
    """De-identify each closed campaign whose retention period (by its type) has passed."""
    partnerships = db.session.scalars(
        sa.select(Partnership).where(_due_for_check(now)).order_by(Partnership.id)
    ).all()
    done = 0
    for partnership in partnerships:
        done += _apply_retention(partnership, now)
    return f"de-identified {done} campaign(s) past their retention period" if done else None


def _apply_retention(partnership: Partnership, now: datetime) -> int:
    # No retention period is shorter than a month, so nothing closed since then can be due.
    candidates = db.session.scalars(
        sa.select(Campaign)
        .where(
            Campaign.partnership_id == partnership.id,
            Campaign.status == CampaignStatus.CLOSED,
            sa.func.coalesce(Campaign.closed_at, Campaign.closes_at) <= now - timedelta(days=28),
            _holds_identifiable(Campaign.id),
        )
        .order_by(Campaign.id)
    ).all()
    due = [c for c in candidates if removal_due(c, partnership) <= now]
    for campaign in due:
        months = retention_months(partnership, campaign.purpose)
        with transaction():
            counts = deidentify_campaign(campaign)
            audit.record(
                "retention.deidentify",
                partnership_id=campaign.partnership_id,
                record_type="campaign",
                record_id=campaign.id,
                detail={
                    "months": months,
                    **{f.name: getattr(counts, f.name) for f in fields(counts)},
                },
            )
    with transaction():
        partnership.retention_checked_at = now
    return len(due)


# -- Subject access ------------------------------------------------------------------------------

NOT_HELD = [
    "Answers given in anonymous campaigns, and through a campaign's open link, are never "
    "linked to a person, so they cannot be found or included.",
    "Child and family voice records are never linked to a person in this service.",
    "Visit and forum notes, audits and reviews are about settings and cases, not about the "
    "practitioners invited to surveys, and are not searched.",
    "Answers whose link to the person was removed by the retention period or by erasure are "
    "de-identified and can no longer be found.",
]


def get_person(partnership: Partnership, person_id: int) -> Person:
    person = db.session.scalar(
        sa.select(Person).where(Person.id == person_id, Person.partnership_id == partnership.id)
    )
    if person is None:
        raise NotFound("There is no such practitioner")
    return person


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _readable_answers(response: Response) -> list[dict[str, Any]]:
    """Each answer with its question's wording, as the response export words it."""
    from feedback.services.exports import question_columns
    from feedback.services.results import answerable_questions

    stored = response.answers or {}
    definition = response.campaign.instrument_version.definition
    rows: list[dict[str, Any]] = []
    known = set()
    for question in answerable_questions(definition):
        known.add(question["key"])
        if stored.get(question["key"]) is None:
            continue
        for column in question_columns(question):
            value = column.read(stored.get(question["key"]))
            if value not in (None, ""):
                rows.append({"question": column.label, "answer": value})
    for key in sorted(set(stored) - known):  # answers to questions since removed
        if stored[key] is not None:
            rows.append({"question": key, "answer": stored[key]})
    return rows


def subject_access(person: Person) -> dict[str, Any]:
    """Everything the service holds about a practitioner, as plain data (the JSON download)."""
    partnership = db.session.get(Partnership, person.partnership_id)
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.person_id == person.id)
        .order_by(Invitation.sent_at, Invitation.id)
    ).all()
    responses = db.session.scalars(
        sa.select(Response)
        .where(Response.person_id == person.id)
        .order_by(Response.submitted_on, Response.id)
    ).all()
    attendance = db.session.scalars(
        sa.select(Attendance)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.person_id == person.id)
        .order_by(CourseSession.starts_at)
    ).all()
    emails = db.session.scalars(
        sa.select(OutboxMessage)
        .outerjoin(Invitation, Invitation.id == OutboxMessage.invitation_id)
        .where(
            sa.or_(
                Invitation.person_id == person.id,
                sa.and_(
                    OutboxMessage.to_address == person.email,
                    OutboxMessage.campaign_id.in_(
                        sa.select(Campaign.id).where(Campaign.partnership_id == partnership.id)
                    ),
                ),
            )
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    accounts = db.session.scalars(
        sa.select(User).where(User.partnership_id == partnership.id, User.email == person.email)
    ).all()
    return {
        "generated_at": _iso(clock.now()),
        "controller": partnership.name,
        "person": {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "agency": person.agency.name if person.agency else None,
            "job_role": person.job_role,
            "team": person.team,
            "opted_out_at": _iso(person.opted_out_at),
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
        },
        "invitations": [
            {
                "campaign_id": i.campaign_id,
                "campaign": i.campaign.title,
                "campaign_type": type_label(i.campaign.purpose),
                "response_mode": i.campaign.mode.value,
                "delivery": i.delivery.value,
                "sent_at": _iso(i.sent_at),
                "reminders_sent": i.reminders_sent,
                "opened_at": _iso(i.opened_at),
                "started_at": _iso(i.started_at),
                "responded": i.responded,
                "completed_at": _iso(i.completed_at),
                "unsubmitted_answers": i.draft_answers or None,
            }
            for i in invitations
        ],
        "responses": [
            {
                "id": r.id,
                "campaign_id": r.campaign_id,
                "campaign": r.campaign.title,
                "submitted_on": _iso(r.submitted_on),
                "submitted_at": _iso(r.submitted_at),
                "agency": r.agency.name if r.agency else None,
                "job_role": r.job_role,
                "answers": _readable_answers(r),
            }
            for r in responses
        ],
        "training_attendance": [
            {
                "course": a.session.course.title,
                "session_starts_at": _iso(a.session.starts_at),
                "attended": a.attended,
                "booked_at": _iso(a.created_at),
            }
            for a in attendance
        ],
        "emails": [
            {
                "kind": m.kind,
                "subject": m.subject,
                "to": m.to_address,
                "status": m.status.value,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in emails
        ],
        "opt_out": {
            "opted_out": person.opted_out_at is not None,
            "opted_out_at": _iso(person.opted_out_at),
        },
        "staff_accounts": [
            {
                "email": u.email,
                "name": u.name,
                "role": u.role.value,
                "active": u.active,
                "created_at": _iso(u.created_at),
                "last_sign_in_at": _iso(u.last_sign_in_at),
            }
            for u in accounts
        ],
        "audit_events": [
            {
                "occurred_at": _iso(event.occurred_at),
                "action": event.action,
                "description": audit.label(event.action),
                "by": email or "the service",
                "detail": event.detail,
            }
            for event, email in audit.about(partnership.id, "person", person.id)
        ],
        "not_included": NOT_HELD,
    }


def record_subject_access(person: Person, actor: User | None, fmt: str) -> None:
    """Audit that someone looked at or downloaded a person's subject access export."""
    with transaction():
        audit.record(
            "person.subject_access",
            user=actor,
            partnership_id=person.partnership_id,
            record_type="person",
            record_id=person.id,
            detail={"format": fmt},
        )


# -- Erasure -------------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What erasing a person changes (counted before, as a preview, and after)."""

    responses: int = 0
    invitations_removed: int = 0
    invitations_kept: int = 0
    emails_cancelled: int = 0
    emails_removed: int = 0
    attendance: int = 0


def _their_invitations(person: Person) -> sa.Select[Any]:
    return sa.select(Invitation.id).where(Invitation.person_id == person.id)


def _their_emails(person: Person) -> sa.ColumnElement[bool]:
    campaigns = sa.select(Campaign.id).where(Campaign.partnership_id == person.partnership_id)
    return sa.or_(
        OutboxMessage.invitation_id.in_(_their_invitations(person)),
        sa.and_(OutboxMessage.to_address == person.email, OutboxMessage.campaign_id.in_(campaigns)),
    )


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def erasure_preview(person: Person) -> Erasure:
    """What erasing this person would change, for the confirmation page."""
    pending = OutboxMessage.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
    return Erasure(
        responses=_count(Response, Response.person_id == person.id),
        invitations_removed=_count(
            Invitation, Invitation.person_id == person.id, Invitation.responded.is_(False)
        ),
        invitations_kept=_count(
            Invitation, Invitation.person_id == person.id, Invitation.responded.is_(True)
        ),
        emails_cancelled=_count(OutboxMessage, _their_emails(person), pending),
        emails_removed=_count(OutboxMessage, _their_emails(person), sa.not_(pending)),
        attendance=_count(Attendance, Attendance.person_id == person.id),
    )


def erase_person(person: Person, actor: User | None) -> Erasure:
    """Erase a practitioner: de-identify their answers, delete their contact details and
    invitations, cancel mail not yet sent; audited without the erased details, in one go.

    Their responses stay for the partnership's learning without their name, job role or time
    of day (the agency stays, as in an anonymous response). Invitations they answered stay as
    a count with no person; the others are deleted, so their links stop working.
    """
    counts = erasure_preview(person)
    try:
        _erase(person, counts, actor)
    except sa.exc.IntegrityError:
        raise ServiceError(
            "This practitioner could not be erased because another record still needs them; "
            "nothing was changed. Tell the service's support team which practitioner it was."
        ) from None
    if person in db.session:
        db.session.expunge(person)  # its row is gone; nothing should read it again
    return counts


def _erase(person: Person, counts: Erasure, actor: User | None) -> None:
    person_id, partnership_id = person.id, person.partnership_id
    with transaction():
        db.session.execute(
            sa.update(Response)
            .where(Response.person_id == person_id)
            .values(person_id=None, job_role=None, submitted_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.delete(OutboxMessage)
            .where(_their_emails(person))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.update(Invitation)
            .where(Invitation.person_id == person_id, Invitation.responded.is_(True))
            .values(person_id=None, completed_at=None, draft_answers=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.delete(Invitation)
            .where(Invitation.person_id == person_id)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.delete(Attendance)
            .where(Attendance.person_id == person_id)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.delete(Person)
            .where(Person.id == person_id)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            "person.erase",
            user=actor,
            partnership_id=partnership_id,
            record_type="person",
            record_id=person_id,
            detail={f.name: getattr(counts, f.name) for f in fields(counts)},
        )


# -- The admin's home page -----------------------------------------------------------------------


@home.panel
def _locked_accounts(user: User, summary: home.HomeSummary) -> None:
    """Admins see how many accounts are locked after failed sign-ins, when any are."""
    if user.role != Role.ADMIN:
        return
    locked = _count(
        User, User.partnership_id == user.partnership_id, User.locked_until > clock.now()
    )
    if locked:
        summary.figures.append(("Accounts locked after failed sign-ins", locked, "admin.users"))
    summary.next_steps.append(("Search the audit log", "admin.audit_log"))
