"""200 practitioners answering an emailed survey at the same moment, through gunicorn.

Locust (tests/load/locustfile.py) runs headless as a subprocess against gunicorn on a loopback
port, bounded in users (LOAD_USERS, default 200, one journey each) and time (90 s). Each run has
a database of its own, created and dropped here: PostgreSQL on 127.0.0.1:5432 (skipped, saying
why, when no server answers) and an SQLite file. Passing means: no failed request, every
acknowledged submission stored exactly once, nothing left as a draft. The latency figures are
printed (run with -s, as `make load` does).

Not part of `make test`; `make load` (and .ci/run after `make test`) runs it.
"""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import SURVEY, _migrate

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USERS = int(os.environ.get("LOAD_USERS", "200"))
RUN_SECONDS = 90
#: Extra links opened before the run to start the workers; not part of the figures.
WARM_UP = 8
PG_SERVER = os.environ.get("LOAD_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = secrets.token_hex(32)

#: The gunicorn settings each backend runs with, as documented for production (README):
#: PostgreSQL takes many writers at once, so threads overlap requests waiting on the database;
#: SQLite takes one writer at a time (WAL lets reads go on meanwhile, busy_timeout 10 s queues
#: the writers), so a few single-threaded workers keep the queue for the write lock short and
#: leave the waiting to gunicorn's accept queue, where it cannot time out. --preload imports the
#: app once before forking the workers (it opens no database connection at import).
#: --keep-alive 0 for gthread: under load its keep-alive sweep closes idle connections whose
#: next request is already sent but not yet read, and the client sees "Remote end closed
#: connection without response" (seen here: 147 of 776 requests). Behind a reverse proxy,
#: which keeps the clients' connections alive itself, nothing is lost by it.
GUNICORN = {
    "postgresql": [
        "--preload",
        "--workers",
        "4",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--keep-alive",
        "0",
    ],  # fmt: skip
    "sqlite": ["--preload", "--workers", "4", "--worker-class", "sync"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def own_database(backend: str, folder: Path) -> Iterator[str]:
    """A new, empty database for this run only; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'load.db'}"
        return
    import psycopg

    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3)
    except Exception as exc:  # no server, refused, auth: all mean "skip PostgreSQL"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"PostgreSQL load test skipped: no server answered at {PG_SERVER} ({reason})")
    name = f"load_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _service_app(url: str):  # noqa: ANN202
    from feedback import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "SERVER_NAME": None}
    )


def seed(url: str, n: int) -> tuple[int, list[str]]:
    """n practitioners invited to a live confidential campaign; returns its id and the links."""
    from feedback import clock
    from feedback.extensions import db
    from feedback.models import Agency, Invitation, Partnership, Person
    from feedback.services import campaigns, instruments, messages

    app = _service_app(url)
    with app.app_context():
        partnership = Partnership(name="Loadshire Safeguarding Children Partnership")
        db.session.add(partnership)
        db.session.flush()
        agencies = [
            Agency(partnership_id=partnership.id, name=f"Loadshire agency {i}", sector="health")
            for i in range(5)
        ]
        db.session.add_all(agencies)
        db.session.flush()
        people = [
            Person(
                partnership_id=partnership.id,
                name=f"Practitioner {i}",
                email=f"p{i}@load.example.org",
                agency_id=agencies[i % 5].id,
                job_role=f"Role {i % 7}",
            )
            for i in range(n)
        ]
        db.session.add_all(people)
        db.session.commit()
        version = instruments.create_instrument(partnership, SURVEY, None, publish=True)
        now = clock.now()
        campaign = campaigns.create_campaign(
            partnership,
            campaigns.CampaignSpec(
                instrument_version_id=version.id,
                title="Load-test staff survey",
                mode="confidential",
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=30),
                audience={"person_ids": [p.id for p in people]},
            ),
            None,
        )
        assert campaigns.launch(campaign, None) == n
        nonces = db.session.scalars(
            sa.select(Invitation.token_nonce)
            .where(Invitation.campaign_id == campaign.id)
            .order_by(Invitation.id)
        )
        tokens = [messages.token_for("invitation", nonce) for nonce in nonces]
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    return campaign_id, tokens


@contextlib.contextmanager
def gunicorn(url: str, settings: list[str], log_path: Path) -> Iterator[int]:
    """The service under gunicorn on a loopback port; it cannot outlive the run (`timeout`)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "FLASK_DEBUG": "0",
        # Plain HTTP on loopback: the session cookie (which holds the CSRF token) must come back.
        "SESSION_COOKIE_SECURE": "0",
    }
    command = [
        "timeout", "--kill-after=10", str(RUN_SECONDS * 3),
        str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *settings,
        "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
        "--error-logfile", str(log_path), "wsgi:app",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180  # a busy machine imports slowly
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 180 s") from None
                time.sleep(0.3)
        yield port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)


def warm_up(port: int, tokens: list[str]) -> None:
    """Load a few links' first page, several at once, so every worker has started and compiled
    its templates before the clock starts (those links are then left unanswered)."""
    from concurrent.futures import ThreadPoolExecutor

    def visit(token: str) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/r/{token}", timeout=60) as reply:  # noqa: S310
            assert reply.status == 200

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(visit, tokens * 3))


def run_locust(port: int, tokens: list[str], folder: Path) -> dict:
    tokens_file, results_file = folder / "tokens.json", folder / "results.json"
    tokens_file.write_text(json.dumps(tokens))
    command = [
        str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")),
        "--headless", "--host", f"http://127.0.0.1:{port}",
        "--users", str(len(tokens)), "--spawn-rate", "100",
        "--run-time", f"{RUN_SECONDS}s", "--stop-timeout", "5",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {
        **os.environ,
        "LOAD_TOKENS_FILE": str(tokens_file),
        "LOAD_RESULTS_FILE": str(results_file),
    }
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_SECONDS + 60
    )
    assert results_file.exists(), (
        f"locust wrote no results:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return json.loads(results_file.read_text())


def stored(url: str, campaign_id: int) -> dict[str, int]:
    """What the database holds for the campaign after the run."""
    from feedback.extensions import db
    from feedback.models import Invitation, Response

    app = _service_app(url)
    with app.app_context():
        per_person = db.session.execute(
            sa.select(Response.person_id, sa.func.count())
            .where(Response.campaign_id == campaign_id)
            .group_by(Response.person_id)
        ).all()
        responded = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(Invitation.campaign_id == campaign_id, Invitation.responded.is_(True))
        )
        # In Python: a JSON column keeps None as JSON null, which SQL sees as NOT NULL.
        drafts = sum(
            1
            for draft in db.session.scalars(
                sa.select(Invitation.draft_answers).where(Invitation.campaign_id == campaign_id)
            )
            if draft
        )
        db.session.remove()
        db.engine.dispose()
    return {
        "responses": sum(n for _, n in per_person),
        "people with more than one response": sum(1 for _, n in per_person if n > 1),
        "invitations marked responded": responded,
        "invitations holding a draft": drafts,
    }


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_200_respondents_at_once_are_each_stored_exactly_once(backend, tmp_path):
    phases: dict[str, float] = {}
    with own_database(backend, tmp_path) as url:
        started = time.monotonic()
        _migrate(url)
        campaign_id, tokens = seed(url, USERS + WARM_UP)
        phases["set-up"] = time.monotonic() - started
        log_path = tmp_path / "gunicorn.log"
        with gunicorn(url, GUNICORN[backend], log_path) as port:
            phases["gunicorn start"] = time.monotonic() - started - phases["set-up"]
            warm_up(port, tokens[USERS:])
            before_locust = time.monotonic()
            summary = run_locust(port, tokens[:USERS], tmp_path)
            phases["locust"] = time.monotonic() - before_locust
        database = stored(url, campaign_id)

    total = summary["total"]
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    print(
        f"\nLOAD {backend}: {USERS} respondents at once (gunicorn {' '.join(GUNICORN[backend])}), "
        f"{total['requests']} requests in {summary['seconds']:.1f} s, "
        f"{total['failures']} failed; latency p50 / p95 / p99 / max = {total['p50_ms']:.0f} / "
        f"{total['p95_ms']:.0f} / {total['p99_ms']:.0f} / {total['max_ms']:.0f} ms"
    )
    for name, figures in sorted(summary["by_request"].items()):
        print(
            f"  {name}: {figures['requests']} requests, p50 {figures['p50_ms']:.0f} ms, "
            f"p95 {figures['p95_ms']:.0f} ms"
        )
    print(f"  database: {database}")
    for error in summary["errors"]:
        print(f"  error: {error}")
    print("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))

    assert summary["errors"] == [] and total["failures"] == 0, summary["errors"]
    assert total["requests"] == 5 * USERS
    assert len(summary["acknowledged"]) == USERS, (
        "not every respondent's submission was acknowledged"
    )
    assert database == {
        "responses": USERS,
        "people with more than one response": 0,
        "invitations marked responded": USERS,
        "invitations holding a draft": 0,
    }
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]
