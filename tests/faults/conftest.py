"""Shared set-up for the fault tests: live campaigns in real time, form posts, a slow SMTP server
and scheduler processes started the way an operator starts them."""

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from tests.conftest import CSRF_RE, SURVEY, SMTPSink, free_port

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
_SERIAL = itertools.count(1)  # instrument keys must differ within a partnership


def make_people(partnership: Any, n: int, prefix: str = "officer") -> list[Any]:
    """n practitioners in one agency, addressed prefix0@example.org onwards."""
    from feedback.models import Agency, Person

    agency = db.session.scalar(
        sa.select(Agency).where(
            Agency.partnership_id == partnership.id, Agency.name == "Faultshire Police"
        )
    ) or Agency(partnership_id=partnership.id, name="Faultshire Police", sector="police")
    db.session.add(agency)
    db.session.flush()
    folk = [
        Person(
            partnership_id=partnership.id,
            name=f"{prefix.title()} {i}",
            email=f"{prefix}{i}@example.org",
            agency_id=agency.id,
            job_role="Police Constable",
        )
        for i in range(n)
    ]
    db.session.add_all(folk)
    db.session.commit()
    return folk


def live_campaign(
    partnership: Any, people: list[Any], definition: dict[str, Any] | None = None, title: str = ""
) -> Any:
    """A confidential campaign, opened an hour ago in real time, inviting these people; its
    invitation emails wait in the outbox, due now."""
    from feedback.services import campaigns, instruments

    definition = definition or SURVEY
    version = instruments.create_instrument(
        partnership,
        {**definition, "key": f"{definition['key']}_{next(_SERIAL)}"},
        None,
        publish=True,
    )
    now = clock.now()
    spec = campaigns.CampaignSpec(
        instrument_version_id=version.id,
        title=title or "Faultshire staff survey",
        mode="confidential",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=30),
        audience={"person_ids": [p.id for p in people]},
        reminder_days=(7,),
    )
    campaign = campaigns.create_campaign(partnership, spec, None)
    campaigns.launch(campaign, None)
    return campaign


def link_tokens(campaign: Any) -> list[str]:
    """Each invitation's link token, in invitation order, as the emails carry them."""
    from feedback.models import Invitation
    from feedback.services import messages

    nonces = db.session.scalars(
        sa.select(Invitation.token_nonce)
        .where(Invitation.campaign_id == campaign.id)
        .order_by(Invitation.id)
    )
    return [messages.token_for("invitation", nonce) for nonce in nonces]


def post_page(client: Any, url: str, data: dict[str, Any]) -> Any:
    """What a browser does on a respondent page: load it, then send the form with its token."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no form on {url} (status {page.status_code})"
    return client.post(url, data={**data, "csrf_token": match.group(1), "action": "continue"})


def count(model: Any, *where: Any) -> int:
    """Rows now, as committed by any process (a new transaction, so SQLite's WAL snapshot of an
    earlier read does not hide later commits)."""
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# -- A real SMTP server that takes its time over each message -------------------------------------


class SlowSink(SMTPSink):
    """Keeps each message as it arrives, then waits before saying 250: a kill in that pause
    leaves a message the server has but the dispatcher never recorded as sent."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(self._parse(envelope.original_content or envelope.content))
        await asyncio.sleep(self.delay)
        return "250 Message accepted"


@pytest.fixture
def slow_smtp() -> Iterator[Callable[[float], tuple[SlowSink, int]]]:
    """Start a SlowSink on a loopback port: slow_smtp(delay) -> (sink, port)."""
    from aiosmtpd.controller import Controller

    controllers: list[Any] = []

    def start(delay: float) -> tuple[SlowSink, int]:
        sink = SlowSink(delay)
        port = free_port()
        controllers.append(Controller(sink, hostname="127.0.0.1", port=port))
        controllers[-1].start()
        return sink, port

    yield start
    for controller in controllers:
        controller.stop()


# -- Scheduler processes --------------------------------------------------------------------------


class Process:
    """A `flask --app wsgi ...` command running as its own process, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            [FLASK, "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no finally blocks, exactly what a crash or OOM kill does."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()
        self._log.close()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start service processes on the test's database; every one is killed afterwards."""
    started: list[Process] = []

    def start(args: list[str], *, database_url: str, **env: str) -> Process:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            # The same key as the tests' app, so links and tokens agree between processes.
            "SECRET_KEY": "test-secret",
            "FLASK_DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        process = Process(args, environment, tmp_path / f"process-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll until condition() is truthy; fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)
