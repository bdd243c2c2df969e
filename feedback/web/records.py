"""Audits, reviews, the action tracker, theme links with their evidence, triangulation."""

from flask import Blueprint

bp = Blueprint("records", __name__)
