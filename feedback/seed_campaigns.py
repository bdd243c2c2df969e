"""Demo campaigns for `make run`: last year's and this year's Section 11 staff survey, answered.

Answers are generated from the instrument's own question types, so they are always valid, and
vary by agency and year the way real results do (a weaker agency, a small improvement), so the
results pages, trends and suppression have something true-looking to show.
"""

import random
import uuid
from datetime import datetime, timedelta
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

TRAINING_COMMENTS = {
    "most_useful": [
        "The case studies made the signs of neglect feel real, not abstract.",
        "Working through the Graded Care Profile with colleagues from health and police.",
        "Hearing how the MASH decides on thresholds.",
        "The session on the child's lived experience - a day in the life exercise.",
    ],
    "do_differently": [
        "I will use the GCP2 on my next home visit where I have worries.",
        "Record what the child says in their own words.",
        "Escalate sooner when I disagree with a decision, using the escalation policy.",
    ],
    "could_be_better": [
        "More time for the group exercise; it felt rushed after lunch.",
        "The online platform kept dropping out for some of us.",
        "Slides sent in advance would help.",
    ],
    "further_learning": [
        "Contextual safeguarding and exploitation outside the home.",
        "How to have difficult conversations with parents.",
        "Online safety for primary-age children.",
    ],
    "practice_example": [
        "I used the GCP2 with a family and it helped the parents see what needed to change.",
        "I challenged a decision to close a case and it was reopened with early help.",
        "I now write the child's words in the record, not my summary.",
    ],
    "difference_for_child": [
        "A child now has a plan at school because I referred earlier.",
        "The family accepted early help after we used the GCP2 together.",
    ],
}

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


def staff_survey_rounds(now: datetime) -> list[tuple[str, datetime, datetime, float, float]]:
    """The demo's two yearly rounds of the staff survey: this year's, open now (it opened nine
    weeks ago and closes in three), and last year's, a year earlier. Relative to today, so the
    demo always has a survey taking answers and a year of responses before it.

    Each is (title, opens, closes, response rate, improvement on last year out of 10)."""
    opens = (now - timedelta(weeks=9)).replace(hour=8, minute=0, second=0, microsecond=0)
    closes = (now + timedelta(weeks=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    year = timedelta(weeks=52)
    return [
        (f"Section 11 staff survey {(opens - year).year}", opens - year, closes - year, 0.62, 0.0),
        (f"Section 11 staff survey {opens.year}", opens, closes, 0.55, 0.6),
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
        pool = TRAINING_COMMENTS.get(question["key"]) or (
            WHAT_GETS_IN_THE_WAY if "way" in question["key"] else WHAT_HELPS
        )
        raw = rng.choice(pool) if rng.random() < 0.6 else None
    elif qtype == "yes_no":
        raw = "yes" if rng.random() < mood / 10 else "no"
    elif qtype == "rating":
        levels = [level["value"] for level in summary["levels"]]
        raw = levels[min(len(levels) - 1, max(0, round(rng.gauss(mood, 1.2))))]
    elif qtype == "retrospective_confidence":
        raw = {}
        for outcome in question["outcomes"]:
            before = rng.choice([1, 2, 2, 3, 3, 4])
            raw[outcome["key"]] = {
                "before": before,
                "now": min(5, before + rng.choice([0, 1, 1, 2])),
            }
    elif qtype == "matrix":
        levels = [level["value"] for level in summary["levels"]]
        raw = {
            row["key"]: levels[
                min(len(levels) - 1, max(0, round(rng.gauss(mood / 10 * len(levels), 0.8)) - 1))
            ]
            for row in question["rows"]
        }
    elif qtype == "multi_choice":
        values = [option["value"] for option in question["options"]]
        raw = rng.sample(values[:-1], k=rng.choice([1, 1, 2]))
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
    for title, opens_at, closes_at, rate, lift in staff_survey_rounds(now):
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


TRAINING = [
    # title, learning outcomes, themes, how much confidence tends to rise (steps on a 1-5 scale),
    # and the sessions already run, as days between their end and the seeding
    (
        "Neglect: recognising and responding",
        [
            "Recognise the signs and impact of neglect",
            "Use the Graded Care Profile 2 with families",
            "Know when and how to escalate concerns about neglect",
        ],
        ["neglect", "escalation_challenge"],
        (0, 1, 1, 2),
        (230, 205),
    ),
    (
        "Child exploitation and contextual safeguarding",
        [
            "Recognise signs of criminal and sexual exploitation",
            "Share information using the exploitation pathway",
            "Understand how to make a National Referral Mechanism referral",
        ],
        ["child_exploitation", "information_sharing"],
        (0, 1, 1, 1, 2),
        (215, 110),
    ),
    (
        "Domestic abuse: the impact on children",
        [
            "Describe how domestic abuse affects children at different ages",
            "Use the DASH risk checklist and know when to refer to MARAC",
            "Talk with a child about what is happening at home",
        ],
        ["domestic_abuse", "voice_of_child"],
        (0, 0, 1, 1),
        (200,),
    ),
]
#: Booked on each past demo session (about nine in ten attend), enough that every stage of a
#: session has more answers than the disclosure threshold, so the dashboards show numbers.
BOOKED = 27
#: Chance of answering the post-course evaluation, and a follow-up after answering it or not.
ANSWERS_POST, ANSWERS_FOLLOW_UP, ANSWERS_FOLLOW_UP_ONLY = 0.88, 0.82, 0.3


def seed_training(partnership: Partnership, rng: random.Random) -> int:
    """Three courses, each with past sessions whose post-course evaluation and 3- and 6-month
    follow-ups were sent and answered (by the same people, so confidence can be followed over
    time), and a session to come.

    Courses are found by title and get their sessions when first made; on every run, any stage
    of a past session that has fallen due and not been sent is sent and answered, so a second
    run adds nothing.
    """
    from feedback.models import Attendance, Course, CourseSession, EvaluationStage, User
    from feedback.services import training

    trainer = db.session.scalar(
        sa.select(User)
        .where(User.partnership_id == partnership.id, User.role == "trainer")
        .order_by(User.id)
    )
    people = list(
        db.session.scalars(
            sa.select(Person).where(Person.partnership_id == partnership.id).order_by(Person.id)
        )
    )
    if len(people) < BOOKED:
        return 0
    added = 0
    now = clock.now()
    for number, (title, outcomes, themes, gains, ended_days_ago) in enumerate(TRAINING):
        course = db.session.scalar(
            sa.select(Course).where(Course.partnership_id == partnership.id, Course.title == title)
        )
        if course is None:
            course = Course(
                partnership_id=partnership.id,
                title=title,
                learning_outcomes=outcomes,
                themes=themes,
                level="Level 2: multi-agency",
                format="face_to_face",
            )
            db.session.add(course)
            db.session.flush()
            added += 1
            added += _seed_sessions(course, trainer, people, ended_days_ago, number, rng)
        past = db.session.scalars(
            sa.select(CourseSession)
            .where(
                CourseSession.course_id == course.id,
                CourseSession.cancelled_at.is_(None),
                CourseSession.ends_at <= now,
                sa.exists().where(
                    Attendance.session_id == CourseSession.id, Attendance.attended.is_(True)
                ),
            )
            .order_by(CourseSession.ends_at)
        ).all()
        for session in past:
            sent = {e.stage for e in session.evaluations}
            for stage in EvaluationStage:
                due = training.due_at(session, stage)
                if stage in sent or due > now:
                    continue
                sent_at = due + timedelta(minutes=5)
                with clock.frozen_at(sent_at):
                    evaluation = _send_without_commit(training, session, stage)
                added += 1 + _answer_evaluation(
                    evaluation.campaign, sent_at, rng, _FollowOn(session, stage, gains, rng)
                )
    return added


def _seed_sessions(course, trainer, people, ended_days_ago, number, rng) -> int:  # noqa: ANN001
    """The course's past sessions with their registers marked, and one to come, part-booked."""
    from feedback.models import Attendance, CourseSession

    now = clock.now()
    added = 0
    for days in ended_days_ago:
        end = (now - timedelta(days=days)).replace(hour=16, minute=0, second=0, microsecond=0)
        session = CourseSession(
            partnership_id=course.partnership_id,
            course_id=course.id,
            starts_at=end - timedelta(hours=6),
            ends_at=end,
            venue="Northshire House, Riverside",
            trainer_id=trainer.id if trainer else None,
            capacity=30,
        )
        db.session.add(session)
        db.session.flush()
        for person in rng.sample(people, BOOKED):
            db.session.add(
                Attendance(session_id=session.id, person_id=person.id, attended=rng.random() > 0.1)
            )
        added += 1 + BOOKED
    start = (now + timedelta(days=10 + number)).replace(hour=9, minute=30, second=0, microsecond=0)
    upcoming = CourseSession(
        partnership_id=course.partnership_id,
        course_id=course.id,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        online=True,
        trainer_id=trainer.id if trainer else None,
        capacity=30,
    )
    db.session.add(upcoming)
    db.session.flush()
    for person in rng.sample(people, 12):
        db.session.add(Attendance(session_id=upcoming.id, person_id=person.id, attended=None))
    db.session.flush()
    return added + 1 + 12


class _FollowOn:
    """Keeps one person's confidence consistent from stage to stage: a follow-up starts from
    what they said straight after the course and drifts a little, as real confidence does."""

    def __init__(self, session, stage, gains: tuple[int, ...], rng: random.Random) -> None:  # noqa: ANN001
        from feedback.models import EvaluationStage, SessionEvaluation

        self.stage, self.gains, self.rng = stage, gains, rng
        #: person id -> {outcome key: confidence} from this session's earlier stages
        self.earlier: dict[int, dict[str, int]] = {}
        self.answered: set[int] = set()
        for earlier in (EvaluationStage.POST_COURSE, EvaluationStage.FOLLOWUP_3_MONTH):
            if earlier == stage:
                break
            campaign_id = db.session.scalar(
                sa.select(SessionEvaluation.campaign_id).where(
                    SessionEvaluation.session_id == session.id, SessionEvaluation.stage == earlier
                )
            )
            for person_id, answers in db.session.execute(
                sa.select(Response.person_id, Response.answers).where(
                    Response.campaign_id == campaign_id
                )
            ):
                self.answered.add(person_id)
                for key, value in (answers or {}).items():
                    if isinstance(value, dict) and key in ("outcome_confidence", "confidence_now"):
                        self.earlier[person_id] = {
                            k: v["now"] if isinstance(v, dict) else v for k, v in value.items()
                        }

    def answers(self, person_id: int) -> bool:
        """Whether this person answers this stage: most who answered before do again."""
        if self.stage.value == "post_course":
            return self.rng.random() < ANSWERS_POST
        chance = ANSWERS_FOLLOW_UP if person_id in self.answered else ANSWERS_FOLLOW_UP_ONLY
        return self.rng.random() < chance

    def confidence(self, question: dict[str, Any], person_id: int) -> Any:
        """The person's confidence answer, or None to let _answer make one up."""
        if question["type"] == "retrospective_confidence":
            out = {}
            for outcome in question["outcomes"]:
                before = self.rng.choice([1, 2, 2, 3, 3, 4])
                now = min(5, before + self.rng.choice(self.gains))
                out[outcome["key"]] = {"before": before, "now": now}
            return out
        if question["type"] == "matrix" and person_id in self.earlier:
            then = self.earlier[person_id]
            return {
                row["key"]: min(
                    5, max(1, then.get(row["key"], 3) + self.rng.choice([-1, 0, 0, 0, 1]))
                )
                for row in question["rows"]
            }
        return None


def _send_without_commit(training, session, stage):  # noqa: ANN001, ANN202
    """The timeline's own steps, inside the seed's transaction."""
    from feedback.models import SessionEvaluation
    from feedback.services import campaigns as campaign_service

    people = training.attendees(session)
    version = training.stage_version(session.course, stage)
    now = clock.now()
    spec = campaign_service.CampaignSpec(
        instrument_version_id=version.id,
        title=f"{stage.label}: {session.course.title}, {session.starts_at:%-d %B %Y}",
        mode="confidential",
        opens_at=now,
        closes_at=now + training.OPEN_FOR[stage],
        audience={"person_ids": [p.id for p in people]},
        reminder_days=training.REMINDER_DAYS,
        purpose=stage.value,
    )
    partnership = db.session.get(Partnership, session.partnership_id)
    campaign = campaign_service.build_campaign(partnership, spec, None)
    campaign_service.start(campaign, None)
    evaluation = SessionEvaluation(session_id=session.id, stage=stage, campaign_id=campaign.id)
    db.session.add(evaluation)
    db.session.flush()
    return evaluation


def _answer_evaluation(
    campaign: Campaign, sent_at: datetime, rng: random.Random, follow_on: "_FollowOn"
) -> int:
    """Mark the emails sent and answer most of the invitations, as if it had all happened."""
    definition = campaign.instrument_version.definition
    questions = [q for _, q in forms.iter_questions(definition)]
    now = clock.now()
    answered = 0
    for message in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.campaign_id == campaign.id)
    ):
        message.status, message.sent_at, message.body_text = DeliveryStatus.SENT, sent_at, None
        message.attempts = 1
    for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.campaign_id == campaign.id).order_by(Invitation.id)
    ):
        invitation.delivery, invitation.sent_at = DeliveryStatus.SENT, sent_at
        invitation.reminders_sent = 2
        person = invitation.person
        if not follow_on.answers(person.id):
            continue
        moment = min(sent_at + timedelta(hours=rng.randint(1, 200)), now - timedelta(minutes=5))
        invitation.opened_at = invitation.started_at = invitation.completed_at = moment
        invitation.responded = True
        sector = person.agency.sector if person.agency else Sector.OTHER
        # Straight after a course people are upbeat; months later, back at work, less so.
        lift = 1.5 if follow_on.stage.value == "post_course" else 0.0
        mood = min(SECTOR_MOOD[sector] + lift + rng.gauss(0, 1.0), 10)
        answers = {}
        for q in questions:
            confidence = follow_on.confidence(q, person.id)
            answers[q["key"]] = (
                forms.to_storage(q, forms.clean_answer(q, confidence))
                if confidence is not None
                else _answer(q, person, mood, rng)
            )
        db.session.add(
            Response(
                id=uuid.UUID(int=rng.getrandbits(128)).hex,
                campaign_id=campaign.id,
                instrument_version_id=campaign.instrument_version_id,
                person_id=person.id,
                agency_id=person.agency_id,
                job_role=person.job_role,
                submitted_on=moment.date(),
                submitted_at=moment,
                answers=answers,
            )
        )
        answered += 1
    if campaign.closes_at <= now:
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_at = campaign.closes_at
    return answered
