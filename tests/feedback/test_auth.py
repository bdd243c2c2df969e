"""Signing in and out: passwords, sessions, CSRF, rate limits and safe redirects."""

import sqlalchemy as sa

from feedback import create_app
from feedback.extensions import db
from feedback.models import AuditEvent, User
from tests.conftest import CSRF_RE, PASSWORD, base_config, post_form


def test_a_user_signs_in_and_lands_on_their_home_page(client, auth):
    auth.sign_in_as("trainer")
    page = client.get("/")
    assert page.status_code == 200
    assert "trainer@testshire.example" in page.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_a_wrong_password_is_refused_with_a_clear_message_and_audited(client, make_user):
    make_user("admin")
    response = post_form(
        client, "/sign-in", {"email": "admin@testshire.example", "password": "not-the-password"}
    )
    html = response.get_data(as_text=True)
    assert "Enter a correct email address and password" in html
    assert "There is a problem" in html
    assert client.get("/").status_code == 302
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "user.sign_in_failed" in actions


def test_an_inactive_account_cannot_sign_in(client, make_user):
    user = make_user("analyst")
    user.active = False
    db.session.commit()
    post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert client.get("/").status_code == 302


def test_passwords_are_stored_hashed(make_user):
    user = make_user("viewer")
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_a_form_posted_without_its_csrf_token_is_refused(client, make_user):
    make_user("admin")
    response = client.post(
        "/sign-in", data={"email": "admin@testshire.example", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "there is a problem with that request" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_outside_debug(app, make_user):
    secure_app = create_app(
        {**base_config(app.config["SQLALCHEMY_DATABASE_URI"]), "SESSION_COOKIE_SECURE": True}
    )
    email = make_user("admin").email
    response = post_form(
        secure_app.test_client(), "/sign-in", {"email": email, "password": PASSWORD}
    )
    with secure_app.app_context():
        db.engine.dispose()
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_debug_config_drops_the_secure_flag_so_localhost_works(monkeypatch):
    from feedback.config import from_environment

    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert from_environment()["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("FLASK_DEBUG", "0")
    assert from_environment()["SESSION_COOKIE_SECURE"] is True


def test_repeated_failed_sign_ins_are_rate_limited(app, client, make_user):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    make_user("admin")
    statuses = [
        post_form(
            client, "/sign-in", {"email": "admin@testshire.example", "password": "wrong"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[-1] == 429
    page = post_form(client, "/sign-in", {"email": "admin@testshire.example", "password": "x"})
    assert "Too many attempts" in page.get_data(as_text=True)


def test_sign_in_never_redirects_to_another_site(client, make_user):
    make_user("admin")
    response = client.post(
        "/sign-in?next=https://evil.example/phish",
        data={
            "email": "admin@testshire.example",
            "password": PASSWORD,
            "csrf_token": _token(client),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client, make_user):
    make_user("admin")
    response = client.post(
        "/sign-in?next=/agencies",
        data={
            "email": "admin@testshire.example",
            "password": PASSWORD,
            "csrf_token": _token(client),
        },
    )
    assert response.headers["Location"] == "/agencies"


def test_signing_out_ends_the_session(client, auth):
    auth.sign_in_as("admin")
    assert client.get("/").status_code == 200
    client.post("/sign-out", data={"csrf_token": _token(client, "/")})
    assert client.get("/").status_code == 302


def _token(client, url="/sign-in"):
    from tests.conftest import csrf_token

    return csrf_token(client, url)


def test_behind_a_proxy_each_visitor_has_their_own_sign_in_limit(app, make_user):
    proxied = create_app(
        {
            **base_config(app.config["SQLALCHEMY_DATABASE_URI"]),
            "PROXY_FIX_HOPS": 1,
            "SIGN_IN_RATE_LIMIT": "2 per minute",
        }
    )
    client = proxied.test_client()
    email = make_user("admin").email

    def attempt(address):
        page = client.get("/sign-in", headers={"X-Forwarded-For": address})
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
        return client.post(
            "/sign-in",
            data={"email": email, "password": "wrong", "csrf_token": token},
            headers={"X-Forwarded-For": address},
        ).status_code

    assert [attempt("203.0.113.1") for _ in range(3)] == [200, 200, 429]
    assert attempt("203.0.113.2") == 200
    with proxied.app_context():
        db.engine.dispose()
