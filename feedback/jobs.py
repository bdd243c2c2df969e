"""Scheduled work: each job asks the database what is due and does it; the scheduler only wakes it.

A job is a function taking the current time and returning a short report of what it did (or
None when nothing was due). Capabilities register theirs with @job; `run_due` runs each once,
from `flask --app wsgi jobs run-due`, `flask --app wsgi scheduler run` or the dev server.

Only one scheduler runs jobs at a time, whatever is started by mistake: each one holds a row in
scheduler_lock (feedback.models.ops) before it runs anything and renews it while it lives. A
second scheduler stands by and takes over once a silent holder's lock expires.
"""

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from feedback import clock
from feedback.extensions import db
from feedback.models.ops import SchedulerLock

log = logging.getLogger(__name__)

JobFunction = Callable[[datetime], str | None]

#: The lock every scheduler process competes for.
LOCK_NAME = "jobs"
#: How long a holder may stay silent before another process may take over.
DEFAULT_LOCK_SECONDS = 60


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    #: Lower runs first; sending mail comes last so a run sends what the others queued.
    order: int = 50


JOBS: list[Job] = []


def job(name: str, order: int = 50) -> Callable[[JobFunction], JobFunction]:
    """Register a function as a due-work job under a name shown in `jobs run-due` output."""

    def decorator(func: JobFunction) -> JobFunction:
        if all(j.name != name for j in JOBS):
            JOBS.append(Job(name, func, order))
        return func

    return decorator


def run_due(now: datetime | None = None) -> list[tuple[str, str]]:
    """Run every registered job once; a failing job is logged and does not stop the others."""
    moment = now or clock.now()
    results: list[tuple[str, str]] = []
    for j in sorted(JOBS, key=lambda j: j.order):
        try:
            report = j.run(moment)
        except Exception:
            log.exception("Job %s failed", j.name)
            report = "failed (see the log)"
        if report:
            results.append((j.name, report))
    return results


# -- The lock: one scheduler at a time ------------------------------------------------------------


def new_holder_id() -> str:
    """Who a process is in the lock row: host, process id and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_lock_row(name: str, now: datetime) -> None:
    """Create the lock's row if it is missing, as released; a concurrent creator is harmless."""
    dialect = db.engine.dialect.name
    values = {"name": name, "holder": None, "expires_at": now}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the service runs on SQLite and PostgreSQL only
        if db.session.get(SchedulerLock, name) is None:
            db.session.add(SchedulerLock(**values))
            db.session.flush()
        return
    db.session.execute(insert(SchedulerLock).values(**values).on_conflict_do_nothing())


def acquire_lock(holder: str, seconds: int = DEFAULT_LOCK_SECONDS, name: str = LOCK_NAME) -> bool:
    """Take or renew the lock for `seconds`; False while another live process holds it.

    One conditional UPDATE decides, so two processes asking at once cannot both win: on
    PostgreSQL the second waits for the first's row lock and then re-checks the condition, on
    SQLite writers take turns.
    """
    now = clock.wall_now()
    try:
        _ensure_lock_row(name, now)
        won = db.session.execute(
            sa.update(SchedulerLock)
            .where(
                SchedulerLock.name == name,
                sa.or_(
                    SchedulerLock.holder == holder,
                    SchedulerLock.holder.is_(None),
                    SchedulerLock.expires_at <= now,
                ),
            )
            .values(
                holder=holder,
                heartbeat_at=now,
                expires_at=now + timedelta(seconds=seconds),
                acquired_at=sa.case(
                    (SchedulerLock.holder == holder, SchedulerLock.acquired_at), else_=now
                ),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return won == 1


def release_lock(holder: str, name: str = LOCK_NAME) -> bool:
    """Give the lock up at once (on a clean stop), so a standby need not wait for expiry."""
    try:
        released = db.session.execute(
            sa.update(SchedulerLock)
            .where(SchedulerLock.name == name, SchedulerLock.holder == holder)
            .values(holder=None, expires_at=clock.wall_now())
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return released == 1


def lock_holder(name: str = LOCK_NAME) -> SchedulerLock | None:
    """The lock's row when a live process holds it, else None."""
    row = db.session.get(SchedulerLock, name, populate_existing=True)
    if row is None or row.holder is None or row.expires_at <= clock.wall_now():
        return None
    return row


@dataclass
class JobsLock:
    """One scheduler process's claim on the lock, and whether it believes it holds it."""

    seconds: int = DEFAULT_LOCK_SECONDS
    holder: str = field(default_factory=new_holder_id)
    held: bool = False
    #: Whether we have said we are standing by (said once, not on every tick).
    standing_by: bool = False

    def hold(self) -> bool:
        """Take or renew the lock; logs when this process starts or stops running jobs."""
        try:
            won = acquire_lock(self.holder, self.seconds)
        except Exception:
            # Cannot reach the database: act as not holding it, so we never run jobs on a lock
            # that may have expired meanwhile.
            log.exception("Could not renew the scheduler lock")
            won = False
        if won and not self.held:
            log.info("Scheduler %s holds the lock and runs jobs", self.holder)
        elif not won and self.held:
            log.warning("Scheduler %s lost the lock; it stops running jobs", self.holder)
        if not won and not self.standing_by:
            current = lock_holder()
            log.info(
                "Scheduler %s standing by: %s holds the lock and runs the jobs",
                self.holder,
                current.holder if current else "another process",
            )
        self.held, self.standing_by = won, not won
        return won

    def renew(self) -> None:
        """The heartbeat: renew only what we hold (taking the lock is the tick's business)."""
        if self.held:
            self.hold()

    def release(self) -> None:
        if self.held:
            try:
                release_lock(self.holder)
                log.info("Scheduler %s released the lock", self.holder)
            except Exception:
                log.exception("Could not release the scheduler lock; it expires by itself")
            self.held = False


def build_scheduler(
    app: Flask, *, blocking: bool, lock_seconds: int = DEFAULT_LOCK_SECONDS
) -> BaseScheduler:
    """An APScheduler that calls run_due every SCHEDULER_INTERVAL_SECONDS inside the app, but
    only while this process holds the jobs lock; it renews the lock in a heartbeat of its own,
    so a long run of jobs does not let the lock lapse, and releases it on shutdown."""
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    # The lock must outlive a missed heartbeat or two, and a tick's wait between runs.
    lock = JobsLock(seconds=max(lock_seconds, 3 * interval, 3))

    def tick() -> None:
        with app.app_context():
            if not lock.hold():
                return
            for name, report in run_due():
                log.info("%s: %s", name, report)

    def heartbeat() -> None:
        with app.app_context():
            lock.renew()

    def on_shutdown(_event: object) -> None:
        with app.app_context():
            lock.release()

    scheduler.add_job(
        tick,
        "interval",
        seconds=interval,
        id="run_due",
        max_instances=1,
        coalesce=True,
        next_run_time=clock.wall_now(),
    )
    scheduler.add_job(
        heartbeat,
        "interval",
        seconds=max(lock.seconds / 3, 1),
        id="lock_heartbeat",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_listener(on_shutdown, EVENT_SCHEDULER_SHUTDOWN)
    scheduler.jobs_lock = lock  # type: ignore[attr-defined]  # for the command's messages
    return scheduler
