"""GOV.UK Frontend's built CSS, JavaScript, fonts and images, served from the npm install."""

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)


def _dist() -> Path:
    return Path(current_app.config["GOVUK_FRONTEND_DIST"])


@bp.route("/assets/<path:filename>")
def govuk_asset(filename: str) -> Response:
    """Fonts and images; the CSS refers to them under /assets/."""
    if not (_dist() / "assets").is_dir():
        abort(404)
    return send_from_directory(_dist() / "assets", filename, max_age=3600)


@bp.route("/govuk/<any('govuk-frontend.min.css', 'govuk-frontend.min.js'):filename>")
def govuk_bundle(filename: str) -> Response:
    """The compiled stylesheet and script."""
    if not _dist().is_dir():
        abort(404)
    return send_from_directory(_dist(), filename, max_age=3600)
