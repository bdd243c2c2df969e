"""Course and session pages: create and edit courses and sessions, the attendance register.

Who may do what: admins everything. Trainers read every course and session of the partnership,
and on the sessions they train they mark the register, book people, import attendance and send
the post-course evaluation early; on another trainer's session those are refused (403) and the
page shows counts, not names. Analysts and viewers read courses and sessions (counts, not
names). Scrutineers have no training pages. Any id outside the partnership is a 404.
"""

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug import Response

from feedback import clock
from feedback.extensions import db
from feedback.models import Course, CourseFormat, CourseSession, EvaluationStage, Role, User
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError
from feedback.services import people as people_service
from feedback.services import training as training_service
from feedback.services.training import UK, uk_date, uk_time
from feedback.web.training_forms import (
    CancelForm,
    CourseForm,
    ImportForm,
    PasteEmailsForm,
    SessionForm,
    outcome_lines,
    parse_time,
)

bp = Blueprint("training", __name__)

READERS = (Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER)
#: Roles that may change a session's register; a trainer only on their own sessions.
MARKERS = (Role.ADMIN, Role.TRAINER)


@bp.context_processor
def formatting() -> dict[str, Any]:
    return {"uk_date": uk_date, "uk_time": uk_time, "session_when": session_when}


def session_when(session: CourseSession) -> str:
    """When a session runs, in UK time: 3 March 2027, 9:30am to 4pm."""
    start, end = session.starts_at, session.ends_at
    if uk_date(start) == uk_date(end):
        return f"{uk_date(start)}, {uk_time(start)} to {uk_time(end)}"
    return f"{uk_date(start)}, {uk_time(start)} to {uk_date(end)}, {uk_time(end)}"


def _course(course_id: int) -> Course:
    try:
        return training_service.get_course(current_user.partnership, course_id)
    except NotFound:
        abort(404)


def _session(session_id: int) -> CourseSession:
    try:
        return training_service.get_session(current_user.partnership, session_id)
    except NotFound:
        abort(404)


def may_change(session: CourseSession) -> bool:
    """Admins, and the session's own trainer, may mark its register and send it early."""
    return current_user.role == Role.ADMIN or (
        current_user.role == Role.TRAINER and session.trainer_id == current_user.id
    )


def _own_session(session_id: int) -> CourseSession:
    session = _session(session_id)
    if not may_change(session):
        abort(403)
    return session


# -- Courses ---------------------------------------------------------------------------------


@bp.route("/courses")
@roles_required(*READERS)
def courses() -> str:
    rows = training_service.list_courses(current_user.partnership)
    return render_template("training/courses.html", rows=rows)


def _course_spec(form: CourseForm) -> training_service.CourseSpec:
    return training_service.CourseSpec(
        title=form.title.data or "",
        learning_outcomes=outcome_lines(form.learning_outcomes.data),
        format=form.format.data or "",
        description=form.description.data,
        themes=list(form.themes.data or []),
        level=form.level.data,
        active=bool(form.active.data),
    )


def _course_error(form: CourseForm, exc: ServiceError) -> None:
    getattr(form, exc.field or "title", form.title).errors = [exc.message]


@bp.route("/courses/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def course_new() -> str | Response:
    form = CourseForm()
    if not form.is_submitted():
        form.format.data = CourseFormat.FACE_TO_FACE.value
        form.active.data = True
    if form.validate_on_submit():
        try:
            course = training_service.create_course(
                current_user.partnership, _course_spec(form), current_user
            )
        except ServiceError as exc:
            _course_error(form, exc)
        else:
            flash(f"{course.title} added. Now add its sessions.", "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=None, locked=False)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def course_edit(course_id: int) -> str | Response:
    course = _course(course_id)
    form = CourseForm()
    if not form.is_submitted():
        form.title.data = course.title
        form.description.data = course.description
        form.learning_outcomes.data = "\n".join(course.learning_outcomes)
        form.themes.data = list(course.themes or [])
        form.level.data = course.level
        form.format.data = course.format.value
        form.active.data = course.active
    if form.validate_on_submit():
        try:
            training_service.update_course(course, _course_spec(form), current_user)
        except ServiceError as exc:
            _course_error(form, exc)
        else:
            flash(f"{course.title} saved.", "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template(
        "training/course_form.html",
        form=form,
        course=course,
        locked=training_service.evaluations_sent(course) > 0,
    )


@bp.route("/courses/<int:course_id>")
@roles_required(*READERS)
def course(course_id: int) -> str:
    course = _course(course_id)
    sessions = list(course.sessions)
    return render_template(
        "training/course.html",
        course=course,
        sessions=sessions,
        counts=training_service.attendance_counts([s.id for s in sessions]),
        stages={s.id: _stages(s) for s in sessions},
        themes=_theme_labels(course.themes),
    )


def _theme_labels(keys: list[str]) -> list[str]:
    from feedback.web.training_forms import THEME_CHOICES

    labels = dict(THEME_CHOICES)
    return [labels.get(k, k) for k in keys or []]


def _stages(session: CourseSession) -> list[dict[str, Any]]:
    """Each evaluation stage's state, for the pages: sent when and how answered, or when due."""
    summary = training_service.evaluation_summary(session)
    sent_at = {e.stage: e.created_at for e in session.evaluations}
    stages = []
    for stage in EvaluationStage:
        info = dict(summary[stage.value])
        info["stage"] = stage
        info["sent_at"] = sent_at.get(stage)
        if info["sent"]:
            info["status"] = (
                f"Sent {uk_date(info['sent_at'])}: {info['responded']} of {info['invited']} "
                "answered"
            )
        elif session.cancelled_at is not None:
            info["status"] = "Not sent: the session was cancelled"
        else:
            info["status"] = f"Goes out by itself on {uk_date(info['due_at'])}"
        stages.append(info)
    return stages


# -- Sessions: create, edit, cancel -------------------------------------------------------------


def _uk_moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=UK).astimezone(UTC)


def _trainer_choices(current: User | None) -> list[tuple[str, str]]:
    people = training_service.trainers(current_user.partnership)
    if current is not None and current not in people and current.role == Role.TRAINER:
        people.append(current)
    return [("", "No trainer yet")] + [(str(u.id), f"{u.name} ({u.email})") for u in people]


def _session_values(form: SessionForm) -> dict[str, Any] | None:
    """The form's values as the service takes them, or None with the errors set on the form."""
    ok = True
    start_time = parse_time(form.starts_time.data)
    end_time = parse_time(form.ends_time.data)
    if start_time is None:
        form.starts_time.errors = ["Enter the start time like 09:30 or 2pm"]
        ok = False
    if end_time is None:
        form.ends_time.errors = ["Enter the end time like 16:00 or 4pm"]
        ok = False
    online = form.delivery.data == "online"
    venue = (form.venue.data or "").strip() or None
    if not online and venue is None:
        form.venue.errors = ["Enter the venue, or choose Online"]
        ok = False
    capacity = None
    raw_capacity = (form.capacity.data or "").strip()
    if raw_capacity:
        try:
            capacity = int(raw_capacity)
        except ValueError:
            form.capacity.errors = ["Capacity must be a whole number, for example 20"]
            ok = False
    trainer = None
    if form.trainer_id.data:
        try:
            trainer = db.session.scalar(
                sa.select(User).where(
                    User.id == int(form.trainer_id.data),
                    User.partnership_id == current_user.partnership_id,
                )
            )
        except ValueError:
            trainer = None
        if trainer is None:
            form.trainer_id.errors = ["Choose a trainer from the list"]
            ok = False
    if not ok:
        return None
    assert start_time is not None and end_time is not None
    starts_at = _uk_moment(form.starts_on.data, start_time)
    ends_at = _uk_moment(form.ends_on.data or form.starts_on.data, end_time)
    return {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venue": venue,
        "online": online,
        "trainer": trainer,
        "capacity": capacity,
    }


def _session_error(form: SessionForm, exc: ServiceError) -> None:
    field = {
        "starts_at": "starts_time",
        "ends_at": "ends_time",
        "course": "starts_on",
    }.get(exc.field or "", exc.field or "starts_on")
    getattr(form, field, form.starts_on).errors = [exc.message]


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def session_new(course_id: int) -> str | Response:
    course = _course(course_id)
    form = SessionForm()
    form.trainer_id.choices = _trainer_choices(None)
    if not form.is_submitted():
        form.delivery.data = "online" if course.format == CourseFormat.VIRTUAL else "venue"
    if form.validate_on_submit():
        values = _session_values(form)
        if values is not None:
            try:
                session = training_service.add_session(
                    current_user.partnership, course, actor=current_user, **values
                )
            except ServiceError as exc:
                _session_error(form, exc)
            else:
                flash(
                    f"Session on {session_when(session)} added. Now book people on it.", "success"
                )
                return redirect(url_for("training.session", session_id=session.id))
    return render_template("training/session_form.html", form=form, course=course, session=None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def session_edit(session_id: int) -> str | Response:
    session = _session(session_id)
    if session.cancelled_at is not None:
        flash(
            f"This session was cancelled on {uk_date(session.cancelled_at)}: it cannot be changed."
        )
        return redirect(url_for("training.session", session_id=session.id))
    form = SessionForm()
    form.trainer_id.choices = _trainer_choices(session.trainer)
    if not form.is_submitted():
        start, end = session.starts_at.astimezone(UK), session.ends_at.astimezone(UK)
        form.starts_on.data = start.date()
        form.starts_time.data = start.strftime("%H:%M")
        form.ends_on.data = end.date() if end.date() != start.date() else None
        form.ends_time.data = end.strftime("%H:%M")
        form.delivery.data = "online" if session.online else "venue"
        form.venue.data = session.venue
        form.trainer_id.data = str(session.trainer_id) if session.trainer_id else ""
        form.capacity.data = str(session.capacity) if session.capacity else ""
    if form.validate_on_submit():
        values = _session_values(form)
        if values is not None:
            try:
                training_service.update_session(session, actor=current_user, **values)
            except ServiceError as exc:
                _session_error(form, exc)
            else:
                flash("Session saved.", "success")
                return redirect(url_for("training.session", session_id=session.id))
    return render_template(
        "training/session_form.html", form=form, course=session.course, session=session
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def session_cancel(session_id: int) -> str | Response:
    session = _session(session_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            training_service.cancel_session(session, current_user)
        except ServiceError as exc:
            flash(exc.message)
        else:
            flash(f"The session on {session_when(session)} is cancelled.", "success")
        return redirect(url_for("training.session", session_id=session.id))
    counts = training_service.attendance_counts([session.id])[session.id]
    return render_template(
        "training/session_cancel.html", session=session, cancel_form=form, counts=counts
    )


# -- The session page and its register --------------------------------------------------------


@bp.route("/sessions/<int:session_id>")
@roles_required(*READERS)
def session(session_id: int) -> str:
    return _render_session(_session(session_id))


def _render_session(
    session: CourseSession, paste_form: PasteEmailsForm | None = None, status: int = 200
) -> Any:
    changer = may_change(session)
    query = request.args.get("q", "").strip()[:100] if changer else ""
    counts = training_service.attendance_counts([session.id])[session.id]
    stages = _stages(session)
    post_course = stages[0]
    return (
        render_template(
            "training/session.html",
            session=session,
            course=session.course,
            changer=changer,
            counts=counts,
            register=training_service.register(session) if changer else [],
            stages=stages,
            can_send_now=changer and not post_course["sent"] and session.cancelled_at is None,
            started=clock.now() >= session.starts_at,
            query=query,
            found=training_service.search_people(session, query) if query else [],
            form=paste_form or (PasteEmailsForm() if changer else None),
            is_admin=current_user.role == Role.ADMIN,
        ),
        status,
    )


def _ids(name: str) -> list[int]:
    ids = []
    for raw in request.form.getlist(name):
        try:
            ids.append(int(raw))
        except ValueError:
            abort(400)
    return ids


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@roles_required(*MARKERS)
def attendance(session_id: int) -> Response:
    session = _own_session(session_id)
    try:
        changed = training_service.save_register(
            session, _ids("on_register"), set(_ids("attended")), current_user
        )
    except ServiceError as exc:
        flash(exc.message)
    else:
        attended = training_service.attendance_counts([session.id])[session.id]["attended"]
        flash(
            f"Register saved: {attended} attended"
            + (f" ({changed} change{'s' if changed != 1 else ''})" if changed else ", no changes"),
            "success",
        )
    return redirect(url_for("training.session", session_id=session.id) + "#register")


@bp.route("/sessions/<int:session_id>/attendees", methods=["POST"])
@roles_required(*MARKERS)
def attendees_add(session_id: int) -> str | Response:
    session = _own_session(session_id)
    form = PasteEmailsForm()
    if not form.validate_on_submit():
        abort(400)
    person_ids = _ids("person_id")
    pasted, unknown = people_service.people_by_emails(
        current_user.partnership, form.emails.data or ""
    )
    if unknown:
        form.emails.errors = unknown[:10]
        return _render_session(session, form, 422)
    wanted = person_ids + [pid for pid in pasted if pid not in person_ids]
    if not wanted:
        form.emails.errors = [
            "Choose people from the search results, or paste their email addresses"
        ]
        return _render_session(session, form, 422)
    try:
        booked = training_service.book(session, wanted, current_user)
    except ServiceError as exc:
        form.emails.errors = [exc.message]
        return _render_session(session, form, 422)
    already = len(wanted) - booked
    flash(
        f"{booked} {'person' if booked == 1 else 'people'} booked"
        + (f"; {already} already booked" if already else ""),
        "success",
    )
    return redirect(url_for("training.session", session_id=session.id) + "#register")


@bp.route("/sessions/<int:session_id>/attendance/import", methods=["GET", "POST"])
@roles_required(*MARKERS)
def attendance_import(session_id: int) -> str:
    session = _own_session(session_id)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            text = people_service.decode_upload(form.file.data.read())
            report = training_service.import_attendance_csv(session, text, current_user)
        except ServiceError as exc:
            form.file.errors = [exc.message]
    return render_template(
        "training/import.html",
        form=form,
        session=session,
        report=report,
        started=clock.now() >= session.starts_at,
    )


@bp.route("/sessions/<int:session_id>/evaluations/send", methods=["POST"])
@roles_required(*MARKERS)
def send_now(session_id: int) -> Response:
    session = _own_session(session_id)
    try:
        training_service.send_now(session, current_user)
    except ServiceError as exc:
        flash(exc.message)
    else:
        invited = training_service.evaluation_summary(session)["post_course"]["invited"]
        flash(
            f"The post-course evaluation is on its way to {invited} "
            f"{'person' if invited == 1 else 'people'}. It goes out once only: it will not be "
            "sent again when the session ends.",
            "success",
        )
    return redirect(url_for("training.session", session_id=session.id) + "#evaluations")
