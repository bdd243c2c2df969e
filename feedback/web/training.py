"""Course and session pages: create and edit courses and sessions, the attendance register."""

from flask import Blueprint

bp = Blueprint("training", __name__)
