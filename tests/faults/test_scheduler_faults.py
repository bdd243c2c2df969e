"""The scheduler process killed mid-batch, and two of them started by mistake.

Each test starts real `flask --app wsgi scheduler run` processes on the test's database, sending
to a real SMTP server (aiosmtpd on loopback), and kills them with SIGKILL as a crash would.
"""

import time
from collections import Counter

import sqlalchemy as sa

from feedback import jobs
from feedback.extensions import db
from feedback.models import DeliveryStatus, OutboxMessage
from feedback.models.ops import SchedulerLock
from tests.faults.conftest import count, live_campaign, make_people, wait_for

#: Fast enough for a test: a tick a second, a lock that lapses after 3 s of silence, and a
#: dead dispatcher's claimed messages taken over after 2 s.
FAST = {
    "SCHEDULER_INTERVAL_SECONDS": "1",
    "OUTBOX_CLAIM_TIMEOUT_SECONDS": "2",
    "MAIL_SERVER": "127.0.0.1",
}
SCHEDULER = ["scheduler", "run", "--lock-seconds", "3"]


def _sent() -> int:
    return count(OutboxMessage, OutboxMessage.status == DeliveryStatus.SENT)


def _statuses() -> Counter:
    db.session.commit()
    return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


def _holder_pid() -> int | None:
    db.session.commit()
    row = db.session.get(SchedulerLock, jobs.LOCK_NAME, populate_existing=True)
    if row is None or row.holder is None:
        return None
    return int(row.holder.split(":")[-2])


def test_a_scheduler_killed_mid_batch_loses_nothing_and_repeats_at_most_the_message_in_flight(
    app, partnership, slow_smtp, processes
):
    people = make_people(partnership, 8)
    live_campaign(partnership, people)  # eight invitation emails, due now
    sink, port = slow_smtp(0.5)  # each message is kept, then the 250 reply waits half a second
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    first = processes(SCHEDULER, database_url=url, MAIL_PORT=str(port), **FAST)
    wait_for(lambda: len(sink.messages) >= 3, 90, "the first scheduler to send three messages")
    first.kill()  # while the third message waits for its 250
    received_at_kill = len(sink.messages)
    in_flight = sink.messages[-1]["To"]

    # As the crash left it: what was acknowledged is recorded, the rest is still claimed.
    crashed = _statuses()
    assert crashed[DeliveryStatus.SENT] == received_at_kill - 1, (crashed, first.output())
    assert crashed[DeliveryStatus.SENDING] == 8 - crashed[DeliveryStatus.SENT]

    second = processes(SCHEDULER, database_url=url, MAIL_PORT=str(port), **FAST)
    wait_for(
        lambda: _sent() == 8, 90, f"the restarted scheduler to send the rest\n{second.output()}"
    )
    assert second.terminate() == 0

    received = Counter(m["To"] for m in sink.messages)
    assert set(received) == {p.email for p in people}, "a message was lost"
    repeated = {address: n for address, n in received.items() if n > 1}
    assert repeated in ({}, {in_flight: 2}), f"repeated more than the one in flight: {repeated}"
    assert _statuses() == Counter({DeliveryStatus.SENT: 8})


def test_two_schedulers_started_by_mistake_only_one_runs_jobs_and_the_other_takes_over(
    app, partnership, slow_smtp, processes
):
    sink, port = slow_smtp(0)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    started = [
        processes(SCHEDULER, database_url=url, MAIL_PORT=str(port), **FAST) for _ in range(2)
    ]
    wait_for(
        lambda: any("standing by" in p.output() for p in started),
        90,
        "one scheduler to stand by:\n" + "\n".join(p.output() for p in started),
    )
    by_pid = {p.pid: p for p in started}
    running = by_pid[wait_for(_holder_pid, 10, "a lock holder")]
    standby = next(p for p in started if p is not running)
    assert "standing by" in standby.output()

    officers = make_people(partnership, 6)
    live_campaign(partnership, officers, title="Sent by one scheduler")
    wait_for(lambda: _sent() == 6, 60, "six invitations to be sent")
    time.sleep(2)  # both keep ticking; only one may act
    assert Counter(m["To"] for m in sink.messages) == Counter(p.email for p in officers)
    assert "dispatch: sent 6" in running.output()
    assert "dispatch:" not in standby.output()
    assert _holder_pid() == running.pid

    running.kill()  # the one doing the work dies; its lock lapses after 3 s of silence
    nurses = make_people(partnership, 4, prefix="nurse")
    live_campaign(partnership, nurses, title="Sent after the takeover")
    wait_for(lambda: _sent() == 10, 60, f"the standby to take over\n{standby.output()}")
    assert _holder_pid() == standby.pid
    assert "holds the lock and runs jobs" in standby.output()
    assert Counter(m["To"] for m in sink.messages) == Counter(p.email for p in officers + nurses)

    # A clean stop hands the lock back at once rather than leaving it to expire.
    assert standby.terminate() == 0
    assert _holder_pid() is None
    assert "released the lock" in standby.output()


def test_the_lock_admits_one_holder_until_it_releases_or_falls_silent(app):
    assert jobs.acquire_lock("scheduler-a", seconds=60)
    assert not jobs.acquire_lock("scheduler-b", seconds=60)
    assert jobs.acquire_lock("scheduler-a", seconds=60)  # renewing its own
    assert jobs.lock_holder().holder == "scheduler-a"

    assert jobs.release_lock("scheduler-a")
    assert jobs.lock_holder() is None
    assert jobs.acquire_lock("scheduler-b", seconds=1)

    assert not jobs.acquire_lock("scheduler-a", seconds=60)
    time.sleep(1.2)  # b stops renewing, as a killed process would
    assert jobs.acquire_lock("scheduler-a", seconds=60)
    assert not jobs.release_lock("scheduler-b")  # b cannot release what it no longer holds
    assert jobs.lock_holder().holder == "scheduler-a"
