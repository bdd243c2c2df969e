"""Account lockout: repeated failed sign-ins lock an account for a while; an admin can unlock it."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import AuditEvent, Partnership, User
from feedback.services import accounts
from tests.conftest import PASSWORD, csrf_token, post_form

NOW = datetime(2027, 5, 10, 9, 0, tzinfo=UTC)
LOCKED = "This account is locked because of too many failed sign-in attempts"
WRONG = "Enter a correct email address and password"


@pytest.fixture(autouse=True)
def fixed_time(app):
    # Only the lockout is under test here, not the per-address rate limit.
    app.config["SIGN_IN_RATE_LIMIT"] = "1000 per minute"
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def sign_in(client, email, password):
    return post_form(client, "/sign-in", {"email": email, "password": password}).get_data(
        as_text=True
    )


def actions():
    return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_five_failures_lock_the_account_even_against_the_right_password(client, make_user):
    user = make_user("trainer")
    pages = [sign_in(client, user.email, "wrong-password") for _ in range(5)]
    assert all(WRONG in page for page in pages[:4])
    assert LOCKED in pages[4]
    assert "Try again in 15 minutes" in pages[4]
    page = sign_in(client, user.email, PASSWORD)
    assert LOCKED in page
    assert client.get("/").status_code == 302  # still signed out
    assert "user.lock" in actions()
    reasons = db.session.scalars(
        sa.select(AuditEvent.detail).where(AuditEvent.action == "user.sign_in_failed")
    ).all()
    assert reasons[-1] == {"reason": "locked"}


def test_the_lock_lifts_by_itself_after_fifteen_minutes(client, make_user):
    user = make_user("analyst")
    for _ in range(5):
        sign_in(client, user.email, "wrong-password")
    clock.set_now(NOW + timedelta(minutes=14))
    assert "Try again in 1 minute," in sign_in(client, user.email, PASSWORD)
    clock.set_now(NOW + timedelta(minutes=15, seconds=1))
    sign_in(client, user.email, PASSWORD)
    assert client.get("/").status_code == 200


def test_failures_spread_wider_than_fifteen_minutes_do_not_lock(client, make_user):
    user = make_user("viewer")
    for _ in range(4):
        sign_in(client, user.email, "wrong-password")
    clock.set_now(NOW + timedelta(minutes=16))
    pages = [sign_in(client, user.email, "wrong-password") for _ in range(4)]
    assert not any(LOCKED in page for page in pages)
    sign_in(client, user.email, PASSWORD)
    assert client.get("/").status_code == 200


def test_signing_in_successfully_starts_the_count_again(client, make_user):
    user = make_user("scrutineer")
    for _ in range(4):
        sign_in(client, user.email, "wrong-password")
    sign_in(client, user.email, PASSWORD)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    pages = [sign_in(client, user.email, "wrong-password") for _ in range(4)]
    assert not any(LOCKED in page for page in pages)
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_sign_ins == 4


def test_unknown_emails_get_the_same_wording_and_never_no_such_account(client, make_user):
    make_user("admin")
    pages = [sign_in(client, "nobody@testshire.example", "wrong-password") for _ in range(7)]
    for page in pages:
        assert WRONG in page
        lowered = page.lower()
        assert "no such account" not in lowered
        assert "not found" not in lowered
        assert "does not exist" not in lowered


def test_an_admin_sees_the_lock_and_unlocks_the_account(app, client, make_user):
    trainer = make_user("trainer")
    for _ in range(5):
        sign_in(client, trainer.email, "wrong-password")
    admin_client = app.test_client()
    admin = make_user("admin")
    sign_in(admin_client, admin.email, PASSWORD)
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Locked" in page and "until 09:15 UTC" in page
    response = admin_client.post(
        f"/admin/users/{trainer.id}/unlock",
        data={"csrf_token": csrf_token(admin_client, "/admin/users")},
        follow_redirects=True,
    )
    assert f"{trainer.email} is unlocked" in response.get_data(as_text=True)
    sign_in(client, trainer.email, PASSWORD)
    assert client.get("/").status_code == 200
    unlock = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.unlock"))
    assert unlock.user_id == admin.id
    assert unlock.record_id == str(trainer.id)


def test_an_admin_cannot_unlock_another_partnerships_account(app, client, auth):
    other = Partnership(name="Elsewhere Safeguarding Children Partnership")
    db.session.add(other)
    db.session.commit()
    stranger = accounts.create_user(other, "stranger@elsewhere.example", "trainer", PASSWORD)
    for _ in range(5):
        sign_in(app.test_client(), stranger.email, "wrong-password")
    auth.sign_in_as("admin")
    response = client.post(
        f"/admin/users/{stranger.id}/unlock", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, stranger.id).locked_until is not None
    assert "user.unlock" not in actions()


def test_the_home_page_tells_admins_an_account_is_locked(app, client, make_user):
    trainer = make_user("trainer")
    for _ in range(5):
        sign_in(app.test_client(), trainer.email, "wrong-password")
    admin = make_user("admin")
    sign_in(client, admin.email, PASSWORD)
    assert "Accounts locked after failed sign-ins" in client.get("/").get_data(as_text=True)


def test_the_sign_in_rate_limit_still_applies_per_address(app, client, make_user):
    app.config["SIGN_IN_RATE_LIMIT"] = "2 per minute"
    user = make_user("admin")
    statuses = [
        post_form(client, "/sign-in", {"email": user.email, "password": "x"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
