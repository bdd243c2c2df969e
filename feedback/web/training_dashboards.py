"""Training evaluation dashboards for courses and sessions, and comparisons between them."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__)
