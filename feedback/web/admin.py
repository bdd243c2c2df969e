"""The partnership team's administration pages: accounts, the audit log, personal data (the
privacy notice, retention, subject access and erasure) and the development mail catcher."""

import email
import email.policy
import json
import mailbox
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug import Response as WerkzeugResponse

from feedback import clock
from feedback.extensions import db
from feedback.models import Person, Role, User
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError, accounts, audit, privacy, transaction
from feedback.web.privacy_forms import EraseForm, PrivacyNoticeForm, UnlockForm, retention_form

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PER_PAGE = 50


# -- Accounts ------------------------------------------------------------------------------------


@bp.route("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    users = db.session.scalars(
        sa.select(User)
        .where(User.partnership_id == current_user.partnership_id)
        .order_by(User.role, User.email)
    ).all()
    return render_template("admin/users.html", users=users, now=clock.now())


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def unlock_user(user_id: int) -> WerkzeugResponse:
    try:
        user = accounts.get_user(current_user.partnership, user_id)
    except NotFound:
        abort(404)
    if not UnlockForm().validate_on_submit():
        abort(400)
    if accounts.unlock(user, current_user):
        flash(f"{user.email} is unlocked and can sign in again.", "success")
    else:
        flash(f"{user.email} was not locked.", "info")
    return redirect(url_for("admin.users"))


# -- The audit log -------------------------------------------------------------------------------


@bp.route("/audit-log")
@roles_required(Role.ADMIN)
def audit_log() -> tuple[str, int]:
    partnership = current_user.partnership
    filters, errors = audit.parse_filters(partnership, request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events, total = audit.search(partnership, filters, page=page, per_page=AUDIT_PER_PAGE)
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    return render_template(
        "admin/audit_log.html",
        title=("Error: " if errors else "") + "Audit log",
        filters=filters,
        errors=errors,
        choices=audit.filter_choices(partnership),
        events=events,
        total=total,
        page=page,
        pages=pages,
        label=audit.label,
        describe=audit.describe_detail,
    ), (400 if errors else 200)


@bp.route("/audit-log.csv")
@roles_required(Role.ADMIN)
def audit_log_csv() -> Response:
    partnership = current_user.partnership
    filters, errors = audit.parse_filters(partnership, request.args)
    if errors:
        abort(400, description=errors[0][1])
    with transaction():
        audit.record(
            "audit_log.export",
            user=current_user,
            record_type="audit_log",
            detail={"filters": filters.query_args()} if filters.active else None,
        )
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(audit.stream_csv(partnership, filters)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


# -- The privacy notice and retention ------------------------------------------------------------


@bp.route("/privacy-notice", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def privacy_notice() -> str | WerkzeugResponse:
    partnership = current_user.partnership
    form = PrivacyNoticeForm()
    if request.method == "GET":
        form.contact.data = partnership.privacy_contact or ""
        form.notice.data = privacy.notice_text(partnership)
    elif form.validate_on_submit():
        try:
            privacy.set_privacy_notice(
                partnership, form.notice.data, form.contact.data, current_user
            )
        except ServiceError as exc:
            getattr(form, exc.field or "notice").errors = [exc.message]
        else:
            flash("The privacy notice is saved. Respondents see it from now on.", "success")
            return redirect(url_for("admin.privacy_notice"))
    return render_template(
        "admin/privacy_notice.html",
        title="Privacy notice",
        form=form,
        uses_default=partnership.privacy_notice is None,
    )


@bp.route("/retention", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def retention() -> str | WerkzeugResponse:
    partnership = current_user.partnership
    types = privacy.campaign_types(partnership)
    current = {purpose: privacy.retention_months(partnership, purpose) for purpose, _ in types}
    form = retention_form(types, current)
    if form.validate_on_submit():
        names = {purpose: name for name, purpose in form.purposes.items()}
        months, errors = privacy.check_retention(
            {purpose: form[name].data for name, purpose in form.purposes.items()}
        )
        for purpose, message in errors:
            form[names[purpose]].errors = [message]
        if not errors:
            privacy.set_retention(partnership, months, current_user)
            flash("Retention periods saved.", "success")
            return redirect(url_for("admin.retention"))
    return render_template(
        "admin/retention.html",
        title="How long identifiable answers are kept",
        form=form,
        pending=privacy.pending_removals(partnership),
        type_label=privacy.type_label,
        default_months=privacy.DEFAULT_RETENTION_MONTHS,
    )


# -- Subject access and erasure ------------------------------------------------------------------


def _person(person_id: int) -> Person:
    try:
        return privacy.get_person(current_user.partnership, person_id)
    except NotFound:
        abort(404)


@bp.route("/people/<int:person_id>/subject-access")
@roles_required(Role.ADMIN)
def subject_access(person_id: int) -> str:
    person = _person(person_id)
    data = privacy.subject_access(person)
    privacy.record_subject_access(person, current_user, "page")
    return render_template(
        "admin/subject_access.html",
        title=f"Information held about {person.name}",
        person=person,
        data=data,
    )


@bp.route("/people/<int:person_id>/subject-access.json")
@roles_required(Role.ADMIN)
def subject_access_json(person_id: int) -> Response:
    person = _person(person_id)
    data = privacy.subject_access(person)
    privacy.record_subject_access(person, current_user, "json")
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="subject-access-{person_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def erase_person(person_id: int) -> str | WerkzeugResponse:
    person = _person(person_id)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            counts = privacy.erase_person(person, current_user)
        except ServiceError as exc:
            form.confirm.errors = [exc.message]
        else:
            flash(
                f"The practitioner's details are erased. {counts.responses} "
                f"response{'s' if counts.responses != 1 else ''} kept without their name.",
                "success",
            )
            return redirect(url_for("people.people"))
    return render_template(
        "admin/erase_person.html",
        title=f"Erase {person.name}",
        person=person,
        preview=privacy.erasure_preview(person),
        form=form,
    )


# -- The development mail catcher ----------------------------------------------------------------


def _maildir() -> mailbox.Maildir | None:
    folder = current_app.config.get("MAIL_CATCHER_DIR")
    if not folder or not (Path(folder) / "cur").is_dir():
        return None
    return mailbox.Maildir(folder, factory=None, create=False)


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


@bp.route("/mail")
@roles_required(Role.ADMIN)
def mail() -> str:
    box = _maildir()
    messages = []
    if box is not None:
        for key in box.keys():  # noqa: SIM118 - iterating a Mailbox yields messages
            msg = _parse(box.get_bytes(key))
            messages.append(
                {"key": key, "to": msg["To"], "subject": msg["Subject"], "date": msg["Date"]}
            )
        messages.sort(key=lambda m: m["key"], reverse=True)
    return render_template("admin/mail.html", enabled=box is not None, messages=messages[:200])


@bp.route("/mail/<key>")
@roles_required(Role.ADMIN)
def mail_message(key: str) -> str:
    box = _maildir()
    if box is None:
        abort(404)
    try:
        raw = box.get_bytes(key)
    except KeyError:
        abort(404)
    msg = _parse(raw)
    part = msg.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    return render_template("admin/mail_message.html", msg=msg, body=body)
