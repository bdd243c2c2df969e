"""The service as a whole: health check, error pages, security headers and GOV.UK assets."""

from pathlib import Path

import pytest

from feedback import create_app
from feedback.extensions import db
from tests.conftest import base_config, fresh_app


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_healthz_returns_503_when_the_database_is_unreachable(tmp_path):
    missing = tmp_path / "no-such-folder" / "feedback.db"
    app = create_app(base_config(f"sqlite:///{missing}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"
    assert response.get_json()["status"] == "error"


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert "Traceback" not in html


def test_every_page_carries_the_security_headers(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_inline_scripts_carry_the_nonce_the_policy_allows(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    assert html.count("<script") == html.count(f'nonce="{nonce}"')


def test_layout_has_the_service_name_and_no_crown(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert "Front-line Intelligence" in html
    assert "govuk-header__logotype" not in html
    assert 'lang="en-GB"' in html


def test_govuk_frontend_assets_are_served_after_install(client, root: Path):
    if not (root / "node_modules" / "govuk-frontend" / "dist").is_dir():
        pytest.skip("GOV.UK Frontend is not installed: run `npm ci` (make does)")
    with client.get("/govuk/govuk-frontend.min.js") as script:
        assert script.status_code == 200
    with client.get("/govuk/govuk-frontend.min.css") as stylesheet:
        assert stylesheet.status_code == 200
        css = stylesheet.get_data(as_text=True)
    font = css.split("url(/assets/fonts/")[1].split(")")[0]
    with client.get(f"/assets/fonts/{font}") as font_file:
        assert font_file.status_code == 200


def test_an_unexpected_error_shows_a_friendly_page_without_a_stack_trace(app):
    own = fresh_app(app.config["SQLALCHEMY_DATABASE_URI"])

    @own.route("/boom")
    def boom():  # pragma: no cover - the handler is what is tested
        raise RuntimeError("secret internals")

    with own.app_context():
        response = own.test_client().get("/boom")
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in html
    assert "secret internals" not in html
