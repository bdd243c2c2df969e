"""API: courses, their sessions and attendance (admins); the timeline does the rest."""

from typing import Any

from flask_smorest import abort

from feedback.api.auth import api_user, make_blueprint, requires
from feedback.api.schemas import (
    AttendanceResultSchema,
    AttendanceSchema,
    CourseSchema,
    CourseSessionSchema,
    EvaluationSchema,
)
from feedback.extensions import db
from feedback.models import Course, CourseSession, Role, User
from feedback.services import NotFound, ServiceError, training

bp = make_blueprint(
    "api_training",
    __name__,
    "/api/v1",
    "Courses, sessions and attendance. Evaluations go out by themselves when a session ends "
    "and 3 and 6 calendar months later.",
)


@bp.route("/courses", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(CourseSchema)
@bp.response(201, CourseSchema)
def create_course(data: dict[str, Any]) -> Course:
    """Add a course with 3 to 8 learning outcomes."""
    user = api_user()
    return training.create_course(user.partnership, training.CourseSpec(**data), user)


@bp.route("/courses/<course_id>/sessions", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(CourseSessionSchema)
@bp.response(201, CourseSessionSchema)
def create_session(data: dict[str, Any], course_id: str) -> CourseSession:
    """Schedule a session of a course; 404 for a course that is not the partnership's."""
    user = api_user()
    try:
        course = training.get_course(user.partnership, int(course_id))
    except (NotFound, ValueError):
        abort(404, message=f"There is no course {course_id}")
    trainer_id = data.pop("trainer_id", None)
    trainer = db.session.get(User, trainer_id) if trainer_id is not None else None
    if trainer_id is not None and trainer is None:
        raise ServiceError(f"There is no account with id {trainer_id}", field="trainer_id")
    return training.add_session(user.partnership, course, trainer=trainer, actor=user, **data)


@bp.route("/sessions/<session_id>/attendance", methods=["POST"])
@requires(bp, Role.ADMIN)
@bp.arguments(AttendanceSchema)
@bp.response(200, AttendanceResultSchema)
def record_attendance(data: dict[str, Any], session_id: str) -> dict[str, int]:
    """Book people on a session (null), or mark them attended (true) or not (false) once it
    has started; a cancelled session's attendance cannot change."""
    user = api_user()
    try:
        session = training.get_session(user.partnership, int(session_id))
    except (NotFound, ValueError):
        abort(404, message=f"There is no session {session_id}")
    training.may_change_attendance(session, data["attended"])
    changed = training.record_attendance(session, data["person_ids"], data["attended"], user)
    return {"changed": changed}


@bp.route("/courses/<course_id>/evaluation", methods=["GET"])
@requires(bp, Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER)
@bp.response(200, EvaluationSchema)
def course_evaluation(course_id: str) -> dict[str, Any]:
    """What changed for a course, over all its sessions (small numbers withheld but for admins)."""
    user = api_user()
    try:
        course = training.get_course(user.partnership, int(course_id))
    except (NotFound, ValueError):
        abort(404, message=f"There is no course {course_id}")
    return _evaluation(user, [s for s in course.sessions if s.cancelled_at is None])


@bp.route("/sessions/<session_id>/evaluation", methods=["GET"])
@requires(bp, Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER)
@bp.response(200, EvaluationSchema)
def session_evaluation(session_id: str) -> dict[str, Any]:
    """What changed for one session."""
    user = api_user()
    try:
        session = training.get_session(user.partnership, int(session_id))
    except (NotFound, ValueError):
        abort(404, message=f"There is no session {session_id}")
    return _evaluation(user, [session])


def _evaluation(user: User, sessions: list[CourseSession]) -> dict[str, Any]:
    return training.evaluation(
        sessions,
        disclose_small=user.role == Role.ADMIN,
        threshold=user.partnership.disclosure_threshold,
    )
