"""The respondent journey at /r/<token>: no account, a page at a time, saved as they go."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug import Response as WerkzeugResponse

import forms
from feedback import clock
from feedback.extensions import db, limiter
from feedback.models import Partnership
from feedback.services import messages, respond
from feedback.services.respond import Gate
from feedback.web.forms import OptOutForm
from forms.render import page_form_class

bp = Blueprint("respond", __name__)

# Generous for a person, tight for anyone guessing tokens.
RESPONDENT_LIMIT = "120 per minute"
# A room of people at a forum may share one address; a script making thousands may not.
OPEN_LINK_LIMIT = "60 per hour"

GATE_PAGES = {
    Gate.UNKNOWN: (
        404,
        "This link is not recognised",
        "Check you copied the whole link from your email. If it still does not "
        "work, ask the person who sent it for a new one.",
    ),
    Gate.OPTED_OUT: (
        200,
        "You have opted out",
        "You asked not to receive these emails, so this survey is closed to you.",
    ),
    Gate.NOT_YET_OPEN: (
        200,
        "This survey is not open yet",
        "Come back to this link when it opens.",
    ),
    Gate.PAUSED: (
        200,
        "This survey is paused",
        "The partnership has paused it for a short while. Try this link again later; "
        "anything you have already answered is saved.",
    ),
    Gate.CLOSED: (
        200,
        "This survey has closed",
        "It is no longer taking answers. Thank you for your interest.",
    ),
    Gate.RESPONDED: (
        200,
        "You have already responded",
        "Your answers were submitted. Thank you; you do not need to do anything else.",
    ),
}


def _partnership_name(visit: respond.Visit) -> str | None:
    if visit.campaign is None:
        return None
    return db.session.get(Partnership, visit.campaign.partnership_id).name


def _gate_page(visit: respond.Visit) -> tuple[str, int]:
    status, title, message = GATE_PAGES[visit.gate]
    return render_template(
        "respond/gate.html", title=title, message=message, partnership_name=_partnership_name(visit)
    ), status


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(RESPONDENT_LIMIT)
def answer(token: str) -> str | tuple[str, int] | WerkzeugResponse:
    visit = respond.find(token)
    if visit.gate != Gate.OPEN:
        return _gate_page(visit)
    invitation = visit.invitation
    respond.mark_opened(invitation)
    definition = respond.definition_of(invitation)
    draft = dict(invitation.draft_answers or {})
    visible = forms.visible_pages(definition, draft)
    index = invitation.current_page
    asked = request.args.get("page", type=int)
    if asked is not None and asked in visible and asked <= invitation.current_page:
        index = asked  # going back to a page already seen
    if index not in visible:
        index = next((p for p in visible if p >= index), visible[-1])
    form_class = page_form_class(definition, index, draft, today=clock.today(), base=FlaskForm)
    form = form_class()
    if request.method == "POST":
        action = request.form.get("action", "continue")
        valid = form.validate_on_submit()
        if action == "save":
            kept = {k: v for k, v in form.answers.items() if v is not None} if form.answers else {}
            respond.save_page(invitation, kept, index)
            return render_template(
                "respond/saved.html",
                title="Your answers have been saved",
                close_date=visit.campaign.closes_at,
                personal_link=messages.public_url(url_for("respond.answer", token=token))
                if invitation.person_id is None
                else None,
                partnership_name=_partnership_name(visit),
            )
        if valid:
            answers = {**draft, **form.answers}
            following = forms.next_page(definition, index, answers)
            if following is None:
                respond.submit(invitation, form.answers)
                return redirect(url_for("respond.done", token=token))
            respond.save_page(invitation, form.answers, following)
            return redirect(url_for("respond.answer", token=token))
    previous = forms.previous_page(definition, index, draft)
    back_url = (
        url_for("respond.answer", token=token, page=previous) if previous is not None else None
    )
    last = forms.next_page(definition, index, {**draft, **(form.answers or {})}) is None
    title = definition["pages"][index].get("title") or definition.get("title")
    return render_template(
        "respond/page.html",
        title=("Error: " if form.errors else "") + str(title),
        page_form=form,
        definition=definition,
        page=definition["pages"][index],
        action=url_for("respond.answer", token=token, page=index),
        back_url=back_url,
        submit_label="Submit your answers" if last else "Continue",
        save_later=True,
        intro=definition.get("intro") if index == visible[0] else None,
        survey_title=definition.get("title"),
        partnership_name=_partnership_name(visit),
    )


@bp.route("/r/<token>/done")
@limiter.limit(RESPONDENT_LIMIT)
def done(token: str) -> str | tuple[str, int]:
    visit = respond.find(token)
    if visit.gate != Gate.RESPONDED:
        return (
            _gate_page(visit)
            if visit.gate != Gate.OPEN
            else (
                render_template(
                    "respond/gate.html",
                    title="Not submitted yet",
                    message="Use your link to finish and submit your answers.",
                    partnership_name=_partnership_name(visit),
                ),
                200,
            )
        )
    return render_template(
        "respond/done.html", title="Response submitted", partnership_name=_partnership_name(visit)
    )


@bp.route("/r/<token>/opt-out", methods=["GET", "POST"])
@limiter.limit(RESPONDENT_LIMIT)
def opt_out(token: str) -> str | tuple[str, int]:
    visit = respond.find(token)
    if visit.gate == Gate.UNKNOWN:
        return _gate_page(visit)
    form = OptOutForm()
    if form.validate_on_submit():
        respond.opt_out(visit.invitation)
        return render_template(
            "respond/opted_out.html",
            title="You have opted out",
            partnership_name=_partnership_name(visit),
        )
    return render_template(
        "respond/opt_out.html",
        title="Stop these emails",
        form=form,
        partnership_name=_partnership_name(visit),
    )


@bp.route("/o/<int:campaign_id>/<token>")
@limiter.limit(OPEN_LINK_LIMIT)
def open_link(campaign_id: int, token: str) -> str | tuple[str, int] | WerkzeugResponse:
    """A campaign's shareable link: each visitor gets a personal, anonymous link of their own."""
    remembered = session.get("open_links", {}).get(str(campaign_id))
    if remembered and respond.find(remembered).gate in (Gate.OPEN, Gate.RESPONDED):
        return redirect(url_for("respond.answer", token=remembered))
    gate, personal = respond.open_visit(campaign_id, token)
    if personal is None:
        return _gate_page(respond.Visit(gate))
    session["open_links"] = {**session.get("open_links", {}), str(campaign_id): personal}
    return redirect(url_for("respond.answer", token=personal))
