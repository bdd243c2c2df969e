"""Shared helpers for the service benchmarks: throwaway databases, seeding, gunicorn, SMTP sink.

Everything here talks to loopback only and cleans up after itself: databases are dropped,
gunicorn runs under `timeout` and is terminated in a finally block, and the SMTP sink process
stops on its own when its parent goes away or its lifetime runs out.
"""

import contextlib
import http.client
import io
import json
import multiprocessing
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")
#: A fresh key per run, shared by the seeding process and the gunicorn workers (tokens match).
SECRET_KEY = secrets.token_hex(32)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: The tests' two-page survey, read from its data file (the benchmarks import nothing from tests).
SURVEY: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "tests" / "data" / "staff_pulse_survey.json").read_text()
)


def command_line() -> str:
    """The exact command that is running, as typed from the repository root."""
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(ROOT)
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):
        python = python.relative_to(ROOT)
    return shlex.join([str(python), str(script), *sys.argv[1:]])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def postgres_unavailable() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3):
            return None
    except Exception as exc:  # no server, refused, no driver: all mean "skip PostgreSQL"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"


@contextlib.contextmanager
def throwaway_database(backend: str, workdir: Path) -> Iterator[str]:
    """A new, empty database URL for one run; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'bench_{uuid.uuid4().hex[:8]}.db'}"
        return
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(url: str, **extra: str) -> dict[str, str]:
    """The environment the service (flask commands, gunicorn) runs with in a benchmark."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "FLASK_DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def migrate(url: str) -> float:
    """`flask --app wsgi db upgrade` on the new database; returns the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=service_env(url),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return time.perf_counter() - started


def service_app(url: str, **config: Any) -> Any:
    """The service's Flask app on this database, with the benchmarks' secret key."""
    from feedback import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "SERVER_NAME": None, **config}
    )


@dataclass
class Seeded:
    """What seed_campaign made: the campaign and each invitation's link token, in id order."""

    campaign_id: int
    tokens: list[str]
    person_ids: list[int]
    seconds: float
    agencies: int = 0
    notes: list[str] = field(default_factory=list)


def seed_campaign(app: Any, n: int, *, mode: str = "confidential", agencies: int = 5) -> Seeded:
    """A partnership, `agencies` agencies, n practitioners (CSV import) and a live campaign of
    the 2-page survey inviting all of them, each through the service layer."""
    import sqlalchemy as sa

    from feedback import clock
    from feedback.extensions import db
    from feedback.models import Invitation, Partnership
    from feedback.services import campaigns, instruments, messages, people

    started = time.perf_counter()
    with app.app_context():
        partnership = Partnership(name="Benchshire Safeguarding Children Partnership")
        db.session.add(partnership)
        db.session.commit()
        made = [
            people.create_agency(partnership, f"Agency {i}", "health", None)
            for i in range(agencies)
        ]
        buffer = io.StringIO()
        buffer.write("name,email,agency,job_role,team\n")
        for i in range(n):
            buffer.write(
                f"Practitioner {i},p{i}@bench.example.org,{made[i % agencies].name},"
                f"Role {i % 7},Team {i % 11}\n"
            )
        report = people.import_people_csv(partnership, buffer.getvalue(), None)
        if report.errors or report.created != n:
            raise RuntimeError(f"people import: {report}")
        version = instruments.create_instrument(partnership, SURVEY, None, publish=True)
        now = clock.now()
        spec = campaigns.CampaignSpec(
            instrument_version_id=version.id,
            title="Benchmark staff survey",
            mode=mode,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=30),
            audience={"agency_ids": [a.id for a in made]},
            reminder_days=(7, 14),
        )
        campaign = campaigns.create_campaign(partnership, spec, None)
        invited = campaigns.launch(campaign, None)
        if invited != n:
            raise RuntimeError(f"launch invited {invited}, expected {n}")
        rows = db.session.execute(
            sa.select(Invitation.token_nonce, Invitation.person_id)
            .where(Invitation.campaign_id == campaign.id)
            .order_by(Invitation.id)
        ).all()
        tokens = [messages.token_for("invitation", nonce) for nonce, _ in rows]
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    return Seeded(
        campaign_id, tokens, [pid for _, pid in rows], time.perf_counter() - started, agencies
    )


# -- HTTP over loopback ---------------------------------------------------------------------------


def source_address(i: int) -> str:
    """A distinct loopback address for the i-th simulated respondent (127.1.0.1 onwards).

    Linux routes all of 127.0.0.0/8 to the loopback interface, so each respondent can come from
    its own address, as real respondents do; the service's per-address rate limit then applies
    per respondent instead of throttling the whole benchmark as one client.
    """
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{1 + i % 250}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float
    set_cookie: str | None = None


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    cookie: str | None = None,
    source: str | None = None,
    timeout: float = 30.0,
) -> Reply:
    """One request on its own connection (gunicorn's sync workers close after each reply)."""
    from urllib.parse import urlencode

    headers = {"Connection": "close", "Host": f"127.0.0.1:{port}"}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        raw_cookie = response.getheader("Set-Cookie")
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data.decode("utf-8", errors="replace"),
            seconds,
            raw_cookie.split(";", 1)[0] if raw_cookie else None,
        )
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(
    app_spec: str,
    *,
    env: dict[str, str],
    workers: int,
    worker_class: str,
    threads: int,
    log_path: Path,
    pythonpath: Path | None = None,
    ready_path: str = "/",
    lifetime: int = 1800,
) -> Iterator[int]:
    """Serve app_spec with gunicorn on a free loopback port; yields the port.

    Runs under `timeout`, so the server stops by itself after `lifetime` seconds even if this
    process is killed; normally it is terminated (SIGTERM, then SIGKILL) on leaving the block.
    """
    port = free_port()
    cmd = [
        "timeout",
        "--kill-after=10",
        str(lifetime),
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_path),
    ]
    if pythonpath is not None:
        cmd += ["--pythonpath", str(pythonpath)]
    cmd.append(app_spec)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
                )
            try:
                http_request(port, "GET", ready_path, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 60 s") from None
                time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def log_findings(log_path: Path) -> dict[str, int]:
    """Counts of the lines in a gunicorn error log that matter to a benchmark."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return {
        "database is locked": text.count("database is locked"),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "worker timeouts": text.count("WORKER TIMEOUT"),
    }


# -- An SMTP server that counts and discards ------------------------------------------------------


class _CountingHandler:
    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 Message accepted"


def _sink_main(port: int, counter: Any, ready: Any, lifetime: float, parent: int) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    deadline = time.monotonic() + lifetime
    try:
        # Stop on our own when the benchmark is gone or the lifetime has run out.
        while time.monotonic() < deadline and os.getppid() == parent:
            time.sleep(0.5)
    finally:
        controller.stop()


@contextlib.contextmanager
def smtp_sink(lifetime: float = 1800) -> Iterator[tuple[int, Any]]:
    """An aiosmtpd server in its own process that counts messages and throws them away.

    Yields (port, counter) where counter.value is the number of messages accepted so far.
    Start it before any threads exist in this process (it forks).
    """
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)
    ready = ctx.Event()
    port = free_port()
    process = ctx.Process(
        target=_sink_main, args=(port, counter, ready, lifetime, os.getpid()), daemon=True
    )
    process.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start within 30 s")
        yield port, counter
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(5)


def workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="frontline-bench-")


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
