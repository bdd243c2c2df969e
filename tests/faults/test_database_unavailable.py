"""A database that cannot take writes (a read-only file or standby, a full disk) gives a clear
503: the GOV.UK "service unavailable" page for people and the API's JSON error for clients,
never a stack trace, and nothing half-saved."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback import create_app
from feedback.extensions import db
from feedback.models import Agency, Invitation, Response
from feedback.services import accounts
from feedback.web.errors import database_unavailable
from tests.conftest import PASSWORD, SURVEY, RequestClient, base_config
from tests.faults.conftest import count, link_tokens, live_campaign, make_people, post_page

#: The survey with room for a long last answer (9,000 characters spill over several pages).
LONG_SURVEY = json.loads(json.dumps(SURVEY))
LONG_SURVEY["key"] = "long_answers"
LONG_SURVEY["pages"][1]["questions"][0]["limits"] = {"max_length": 10000}


def _second_app(config: dict) -> Flask:
    second = create_app(config)
    second.test_client_class = RequestClient
    return second


@pytest.fixture
def read_only_app(app: Flask) -> Iterator[Flask]:
    """The same database, reachable but refusing every write.

    SQLite: the file opened read-only (as when its file system is mounted read-only).
    PostgreSQL: every transaction read-only, which is what a hot standby answers after a
    failover points the service at it.
    """
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    config = base_config(url)
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///file:{path}?mode=ro&uri=true"
    else:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-c default_transaction_read_only=on"}
        }
    second = _second_app(config)
    yield second
    with second.app_context():
        db.engine.dispose()


def _assert_unavailable_page(response) -> str:  # noqa: ANN001
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[:500]
    assert response.mimetype == "text/html"
    assert "Sorry, the service is unavailable" in page
    assert "Try again in a few minutes" in page
    assert 'class="govuk-template' in page and "govuk-frontend.min.css" in page
    assert "Traceback" not in page and "sqlalchemy" not in page.lower()
    assert int(response.headers["Retry-After"]) > 0
    return page


def test_a_read_only_database_gives_people_a_clear_503_page_and_saves_nothing(
    app, client, partnership, make_user, read_only_app
):
    admin = make_user("admin")
    link = f"/r/{link_tokens(live_campaign(partnership, make_people(partnership, 1)))[0]}"
    assert post_page(client, link, {"thresholds": "2", "supervision": "yes"}).status_code == 302

    stuck = read_only_app.test_client()
    # Reading still works: the respondent sees the last page ...
    assert "Page 2 of 2" in stuck.get(link).get_data(as_text=True)
    # ... but submitting it cannot be saved.
    _assert_unavailable_page(post_page(stuck, link, {"helps": "My team's huddles"}))
    assert count(Response) == 0
    assert db.session.scalar(sa.select(Invitation.responded)) is False

    # Signing in records the sign-in, so it cannot happen either; the page says why.
    signing_in = post_page(stuck, "/sign-in", {"email": admin.email, "password": PASSWORD})
    _assert_unavailable_page(signing_in)

    # Once the database takes writes again, the same respondent finishes, once.
    done = post_page(client, link, {"helps": "My team's huddles"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    assert count(Response) == 1


def test_a_read_only_database_gives_api_clients_a_json_503(app, make_user, read_only_app):
    admin = make_user("admin")
    token = accounts.issue_token(admin)
    stuck = read_only_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    created = stuck.post(
        "/api/v1/agencies", json={"name": "Read-only Police", "sector": "police"}, headers=headers
    )
    assert created.status_code == 503
    assert created.is_json
    error = created.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert "Try again" in error["message"]
    assert int(created.headers["Retry-After"]) > 0
    assert count(Agency, Agency.name == "Read-only Police") == 0


def test_a_full_disk_gives_the_503_page_mid_submission_and_the_answers_can_be_sent_again(
    app, client, partnership, caplog
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: a PostgreSQL server's full disk is its own host's matter")
    link = (
        f"/r/{link_tokens(live_campaign(partnership, make_people(partnership, 1), LONG_SURVEY))[0]}"
    )
    assert post_page(client, link, {"thresholds": "5", "supervision": "yes"}).status_code == 302
    long_answer = {"helps": " ".join(["Protected time to think about a family's story."] * 180)}
    assert 8000 < len(long_answer["helps"]) <= 10000

    # The disk is full: no free pages in the file, and it may not grow by one page.
    db.session.commit()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    full = _second_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    with full.app_context():
        sa.event.listen(
            db.engine,
            "connect",
            lambda dbapi, _record: dbapi.execute(f"PRAGMA max_page_count = {pages}"),
        )
    try:
        on_full_disk = full.test_client()
        assert "Page 2 of 2" in on_full_disk.get(link).get_data(as_text=True)
        _assert_unavailable_page(post_page(on_full_disk, link, long_answer))
        assert "database or disk is full" in caplog.text  # the operator's log says why
    finally:
        with full.app_context():
            db.engine.dispose()
    assert count(Response) == 0
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.responded is False and invitation.draft_answers["thresholds"] == 5

    # Space freed: the respondent sends the same page again and it is stored once, in full.
    again = post_page(client, link, long_answer)
    assert again.status_code == 302 and again.headers["Location"].endswith("/done")
    assert count(Response) == 1
    assert db.session.scalar(sa.select(Response)).answers["helps"] == long_answer["helps"]


def test_only_unavailability_is_a_503_and_a_bug_in_sql_is_still_a_500(tmp_path: Path):
    """Real errors from SQLite itself, classified: read-only and full mean "come back later";
    a missing table is a defect that must not hide behind "unavailable"."""
    path = tmp_path / "classify.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (body TEXT)")
    engine.dispose()

    def error_from(url: str, statement: str) -> sa.exc.DBAPIError:
        eng = sa.create_engine(url)
        try:
            with eng.begin() as conn:
                conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            return exc
        finally:
            eng.dispose()
        raise AssertionError(f"{statement} did not fail")

    read_only = error_from(
        f"sqlite:///file:{path}?mode=ro&uri=true", "INSERT INTO note VALUES ('x')"
    )
    missing_table = error_from(f"sqlite:///{path}", "SELECT * FROM no_such_table")
    assert database_unavailable(read_only)
    assert not database_unavailable(missing_table)
