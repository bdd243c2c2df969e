"""Demo campaigns for `make run`: last year's and this year's Section 11 staff survey, answered.

Answers are generated from the instrument's own question types, so they are always valid, and
vary by agency and year the way real results do (a weaker agency, a small improvement), so the
results pages, trends and suppression have something true-looking to show.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

import forms
from feedback import clock
from feedback.extensions import db
from feedback.models import (
    Campaign,
    CampaignStatus,
    DeliveryStatus,
    Instrument,
    Invitation,
    OutboxMessage,
    Partnership,
    Person,
    Response,
    ResponseMode,
    Sector,
)
from feedback.services import messages

WHAT_HELPS = [
    "Having a DSL who is always available and never makes you feel silly for asking.",
    "Monthly safeguarding supervision with my named nurse - it helps me think cases through.",
    "The MASH consultation line. They talk through whether something meets threshold.",
    "Multi-agency training where you meet the people you will be ringing later.",
    "Clear flowcharts for referrals on the partnership website.",
    "Team huddles after difficult visits. We check in on each other.",
    "Knowing the early help hub will take a call before I make a referral.",
    "Good relationships with the school nurses and health visitors on my patch.",
    "The 7 minute briefings after reviews are short enough to read between visits.",
    "My manager backs me when I need to escalate a concern.",
    "Access to the Graded Care Profile training made neglect cases much clearer.",
    "Being able to speak to the LADO quickly when an allegation came in.",
    "Joint visits with police from the CAIU team.",
    "Reflective supervision. Without it I would have burnt out last year.",
]
WHAT_GETS_IN_THE_WAY = [
    "Caseloads are too high to spend real time with children.",
    "Waiting weeks to hear back after a referral, with no feedback on the outcome.",
    "Different recording systems mean information is not shared between agencies.",
    "Supervision gets cancelled whenever the team is short staffed.",
    "I am not always invited to strategy meetings even when we know the family well.",
    "Thresholds feel different depending on who answers the phone at the front door.",
    "Agency staff turnover means families repeat their story again and again.",
    "No time to attend training - cover is never arranged.",
    "It is hard to challenge a decision from a senior colleague in another agency.",
    "GPs are rarely able to attend child protection conferences.",
    "Online safety changes faster than our training does.",
    "Not enough interpreters, so the child's voice gets lost.",
    "Too many procedures, and they change without anyone telling us.",
    "Housing delays leave families in temporary accommodation for months.",
]

#: How each sector's practitioners tend to answer, out of 10: higher is more positive.
SECTOR_MOOD = {
    Sector.POLICE: 6.5,
    Sector.HEALTH: 7.0,
    Sector.CHILDRENS_SOCIAL_CARE: 6.0,
    Sector.EDUCATION: 7.5,
    Sector.EARLY_YEARS: 6.8,
    Sector.PROBATION: 5.5,
    Sector.HOUSING: 4.8,
    Sector.VOLUNTARY: 6.2,
    Sector.OTHER: 6.0,
}
SECTOR_ANSWER = {
    Sector.POLICE: "police",
    Sector.HEALTH: "health",
    Sector.CHILDRENS_SOCIAL_CARE: "childrens_social_care",
    Sector.EDUCATION: "education",
    Sector.EARLY_YEARS: "early_years",
    Sector.PROBATION: "probation",
    Sector.HOUSING: "housing",
    Sector.VOLUNTARY: "voluntary_sector",
    Sector.OTHER: "other_agency",
}

ROUNDS = [
    # title, opens, closes, response rate, improvement on last year (out of 10)
    (
        "Section 11 staff survey 2025",
        datetime(2025, 10, 6, 8, tzinfo=UTC),
        datetime(2025, 11, 29, tzinfo=UTC),
        0.62,
        0.0,
    ),
    (
        "Section 11 staff survey 2026",
        datetime(2026, 10, 5, 8, tzinfo=UTC),
        datetime(2026, 12, 5, tzinfo=UTC),
        0.55,
        0.6,
    ),
]


def _answer(question: dict[str, Any], person: Person, mood: float, rng: random.Random) -> Any:
    """A plausible, valid stored answer to one question from this person, or None."""
    qtype = question["type"]
    summary = forms.summarise(question)
    raw: Any = None
    if qtype == "likert":
        levels = [level["value"] for level in summary["levels"]]
        if summary.get("not_applicable") and rng.random() < 0.04:
            raw = summary["not_applicable"][0]["value"]
        else:
            # mood 0..10 -> mostly upper levels for happy agencies, spread for unhappy ones
            position = min(max(rng.gauss(mood / 10 * len(levels), 1.0), 0.5), len(levels))
            raw = levels[min(int(position), len(levels) - 1)]
    elif qtype == "single_choice":
        values = [level["value"] for level in summary["levels"]]
        if question["key"] == "agency" and person.agency is not None:
            raw = SECTOR_ANSWER.get(person.agency.sector, values[-1])
        else:
            raw = rng.choice(values)
    elif qtype == "ranking":
        raw = [level["value"] for level in summary["levels"]]
        rng.shuffle(raw)
    elif qtype == "long_text":
        pool = WHAT_GETS_IN_THE_WAY if "way" in question["key"] else WHAT_HELPS
        raw = rng.choice(pool) if rng.random() < 0.6 else None
    elif qtype == "yes_no":
        raw = "yes" if rng.random() < mood / 10 else "no"
    if raw is None:
        return None
    try:
        return forms.to_storage(question, forms.clean_answer(question, raw))
    except forms.AnswerError:
        return None


def seed_staff_surveys(partnership: Partnership, rng: random.Random) -> int:
    """Both rounds of the staff survey with invitations and responses; skips what exists."""
    instrument = db.session.scalar(
        sa.select(Instrument).where(
            Instrument.partnership_id == partnership.id, Instrument.key == "staff_survey"
        )
    )
    if instrument is None or instrument.latest_published is None:
        return 0
    version = instrument.latest_published
    definition = version.definition
    questions = [q for _, q in forms.iter_questions(definition)]
    people = list(
        db.session.scalars(
            sa.select(Person).where(Person.partnership_id == partnership.id).order_by(Person.id)
        )
    )
    added = 0
    now = clock.now()
    for title, opens_at, closes_at, rate, lift in ROUNDS:
        exists = db.session.scalar(
            sa.select(Campaign.id).where(
                Campaign.partnership_id == partnership.id, Campaign.title == title
            )
        )
        if exists is not None:
            continue
        closed = closes_at <= now
        campaign = Campaign(
            partnership_id=partnership.id,
            instrument_version_id=version.id,
            title=title,
            mode=ResponseMode.ANONYMOUS,
            status=CampaignStatus.CLOSED if closed else CampaignStatus.LIVE,
            opens_at=opens_at,
            closes_at=closes_at,
            reminder_days=[7, 14],
            audience={"agency_ids": sorted({p.agency_id for p in people if p.agency_id})},
            subject_template=messages.DEFAULT_SUBJECT,
            body_template=messages.DEFAULT_BODY,
            created_at=opens_at - timedelta(days=7),
            launched_at=opens_at,
            closed_at=closes_at if closed else None,
        )
        db.session.add(campaign)
        db.session.flush()
        window = (min(closes_at, now) - opens_at).total_seconds()
        for person in people:
            nonce = messages.new_nonce()
            sent_at = opens_at + timedelta(minutes=rng.randint(0, 30))
            invitation = Invitation(
                campaign_id=campaign.id,
                person_id=person.id,
                token_nonce=nonce,
                token_hash=messages.hash_token(messages.token_for("invitation", nonce)),
                delivery=DeliveryStatus.SENT,
                sent_at=sent_at,
                reminders_sent=rng.randint(0, 2),
            )
            db.session.add(invitation)
            db.session.add(
                OutboxMessage(
                    campaign_id=campaign.id,
                    invitation=invitation,
                    kind="invitation",
                    to_address=person.email,
                    subject=f"{title}: please give us your views",
                    body_text=None,
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    sent_at=sent_at,
                    next_attempt_at=sent_at,
                    created_at=opens_at,
                )
            )
            if rng.random() < 0.8:
                invitation.opened_at = sent_at + timedelta(hours=rng.randint(1, 72))
            if rng.random() >= rate:
                if invitation.opened_at is not None and rng.random() < 0.2:
                    invitation.started_at = invitation.opened_at
                continue
            # Anonymous: the invitation only records that it was used.
            invitation.opened_at = invitation.opened_at or sent_at
            invitation.started_at = invitation.opened_at
            invitation.responded = True
            sector = person.agency.sector if person.agency else Sector.OTHER
            mood = min(SECTOR_MOOD[sector] + lift + rng.gauss(0, 1.2), 10)
            answers = {q["key"]: _answer(q, person, mood, rng) for q in questions}
            db.session.add(
                Response(
                    id=uuid.UUID(int=rng.getrandbits(128)).hex,
                    campaign_id=campaign.id,
                    instrument_version_id=version.id,
                    agency_id=person.agency_id,
                    job_role=person.job_role,
                    submitted_on=(opens_at + timedelta(seconds=rng.uniform(0, window))).date(),
                    answers=answers,
                )
            )
            added += 1
        added += 1
    return added


def seed_draft_pulse(partnership: Partnership) -> int:
    """A draft campaign ready to launch, so the launch journey can be tried in the demo."""
    title = "Early years safeguarding pulse"
    if db.session.scalar(
        sa.select(Campaign.id).where(
            Campaign.partnership_id == partnership.id, Campaign.title == title
        )
    ):
        return 0
    instrument = db.session.scalar(
        sa.select(Instrument).where(
            Instrument.partnership_id == partnership.id, Instrument.key == "practitioner_forum"
        )
    )
    if instrument is None or instrument.latest_published is None:
        return 0
    from feedback.models import Agency

    early_years = db.session.scalars(
        sa.select(Agency.id).where(
            Agency.partnership_id == partnership.id, Agency.sector == Sector.EARLY_YEARS
        )
    ).all()
    opens = clock.now() + timedelta(days=3)
    db.session.add(
        Campaign(
            partnership_id=partnership.id,
            instrument_version_id=instrument.latest_published.id,
            title=title,
            mode=ResponseMode.CONFIDENTIAL,
            status=CampaignStatus.DRAFT,
            opens_at=opens,
            closes_at=opens + timedelta(days=21),
            reminder_days=[7],
            audience={"agency_ids": list(early_years)},
            subject_template=messages.DEFAULT_SUBJECT,
            body_template=messages.DEFAULT_BODY,
        )
    )
    return 1
