"""Child and family voice: recording it, the safeguarding prompt, and who may see it."""

from flask import Blueprint

bp = Blueprint("voice", __name__)
