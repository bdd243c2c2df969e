"""Training evaluation dashboards for courses and sessions, and comparisons between them."""

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_login import current_user

from feedback.models import Course, CourseSession, Role
from feedback.security import roles_required
from feedback.services import NotFound, audit, exports, transaction
from feedback.services import results as results_service
from feedback.services import training as training_service
from feedback.services import training_dashboard as dashboards
from feedback.services.results import Table
from feedback.web.results import READERS as RESULTS_READERS
from feedback.web.results import _csv_response, _download_value, _send_xlsx, _tables_csv

bp = Blueprint("dashboards", __name__)

#: Everyone who reads course evaluations: not scrutineers. All but admins see them with small
#: numbers hidden; nobody sees a name here (admins find those on a campaign's results page).
READERS = (Role.ADMIN, Role.TRAINER, Role.ANALYST, Role.VIEWER)


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


def _link(endpoint: str, **values: Any) -> str | None:
    """A link to another area's page, when that blueprint is registered."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _plain(tables: list[Table]) -> list[Table]:
    """The tables with worded figures (p-values, medians) turned back into numbers."""
    return [
        Table(
            t.title,
            t.head,
            [[dashboards.download_value(v) for v in row] for row in t.rows],
            t.numeric,
        )
        for t in tables
    ]


def _csv(tables: list[Table], stem: str) -> Response:
    return _csv_response(_tables_csv(_plain(tables)), f"{stem}.csv")


def _xlsx(sheets: list[tuple[str, list[Table]]], stem: str) -> Response:
    """A worksheet per part of the page, each with its tables one under another."""
    workbook = [
        (
            title,
            [
                [_download_value(v) for v in row]
                for row in results_service.iter_tables_rows(_plain(tables))
            ],
        )
        for title, tables in sheets
    ]
    return _send_xlsx(exports.xlsx_file(workbook), f"{stem}.xlsx")


def _record_download(record_type: str, record_id: int | None, fmt: str) -> None:
    with transaction():
        audit.record(
            "training.dashboard_export",
            user=current_user,
            record_type=record_type,
            record_id=record_id,
            detail={"format": fmt},
        )


def _render(dashboard: dashboards.Dashboard, downloads: dict[str, str], title: str) -> str:
    show_campaigns = current_user.role in RESULTS_READERS
    return render_template(
        "dashboards/dashboard.html",
        title=title,
        dashboard=dashboard,
        downloads=downloads,
        course_url=_link("training.course", course_id=dashboard.course.id),
        session_url=(
            _link("training.session", session_id=dashboard.session.id)
            if dashboard.session
            else None
        ),
        campaign_links=[
            (stage, session, _link("results.campaign_results", campaign_id=campaign_id))
            for stage, session, campaign_id in dashboard.campaigns
        ]
        if show_campaigns
        else [],
        session_name=dashboards._session_name,
    )


# -- A course over all its sessions --------------------------------------------------------------


@bp.route("/courses/<int:course_id>/dashboard")
@roles_required(*READERS)
def course(course_id: int) -> str:
    found = _course(course_id)
    dashboard = dashboards.course_dashboard(found, current_user.role)
    downloads = {
        "csv": url_for("dashboards.course_csv", course_id=found.id),
        "xlsx": url_for("dashboards.course_xlsx", course_id=found.id),
    }
    return _render(dashboard, downloads, f"Course dashboard: {found.title}")


@bp.route("/courses/<int:course_id>/dashboard.csv")
@roles_required(*READERS)
def course_csv(course_id: int) -> Response:
    found = _course(course_id)
    dashboard = dashboards.course_dashboard(found, current_user.role)
    _record_download("course", found.id, "csv")
    return _csv(dashboard.tables(), f"course-{found.id}-dashboard")


@bp.route("/courses/<int:course_id>/dashboard.xlsx")
@roles_required(*READERS)
def course_xlsx(course_id: int) -> Response:
    found = _course(course_id)
    dashboard = dashboards.course_dashboard(found, current_user.role)
    _record_download("course", found.id, "xlsx")
    return _xlsx(dashboard.sheets(), f"course-{found.id}-dashboard")


# -- One session ---------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/dashboard")
@roles_required(*READERS)
def session(session_id: int) -> str:
    found = _session(session_id)
    dashboard = dashboards.session_dashboard(found, current_user.role)
    downloads = {
        "csv": url_for("dashboards.session_csv", session_id=found.id),
        "xlsx": url_for("dashboards.session_xlsx", session_id=found.id),
    }
    title = f"Session dashboard: {found.course.title}, {dashboards._session_name(found)}"
    return _render(dashboard, downloads, title)


@bp.route("/sessions/<int:session_id>/dashboard.csv")
@roles_required(*READERS)
def session_csv(session_id: int) -> Response:
    found = _session(session_id)
    dashboard = dashboards.session_dashboard(found, current_user.role)
    _record_download("course_session", found.id, "csv")
    return _csv(dashboard.tables(), f"session-{found.id}-dashboard")


@bp.route("/sessions/<int:session_id>/dashboard.xlsx")
@roles_required(*READERS)
def session_xlsx(session_id: int) -> Response:
    found = _session(session_id)
    dashboard = dashboards.session_dashboard(found, current_user.role)
    _record_download("course_session", found.id, "xlsx")
    return _xlsx(dashboard.sheets(), f"session-{found.id}-dashboard")


# -- Courses compared ----------------------------------------------------------------------------


@bp.route("/training/compare")
@roles_required(*READERS)
def compare() -> str:
    comparison = dashboards.compare_courses(current_user.partnership, current_user.role)
    return render_template(
        "dashboards/compare.html",
        title="Which courses change practice?",
        comparison=comparison,
        courses_url=_link("training.courses"),
    )


@bp.route("/training/compare.csv")
@roles_required(*READERS)
def compare_csv() -> Response:
    comparison = dashboards.compare_courses(current_user.partnership, current_user.role)
    _record_download("partnership", current_user.partnership_id, "csv")
    return _csv(comparison.tables(), "training-courses-compared")


@bp.route("/training/compare.xlsx")
@roles_required(*READERS)
def compare_xlsx() -> Response:
    comparison = dashboards.compare_courses(current_user.partnership, current_user.role)
    _record_download("partnership", current_user.partnership_id, "xlsx")
    return _xlsx([("Courses compared", comparison.tables())], "training-courses-compared")
