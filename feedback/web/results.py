"""Campaign results, the year-on-year trend, and the downloads of their tables and responses."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from analysis.disclosure import Suppressed
from feedback.models import Campaign, Role
from feedback.security import roles_required
from feedback.services import NotFound, audit, exports, results, transaction
from feedback.services.campaigns import get_campaign

bp = Blueprint("results", __name__)

#: Results are for the partnership team, analysts and viewers (the WDG and partners). Trainers
#: see their own courses' dashboards and scrutineers their visits, not staff-survey results.
READERS = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
CSV_MIMETYPE = "text/csv"


def _campaign(campaign_id: int) -> Campaign:
    try:
        return get_campaign(current_user.partnership, campaign_id)
    except NotFound:
        abort(404)


def _campaign_url(campaign: Campaign) -> str | None:
    """The lead's campaign page, when that blueprint is registered."""
    if "campaigns.show" not in current_app.view_functions:
        return None
    return url_for("campaigns.show", campaign_id=campaign.id)


def record_download(campaign: Campaign, user: Any, what: str, fmt: str, via: str = "web") -> None:
    """Audit a download: who took which campaign's tables or responses, and whether it named
    people (response exports for admins of identified and confidential campaigns)."""
    identifiable = what == "responses" and results.may_see_people(user.role, campaign.mode)
    with transaction():
        audit.record(
            "responses.export" if what == "responses" else "results.export",
            user=user,
            record_type="campaign",
            record_id=campaign.id,
            detail={"what": what, "format": fmt, "identifiable": identifiable, "via": via},
        )


def _filters() -> tuple[results.Filters, list[tuple[str, str]]]:
    return results.parse_filters(current_user.partnership, request.args)


def _cell(value: Any) -> str:
    """A table cell as the page shows it; hidden counts only ever as "[c]"."""
    if value is None:
        return "–"
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 or value != int(value) else f"{value:.1f}"
    return str(value)


@bp.app_template_filter("result_cell")
def result_cell(value: Any) -> str:
    return _cell(value)


def _download_value(value: Any) -> Any:
    if isinstance(value, Suppressed):
        return str(value)
    return exports.safe(value)


def _tables_csv(tables: list[results.Table]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in results.iter_tables_rows(tables):
        writer.writerow([_download_value(v) for v in row])
    return "\ufeff" + buffer.getvalue()


def _tables_xlsx(tables: list[results.Table], stem: str) -> Response:
    sheets = [
        (
            table.title,
            [table.head, *[[_download_value(v) for v in row] for row in table.rows]],
        )
        for table in tables
    ]
    return _send_xlsx(exports.xlsx_file(sheets), f"{stem}.xlsx")


def _send_xlsx(handle: Any, filename: str) -> Response:
    return send_file(
        handle,
        mimetype=exports.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=filename,
        max_age=0,
    )


def _csv_response(body: Any, filename: str) -> Response:
    return Response(
        body,
        mimetype=CSV_MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _bad_filters(errors: list[tuple[str, str]]) -> None:
    if errors:
        abort(400, description=errors[0][1])


# -- Results -------------------------------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/results")
@roles_required(*READERS)
def campaign_results(campaign_id: int) -> tuple[str, int]:
    campaign = _campaign(campaign_id)
    filters, errors = _filters()
    view = results.campaign_results(campaign, filters, current_user.role)
    if results.may_see_people(current_user.role, campaign.mode):
        # Admins see who wrote each free-text answer: a view of identifiable responses.
        with transaction():
            audit.record(
                "responses.view_identifiable",
                user=current_user,
                record_type="campaign",
                record_id=campaign.id,
                detail={"via": "web", "page": "results"},
            )
    return render_template(
        "results/results.html",
        title=f"Results: {campaign.title}",
        campaign=campaign,
        campaign_url=_campaign_url(campaign),
        view=view,
        choices=results.filter_choices(campaign),
        errors=errors,
    ), (400 if errors else 200)


@bp.route("/campaigns/<int:campaign_id>/results.csv")
@roles_required(*READERS)
def results_csv(campaign_id: int) -> Response:
    campaign = _campaign(campaign_id)
    filters, errors = _filters()
    _bad_filters(errors)
    view = results.campaign_results(campaign, filters, current_user.role)
    record_download(campaign, current_user, "results", "csv")
    return _csv_response(_tables_csv(view.tables()), f"campaign-{campaign.id}-results.csv")


@bp.route("/campaigns/<int:campaign_id>/results.xlsx")
@roles_required(*READERS)
def results_xlsx(campaign_id: int) -> Response:
    campaign = _campaign(campaign_id)
    filters, errors = _filters()
    _bad_filters(errors)
    view = results.campaign_results(campaign, filters, current_user.role)
    record_download(campaign, current_user, "results", "xlsx")
    return _tables_xlsx(view.tables(), f"campaign-{campaign.id}-results")


# -- Year on year --------------------------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/trend")
@roles_required(*READERS)
def campaign_trend(campaign_id: int) -> tuple[str, int]:
    campaign = _campaign(campaign_id)
    filters, errors = _filters()
    trend = results.campaign_trend(campaign, filters, current_user.role)
    return render_template(
        "results/trend.html",
        title=f"Year on year: {campaign.title}",
        campaign=campaign,
        campaign_url=_campaign_url(campaign),
        trend=trend,
        choices=results.filter_choices(campaign),
        errors=errors,
    ), (400 if errors else 200)


@bp.route("/campaigns/<int:campaign_id>/trend.csv")
@roles_required(*READERS)
def trend_csv(campaign_id: int) -> Response:
    campaign = _campaign(campaign_id)
    filters, errors = _filters()
    _bad_filters(errors)
    trend = results.campaign_trend(campaign, filters, current_user.role)
    record_download(campaign, current_user, "trend", "csv")
    return _csv_response(_tables_csv(trend.tables()), f"campaign-{campaign.id}-trend.csv")


@bp.route("/campaigns/<int:campaign_id>/trend.xlsx")
@roles_required(*READERS)
def trend_xlsx(campaign_id: int) -> Response:
    campaign = _campaign(campaign_id)
    filters, errors = _filters()
    _bad_filters(errors)
    trend = results.campaign_trend(campaign, filters, current_user.role)
    record_download(campaign, current_user, "trend", "xlsx")
    return _tables_xlsx(trend.tables(), f"campaign-{campaign.id}-trend")


# -- Response exports ----------------------------------------------------------------------------


def export_csv_response(campaign: Campaign, role: Role, keys: bool = False) -> Response:
    """The streamed CSV of every response, shared by the page and the API."""
    plan = exports.plan_export(campaign, role)
    body: Iterator[str] = stream_with_context(exports.stream_csv(plan, keys))
    return _csv_response(body, f"{plan.filename_stem}.csv")


def export_xlsx_response(campaign: Campaign, role: Role, keys: bool = False) -> Response:
    plan = exports.plan_export(campaign, role)
    return _send_xlsx(exports.export_xlsx(plan, keys), f"{plan.filename_stem}.xlsx")


@bp.route("/campaigns/<int:campaign_id>/export.csv")
@roles_required(*READERS)
def export_csv(campaign_id: int) -> Response:
    """Every response; person columns for admins only (never for anonymous campaigns)."""
    campaign = _campaign(campaign_id)
    record_download(campaign, current_user, "responses", "csv")
    return export_csv_response(campaign, current_user.role)


@bp.route("/campaigns/<int:campaign_id>/export.xlsx")
@roles_required(*READERS)
def export_xlsx(campaign_id: int) -> Response:
    campaign = _campaign(campaign_id)
    record_download(campaign, current_user, "responses", "xlsx")
    return export_xlsx_response(campaign, current_user.role)
