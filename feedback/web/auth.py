"""Signing in and out, and the partnership's public privacy notice."""

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug import Response

from feedback.extensions import db, limiter
from feedback.models import Partnership
from feedback.services import accounts
from feedback.services import privacy as privacy_service
from feedback.web.forms import SignInForm, SignOutForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot send someone elsewhere after sign-in."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("home.index")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def sign_in() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        except accounts.AccountLocked as locked:
            form.email.errors = [locked.message]
        else:
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            form.email.errors = ["Enter a correct email address and password"]
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    form = SignOutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
        flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


# -- The privacy notice ------------------------------------------------------------------------


@bp.route("/privacy")
def privacy() -> str:
    """A partnership's privacy notice, public: respondents follow it from every survey page."""
    asked = request.args.get("partnership", type=int)
    if asked is not None:
        partnership = db.session.get(Partnership, asked)
        if partnership is None:
            abort(404)
    elif current_user.is_authenticated:
        partnership = current_user.partnership
    else:
        partnerships = db.session.scalars(sa.select(Partnership).order_by(Partnership.name)).all()
        if len(partnerships) != 1:
            return render_template(
                "auth/privacy_choose.html", title="Privacy notice", partnerships=partnerships
            )
        partnership = partnerships[0]
    return render_template(
        "auth/privacy.html",
        title="Privacy notice",
        notice_partnership=partnership,
        partnership_name=partnership.name,
        blocks=privacy_service.notice_blocks(privacy_service.notice_text(partnership)),
    )


@bp.app_template_global()
def privacy_link(partnership_name: str | None = None) -> dict[str, Any]:
    """Where a respondent page's privacy link goes, and whose notice it is.

    Respondent pages know their partnership by name (unique), which is all they pass to their
    templates; an unknown link has none, and then the link shows the choice of partnerships.
    """
    partnership_id = None
    if partnership_name:
        partnership_id = db.session.scalar(
            sa.select(Partnership.id).where(Partnership.name == partnership_name)
        )
    return {
        "href": url_for("auth.privacy", partnership=partnership_id)
        if partnership_id
        else url_for("auth.privacy"),
        "holder": partnership_name or "The safeguarding children partnership",
    }
