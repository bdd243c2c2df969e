"""The partnership team's campaign pages: list, create, launch and follow the response."""

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug import Response as WerkzeugResponse

from feedback import clock
from feedback.models import ResponseMode, Role
from feedback.security import roles_required
from feedback.services import NotFound, ServiceError, messages
from feedback.services import campaigns as campaign_service
from feedback.services import instruments as instrument_service
from feedback.services import people as people_service
from feedback.web.forms import CampaignActionForm, CampaignForm

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

UK = ZoneInfo("Europe/London")
READERS = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
OPENING_HOUR = time(9, 0)


def uk_moment(day: date, at: time) -> datetime:
    """A wall-clock time in the UK as a UTC moment (British Summer Time included)."""
    return datetime.combine(day, at, tzinfo=UK).astimezone(UTC)


def _campaign(campaign_id: int):  # noqa: ANN202
    try:
        return campaign_service.get_campaign(current_user.partnership, campaign_id)
    except NotFound:
        abort(404)


def _version_choices() -> list[tuple[str, str]]:
    choices = [("", "Choose an instrument")]
    for instrument in instrument_service.list_instruments(
        current_user.partnership, include_archived=False
    ):
        version = instrument.latest_published
        if version is None or instrument_service.has_placeholders(version.definition):
            continue  # course evaluations are sent by the training timeline, not from here
        choices.append((str(version.id), f"{version.title} (version {version.number})"))
    return choices


# -- Pages -----------------------------------------------------------------------------------


@bp.route("")
@roles_required(*READERS)
def index() -> str:
    campaigns = campaign_service.list_campaigns(current_user.partnership)
    return render_template("campaigns/index.html", campaigns=campaigns, uk=UK)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new() -> str | WerkzeugResponse:
    form = CampaignForm()
    form.instrument_version_id.choices = _version_choices()
    form.mode.choices = [(m.value, m.label) for m in ResponseMode]
    form.agency_ids.choices = [
        (a.id, a.name) for a in people_service.list_agencies(current_user.partnership)
    ]
    form.roles.choices = [(r, r) for r in people_service.job_roles(current_user.partnership)]
    if not form.is_submitted():
        form.mode.data = ResponseMode.CONFIDENTIAL.value
        form.subject_template.data = messages.DEFAULT_SUBJECT
        form.body_template.data = messages.DEFAULT_BODY
    if form.validate_on_submit():
        try:
            days = tuple(
                int(d) for d in (form.reminder_days.data or "").replace(" ", "").split(",") if d
            )
        except ValueError:
            form.reminder_days.errors = ["Enter reminder days as whole numbers, like 7, 14"]
        else:
            person_ids, unknown = people_service.people_by_emails(
                current_user.partnership, form.emails.data or ""
            )
            audience = {
                k: v
                for k, v in (
                    ("agency_ids", form.agency_ids.data),
                    ("roles", form.roles.data),
                    ("person_ids", person_ids),
                )
                if v
            }
            spec = campaign_service.CampaignSpec(
                instrument_version_id=int(form.instrument_version_id.data),
                title=form.title.data or "",
                mode=form.mode.data or "",
                opens_at=uk_moment(form.opens_on.data, OPENING_HOUR),
                closes_at=uk_moment(form.closes_on.data + timedelta(days=1), time(0, 0)),
                audience=audience,
                reminder_days=days,
                subject_template=form.subject_template.data,
                body_template=form.body_template.data,
            )
            if unknown:
                form.emails.errors = unknown[:10]
            elif not audience:
                form.agency_ids.errors = [
                    "Choose at least one agency or job role, or list the people, to invite"
                ]
            else:
                try:
                    campaign = campaign_service.create_campaign(
                        current_user.partnership, spec, current_user
                    )
                except ServiceError as exc:
                    field = {
                        "opens_at": "opens_on",
                        "closes_at": "closes_on",
                        "audience": "agency_ids",
                    }.get(exc.field or "", exc.field or "title")
                    getattr(form, field, form.title).errors = [exc.message]
                else:
                    flash("Campaign saved as a draft. Check it, then launch it.", "success")
                    return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/new.html", form=form)


@bp.route("/<int:campaign_id>")
@roles_required(*READERS)
def show(campaign_id: int) -> str:
    campaign = _campaign(campaign_id)
    partnership = current_user.partnership
    is_admin = current_user.role == Role.ADMIN
    table = campaign_service.rates(
        campaign, disclose_small=is_admin, threshold=partnership.disclosure_threshold
    )
    failures = campaign_service.delivery_failures(campaign) if is_admin else []
    sample = (
        messages.render(campaign.subject_template, _sample_values(campaign)),
        messages.render(campaign.body_template, _sample_values(campaign)),
    )
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        table=table,
        failures=failures,
        columns=campaign_service.RATE_COLUMNS,
        labels=campaign_service.RATE_LABELS,
        audience_size=len(campaign_service.audience_people(campaign)) if is_admin else None,
        action_form=CampaignActionForm(),
        sample=sample,
        now=clock.now(),
        threshold=partnership.disclosure_threshold,
        uk=UK,
        has_results="results.campaign_results" in current_app.view_functions,
        open_link=messages.public_url(campaign_service.open_link_path(campaign))
        if campaign.open_link_nonce
        else None,
    )


def _sample_values(campaign) -> dict[str, str]:  # noqa: ANN001
    return {
        "first_name": "Sam",
        "survey_title": campaign.instrument_version.title,
        "link": messages.public_url("/r/example-personal-link"),
        "close_date": messages.format_date(campaign.closes_at),
        "partnership": current_user.partnership.name,
    }


@bp.route("/<int:campaign_id>/actions", methods=["POST"])
@roles_required(Role.ADMIN)
def act(campaign_id: int) -> WerkzeugResponse:
    campaign = _campaign(campaign_id)
    form = CampaignActionForm()
    if not form.validate_on_submit():
        flash("Enter a valid date, for example 31 3 2027.", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    action = form.action.data or ""
    try:
        if action == "open_link":
            campaign_service.enable_open_link(campaign, current_user)
            flash("Open link created: share it or show the QR code at your event.", "success")
        elif action == "launch":
            count = campaign_service.launch(campaign, current_user)
            flash(
                f"Campaign launched: {count} invitation{'s' if count != 1 else ''} queued.",
                "success",
            )
        else:
            closes_at = None
            if action == "extend":
                if form.closes_on.data is None:
                    raise ServiceError("Enter the new close date")
                closes_at = uk_moment(form.closes_on.data + timedelta(days=1), time(0, 0))
            campaign_service.change_state(campaign, action, current_user, closes_at=closes_at)
            flash(
                {
                    "pause": "Campaign paused.",
                    "resume": "Campaign resumed.",
                    "close": "Campaign closed.",
                    "extend": "Close date extended.",
                }[action],
                "success",
            )
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/open-link.svg")
@roles_required(Role.ADMIN)
def open_link_qr(campaign_id: int) -> WerkzeugResponse:
    """The open link as a QR code, to put on a slide or a poster."""
    campaign = _campaign(campaign_id)
    if campaign.open_link_nonce is None:
        abort(404)
    url = messages.public_url(campaign_service.open_link_path(campaign))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=6, border=2, title=f"QR code for {campaign.title}"
    )
    return WerkzeugResponse(buffer.getvalue(), mimetype="image/svg+xml")
