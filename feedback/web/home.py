"""Each role's home page: the work waiting for them."""

from flask import Blueprint, render_template
from flask_login import current_user

from feedback.security import roles_required
from feedback.services import home as home_service

bp = Blueprint("home", __name__)


@bp.route("/")
@roles_required()
def index() -> str:
    summary = home_service.summary_for(current_user)
    return render_template("home/index.html", summary=summary)
