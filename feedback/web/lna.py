"""The Learning Needs Analysis: the Workforce Development Group's yearly report."""

from flask import Blueprint

bp = Blueprint("lna", __name__)
