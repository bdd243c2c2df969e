"""Operational endpoints: the health check a load balancer or monitor polls."""

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from feedback import __version__, clock
from feedback.extensions import db

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers; 503 with "database": "error" when it does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database is an unhealthy service
        db.session.rollback()
        database = "error"
    ok = database == "ok"
    body = {
        "status": "ok" if ok else "error",
        "database": database,
        "version": __version__,
        "time": clock.now().isoformat(timespec="seconds"),
    }
    return jsonify(body), 200 if ok else 503
