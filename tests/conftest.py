"""Fixtures: an app per database backend, migrated once per session and emptied after each test.

SQLite always runs. PostgreSQL runs when TEST_DATABASE_URL names a database we may wipe
(`make test` creates a throwaway one when a server answers on 127.0.0.1:5432); otherwise every
PostgreSQL case is skipped with the reason printed in pytest's summary.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from feedback import create_app
from feedback.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PG_SKIP = (
    "PostgreSQL run skipped: TEST_DATABASE_URL is not set (make test sets it when a server "
    "answers on 127.0.0.1:5432)"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason=PG_SKIP)],
    ),
]
PASSWORD = "correct-horse-battery"


def pytest_report_header(config: pytest.Config) -> str:
    return f"PostgreSQL: {'TEST_DATABASE_URL is set' if PG_URL else PG_SKIP}"


def base_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        "MAIL_CATCHER_DIR": None,
        # Tests send to a real SMTP server (aiosmtpd on loopback), never a stub.
        "MAIL_SUPPRESS_SEND": False,
        "SERVER_NAME": None,
    }


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(url))
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated database per backend for the whole session."""
    return {
        "sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}",
        "postgresql": PG_URL,
    }


_migrated: set[str] = set()


class RequestClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as in production.

    The fixture keeps an app context open for the test body; Flask would reuse it for requests,
    sharing `g` (Flask-WTF's CSRF token, Flask-Login's user) and the database session between
    requests and clients. Afterwards the test's own session forgets what it had loaded, so the
    test reads what the request wrote, as a second process would.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


#: One app per backend for the whole session: building one registers some 200 routes and the
#: OpenAPI document (about a third of a second), which per test was most of the suite's time.
_apps: dict[str, Flask] = {}


def fresh_app(url: str) -> Flask:
    """A new app on a migrated database, for a test that must change the app itself (add a
    route, say), which the shared one refuses once it has served a request."""
    if url not in _migrated:
        _migrate(url)
        _migrated.add(url)
    app = create_app(base_config(url))
    app.test_client_class = RequestClient
    return app


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Iterator[Flask]:
    """The backend's shared app, as new: the settings a test changes are put back afterwards,
    the rate limits' counts are forgotten and every table is emptied."""
    from feedback.extensions import limiter

    url = database_urls[request.param]
    app = _apps.get(url)
    if app is None:
        app = _apps[url] = fresh_app(url)
    settings = dict(app.config)
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
        limiter.reset()
    app.config.clear()
    app.config.update(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


@pytest.fixture
def partnership(app: Flask):  # noqa: ANN201
    from feedback.models import Partnership

    p = Partnership(name="Testshire Safeguarding Children Partnership", disclosure_threshold=10)
    db.session.add(p)
    db.session.commit()
    return p


@pytest.fixture
def make_user(partnership):  # noqa: ANN001, ANN201
    from feedback.services import accounts

    def make(role: str = "admin", email: str | None = None, **kw: Any):  # noqa: ANN202
        return accounts.create_user(
            partnership, email or f"{role}@testshire.example", role, PASSWORD, **kw
        )

    return make


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token from the form on a page, as a browser would submit it."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any):  # noqa: ANN201
    """Submit a form the way a browser does: fetch the page, then post with its CSRF token."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)}, **kw)


class Auth:
    """Signs the test client in and out as a given account."""

    def __init__(self, client: FlaskClient, make_user: Any):
        self.client = client
        self.make_user = make_user

    def sign_in_as(self, role: str, email: str | None = None) -> Any:
        user = self.make_user(role, email)
        self.sign_in(user.email)
        return user

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        return post_form(self.client, "/sign-in", {"email": email, "password": password})


@pytest.fixture
def auth(client: FlaskClient, make_user: Any) -> Auth:
    return Auth(client, make_user)


@pytest.fixture
def api(app: Flask, make_user: Any):  # noqa: ANN201
    """A function giving a client and bearer headers for a new user of the given role."""
    from feedback.services import accounts

    def for_role(role: str = "admin") -> tuple[FlaskClient, dict[str, str]]:
        user = make_user(role, f"api-{role}@testshire.example")
        return app.test_client(), {"Authorization": f"Bearer {accounts.issue_token(user)}"}

    return for_role


@pytest.fixture
def root() -> Path:
    return Path(__file__).resolve().parent.parent


# -- A real SMTP server on loopback -------------------------------------------------------------


class SMTPSink:
    """An aiosmtpd handler that keeps what it receives and can be told to misbehave."""

    def __init__(self) -> None:
        import email
        import email.policy

        self._parse = lambda raw: email.message_from_bytes(raw, policy=email.policy.default)
        self.messages: list[Any] = []
        #: address -> SMTP reply for RCPT TO, e.g. "550 5.1.1 No such user"
        self.refuse: dict[str, str] = {}
        #: reply for every DATA, e.g. "451 4.3.0 Try again later"; None accepts
        self.data_reply: str | None = None
        #: close the connection instead of accepting the Nth message (1-based), once
        self.drop_at: int | None = None
        self._seen = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self._seen += 1
        if self.drop_at is not None and self._seen == self.drop_at:
            self.drop_at = None
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if self.data_reply:
            return self.data_reply
        self.messages.append(self._parse(envelope.original_content or envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app: Flask) -> Iterator[Any]:
    """A running SMTP server the app sends to; `smtp.stop()` / `smtp.start()` take it down/up."""
    from aiosmtpd.controller import Controller

    from feedback.extensions import mail

    sink = SMTPSink()
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)
    controller: list[Any] = []

    def start() -> None:
        controller.append(Controller(sink, hostname="127.0.0.1", port=port))
        controller[-1].start()

    def stop() -> None:
        while controller:
            controller.pop().stop()

    sink.start, sink.stop = start, stop  # type: ignore[attr-defined]
    start()
    yield sink
    stop()


def published_version(partnership: Any, definition: dict[str, Any]) -> Any:
    """An instrument with one published version of this definition."""
    from feedback import clock
    from feedback.models import Instrument, InstrumentVersion, VersionStatus

    instrument = Instrument(
        partnership_id=partnership.id, key=definition["key"], title=definition["title"]
    )
    version = InstrumentVersion(
        instrument=instrument,
        partnership_id=partnership.id,
        number=1,
        definition=definition,
        status=VersionStatus.PUBLISHED,
        published_at=clock.now(),
    )
    db.session.add_all([instrument, version])
    db.session.commit()
    return version


#: A small two-page survey with a same-page condition; bench/ loads the same file.
SURVEY = json.loads((Path(__file__).parent / "data" / "staff_pulse_survey.json").read_text())
