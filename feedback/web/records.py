"""Audits, reviews, the action tracker, theme links with their evidence, triangulation.

Who may do what:
- admins record and edit audits and reviews, their recommendations and actions;
- analysts read them, link themes to audits, reviews and actions, and add progress updates to
  actions;
- viewers (the Workforce Development Group and partners) read audits, reviews, evidence and the
  triangulation page;
- scrutineers and trainers see the action tracker and each action, read-only (actions come from
  their visits and training too); they have no audit, review or evidence pages.
Every record is the signed-in user's partnership's: any other id is a 404. Evidence counts under
the disclosure threshold are "[c]" for everyone but admins, and quotes are never shown from a
source below it.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug import Response

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, ActionStatus, Role, SourceType
from feedback.models.records import Audit, LinkedRecord, Review, ThemeLink
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError, whole_number_or_none
from feedback.services import actions as action_service
from feedback.services import evidence as evidence_service
from feedback.services import lna as lna_service
from feedback.services import people as people_service
from feedback.services import records as record_service
from feedback.web.records_forms import (
    ActionForm,
    ActionUpdateForm,
    AuditForm,
    ConfirmForm,
    RecommendationForm,
    ReviewForm,
    ThemeLinkForm,
)

bp = Blueprint("records", __name__)

READERS = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
#: Everyone signed in sees the tracker; only these change anything on it.
LINKERS = (Role.ADMIN, Role.ANALYST)
UPDATERS = (Role.ADMIN, Role.ANALYST)
KINDS = {
    "audits": LinkedRecord.AUDIT,
    "reviews": LinkedRecord.REVIEW,
    "actions": LinkedRecord.ACTION,
}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def long_date(value: date | None) -> str:
    """27 March 2027."""
    if value is None:
        return "–"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@bp.app_template_filter("records_cell")
def cell_text(value: Any) -> str:
    """A count as shown: "[c]" when hidden, with thousands separators."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "–" if value is None else str(value)


@bp.context_processor
def formatting() -> dict[str, Any]:
    return {
        "long_date": long_date,
        "rag_of": action_service.rag,
        "rag_labels": action_service.RAG_LABELS,
        "rag_tags": action_service.RAG_TAGS,
        "days_overdue": action_service.days_overdue,
        "source_page": action_service.source_page,
        "source_name": action_service.source_name,
        "is_admin": current_user.is_authenticated and current_user.role == Role.ADMIN,
        "may_link": current_user.is_authenticated and current_user.role in LINKERS,
        "may_read_records": current_user.is_authenticated and current_user.role in READERS,
    }


def _pid() -> int:
    return current_user.partnership_id


def _or_404(finder: Any, *args: Any) -> Any:
    try:
        return finder(_pid(), *args)
    except NotFound:
        abort(404)


def _agency_choices() -> list[tuple[str, str]]:
    return [(str(a.id), a.name) for a in people_service.list_agencies(current_user.partnership)]


def _theme_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = record_service.active_theme_choices(_pid())
    return ([("", blank)] if blank is not None else []) + choices


def _field_error(form: Any, exc: ServiceError, default: str) -> None:
    name = (exc.field or default).split(".")[0]
    target = getattr(form, name, None) or getattr(form, default)
    target.errors = [*list(target.errors or []), exc.message]


# -- Audits and reviews --------------------------------------------------------------------------


@bp.route("/records")
@roles_required(*READERS)
def index() -> str:
    pid = _pid()
    return render_template(
        "records/index.html",
        audits=record_service.list_audits(pid),
        reviews=record_service.list_reviews(pid),
        action_counts=_action_counts(),
        labels=record_service.theme_labels(pid),
        links=_links_by_record(),
    )


def _links_by_record() -> dict[tuple[str, int], list[str]]:
    out: dict[tuple[str, int], list[str]] = {}
    for link in db.session.scalars(
        sa.select(ThemeLink).where(ThemeLink.partnership_id == _pid()).order_by(ThemeLink.id)
    ):
        out.setdefault((link.record_type.value, link.record_id), []).append(link.theme_key)
    return out


def _action_counts() -> dict[tuple[str, str], dict[str, int]]:
    """(source type, source id) -> RAG counts, for the list of audits and reviews."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for action in action_service.tracker(_pid()):
        if action.source_type not in (SourceType.AUDIT, SourceType.REVIEW):
            continue
        counts = out.setdefault(
            (action.source_type.value, action.source_id),
            dict.fromkeys(action_service.RAG_LABELS, 0),
        )
        counts[action_service.rag(action)] += 1
    return out


def _audit_spec(form: AuditForm) -> record_service.AuditSpec:
    return record_service.AuditSpec(
        audit_type=form.audit_type.data or "",
        title=form.title.data or "",
        scope=form.scope.data or "",
        agency_ids=list(form.agency_ids.data or []),
        start_on=form.start_on.data,
        end_on=form.end_on.data,
        status=form.status.data or "",
        findings=form.findings.data or "",
    )


@bp.route("/records/audits/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def audit_new() -> str | Response:
    form = AuditForm()
    form.agency_ids.choices = [(int(v), label) for v, label in _agency_choices()]
    if not form.is_submitted():
        form.status.data = "planned"
    if form.validate_on_submit():
        try:
            audit = record_service.create_audit(
                current_user.partnership, _audit_spec(form), current_user
            )
        except ServiceError as exc:
            _field_error(form, exc, "title")
        else:
            flash(f"{audit.title} recorded. Add its recommendations and actions.", "success")
            return redirect(url_for("records.audit", audit_id=audit.id))
    return render_template("records/audit_form.html", form=form, audit=None)


@bp.route("/records/audits/<int:audit_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def audit_edit(audit_id: int) -> str | Response:
    audit = _or_404(record_service.get_audit, audit_id)
    form = AuditForm()
    form.agency_ids.choices = [(int(v), label) for v, label in _agency_choices()]
    if not form.is_submitted():
        form.audit_type.data = audit.audit_type.value
        form.title.data = audit.title
        form.scope.data = audit.scope
        form.agency_ids.data = [a.id for a in audit.agencies]
        form.start_on.data = audit.start_on
        form.end_on.data = audit.end_on
        form.status.data = audit.status.value
        form.findings.data = audit.findings
    if form.validate_on_submit():
        try:
            record_service.update_audit(audit, _audit_spec(form), current_user)
        except ServiceError as exc:
            _field_error(form, exc, "title")
        else:
            flash("Audit saved.", "success")
            return redirect(url_for("records.audit", audit_id=audit.id))
    return render_template("records/audit_form.html", form=form, audit=audit)


def _review_spec(form: ReviewForm) -> record_service.ReviewSpec:
    return record_service.ReviewSpec(
        review_type=form.review_type.data or "",
        title=form.title.data or "",
        summary=form.summary.data or "",
        start_on=form.start_on.data,
        end_on=form.end_on.data,
        status=form.status.data or "",
        learning_points=form.learning_points.data or "",
    )


@bp.route("/records/reviews/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def review_new() -> str | Response:
    form = ReviewForm()
    if not form.is_submitted():
        form.status.data = "planned"
    if form.validate_on_submit():
        try:
            review = record_service.create_review(
                current_user.partnership, _review_spec(form), current_user
            )
        except ServiceError as exc:
            _field_error(form, exc, "title")
        else:
            flash(f"{review.title} recorded. Add its recommendations and actions.", "success")
            return redirect(url_for("records.review", review_id=review.id))
    return render_template("records/review_form.html", form=form, review=None)


@bp.route("/records/reviews/<int:review_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def review_edit(review_id: int) -> str | Response:
    review = _or_404(record_service.get_review, review_id)
    form = ReviewForm()
    if not form.is_submitted():
        form.review_type.data = review.review_type.value
        form.title.data = review.title
        form.summary.data = review.summary
        form.start_on.data = review.start_on
        form.end_on.data = review.end_on
        form.status.data = review.status.value
        form.learning_points.data = review.learning_points
    if form.validate_on_submit():
        try:
            record_service.update_review(review, _review_spec(form), current_user)
        except ServiceError as exc:
            _field_error(form, exc, "title")
        else:
            flash("Review saved.", "success")
            return redirect(url_for("records.review", review_id=review.id))
    return render_template("records/review_form.html", form=form, review=review)


def _linked_evidence(record_type: LinkedRecord, record_id: int) -> list[dict[str, Any]]:
    """For each theme linked to the record: the link and the theme's evidence since ever."""
    labels = record_service.theme_labels(_pid())
    out = []
    for link in record_service.links_for(record_type, record_id):
        label = labels.get(link.theme_key, record_service.standard_label(link.theme_key))
        out.append(
            {
                "link": link,
                "label": label,
                "evidence": evidence_service.theme_evidence(
                    current_user.partnership,
                    link.theme_key,
                    label,
                    role=current_user.role,
                    linked_at=link.linked_at,
                )
                if current_user.role in READERS
                else None,
            }
        )
    return out


def _record_page(
    record: Audit | Review,
    *,
    link_form: ThemeLinkForm | None = None,
    recommendation_form: RecommendationForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    source = SourceType.AUDIT if isinstance(record, Audit) else SourceType.REVIEW
    link_form = link_form or ThemeLinkForm()
    link_form.theme_key.choices = _theme_choices("Choose a theme")
    recommendation_form = recommendation_form or RecommendationForm()
    recommendation_form.theme_key.choices = _theme_choices("No theme of its own")
    labels = record_service.theme_labels(_pid())
    return (
        render_template(
            "records/record.html",
            record=record,
            kind="audits" if isinstance(record, Audit) else "reviews",
            lines=record_service.lines_of(
                record.findings if isinstance(record, Audit) else record.learning_points
            ),
            actions=action_service.for_source(source, record.id),
            linked=_linked_evidence(record.record_type, record.id),
            labels=labels,
            link_form=link_form,
            recommendation_form=recommendation_form,
            confirm=ConfirmForm(),
            form=next((f for f in (link_form, recommendation_form) if f.errors), None),
        ),
        status,
    )


@bp.route("/records/audits/<int:audit_id>")
@roles_required(*READERS)
def audit(audit_id: int) -> tuple[str, int]:
    return _record_page(_or_404(record_service.get_audit, audit_id))


@bp.route("/records/reviews/<int:review_id>")
@roles_required(*READERS)
def review(review_id: int) -> tuple[str, int]:
    return _record_page(_or_404(record_service.get_review, review_id))


def _record(kind: str, record_id: int, allowed: tuple[str, ...]) -> Any:
    if kind not in allowed:
        abort(404)
    return _or_404(record_service.find_record, KINDS[kind], record_id)


def _record_url(record: Audit | Review | Action) -> str:
    if isinstance(record, Audit):
        return url_for("records.audit", audit_id=record.id)
    if isinstance(record, Review):
        return url_for("records.review", review_id=record.id)
    return url_for("records.action", action_id=record.id)


@bp.route("/records/<kind>/<int:record_id>/recommendations", methods=["POST"])
@roles_required(Role.ADMIN)
def recommendation_add(kind: str, record_id: int) -> Response | tuple[str, int]:
    record = _record(kind, record_id, ("audits", "reviews"))
    form = RecommendationForm()
    form.theme_key.choices = _theme_choices("No theme of its own")
    if form.validate_on_submit():
        spec = record_service.RecommendationSpec(
            form.text.data or "", bool(form.training.data), form.theme_key.data or None
        )
        try:
            record_service.add_recommendation(record, spec, current_user)
        except ServiceError as exc:
            _field_error(form, exc, "text")
        else:
            flash("Recommendation added.", "success")
            return redirect(_record_url(record) + "#recommendations")
    return _record_page(record, recommendation_form=form, status=422)


@bp.route("/records/recommendations/<int:recommendation_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def recommendation_remove(recommendation_id: int) -> Response:
    recommendation = _or_404(record_service.get_recommendation, recommendation_id)
    record = recommendation.audit or recommendation.review
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record_service.remove_recommendation(recommendation, current_user)
    flash("Recommendation removed.", "success")
    return redirect(_record_url(record) + "#recommendations")


@bp.route("/records/<kind>/<int:record_id>/actions/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def action_new(kind: str, record_id: int) -> str | Response:
    record = _record(kind, record_id, ("audits", "reviews"))
    form = ActionForm()
    form.owner_agency_id.choices = [("", "No agency yet")] + _agency_choices()
    if form.validate_on_submit():
        source = SourceType.AUDIT if isinstance(record, Audit) else SourceType.REVIEW
        try:
            action = action_service.add_to_record(
                _pid(),
                source,
                record.id,
                form.description.data,
                owner_agency_id=_agency_id(form.owner_agency_id.data),
                due_on=form.due_on.data,
                actor=current_user,
            )
        except ServiceError as exc:
            _field_error(form, exc, "description")
        else:
            flash("Action added to the tracker.", "success")
            return redirect(url_for("records.action", action_id=action.id))
    return render_template("records/action_form.html", form=form, record=record, action=None)


def _agency_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    number = whole_number_or_none(raw, max_digits=9)
    return -1 if number is None else number  # -1 is refused as "choose from the list"


# -- Theme links ---------------------------------------------------------------------------------


@bp.route("/records/<kind>/<int:record_id>/themes", methods=["POST"])
@roles_required(*LINKERS)
def link_theme(kind: str, record_id: int) -> Response | tuple[str, int]:
    record = _record(kind, record_id, tuple(KINDS))
    form = ThemeLinkForm()
    form.theme_key.choices = _theme_choices("Choose a theme")
    if form.validate_on_submit():
        try:
            _, created = record_service.link_theme(
                _pid(), form.theme_key.data or "", KINDS[kind], record.id, current_user
            )
        except ServiceError as exc:
            form.theme_key.errors = [exc.message]
        else:
            labels = record_service.theme_labels(_pid())
            name = labels.get(form.theme_key.data or "", form.theme_key.data)
            flash(
                f"{name} linked: its front-line evidence is shown below."
                if created
                else f"{name} was already linked.",
                "success",
            )
            return redirect(_record_url(record) + "#evidence")
    if isinstance(record, Action):
        return _action_page(record, link_form=form, status=422)
    return _record_page(record, link_form=form, status=422)


@bp.route("/records/<kind>/<int:record_id>/themes/<theme_key>/remove", methods=["POST"])
@roles_required(*LINKERS)
def unlink_theme(kind: str, record_id: int, theme_key: str) -> Response:
    record = _record(kind, record_id, tuple(KINDS))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        record_service.unlink_theme(_pid(), theme_key, KINDS[kind], record.id, current_user)
    except NotFound:
        abort(404)
    flash("Theme unlinked.", "success")
    return redirect(_record_url(record) + "#evidence")


def _optional_period() -> tuple[date | None, date | None, list[tuple[str, str]]]:
    errors = []
    found: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            found[name] = lna_service.date_arg(request.args, name)
        except ServiceError as exc:
            errors.append((exc.field or name, exc.message))
            found[name] = None
    if found["from"] and found["to"] and found["to"] < found["from"]:
        errors.append(("to", "The end of the period must be on or after its start"))
        found["to"] = None
    return found["from"], found["to"], errors


@bp.route("/records/themes/<theme_key>")
@roles_required(*READERS)
def theme(theme_key: str) -> str:
    labels = record_service.theme_labels(_pid())
    if theme_key not in labels:
        abort(404)
    from_on, to_on, errors = _optional_period()
    evidence = evidence_service.theme_evidence(
        current_user.partnership,
        theme_key,
        labels[theme_key],
        role=current_user.role,
        from_on=from_on,
        to_on=to_on,
    )
    return render_template(
        "records/theme.html",
        evidence=evidence,
        label=labels[theme_key],
        theme_key=theme_key,
        linked=record_service.records_for_theme(_pid(), theme_key),
        errors=errors,
        from_on=from_on,
        to_on=to_on,
        record_url=_record_url,
        record_title=record_service.record_title,
    )


@bp.route("/records/triangulation")
@roles_required(*READERS)
def triangulation() -> str:
    labels = record_service.theme_labels(_pid())
    from_on, to_on, errors = _optional_period()
    table = evidence_service.triangulation(
        current_user.partnership, labels, role=current_user.role, from_on=from_on, to_on=to_on
    )
    return render_template(
        "records/triangulation.html",
        table=table,
        errors=errors,
        from_on=from_on,
        to_on=to_on,
        links=record_service.linked_theme_counts(_pid()),
        short_labels=SHORT_SOURCE_LABELS,
    )


SHORT_SOURCE_LABELS = {
    "staff_survey": "Staff survey",
    "post_course": "Training",
    "follow_up": "Follow-ups",
    "scrutiny_visit": "Visits",
    "safeguarding_conversation": "Conversations",
    "practitioner_forum": "Forums",
    "voice": "Voice",
    "audit": "Audits",
    "review": "Reviews",
}


# -- The action tracker --------------------------------------------------------------------------


@bp.route("/actions")
@roles_required()
def actions() -> str:
    filters, errors = action_service.parse_filters(request.args, _pid())
    today = clock.today()
    rows = action_service.tracker(_pid(), filters, today)
    return render_template(
        "records/actions.html",
        rows=rows,
        filters=filters,
        errors=errors,
        today=today,
        counts=action_service.counts(_pid(), today),
        agencies=_agency_choices(),
        statuses=list(ActionStatus),
        sources=[s for s in SourceType if s not in (SourceType.STAFF_SURVEY,)],
        titles=_source_titles(rows),
    )


def _source_titles(rows: list[Action]) -> dict[tuple[str, str], str]:
    return action_service.source_titles(_pid(), rows)


def _action_page(
    action: Action,
    *,
    update_form: ActionUpdateForm | None = None,
    link_form: ThemeLinkForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    update_form = update_form or ActionUpdateForm()
    if not update_form.is_submitted():
        update_form.status.data = action.status.value
    link_form = link_form or ThemeLinkForm()
    link_form.theme_key.choices = _theme_choices("Choose a theme")
    return (
        render_template(
            "records/action.html",
            action=action,
            today=clock.today(),
            update_form=update_form,
            may_update=current_user.role in UPDATERS,
            link_form=link_form,
            linked=_linked_evidence(LinkedRecord.ACTION, action.id),
            titles=_source_titles([action]),
            confirm=ConfirmForm(),
            form=next((f for f in (update_form, link_form) if f.errors), None),
        ),
        status,
    )


@bp.route("/actions/<int:action_id>")
@roles_required()
def action(action_id: int) -> tuple[str, int]:
    return _action_page(_or_404(action_service.get, action_id))


@bp.route("/actions/<int:action_id>/updates", methods=["POST"])
@roles_required(*UPDATERS)
def action_update(action_id: int) -> Response | tuple[str, int]:
    action = _or_404(action_service.get, action_id)
    form = ActionUpdateForm()
    if form.validate_on_submit():
        try:
            action_service.add_update(
                action,
                status=form.status.data,
                text=form.text.data,
                evidence_of_impact=form.evidence_of_impact.data,
                actor=current_user,
            )
        except ServiceError as exc:
            _field_error(form, exc, "text")
        else:
            flash(f"Update added. The action is now {action.status.label.lower()}.", "success")
            return redirect(url_for("records.action", action_id=action.id))
    return _action_page(action, update_form=form, status=422)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def action_edit(action_id: int) -> str | Response:
    action = _or_404(action_service.get, action_id)
    form = ActionForm()
    form.owner_agency_id.choices = [("", "No agency yet")] + _agency_choices()
    if not form.is_submitted():
        form.description.data = action.description
        form.owner_agency_id.data = str(action.owner_agency_id or "")
        form.due_on.data = action.due_on
    if form.validate_on_submit():
        try:
            action_service.edit(
                action,
                description=form.description.data,
                owner_agency_id=_agency_id(form.owner_agency_id.data),
                due_on=form.due_on.data,
                actor=current_user,
            )
        except ServiceError as exc:
            _field_error(form, exc, "description")
        else:
            flash("Action saved.", "success")
            return redirect(url_for("records.action", action_id=action.id))
    return render_template("records/action_form.html", form=form, record=None, action=action)
