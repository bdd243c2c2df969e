"""Campaign responses to CSV with feedback.services.exports, against a raw cursor and csv.writer.

Run from the repository root:
    .venv/bin/python bench/export.py [--n 100000] [--backends sqlite,postgresql]

For each backend: a fresh database (`flask --app wsgi db upgrade`), a partnership, practitioners
and a live campaign of the 2-page survey made through the service layer, then n responses
inserted in bulk (Core executemany; answers shaped as the respondent pages store them, spread
over the practitioners and agencies). Each export runs in its own child process, so its peak
resident memory (VmHWM) is its own:
  - service: exports.plan_export(campaign, "admin") then exports.stream_csv(plan) written to a
    file (the widest export: person columns included, confidential campaign);
  - floor: the same columns fetched by one raw DB-API cursor (fetchmany; a named server-side
    cursor on PostgreSQL), answers decoded from JSON, written by a plain csv.writer.
RATIO = service seconds / floor seconds (lower is better; 1.0 means no slower than the floor).
"""

import argparse
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    command_line,
    migrate,
    postgres_unavailable,
    seed_campaign,
    service_app,
    throwaway_database,
    workdir,
)

FETCH = 1000
#: The floor's query, the same rows and joins the service's export reads.
FLOOR_SQL = (
    "SELECT r.id, r.submitted_on, p.name, p.email, r.submitted_at, a.name, a.sector, "
    "r.job_role, r.answers FROM response r "
    "LEFT JOIN person p ON p.id = r.person_id LEFT JOIN agency a ON a.id = r.agency_id "
    "WHERE r.campaign_id = {param} ORDER BY r.id"
)
QUESTIONS = ("thresholds", "supervision", "why_not", "helps")
LIKERT = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}
HELPS = [
    "Supervision with my DSL every month",
    "Multi-agency training on neglect and the graded care profile",
    "Knowing who to call in the front door when I am worried",
    "=Time to reflect with colleagues after a difficult visit",
    "",
]


def memory_kib(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process in KiB, from /proc (Linux).

    Not ru_maxrss: on Linux that survives exec, so a child started from a big parent would
    report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def insert_responses(url: str, campaign_id: int, n: int) -> float:
    """n responses in bulk, spread over the campaign's practitioners."""
    import sqlalchemy as sa

    from feedback import clock
    from feedback.extensions import db
    from feedback.models import Campaign, Person, Response

    started = time.perf_counter()
    app = service_app(url)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        people = db.session.execute(
            sa.select(Person.id, Person.agency_id, Person.job_role).where(
                Person.partnership_id == campaign.partnership_id
            )
        ).all()
        now = clock.now()
        rows = []
        for i in range(n):
            person_id, agency_id, job_role = people[i % len(people)]
            moment = now - timedelta(minutes=i)
            supervision = i % 3 != 0
            rows.append(
                {
                    "id": uuid.uuid4().hex,
                    "campaign_id": campaign.id,
                    "instrument_version_id": campaign.instrument_version_id,
                    "person_id": person_id,
                    "agency_id": agency_id,
                    "job_role": job_role,
                    "submitted_on": moment.date(),
                    "submitted_at": moment,
                    "answers": {
                        "thresholds": 1 + i % 5,
                        "supervision": supervision,
                        "why_not": None if supervision else f"Caseload of {20 + i % 15}",
                        "helps": HELPS[i % len(HELPS)] or None,
                    },
                }
            )
            if len(rows) == 5000:
                db.session.execute(sa.insert(Response), rows)
                db.session.commit()
                rows = []
        if rows:
            db.session.execute(sa.insert(Response), rows)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - started


def child_service(url: str, campaign_id: int, out: Path) -> dict:
    from feedback.extensions import db
    from feedback.models import Campaign
    from feedback.services import exports

    app = service_app(url)
    with app.app_context():
        baseline = memory_kib("VmRSS")
        started = time.perf_counter()
        campaign = db.session.get(Campaign, campaign_id)
        plan = exports.plan_export(campaign, "admin")
        with out.open("w", encoding="utf-8", newline="") as handle:
            for chunk in exports.stream_csv(plan):
                handle.write(chunk)
        seconds = time.perf_counter() - started
        db.session.remove()
    return {"seconds": seconds, "baseline_kib": baseline}


def child_floor(url: str, campaign_id: int, out: Path) -> dict:
    import csv

    baseline = memory_kib("VmRSS")
    started = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        cursor = conn.cursor()
        cursor.execute(FLOOR_SQL.format(param="?"), (campaign_id,))
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        cursor = conn.cursor(name="floor_export")  # server-side, like the service's yield_per
        cursor.execute(FLOOR_SQL.format(param="%s"), (campaign_id,))
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        handle.write("\ufeff")
        writer.writerow(
            ["Response", "Submitted on", "Name", "Email", "Submitted at (UTC)", "Agency"]
            + ["Sector", "Job role", *QUESTIONS]
        )
        while batch := cursor.fetchmany(FETCH):
            for rid, on, name, email, at, agency, sector, role, answers in batch:
                if isinstance(answers, str):
                    answers = json.loads(answers)
                answers = answers or {}
                writer.writerow(
                    [rid, on, name, email, at, agency, sector, role]
                    + [answers.get(q) for q in QUESTIONS]
                )
    conn.close()
    return {"seconds": time.perf_counter() - started, "baseline_kib": baseline}


def run_child(kind: str, url: str, campaign_id: int, out: Path, timeout: float) -> dict:
    """One export in a fresh process; returns its seconds, peak RSS and the file it wrote."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url, "--campaign", str(campaign_id)]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} export failed: {done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    with out.open("rb") as handle:
        result["lines"] = sum(1 for _ in handle)
    result["bytes"] = out.stat().st_size
    return result


def bench_backend(backend: str, args: argparse.Namespace) -> dict:
    print(f"\n## {backend}", flush=True)
    with workdir() as tmp, throwaway_database(backend, Path(tmp)) as url:
        tmpdir = Path(tmp)
        print(f"migrate: {migrate(url):.1f} s", flush=True)
        seeded = seed_campaign(service_app(url), args.people, agencies=8)
        seconds = insert_responses(url, seeded.campaign_id, args.n)
        print(
            f"seed: {args.people} practitioners, campaign, {args.n} responses in "
            f"{seeded.seconds + seconds:.1f} s",
            flush=True,
        )
        results = {}
        for label, kind in (
            ("floor (before)", "floor"),
            ("service", "service"),
            ("floor (after)", "floor"),
        ):
            r = run_child(kind, url, seeded.campaign_id, tmpdir / f"{kind}.csv", args.max_seconds)
            results[label] = r
            print(
                f"{label}: {r['seconds']:.2f} s, {(r['lines'] - 1) / r['seconds']:,.0f} rows/s, "
                f"{r['lines'] - 1} rows, {r['bytes'] / 2**20:.1f} MiB of CSV; peak RSS "
                f"{r['peak_kib'] / 1024:.0f} MiB (+{(r['peak_kib'] - r['baseline_kib']) / 1024:.0f}"
                f" MiB over the process before the export)",
                flush=True,
            )
    floor_seconds = (results["floor (before)"]["seconds"] + results["floor (after)"]["seconds"]) / 2
    service = results["service"]
    ratio = service["seconds"] / floor_seconds
    floor_growth = max(
        results[k]["peak_kib"] - results[k]["baseline_kib"]
        for k in ("floor (before)", "floor (after)")
    )
    print(f"  floor: {floor_seconds:.2f} s (mean of before/after)")
    print(f"  RATIO service seconds / floor seconds: {ratio:.2f} (lower is better)")
    print(
        f"  memory growth during export: service "
        f"{(service['peak_kib'] - service['baseline_kib']) / 1024:.0f} MiB, floor "
        f"{floor_growth / 1024:.0f} MiB",
        flush=True,
    )
    return {"backend": backend, "ratio": ratio, "service": service, "floor": floor_seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses to export")
    parser.add_argument("--people", type=int, default=2000, help="practitioners answering")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--max-seconds", type=float, default=600, help="time limit per export")
    parser.add_argument("--child", choices=("service", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_service if args.child == "service" else child_floor
        result = run(args.url, args.campaign, args.out)
        result["peak_kib"] = memory_kib("VmHWM")
        print(json.dumps(result))
        return 0
    print(f"command: {command_line()}", flush=True)
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "postgresql" and (reason := postgres_unavailable()):
            print(f"\n## postgresql: SKIPPED, no server at 127.0.0.1:5432 ({reason})")
            continue
        results.append(bench_backend(backend, args))
    print("\n## summary")
    for r in results:
        s = r["service"]
        print(
            f"{r['backend']}: service {s['seconds']:.2f} s, peak RSS {s['peak_kib'] / 1024:.0f} "
            f"MiB; floor {r['floor']:.2f} s; RATIO {r['ratio']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
