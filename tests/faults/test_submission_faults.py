"""The database failing in the middle of a respondent's submission.

On PostgreSQL the connection is really cut: another connection terminates the request's backend
(pg_terminate_backend) at the moment the response row is being inserted, after the invitation
was already marked as answered in the same transaction. On SQLite, which has no connection to
cut, the same moment gets a real engine failure instead: the request's connection is switched to
query-only, so the INSERT fails inside SQLite as a read-only disk would make it fail.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Invitation, Response
from tests.conftest import PG_URL
from tests.faults.conftest import count, link_tokens, live_campaign, make_people, post_page

LAST_PAGE = {"helps": "Reflective supervision after a hard visit"}


@contextlib.contextmanager
def cut_off_at_response_insert(engine: sa.Engine) -> Iterator[list[str]]:
    """Make the database fail the next INSERT into response, mid-transaction, for real."""
    done: list[str] = []
    sqlite_connections: list[Any] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        if done or not statement.lstrip().upper().startswith("INSERT INTO RESPONSE "):
            return
        if engine.dialect.name == "postgresql":
            pid = cursor.connection.info.backend_pid
            admin_url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin_url, autocommit=True) as admin:
                # Waits (up to 5 s) until the backend has really gone.
                admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
            done.append(f"terminated backend {pid}")
        else:
            cursor.connection.execute("PRAGMA query_only = ON")
            sqlite_connections.append(cursor.connection)
            done.append("connection made query-only")

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield done
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)
        for connection in sqlite_connections:  # back in the pool: make it whole again
            connection.execute("PRAGMA query_only = OFF")


@pytest.fixture
def link(app, partnership) -> str:
    campaign = live_campaign(partnership, make_people(partnership, 1))
    return f"/r/{link_tokens(campaign)[0]}"


def test_a_submission_cut_off_by_the_database_stores_nothing_and_can_be_sent_again(
    app, client, link
):
    first = post_page(client, link, {"thresholds": "4", "supervision": "yes"})
    assert first.status_code == 302

    with cut_off_at_response_insert(db.engine) as done:
        failed = post_page(client, link, LAST_PAGE)
    assert done, "the fault was never injected: the submission did not reach the INSERT"

    page = failed.get_data(as_text=True)
    assert failed.status_code == 503
    assert "Sorry, the service is unavailable" in page
    assert "Try again in a few minutes" in page
    assert "Traceback" not in page and "sqlalchemy" not in page.lower()
    assert int(failed.headers["Retry-After"]) > 0  # come back later, not never
    # Nothing half-written: no response, and the invitation still open with page 1 kept.
    assert count(Response) == 0
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.responded is False
    assert invitation.draft_answers["thresholds"] == 4

    again = post_page(client, link, LAST_PAGE)
    assert again.status_code == 302 and again.headers["Location"].endswith("/done")
    assert count(Response) == 1
    stored = db.session.scalar(sa.select(Response))
    assert stored.answers["thresholds"] == 4
    assert stored.answers["helps"] == LAST_PAGE["helps"]
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.responded is True and not invitation.draft_answers

    # A third try (the back button) stores nothing more.
    assert "You have already responded" in client.get(link).get_data(as_text=True)
    assert count(Response) == 1
