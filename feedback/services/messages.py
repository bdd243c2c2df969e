"""Respondents' links and the emails that carry them: tokens, templates, opt-out headers."""

import base64
import hashlib
import hmac
import secrets
import string
from datetime import datetime
from typing import Any

from flask import current_app

from feedback.services import ServiceError

PLACEHOLDERS = ("first_name", "survey_title", "link", "close_date", "partnership")

DEFAULT_SUBJECT = "{survey_title}: please give us your views by {close_date}"
DEFAULT_BODY = """Dear {first_name},

{partnership} would like to hear from you. It takes a few minutes, and what front-line
practitioners tell us shapes the partnership's training, audits and reviews.

Answer here: {link}

The link is personal to you, so please do not forward this email. You can stop part-way and
come back to where you left off with the same link. It closes on {close_date}.

Thank you for your time.
"""
REMINDER_PREFIX = "Reminder: "


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(kind: str, nonce: str) -> str:
    """The link token: a keyed hash of a stored nonce, so the database alone cannot rebuild it."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, f"{kind}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:32]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_template(template: str, field: str) -> None:
    """Refuse a template with an unknown or malformed placeholder, saying which."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ServiceError(f"The {field} has a stray '{{' or '}}': {exc}", field=field) from None
    for name in names:
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ServiceError(
                f"The {field} uses {{{name}}}, which is not a placeholder we know: use {allowed}",
                field=field,
            )


def render(template: str, values: dict[str, Any]) -> str:
    return template.format_map({k: values.get(k, "") for k in PLACEHOLDERS})


def public_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def format_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"
