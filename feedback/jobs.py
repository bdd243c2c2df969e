"""Scheduled work: each job asks the database what is due and does it; the scheduler only wakes it.

A job is a function taking the current time and returning a short report of what it did (or
None when nothing was due). Capabilities register theirs with @job; `run_due` runs each once,
from `flask --app wsgi jobs run-due`, `flask --app wsgi scheduler run` or the dev server.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from feedback import clock

log = logging.getLogger(__name__)

JobFunction = Callable[[datetime], str | None]


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


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    """An APScheduler that calls run_due every SCHEDULER_INTERVAL_SECONDS inside the app."""
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()

    def tick() -> None:
        with app.app_context():
            for name, report in run_due():
                log.info("%s: %s", name, report)

    scheduler.add_job(
        tick,
        "interval",
        seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
        id="run_due",
        max_instances=1,
        coalesce=True,
        next_run_time=clock.now(),
    )
    return scheduler
