"""Training: courses, sessions and attendance, and the timeline that evaluates each session
straight after it ends and again three and six calendar months later.

The timeline keeps no state of its own: a job asks the database which sessions have a stage
due and not yet sent, so a scheduler that was down catches up on its next run. Each stage's
campaign is created, launched and recorded in one transaction, and the record's unique key
(session, stage) means a stage is sent once however many processes try.
"""

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import forms
from feedback import clock
from feedback.extensions import db
from feedback.jobs import job
from feedback.models import (
    Attendance,
    Course,
    CourseFormat,
    CourseSession,
    EvaluationStage,
    Instrument,
    InstrumentVersion,
    Partnership,
    Person,
    Role,
    SessionEvaluation,
    User,
)
from feedback.services import NotFound, ServiceError, audit, transaction
from feedback.services import campaigns as campaign_service
from forms import library

MIN_OUTCOMES, MAX_OUTCOMES = 3, 8
#: How long each stage's campaign stays open.
OPEN_FOR = {
    EvaluationStage.POST_COURSE: timedelta(days=21),
    EvaluationStage.FOLLOWUP_3_MONTH: timedelta(days=28),
    EvaluationStage.FOLLOWUP_6_MONTH: timedelta(days=28),
}
REMINDER_DAYS = (7, 14)


@dataclass(frozen=True)
class CourseSpec:
    title: str
    learning_outcomes: list[str]
    format: str = CourseFormat.FACE_TO_FACE.value
    description: str | None = None
    themes: list[str] = field(default_factory=list)
    level: str | None = None


def add_months(moment: datetime, months: int) -> datetime:
    """The same time of day, `months` calendar months on (31 January + 1 month: 28/29 Feb)."""
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def due_at(session: CourseSession, stage: EvaluationStage) -> datetime:
    return add_months(session.ends_at, stage.months_after)


# -- Courses and sessions ------------------------------------------------------------------------


def create_course(partnership: Partnership, spec: CourseSpec, actor: User | None) -> Course:
    """Add a course; it needs a title and 3 to 8 short learning outcomes."""
    title = (spec.title or "").strip()
    if not title:
        raise ServiceError("Enter the course title", field="title")
    outcomes = [o.strip() for o in spec.learning_outcomes if o and o.strip()]
    if not MIN_OUTCOMES <= len(outcomes) <= MAX_OUTCOMES:
        raise ServiceError(
            f"Give between {MIN_OUTCOMES} and {MAX_OUTCOMES} learning outcomes "
            f"(this has {len(outcomes)})",
            field="learning_outcomes",
        )
    for number, outcome in enumerate(outcomes, start=1):
        if len(outcome) > 200:
            raise ServiceError(
                f"Learning outcome {number} must be 200 characters or fewer",
                field="learning_outcomes",
            )
    try:
        course_format = CourseFormat(spec.format)
    except ValueError:
        choices = ", ".join(f.value for f in CourseFormat)
        raise ServiceError(f"Format must be one of: {choices}", field="format") from None
    unknown = [t for t in spec.themes if t not in forms.THEMES]
    if unknown:
        raise ServiceError(f"Unknown theme: {', '.join(unknown)}", field="themes")
    with transaction():
        course = Course(
            partnership_id=partnership.id,
            title=title,
            description=spec.description,
            learning_outcomes=outcomes,
            themes=list(spec.themes),
            level=spec.level,
            format=course_format,
        )
        db.session.add(course)
        db.session.flush()
        audit.record(
            "course.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="course",
            record_id=course.id,
        )
    return course


def get_course(partnership: Partnership, course_id: int) -> Course:
    course = db.session.scalar(
        sa.select(Course).where(Course.id == course_id, Course.partnership_id == partnership.id)
    )
    if course is None:
        raise NotFound(f"There is no course {course_id}")
    return course


def get_session(partnership: Partnership, session_id: int) -> CourseSession:
    session = db.session.scalar(
        sa.select(CourseSession).where(
            CourseSession.id == session_id, CourseSession.partnership_id == partnership.id
        )
    )
    if session is None:
        raise NotFound(f"There is no course session {session_id}")
    return session


def add_session(
    partnership: Partnership,
    course: Course,
    *,
    starts_at: datetime,
    ends_at: datetime,
    venue: str | None = None,
    online: bool = False,
    trainer: User | None = None,
    capacity: int | None = None,
    actor: User | None = None,
) -> CourseSession:
    """Schedule a session of a course; it must end after it starts."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ServiceError("Give times with their time zone", field="starts_at")
    if ends_at <= starts_at:
        raise ServiceError("The session must end after it starts", field="ends_at")
    if trainer is not None and (
        trainer.partnership_id != partnership.id or trainer.role != Role.TRAINER
    ):
        raise ServiceError(
            "The trainer must be an account with the trainer role", field="trainer_id"
        )
    if capacity is not None and capacity < 1:
        raise ServiceError("Capacity must be 1 or more", field="capacity")
    with transaction():
        session = CourseSession(
            partnership_id=partnership.id,
            course_id=course.id,
            starts_at=starts_at,
            ends_at=ends_at,
            venue=venue,
            online=online,
            trainer_id=trainer.id if trainer else None,
            capacity=capacity,
        )
        db.session.add(session)
        db.session.flush()
        audit.record(
            "session.create",
            user=actor,
            partnership_id=partnership.id,
            record_type="course_session",
            record_id=session.id,
        )
    return session


def cancel_session(session: CourseSession, actor: User | None) -> None:
    """Cancel a session: it is never evaluated or followed up."""
    if session.cancelled_at is not None:
        raise ServiceError("This session is already cancelled")
    with transaction():
        session.cancelled_at = clock.now()
        audit.record(
            "session.cancel",
            user=actor,
            partnership_id=session.partnership_id,
            record_type="course_session",
            record_id=session.id,
        )


def record_attendance(
    session: CourseSession, person_ids: list[int], attended: bool | None, actor: User | None
) -> int:
    """Book people on a session, or mark them as attended or not; returns how many changed."""
    people = set(
        db.session.scalars(
            sa.select(Person.id).where(
                Person.id.in_(person_ids), Person.partnership_id == session.partnership_id
            )
        )
    )
    unknown = [pid for pid in person_ids if pid not in people]
    if unknown:
        raise ServiceError(
            f"Unknown practitioner id: {', '.join(map(str, unknown))}", field="person_ids"
        )
    with transaction():
        existing = {
            a.person_id: a
            for a in db.session.scalars(
                sa.select(Attendance).where(Attendance.session_id == session.id)
            )
        }
        changed = 0
        for person_id in dict.fromkeys(person_ids):
            record = existing.get(person_id)
            if record is None:
                db.session.add(
                    Attendance(session_id=session.id, person_id=person_id, attended=attended)
                )
                changed += 1
            elif record.attended != attended:
                record.attended = attended
                changed += 1
        audit.record(
            "session.attendance",
            user=actor,
            partnership_id=session.partnership_id,
            record_type="course_session",
            record_id=session.id,
            detail={"changed": changed, "attended": attended},
        )
    return changed


# -- The evaluation timeline ---------------------------------------------------------------------


def stage_version(course: Course, stage: EvaluationStage) -> InstrumentVersion:
    """The published version of this stage's instrument with the course's outcomes filled in.

    Each course has its own copy of each stage's standard instrument; when its outcomes change a
    new version is published, so every response records exactly what it was asked. Runs inside
    the caller's transaction.
    """
    key = f"{stage.library_key}_course_{course.id}"
    definition = forms.with_learning_outcomes(
        library.load(stage.library_key), course.learning_outcomes
    )
    definition["key"] = key
    definition["title"] = f"{definition['title']}: {course.title}"
    problems = forms.validate(definition, allow_placeholders=False)
    if problems:
        raise ServiceError(
            f"The {stage.label} cannot be built: {problems[0].path}: {problems[0].message}"
        )
    instrument = db.session.scalar(
        sa.select(Instrument).where(
            Instrument.partnership_id == course.partnership_id, Instrument.key == key
        )
    )
    if instrument is None:
        instrument = Instrument(
            partnership_id=course.partnership_id,
            key=key,
            title=definition["title"][:200],
            source=stage.library_key,
        )
        db.session.add(instrument)
    latest = instrument.latest_published
    if latest is not None and latest.definition == definition:
        return latest
    draft = instrument.start_draft(None)
    draft.replace_definition(definition)
    draft.publish()
    instrument.title = definition["title"][:200]
    db.session.flush()
    return draft


def attendees(session: CourseSession) -> list[Person]:
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(Attendance, Attendance.person_id == Person.id)
            .where(
                Attendance.session_id == session.id,
                Attendance.attended.is_(True),
                Person.opted_out_at.is_(None),
            )
            .order_by(Person.id)
        )
    )


def send_evaluation(
    session: CourseSession, stage: EvaluationStage, actor: User | None = None
) -> SessionEvaluation | None:
    """Send a stage's evaluation to the session's attendees, once; None if it was already sent
    (or is being sent by another process), the session is cancelled, or nobody attended."""
    if session.cancelled_at is not None:
        return None
    people = attendees(session)
    if not people:
        return None
    course = session.course
    now = clock.now()
    try:
        with transaction():
            if (
                db.session.scalar(
                    sa.select(SessionEvaluation.id).where(
                        SessionEvaluation.session_id == session.id, SessionEvaluation.stage == stage
                    )
                )
                is not None
            ):
                return None
            version = stage_version(course, stage)
            partnership = db.session.get(Partnership, session.partnership_id)
            spec = campaign_service.CampaignSpec(
                instrument_version_id=version.id,
                title=f"{stage.label}: {course.title}, {session.starts_at:%-d %B %Y}",
                mode="confidential",
                opens_at=now,
                closes_at=now + OPEN_FOR[stage],
                audience={"person_ids": [p.id for p in people]},
                reminder_days=REMINDER_DAYS,
                purpose=stage.value,
            )
            campaign = campaign_service.build_campaign(partnership, spec, actor)
            campaign_service.start(campaign, actor)
            evaluation = SessionEvaluation(
                session_id=session.id, stage=stage, campaign_id=campaign.id
            )
            db.session.add(evaluation)
            db.session.flush()  # the unique key refuses a second sender here
    except IntegrityError:
        return None
    return evaluation


@job("training_timeline")
def run_timeline(now: datetime) -> str | None:
    """Send every stage that is due and not yet sent, for sessions that were not cancelled."""
    sent: list[str] = []
    earliest_end = now - timedelta(days=31 * 7)  # past the 6-month stage, nothing is due
    sessions = db.session.scalars(
        sa.select(CourseSession)
        .where(
            CourseSession.cancelled_at.is_(None),
            CourseSession.ends_at <= now,
            CourseSession.ends_at > earliest_end,
        )
        .order_by(CourseSession.ends_at)
    ).all()
    for session in sessions:
        done = {e.stage for e in session.evaluations}
        for stage in EvaluationStage:
            if stage in done or due_at(session, stage) > now:
                continue
            if send_evaluation(session, stage) is not None:
                sent.append(f"{stage.label} for session {session.id}")
    return "sent " + "; ".join(sent) if sent else None


def evaluation_summary(session: CourseSession) -> dict[str, Any]:
    """Per stage: whether it was sent, when it is due, how many were invited and answered."""
    from feedback.models import Invitation

    summary: dict[str, Any] = {}
    sent = {e.stage: e for e in session.evaluations}
    for stage in EvaluationStage:
        evaluation = sent.get(stage)
        if evaluation is None:
            summary[stage.value] = {"sent": False, "due_at": due_at(session, stage)}
            continue
        invited, responded = db.session.execute(
            sa.select(
                sa.func.count(Invitation.id), sa.func.count(sa.case((Invitation.responded, 1)))
            ).where(Invitation.campaign_id == evaluation.campaign_id)
        ).one()
        summary[stage.value] = {
            "sent": True,
            "campaign_id": evaluation.campaign_id,
            "invited": invited,
            "responded": responded,
        }
    return summary


# -- What changed: the evaluation summary for a course or a session ----------------------------


def evaluation(
    sessions: list[CourseSession], *, disclose_small: bool, threshold: int
) -> dict[str, Any]:
    """Per stage, who was asked and who answered; per learning outcome, the before -> now
    confidence shift from the post-course evaluation (paired within each response: Wilcoxon
    signed-rank and matched-pairs rank-biserial); from the follow-ups, the percentage who have
    applied their learning and the barriers, ranked.

    For anyone but admins (disclose_small=False), a figure resting on fewer answers than the
    threshold is withheld and marked suppressed.
    """
    from analysis.stats import likert_summary, paired_change
    from feedback.models import Invitation, Response

    stages: dict[str, dict[str, int]] = {}
    answers: dict[EvaluationStage, list[dict[str, Any]]] = {}
    definitions: dict[EvaluationStage, dict[str, Any]] = {}
    for stage in EvaluationStage:
        campaign_ids = [e.campaign_id for s in sessions for e in s.evaluations if e.stage == stage]
        invited, responded = (0, 0)
        if campaign_ids:
            invited, responded = db.session.execute(
                sa.select(
                    sa.func.count(Invitation.id), sa.func.count(sa.case((Invitation.responded, 1)))
                ).where(Invitation.campaign_id.in_(campaign_ids))
            ).one()
        stages[stage.value] = {"invited": invited, "responded": responded}
        rows = db.session.execute(
            sa.select(Response.answers, Response.instrument_version_id).where(
                Response.campaign_id.in_(campaign_ids)
            )
        ).all()
        answers[stage] = [r.answers for r in rows]
        if rows:
            definitions[stage] = db.session.get(InstrumentVersion, rows[0][1]).definition

    def hidden(n: int) -> bool:
        return not disclose_small and n < threshold

    outcomes: list[dict[str, Any]] = []
    post = definitions.get(EvaluationStage.POST_COURSE)
    if post is not None:
        for _, question in forms.iter_questions(post):
            if question["type"] != "retrospective_confidence":
                continue
            for outcome in question["outcomes"]:
                pairs = [
                    (a.get(question["key"]) or {}).get(outcome["key"]) or {}
                    for a in answers[EvaluationStage.POST_COURSE]
                ]
                change = paired_change(
                    [p.get("before") for p in pairs], [p.get("now") for p in pairs]
                )
                entry = {
                    "outcome": outcome["label"],
                    "n_pairs": change.n_pairs,
                    "suppressed": hidden(change.n_pairs),
                }
                for name in (
                    "median_before",
                    "median_now",
                    "median_change",
                    "wilcoxon_p",
                    "effect_size",
                ):
                    entry[name] = None if entry["suppressed"] else getattr(change, name)
                outcomes.append(entry)

    follow = answers[EvaluationStage.FOLLOWUP_3_MONTH] + answers[EvaluationStage.FOLLOWUP_6_MONTH]
    follow_definition = definitions.get(EvaluationStage.FOLLOWUP_3_MONTH) or definitions.get(
        EvaluationStage.FOLLOWUP_6_MONTH
    )
    follow_up: dict[str, Any] = {
        "n": len(follow),
        "suppressed": hidden(len(follow)),
        "applied_pct": None,
        "barriers": [],
    }
    if follow and follow_definition is not None and not follow_up["suppressed"]:
        applied = forms.find_question(follow_definition, "used_learning")
        if applied is not None:
            levels = [level["value"] for level in forms.summarise(applied)["levels"]]
            summary = likert_summary([a.get("used_learning") for a in follow], levels)
            follow_up["applied_pct"] = summary.percent_agree
        barriers = forms.find_question(follow_definition, "barriers")
        if barriers is not None:
            labels = {o["value"]: o["label"] for o in barriers["options"]}
            counts: dict[str, int] = {}
            for a in follow:
                for value in (a.get("barriers") or {}).get("selected") or []:
                    counts[value] = counts.get(value, 0) + 1
            follow_up["barriers"] = [
                {"barrier": labels.get(value, value), "count": count}
                for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                if disclose_small or count >= threshold
            ]
    return {"stages": stages, "outcomes": outcomes, "follow_up": follow_up}
