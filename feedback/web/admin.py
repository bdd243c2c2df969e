"""The partnership team's administration pages: accounts and the development mail catcher."""

import email
import email.policy
import mailbox
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from feedback.extensions import db
from feedback.models import Role, User
from feedback.security import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    users = db.session.scalars(
        sa.select(User)
        .where(User.partnership_id == current_user.partnership_id)
        .order_by(User.role, User.email)
    ).all()
    return render_template("admin/users.html", users=users)


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
