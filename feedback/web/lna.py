"""The Learning Needs Analysis: the Workforce Development Group's yearly report.

Admins, analysts and viewers (the Workforce Development Group are viewers) read it, print it and
download it; only admins edit the priorities for next year. Counts under the disclosure
threshold are "[c]" for everyone but admins.
"""

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug import Response

from feedback.models import Role
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError
from feedback.services import lna as lna_service
from feedback.services import records as record_service
from feedback.web.records import long_date
from feedback.web.records_forms import ConfirmForm, PriorityForm

bp = Blueprint("lna", __name__)

READERS = (Role.ADMIN, Role.ANALYST, Role.VIEWER)


@bp.context_processor
def formatting() -> dict[str, Any]:
    return {"long_date": long_date, "is_admin": current_user.role == Role.ADMIN}


def _period() -> tuple[date, date, list[tuple[str, str]]]:
    try:
        from_on, to_on = lna_service.parse_period(request.args)
    except ServiceError as exc:
        from_on, to_on = lna_service.default_period()
        return from_on, to_on, [(exc.field or "from", exc.message)]
    return from_on, to_on, []


def _report(from_on: date, to_on: date) -> lna_service.Report:
    labels = record_service.theme_labels(current_user.partnership_id)
    return lna_service.report(current_user.partnership, labels, from_on, to_on, current_user.role)


def _theme_choices() -> list[tuple[str, str]]:
    return [("", "No theme")] + record_service.active_theme_choices(current_user.partnership_id)


def _page(
    from_on: date,
    to_on: date,
    errors: list[tuple[str, str]],
    priority_form: PriorityForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    result = _report(from_on, to_on)
    priority_form = priority_form or PriorityForm()
    priority_form.theme_key.choices = _theme_choices()
    priority_form.year.data = str(result.priorities_year)
    return (
        render_template(
            "lna/report.html",
            report=result,
            errors=errors,
            priority_form=priority_form,
            form=priority_form if priority_form.errors else None,
            confirm=ConfirmForm(),
            period_args={"from": result.from_on.isoformat(), "to": result.to_on.isoformat()},
            low_agreement=lna_service.LOW_AGREEMENT,
        ),
        status,
    )


@bp.route("/lna")
@roles_required(*READERS)
def report() -> tuple[str, int]:
    from_on, to_on, errors = _period()
    return _page(from_on, to_on, errors)


@bp.route("/lna.xlsx")
@roles_required(*READERS)
def report_xlsx() -> Response:
    from_on, to_on, errors = _period()
    if errors:
        abort(400, description=errors[0][1])
    result = _report(from_on, to_on)
    return send_file(
        lna_service.xlsx(result),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"learning-needs-analysis-{from_on.isoformat()}-to-{to_on.isoformat()}.xlsx",
    )


# -- Priorities for next year --------------------------------------------------------------------


def _year(raw: str | None) -> int:
    from feedback.services import whole_number_or_none

    raw = (raw or "").strip()
    year = whole_number_or_none(raw, max_digits=4)
    if year is not None and len(raw) == 4:
        return year
    return lna_service.business_year(lna_service.default_period()[1]) + 1


def _back(year: int) -> str:
    """The report the change was made from (its period is in the query string), else the report
    whose priorities are for this year: the one ending the March before it."""
    if request.args.get("from") and request.args.get("to"):
        try:
            from_on, to_on = lna_service.parse_period(request.args)
        except ServiceError:
            pass
        else:
            args = {"from": from_on.isoformat(), "to": to_on.isoformat()}
            return url_for("lna.report", **args) + "#priorities"
    to_on = min(date(year, 3, 31), lna_service.default_period()[1])
    from_on, _ = lna_service.default_period(to_on)
    return url_for("lna.report", **{"from": from_on.isoformat(), "to": to_on.isoformat()}) + (
        "#priorities"
    )


@bp.route("/lna/priorities", methods=["POST"])
@roles_required(Role.ADMIN)
def priority_add() -> Response | tuple[str, int]:
    form = PriorityForm()
    form.theme_key.choices = _theme_choices()
    year = _year(form.year.data)
    if form.validate_on_submit():
        labels = record_service.theme_labels(current_user.partnership_id)
        try:
            lna_service.add_priority(
                current_user.partnership_id,
                year,
                form.text.data,
                form.theme_key.data,
                labels,
                current_user,
            )
        except ServiceError as exc:
            getattr(form, exc.field or "text", form.text).errors = [exc.message]
        else:
            flash(f"Priority added for {lna_service.year_label(year)}.", "success")
            return redirect(_back(year))
    from_on, to_on, errors = _period()
    return _page(from_on, to_on, errors, priority_form=form, status=422)


def _priority(priority_id: int) -> Any:
    try:
        return lna_service.get_priority(current_user.partnership_id, priority_id)
    except NotFound:
        abort(404)


@bp.route("/lna/priorities/<int:priority_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def priority_edit(priority_id: int) -> str | Response:
    priority = _priority(priority_id)
    form = PriorityForm()
    form.theme_key.choices = _theme_choices()
    if not form.is_submitted():
        form.text.data = priority.text
        form.theme_key.data = priority.theme_key or ""
    if form.validate_on_submit():
        labels = record_service.theme_labels(current_user.partnership_id)
        try:
            lna_service.update_priority(
                priority, form.text.data, form.theme_key.data, labels, current_user
            )
        except ServiceError as exc:
            getattr(form, exc.field or "text", form.text).errors = [exc.message]
        else:
            flash("Priority saved.", "success")
            return redirect(_back(priority.year))
    return render_template(
        "lna/priority_form.html",
        form=form,
        priority=priority,
        year_label=lna_service.year_label(priority.year),
        back=_back(priority.year),
    )


@bp.route("/lna/priorities/<int:priority_id>/move", methods=["POST"])
@roles_required(Role.ADMIN)
def priority_move(priority_id: int) -> Response:
    priority = _priority(priority_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        lna_service.move_priority(priority, request.form.get("direction", ""), current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(_back(priority.year))


@bp.route("/lna/priorities/<int:priority_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def priority_remove(priority_id: int) -> Response:
    priority = _priority(priority_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    year = priority.year
    lna_service.remove_priority(priority, current_user)
    flash("Priority removed.", "success")
    return redirect(_back(year))
