"""Concurrent respondents answering the 2-page survey through gunicorn, against a bare-insert floor.

Run from the repository root:
    .venv/bin/python bench/submissions.py [--n 500] [--concurrency 16] [--workers 4]
        [--worker-class sync] [--backends sqlite,postgresql]

For each backend: a fresh database (`flask --app wsgi db upgrade`), a partnership, practitioners
and a live campaign made through the service layer, then
  1. the floor: bench/floor_app.py (POST inserts one row) under the same gunicorn settings on
     the same database, driven by the same client threads;
  2. the service: each simulated respondent walks /r/<token> as a browser does (GET page 1,
     POST it with the page's CSRF token, follow to page 2, POST it, GET the confirmation),
     5 requests a journey, each from its own loopback address;
  3. a few respondents who submit the last page twice at the same moment;
  4. the floor again, and the database checked: every acknowledged submission has exactly one
     response, none lost, none duplicated.
Ratios are against the mean of the two floor runs.
"""

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH,
    CSRF_RE,
    Reply,
    command_line,
    gunicorn,
    http_request,
    log_findings,
    migrate,
    percentile,
    postgres_unavailable,
    seed_campaign,
    service_app,
    service_env,
    source_address,
    throwaway_database,
    workdir,
)

REQUESTS_PER_JOURNEY = 5
HELPS = [
    "Supervision with my DSL every month",
    "Multi-agency training on neglect and the graded care profile",
    "Knowing who to call in the front door when I am worried",
    "Time to reflect with colleagues after a difficult visit",
]


@dataclass
class Run:
    """What a batch of client work did: per-request latencies by kind, errors, counts."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    completed: list[int] = field(default_factory=list)  # indexes of acknowledged journeys
    skipped: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return sorted(x for v in self.latencies.values() for x in v)


def _csrf(body: str) -> str | None:
    match = CSRF_RE.search(body)
    return match.group(1) if match else None


def _page_one_answers(rng: random.Random) -> dict[str, str]:
    supervision = rng.random() < 0.7
    answers = {"thresholds": str(rng.randint(1, 5)), "supervision": "yes" if supervision else "no"}
    if not supervision:
        answers["why_not"] = "Caseloads are too high to book it in"
    return answers


def _step(run: Run, kind: str, port: int, method: str, path: str, **kw: Any) -> Reply | None:
    try:
        reply = http_request(port, method, path, **kw)
    except OSError as exc:
        run.error(f"{kind}: {type(exc).__name__}")
        return None
    run.record(kind, reply.seconds)
    return reply


def to_last_page(
    run: Run, port: int, token: str, source: str, rng: random.Random
) -> tuple[str | None, str | None] | None:
    """Page 1 answered and page 2 open; returns (cookie, csrf) or None after recording why."""
    link = f"/r/{token}"
    first = _step(run, "GET page", port, "GET", link, source=source)
    if first is None:
        return None
    if first.status != 200 or not _csrf(first.body):
        run.error(f"GET page 1: status {first.status}")
        return None
    cookie = first.set_cookie
    form = {**_page_one_answers(rng), "csrf_token": _csrf(first.body), "action": "continue"}
    posted = _step(
        run, "POST page", port, "POST", f"{link}?page=0", form=form, cookie=cookie, source=source
    )
    if posted is None:
        return None
    if posted.status != 302:
        run.error(f"POST page 1: status {posted.status}")
        return None
    cookie = posted.set_cookie or cookie
    second = _step(run, "GET page", port, "GET", link, cookie=cookie, source=source)
    if second is None:
        return None
    if second.status != 200 or "Page 2 of 2" not in second.body or not _csrf(second.body):
        run.error(f"GET page 2: status {second.status}")
        return None
    return second.set_cookie or cookie, _csrf(second.body)


def journey(run: Run, port: int, index: int, token: str, deadline: float) -> None:
    """One respondent from the emailed link to the confirmation page (5 requests)."""
    if time.monotonic() > deadline:
        with run.lock:
            run.skipped += 1
        return
    rng = random.Random(index)
    source = source_address(index)
    link = f"/r/{token}"
    state = to_last_page(run, port, token, source, rng)
    if state is None:
        return
    cookie, csrf = state
    form = {"helps": rng.choice(HELPS), "csrf_token": csrf, "action": "continue"}
    last = _step(
        run, "POST last page", port, "POST", f"{link}?page=1", form=form, cookie=cookie,
        source=source,
    )  # fmt: skip
    if last is None:
        return
    if last.status != 302 or not last.headers.get("location", "").endswith("/done"):
        run.error(f"POST last page: status {last.status}")
        return
    with run.lock:
        run.completed.append(index)
    done = _step(run, "GET done", port, "GET", f"{link}/done", cookie=cookie, source=source)
    if done is not None and (done.status != 200 or "Response submitted" not in done.body):
        run.error(f"GET done: status {done.status}")


def double_submit(run: Run, port: int, index: int, token: str) -> list[int]:
    """Page 1, then the last page POSTed twice at the same moment (a double click)."""
    rng = random.Random(index)
    source = source_address(index)
    state = to_last_page(run, port, token, source, rng)
    if state is None:
        return []
    cookie, csrf = state
    form = {"helps": "Double-clicked submit", "csrf_token": csrf, "action": "continue"}
    barrier = threading.Barrier(2, timeout=30)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        reply = _step(
            run, "POST last page", port, "POST", f"/r/{token}?page=1", form=form, cookie=cookie,
            source=source,
        )  # fmt: skip
        with run.lock:
            statuses.append(reply.status if reply is not None else -1)

    pair = [threading.Thread(target=post) for _ in range(2)]
    for t in pair:
        t.start()
    for t in pair:
        t.join(60)
    with run.lock:
        run.completed.append(index)  # acknowledged at least once is what the client believes
    return sorted(statuses)


def floor_run(port: int, requests: int, concurrency: int, max_seconds: float) -> Run:
    run = Run()
    payload = json.dumps({"thresholds": 4, "supervision": True, "helps": HELPS[0]})
    deadline = time.monotonic() + max_seconds

    def one(i: int) -> None:
        if time.monotonic() > deadline:
            with run.lock:
                run.skipped += 1
            return
        reply = _step(
            run, "POST insert", port, "POST", "/insert", form={"payload": payload},
            source=source_address(i),
        )  # fmt: skip
        if reply is not None and reply.status != 201:
            run.error(f"POST insert: status {reply.status}")
        elif reply is not None:
            with run.lock:
                run.completed.append(i)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    run.seconds = time.perf_counter() - started
    return run


def service_run(
    port: int, tokens: list[tuple[int, str]], concurrency: int, max_seconds: float
) -> Run:
    run = Run()
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda it: journey(run, port, it[0], it[1], deadline), tokens))
    run.seconds = time.perf_counter() - started
    return run


def fmt_ms(values: list[float]) -> str:
    s = sorted(values)
    return (
        f"p50 {percentile(s, 50) * 1000:.0f} / p95 {percentile(s, 95) * 1000:.0f} / "
        f"p99 {percentile(s, 99) * 1000:.0f} ms"
    )


def check_database(url: str, campaign_id: int, person_ids: list[int], acknowledged: set[int]):
    """Responses against acknowledged journeys: lost, duplicated, unacknowledged, stale drafts."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.models import Invitation, Response

    app = service_app(url)
    with app.app_context():
        rows = db.session.execute(
            sa.select(Response.person_id, sa.func.count())
            .where(Response.campaign_id == campaign_id)
            .group_by(Response.person_id)
        ).all()
        per_person = dict(rows)
        total = sum(per_person.values())
        responded = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(Invitation.campaign_id == campaign_id, Invitation.responded.is_(True))
        )
        # In Python, not SQL: the JSON column stores None as JSON null, which IS NOT NULL.
        stale = sum(
            1
            for draft in db.session.scalars(
                sa.select(Invitation.draft_answers).where(
                    Invitation.campaign_id == campaign_id, Invitation.responded.is_(True)
                )
            )
            if draft
        )
        db.session.remove()
        db.engine.dispose()
    wanted = {person_ids[i] for i in acknowledged}
    return {
        "responses": total,
        "invitations marked responded": responded,
        "acknowledged journeys": len(acknowledged),
        "lost (acknowledged, no response)": len(wanted - set(per_person)),
        "duplicated (extra responses for one person)": sum(
            c - 1 for c in per_person.values() if c > 1
        ),
        "unacknowledged (stored, client saw no 302)": len(set(per_person) - wanted),
        "responded invitations still holding draft answers": stale,
    }


def bench_backend(backend: str, args: argparse.Namespace) -> dict:
    print(f"\n## {backend}", flush=True)
    out: dict = {"backend": backend}
    with workdir() as tmp, throwaway_database(backend, Path(tmp)) as url:
        tmpdir = Path(tmp)
        print(f"migrate: {migrate(url):.1f} s", flush=True)
        total = args.warmup + args.n + args.double
        seeded = seed_campaign(service_app(url), total, mode=args.mode)
        print(f"seed: {total} invitations in {seeded.seconds:.1f} s", flush=True)
        import floor_app

        floor_app.create_table(url)
        gopts = {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "lifetime": int(args.max_seconds * 4 + 600),
        }
        env = service_env(url)

        floor_acks = [0]

        def run_floor(label: str) -> Run:
            log = tmpdir / f"floor-{label}.log"
            with gunicorn(
                "floor_app:create_app()", env=env, log_path=log, pythonpath=BENCH, **gopts
            ) as port:
                warm = floor_run(port, 4 * args.workers * 5, args.concurrency, 60)
                run = floor_run(port, args.floor_requests, args.concurrency, args.max_seconds)
            floor_acks[0] += len(warm.completed) + len(run.completed)
            findings = log_findings(log)
            rate = len(run.completed) / run.seconds
            print(
                f"floor ({label}): {len(run.completed)} inserts in {run.seconds:.2f} s = "
                f"{rate:.1f} inserts/s; {fmt_ms(run.all_latencies())}; "
                f"errors {dict(run.errors) or 0}; log {findings}",
                flush=True,
            )
            return run

        floor_before = run_floor("before")

        tokens = list(enumerate(seeded.tokens))
        warm, main, doubles = (
            tokens[: args.warmup],
            tokens[args.warmup : args.warmup + args.n],
            tokens[args.warmup + args.n :],
        )
        log = tmpdir / "service.log"
        with gunicorn("wsgi:app", env=env, log_path=log, **gopts) as port:
            warm_run = service_run(port, warm, args.concurrency, 120)
            run = service_run(port, main, args.concurrency, args.max_seconds)
            double_run = Run()
            double_statuses = [double_submit(double_run, port, i, t) for i, t in doubles]
        findings = log_findings(log)
        floor_after = run_floor("after")
        floor_rows = floor_app.count_rows(url)

        acknowledged = set(warm_run.completed) | set(run.completed) | set(double_run.completed)
        checks = check_database(url, seeded.campaign_id, seeded.person_ids, acknowledged)

    floor_rate = (
        len(floor_before.completed) / floor_before.seconds
        + len(floor_after.completed) / floor_after.seconds
    ) / 2
    responses_rate = len(run.completed) / run.seconds
    request_rate = run.requests / run.seconds
    lat = run.all_latencies()
    print(
        f"service: {len(run.completed)}/{len(main)} journeys acknowledged in {run.seconds:.2f} s "
        f"({run.skipped} skipped at the time limit), {run.requests} requests",
        flush=True,
    )
    print(f"  responses/s {responses_rate:.1f}; requests/s {request_rate:.1f}")
    print(f"  latency, all requests: {fmt_ms(lat)}")
    for kind in ("GET page", "POST page", "POST last page", "GET done"):
        if run.latencies.get(kind):
            print(f"  latency, {kind} ({len(run.latencies[kind])}): {fmt_ms(run.latencies[kind])}")
    print(f"  errors: {dict(run.errors) or 0}; warm-up errors: {dict(warm_run.errors) or 0}")
    print(f"  gunicorn log: {findings}")
    print(f"  double submits (statuses of the two POSTs): {Counter(map(tuple, double_statuses))}")
    print(f"  double-submit errors: {dict(double_run.errors) or 0}")
    print(f"  floor table: {floor_rows} rows for {floor_acks[0]} acknowledged inserts")
    for name, value in checks.items():
        print(f"  {name}: {value}")
    ratio_journey = responses_rate / floor_rate
    ratio_request = request_rate / floor_rate
    print(f"  floor (mean of before/after): {floor_rate:.1f} inserts/s")
    print(f"  RATIO responses/s / floor inserts/s (a journey vs one insert): {ratio_journey:.3f}")
    print(
        f"  RATIO requests/s / floor requests/s (per request, {REQUESTS_PER_JOURNEY} a journey): "
        f"{ratio_request:.3f}",
        flush=True,
    )
    out.update(
        floor=floor_rate,
        responses=responses_rate,
        requests=request_rate,
        ratio_journey=ratio_journey,
        ratio_request=ratio_request,
        checks=checks,
        errors=dict(run.errors),
        log=findings,
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="timed respondent journeys")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--mode", default="confidential", help="campaign response mode")
    parser.add_argument("--warmup", type=int, default=16, help="untimed journeys first")
    parser.add_argument("--double", type=int, default=10, help="respondents who double-submit")
    parser.add_argument("--floor-requests", type=int, default=2500, help="floor POSTs per run")
    parser.add_argument(
        "--max-seconds", type=float, default=240, help="time limit for each timed phase"
    )
    args = parser.parse_args()
    print(f"command: {command_line()}")
    print(
        f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} thread(s); "
        f"{args.concurrency} client threads; {args.n} timed journeys of "
        f"{REQUESTS_PER_JOURNEY} requests; mode {args.mode}",
        flush=True,
    )
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "postgresql" and (reason := postgres_unavailable()):
            print(f"\n## postgresql: SKIPPED, no server at 127.0.0.1:5432 ({reason})")
            continue
        results.append(bench_backend(backend, args))
    print("\n## summary")
    for r in results:
        c = r["checks"]
        print(
            f"{r['backend']}: {r['responses']:.1f} responses/s, {r['requests']:.1f} requests/s, "
            f"floor {r['floor']:.1f} inserts/s; RATIO journey {r['ratio_journey']:.3f}, "
            f"per request {r['ratio_request']:.3f}; lost {c['lost (acknowledged, no response)']}, "
            f"duplicated {c['duplicated (extra responses for one person)']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
