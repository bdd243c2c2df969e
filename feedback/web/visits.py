"""Scrutiny visits, safeguarding conversations and practitioner forums: pages."""

from flask import Blueprint

bp = Blueprint("visits", __name__)
