"""Training: courses, sessions and attendance, and the timeline that evaluates each session
straight after it ends and again three and six calendar months later.

The timeline keeps no state of its own: a job asks the database which sessions have a stage
due and not yet sent, so a scheduler that was down catches up on its next run. Each stage's
campaign is created, launched and recorded in one transaction, and the record's unique key
(session, stage) means a stage is sent once however many processes try.
"""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

import forms
from feedback import clock
from feedback.extensions import db
from feedback.jobs import job
from feedback.models import (
    Agency,
    Attendance,
    Campaign,
    CampaignStatus,
    Course,
    CourseFormat,
    CourseSession,
    DeliveryStatus,
    EvaluationStage,
    Instrument,
    InstrumentVersion,
    OutboxMessage,
    Partnership,
    Person,
    Role,
    SessionEvaluation,
    User,
)
from feedback.services import NotFound, ServiceError, audit, home, transaction
from feedback.services import campaigns as campaign_service
from feedback.services import people as people_service
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
    #: An inactive course stays on record with its sessions but takes no new ones.
    active: bool = True


def add_months(moment: datetime, months: int) -> datetime:
    """The same time of day, `months` calendar months on (31 January + 1 month: 28/29 Feb)."""
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def due_at(session: CourseSession, stage: EvaluationStage) -> datetime:
    return add_months(session.ends_at, stage.months_after)


# -- Courses and sessions ------------------------------------------------------------------------


def _course_values(spec: CourseSpec) -> dict[str, Any]:
    """The spec's values, checked and tidied, or ServiceError naming the field at fault."""
    title = (spec.title or "").strip()
    if not title:
        raise ServiceError("Enter the course title", field="title")
    if len(title) > 200:
        raise ServiceError("Course title must be 200 characters or fewer", field="title")
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
    level = (spec.level or "").strip() or None
    if level is not None and len(level) > 60:
        raise ServiceError("Level must be 60 characters or fewer", field="level")
    description = (spec.description or "").strip() or None
    if description is not None and len(description) > 5000:
        raise ServiceError("Description must be 5,000 characters or fewer", field="description")
    return {
        "title": title,
        "description": description,
        "learning_outcomes": outcomes,
        "themes": list(dict.fromkeys(spec.themes)),
        "level": level,
        "format": course_format,
        "active": bool(spec.active),
    }


def create_course(partnership: Partnership, spec: CourseSpec, actor: User | None) -> Course:
    """Add a course; it needs a title and 3 to 8 short learning outcomes."""
    values = _course_values(spec)
    with transaction():
        course = Course(partnership_id=partnership.id, **values)
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


def evaluations_sent(course: Course) -> int:
    """How many evaluations (of any stage) have gone out for the course's sessions."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(SessionEvaluation.id))
            .join(CourseSession, CourseSession.id == SessionEvaluation.session_id)
            .where(CourseSession.course_id == course.id)
        )
        or 0
    )


def update_course(course: Course, spec: CourseSpec, actor: User | None) -> Course:
    """Change a course's details. Its learning outcomes are fixed once an evaluation has been
    sent: each sent evaluation asked about them, and its answers are read against them."""
    values = _course_values(spec)
    if values["learning_outcomes"] != list(course.learning_outcomes) and evaluations_sent(course):
        raise ServiceError(
            "You cannot change the learning outcomes: evaluations asking about them have "
            "already been sent for this course's sessions. To teach different outcomes, "
            "add a new course.",
            field="learning_outcomes",
        )
    changed = sorted(
        name
        for name, value in values.items()
        if (
            list(getattr(course, name))
            if name in ("themes", "learning_outcomes")
            else getattr(course, name)
        )
        != value
    )
    if not changed:
        return course
    with transaction():
        for name in changed:
            setattr(course, name, values[name])
        audit.record(
            "course.edit",
            user=actor,
            partnership_id=course.partnership_id,
            record_type="course",
            record_id=course.id,
            detail={"changed": changed},
        )
    return course


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back an aggregate's timestamp without its zone; it is always UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def list_courses(partnership: Partnership) -> list[dict[str, Any]]:
    """Every course, by title, with how many sessions it has (not counting cancelled ones) and
    when the next one starts."""
    now = clock.now()
    live = sa.and_(CourseSession.course_id == Course.id, CourseSession.cancelled_at.is_(None))
    sessions = (
        sa.select(sa.func.count(CourseSession.id)).where(live).correlate(Course).scalar_subquery()
    )
    upcoming = (
        sa.select(sa.func.min(CourseSession.starts_at))
        .where(live, CourseSession.starts_at > now)
        .correlate(Course)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Course, sessions, upcoming)
        .where(Course.partnership_id == partnership.id)
        .order_by(Course.active.desc(), sa.func.lower(Course.title), Course.id)
    ).all()
    return [
        {"course": course, "sessions": count, "next_starts_at": _aware(next_at)}
        for course, count, next_at in rows
    ]


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


def _check_session(
    partnership: Partnership,
    *,
    starts_at: datetime,
    ends_at: datetime,
    venue: str | None,
    trainer: User | None,
    capacity: int | None,
) -> str | None:
    """ServiceError naming the field at fault, or the tidied venue."""
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
    if capacity is not None and capacity > 10_000:
        raise ServiceError("Capacity must be 10,000 or fewer", field="capacity")
    venue = (venue or "").strip() or None
    if venue is not None and len(venue) > 200:
        raise ServiceError("Venue must be 200 characters or fewer", field="venue")
    return venue


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
    """Schedule a session of an active course; it must end after it starts."""
    venue = _check_session(
        partnership,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        trainer=trainer,
        capacity=capacity,
    )
    if not course.active:
        raise ServiceError(
            "This course is not active: make it active before adding sessions", field="course"
        )
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


def update_session(
    session: CourseSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    venue: str | None,
    online: bool,
    trainer: User | None,
    capacity: int | None,
    actor: User | None,
) -> CourseSession:
    """Change when, where and by whom a session is run (not once it is cancelled).

    Stages not yet sent follow the new end time; stages already sent stay sent.
    """
    if session.cancelled_at is not None:
        raise ServiceError("This session is cancelled: it cannot be changed")
    partnership = db.session.get(Partnership, session.partnership_id)
    venue = _check_session(
        partnership,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        trainer=trainer,
        capacity=capacity,
    )
    values = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venue": venue,
        "online": online,
        "trainer_id": trainer.id if trainer else None,
        "capacity": capacity,
    }
    changed = sorted(name for name, value in values.items() if getattr(session, name) != value)
    if not changed:
        return session
    with transaction():
        for name in changed:
            setattr(session, name, values[name])
        audit.record(
            "session.edit",
            user=actor,
            partnership_id=session.partnership_id,
            record_type="course_session",
            record_id=session.id,
            detail={"changed": changed},
        )
    return session


def trainers(partnership: Partnership) -> list[User]:
    """The partnership's active accounts with the trainer role, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.partnership_id == partnership.id,
                User.role == Role.TRAINER,
                User.active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


def cancel_session(session: CourseSession, actor: User | None) -> None:
    """Cancel a session: it is never evaluated or followed up. An evaluation already sent (the
    trainer sent it early) closes at once, and its emails not yet sent are withdrawn, so nobody
    is asked or reminded about a session that did not count."""
    if session.cancelled_at is not None:
        raise ServiceError("This session is already cancelled")
    now = clock.now()
    with transaction():
        session.cancelled_at = now
        open_campaigns = db.session.scalars(
            sa.select(Campaign)
            .join(SessionEvaluation, SessionEvaluation.campaign_id == Campaign.id)
            .where(
                SessionEvaluation.session_id == session.id,
                Campaign.status.in_([CampaignStatus.LIVE, CampaignStatus.PAUSED]),
            )
        ).all()
        for campaign in open_campaigns:
            campaign.close(now)
            db.session.execute(
                sa.delete(OutboxMessage).where(
                    OutboxMessage.campaign_id == campaign.id,
                    OutboxMessage.status == DeliveryStatus.PENDING,
                )
            )
        audit.record(
            "session.cancel",
            user=actor,
            partnership_id=session.partnership_id,
            record_type="course_session",
            record_id=session.id,
            detail={"evaluations_closed": [c.id for c in open_campaigns]},
        )


def record_attendance(
    session: CourseSession, person_ids: list[int], attended: bool | None, actor: User | None
) -> int:
    """Book people on a session, or mark them as attended or not; returns how many changed.

    Callers acting for a user check `may_change_attendance` first (tests and the demo seed set
    up past sessions directly)."""
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


def may_change_attendance(session: CourseSession, attended: bool | None) -> None:
    """The register page's rules, for every way in: nothing changes on a cancelled session, and
    nobody is marked as attended or not before the session has started (booking always can)."""
    _check_open(session)
    if attended is not None and not _started(session):
        raise ServiceError(
            "You can mark the register once the session has started "
            f"({uk_date(session.starts_at)} at {uk_time(session.starts_at)}); until then, "
            "book people",
            field="attended",
        )


# -- The register: who is booked, who came --------------------------------------------------------

UK = ZoneInfo("Europe/London")
IMPORT_COLUMNS = ("name", "email", "agency", "attended")
REQUIRED_IMPORT_COLUMNS = ("email", "attended")
MAX_IMPORT_ROWS = 2_000
YES, NO = frozenset({"yes", "y"}), frozenset({"no", "n"})


def uk_date(moment: datetime) -> str:
    """A moment as the UK calendar date it falls on: 3 March 2027."""
    local = moment.astimezone(UK)
    return f"{local.day} {local:%B %Y}"


def uk_time(moment: datetime) -> str:
    """A moment as UK wall-clock time: 9:30am, 4pm."""
    local = moment.astimezone(UK)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def _check_open(session: CourseSession) -> None:
    if session.cancelled_at is not None:
        raise ServiceError(f"This session was cancelled on {uk_date(session.cancelled_at)}")


def _started(session: CourseSession) -> bool:
    return clock.now() >= session.starts_at


def register(session: CourseSession) -> list[Attendance]:
    """Everyone booked on the session, by name, with their practitioner record loaded."""
    return list(
        db.session.scalars(
            sa.select(Attendance)
            .join(Person, Person.id == Attendance.person_id)
            .where(Attendance.session_id == session.id)
            .options(so.contains_eager(Attendance.person))
            .order_by(Person.name, Person.id)
        )
    )


def attendance_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per session: how many are booked, attended, did not attend and are not yet marked."""
    counts = {sid: {"booked": 0, "attended": 0, "absent": 0, "unmarked": 0} for sid in session_ids}
    if not session_ids:
        return counts
    rows = db.session.execute(
        sa.select(Attendance.session_id, Attendance.attended, sa.func.count(Attendance.id))
        .where(Attendance.session_id.in_(session_ids))
        .group_by(Attendance.session_id, Attendance.attended)
    ).all()
    for session_id, attended, number in rows:
        key = {True: "attended", False: "absent", None: "unmarked"}[attended]
        counts[session_id][key] += number
        counts[session_id]["booked"] += number
    return counts


def search_people(session: CourseSession, query: str, limit: int = 25) -> list[Person]:
    """The partnership's practitioners not yet booked on the session whose name or email
    contains the query (any case), by name."""
    query = (query or "").strip().lower()
    if not query:
        return []
    booked = sa.select(Attendance.person_id).where(Attendance.session_id == session.id)
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(
                Person.partnership_id == session.partnership_id,
                Person.id.not_in(booked),
                sa.or_(
                    sa.func.lower(Person.name).contains(query, autoescape=True),
                    Person.email.contains(query, autoescape=True),
                ),
            )
            .order_by(Person.name, Person.id)
            .limit(limit)
        )
    )


def book(session: CourseSession, person_ids: list[int], actor: User | None) -> int:
    """Book practitioners on a session; those already booked keep their mark. Returns how many
    were newly booked."""
    _check_open(session)
    wanted = list(dict.fromkeys(person_ids))
    if not wanted:
        raise ServiceError("Choose at least one person to book", field="person_ids")
    known = set(
        db.session.scalars(
            sa.select(Person.id).where(
                Person.id.in_(wanted), Person.partnership_id == session.partnership_id
            )
        )
    )
    unknown = [pid for pid in wanted if pid not in known]
    if unknown:
        raise ServiceError(
            f"Unknown practitioner id: {', '.join(map(str, unknown))}", field="person_ids"
        )
    try:
        with transaction():
            booked = set(
                db.session.scalars(
                    sa.select(Attendance.person_id).where(Attendance.session_id == session.id)
                )
            )
            new = [pid for pid in wanted if pid not in booked]
            for person_id in new:
                db.session.add(Attendance(session_id=session.id, person_id=person_id))
            audit.record(
                "session.book",
                user=actor,
                partnership_id=session.partnership_id,
                record_type="course_session",
                record_id=session.id,
                detail={"booked": len(new)},
            )
    except IntegrityError:
        raise ServiceError(
            "Someone else changed this session's bookings at the same time: try again"
        ) from None
    return len(new)


def save_register(
    session: CourseSession, on_register: list[int], attended: set[int], actor: User | None
) -> int:
    """Mark everyone on the register as attended (those in `attended`) or not (the rest of
    `on_register`, the people the form showed). Returns how many marks changed."""
    may_change_attendance(session, True)
    records = {a.person_id: a for a in register(session)}
    strangers = [pid for pid in [*on_register, *attended] if pid not in records]
    if strangers:
        raise ServiceError(
            "Someone on the form is not booked on this session: reload the page and try again",
            field="attended",
        )
    with transaction():
        changed = 0
        for person_id in dict.fromkeys(on_register):
            mark = person_id in attended
            if records[person_id].attended != mark:
                records[person_id].attended = mark
                changed += 1
        audit.record(
            "session.register",
            user=actor,
            partnership_id=session.partnership_id,
            record_type="course_session",
            record_id=session.id,
            detail={"changed": changed, "attended": len(attended)},
        )
    return changed


@dataclass
class ImportRow:
    """What the import did with one row of the file (the header is row 1)."""

    row: int
    #: "added" (booked now), "updated" (mark changed), "unchanged" or "skipped".
    outcome: str
    message: str
    email: str = ""


@dataclass
class AttendanceImport:
    rows: list[ImportRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def _mark_words(attended: bool | None) -> str:
    return {True: "attended", False: "did not attend", None: "not yet marked"}[attended]


def import_attendance_csv(
    session: CourseSession, text: str, actor: User | None
) -> AttendanceImport:
    """Book and mark people from CSV text with columns name,email,agency,attended.

    attended is yes or no (empty books them without a mark). Someone not yet listed is added as
    a practitioner, so for them name and agency are needed. Each row is reported: added,
    updated, unchanged or skipped with the reason. Good rows are written in one transaction; a
    file that cannot be read as CSV with the email and attended columns writes nothing and
    raises ServiceError.
    """
    _check_open(session)
    reader = people_service.csv_reader(text, IMPORT_COLUMNS, REQUIRED_IMPORT_COLUMNS)

    agencies = {
        a.name.strip().lower(): a
        for a in db.session.scalars(
            sa.select(Agency).where(Agency.partnership_id == session.partnership_id)
        )
    }
    started = _started(session)
    report = AttendanceImport()
    seen: dict[str, int] = {}
    good: list[tuple[ImportRow, dict[str, Any]]] = []
    for row in people_service.csv_rows(reader):
        line = reader.line_num
        if len(report.rows) >= MAX_IMPORT_ROWS:
            raise ServiceError(
                f"The file has more than {MAX_IMPORT_ROWS:,} rows: is it the right file?"
            )
        values = people_service.row_values(row)
        if not any(values.values()) and None not in row:
            continue  # blank lines are not errors
        if None in row:
            report.rows.append(
                ImportRow(line, "skipped", "has more values than the header has columns")
            )
            continue
        problems: list[str] = []
        email = ""
        try:
            email = people_service.clean_email(values.get("email", ""))
        except ServiceError as exc:
            problems.append(exc.message[0].lower() + exc.message[1:])
        raw_mark = values.get("attended", "").lower()
        mark: bool | None = None
        if raw_mark in YES:
            mark = True
        elif raw_mark in NO:
            mark = False
        elif raw_mark:
            problems.append(f"attended must be yes or no, not '{values['attended']}'")
        if mark is not None and not started:
            problems.append(
                "the session has not started, so nobody can be marked yet: "
                "leave attended empty to book them"
            )
        agency_name = values.get("agency", "")
        agency = agencies.get(agency_name.lower()) if agency_name else None
        if agency_name and agency is None:
            problems.append(f"agency '{agency_name}' is not one of the partnership's agencies")
        if email and email in seen:
            problems.append(f"{email} is a duplicate of row {seen[email]}")
        if problems:
            report.rows.append(ImportRow(line, "skipped", "; ".join(problems), email))
            continue
        seen[email] = line
        entry = ImportRow(line, "", "", email)
        report.rows.append(entry)
        good.append((entry, {"name": values.get("name", ""), "agency": agency, "attended": mark}))

    people = {
        p.email: p
        for p in db.session.scalars(
            sa.select(Person).where(
                Person.partnership_id == session.partnership_id,
                Person.email.in_([entry.email for entry, _ in good]),
            )
        )
    }
    # Someone not yet listed needs what a practitioner record needs.
    for entry, data in good:
        if entry.email in people:
            continue
        if not data["name"]:
            entry.outcome, entry.message = (
                "skipped",
                (f"{entry.email} is not listed as a practitioner, so the name is needed"),
            )
        elif len(data["name"]) > 200:
            entry.outcome, entry.message = "skipped", "name is longer than 200 characters"
        elif data["agency"] is None:
            entry.outcome, entry.message = (
                "skipped",
                (f"{entry.email} is not listed as a practitioner, so the agency is needed"),
            )
    good = [(entry, data) for entry, data in good if entry.outcome != "skipped"]

    try:
        with transaction():
            records = {a.person_id: a for a in register(session)}
            for entry, data in good:
                person = people.get(entry.email)
                mark = data["attended"]
                if person is None:
                    person = Person(
                        partnership_id=session.partnership_id,
                        name=data["name"],
                        email=entry.email,
                        agency=data["agency"],
                    )
                    db.session.add(person)
                    db.session.flush()
                    entry.outcome = "added"
                    entry.message = f"added as a practitioner and booked ({_mark_words(mark)})"
                    db.session.add(
                        Attendance(session_id=session.id, person_id=person.id, attended=mark)
                    )
                    continue
                record = records.get(person.id)
                if record is None:
                    db.session.add(
                        Attendance(session_id=session.id, person_id=person.id, attended=mark)
                    )
                    entry.outcome, entry.message = "added", f"booked ({_mark_words(mark)})"
                elif mark is None or record.attended == mark:
                    entry.outcome = "unchanged"
                    entry.message = f"already booked ({_mark_words(record.attended)})"
                else:
                    entry.outcome = "updated"
                    entry.message = (
                        f"marked {_mark_words(mark)} (was {_mark_words(record.attended)})"
                    )
                    record.attended = mark
            audit.record(
                "session.attendance_import",
                user=actor,
                partnership_id=session.partnership_id,
                record_type="course_session",
                record_id=session.id,
                detail={o: report.count(o) for o in ("added", "updated", "unchanged", "skipped")},
            )
    except IntegrityError:
        raise ServiceError(
            "Someone else changed this session's register at the same time: upload the file again"
        ) from None
    return report


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
            audit.record(
                "session.evaluation_send",
                user=actor,
                partnership_id=session.partnership_id,
                record_type="course_session",
                record_id=session.id,
                detail={
                    "stage": stage.value,
                    "campaign_id": campaign.id,
                    "invited": len(people),
                    "early": now < due_at(session, stage),
                },
            )
    except IntegrityError:
        return None
    return evaluation


def send_now(session: CourseSession, actor: User | None) -> SessionEvaluation:
    """Send the post-course evaluation now rather than when the session ends; once only."""
    stage = EvaluationStage.POST_COURSE
    _check_open(session)
    sent = next((e for e in session.evaluations if e.stage == stage), None)
    if sent is not None:
        raise ServiceError(
            f"The post-course evaluation was already sent on {uk_date(sent.created_at)}: "
            "it goes out once only"
        )
    if not _started(session):
        raise ServiceError(
            "The session has not started yet: you can send the post-course evaluation once it "
            f"has ({uk_date(session.starts_at)} at {uk_time(session.starts_at)})"
        )
    if not attendees(session):
        raise ServiceError(
            "Nobody is marked as attended (or everyone who attended has opted out): "
            "mark the register first"
        )
    evaluation = send_evaluation(session, stage, actor)
    if evaluation is None:  # another press, or the timeline, got there first
        raise ServiceError("The post-course evaluation was already sent: it goes out once only")
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


# -- Home page: registers waiting to be marked ---------------------------------------------------

#: How far back the home page looks for a register still to mark.
REGISTER_LOOKBACK = timedelta(days=60)


def registers_to_mark(user: User) -> list[dict[str, Any]]:
    """Sessions that have started (in the last 60 days, not cancelled, post-course evaluation
    not yet sent) whose register has people not yet marked, or nobody booked: a trainer's own,
    or every one for an admin."""
    now = clock.now()
    sent = sa.select(SessionEvaluation.session_id).where(
        SessionEvaluation.stage == EvaluationStage.POST_COURSE
    )
    query = (
        sa.select(CourseSession)
        .where(
            CourseSession.partnership_id == user.partnership_id,
            CourseSession.cancelled_at.is_(None),
            CourseSession.starts_at <= now,
            CourseSession.starts_at > now - REGISTER_LOOKBACK,
            CourseSession.id.not_in(sent),
        )
        .order_by(CourseSession.starts_at)
    )
    if user.role != Role.ADMIN:
        query = query.where(CourseSession.trainer_id == user.id)
    sessions = db.session.scalars(query).all()
    counts = attendance_counts([s.id for s in sessions])
    return [
        {"session": s, **counts[s.id]}
        for s in sessions
        if counts[s.id]["unmarked"] or not counts[s.id]["booked"]
    ][:10]


@home.panel
def home_registers(user: User, summary: home.HomeSummary) -> None:
    """Trainers and admins: registers to mark; admins: adding a course."""
    if user.role not in (Role.ADMIN, Role.TRAINER):
        return
    todo = registers_to_mark(user)
    if todo:
        summary.panels.append(
            (
                "home/_training_pages.html",
                {
                    "registers": [
                        {
                            **item,
                            "title": item["session"].course.title,
                            "when": uk_date(item["session"].starts_at),
                        }
                        for item in todo
                    ]
                },
            )
        )
    if user.role == Role.ADMIN:
        summary.next_steps.append(("Add a training course", "training.course_new"))
