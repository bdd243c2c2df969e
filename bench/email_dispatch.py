"""Outbox dispatch of a campaign's invitations to a local SMTP server, against a plain smtplib loop.

Run from the repository root:
    .venv/bin/python bench/email_dispatch.py [--n 10000] [--backends sqlite,postgresql]

For each backend: a fresh database (`flask --app wsgi db upgrade`), n practitioners and a
campaign launched through the service layer (n invitations, n outbox messages), then
  1. the floor: one smtplib connection sending the same n messages (same recipients, subjects,
     bodies and List-Unsubscribe header, built with email.message.EmailMessage) in a loop;
  2. feedback.services.outbox.dispatch called until nothing is due (it claims a batch, sends
     over one connection and records each result in its own transaction);
  3. the floor again.
The SMTP server is aiosmtpd in its own process with a handler that counts and discards.
RATIO = dispatch messages/s / floor messages/s (mean of the two floor runs); higher is better.
"""

import argparse
import smtplib
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    command_line,
    migrate,
    peak_rss_mib,
    postgres_unavailable,
    seed_campaign,
    service_app,
    smtp_sink,
    throwaway_database,
    workdir,
)

SENDER = "no-reply@frontline.invalid"


def outbox_messages(app: object, campaign_id: int) -> list[tuple[str, str, str, dict]]:
    """(to, subject, body, headers) of every queued message, read before dispatch empties
    the bodies."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.models import OutboxMessage

    with app.app_context():  # type: ignore[attr-defined]
        rows = db.session.execute(
            sa.select(
                OutboxMessage.to_address,
                OutboxMessage.subject,
                OutboxMessage.body_text,
                OutboxMessage.headers,
            )
            .where(OutboxMessage.campaign_id == campaign_id)
            .order_by(OutboxMessage.id)
        ).all()
        db.session.remove()
    return [(to, subject, body or "", dict(headers or {})) for to, subject, body, headers in rows]


def floor(port: int, messages: list[tuple[str, str, str, dict]], counter: object) -> tuple:
    """A plain loop: build each message and send it over one SMTP connection."""
    before = counter.value  # type: ignore[attr-defined]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for to, subject, body, headers in messages:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = SENDER
            message["To"] = to
            for name, value in headers.items():
                message[name] = value
            message.set_content(body)
            smtp.send_message(message)
    seconds = time.perf_counter() - started
    return counter.value - before, seconds  # type: ignore[attr-defined]


def dispatch_all(app: object, counter: object, n: int, max_seconds: float) -> tuple:
    """dispatch() until nothing is due (bounded by calls and time); returns counts and timing."""
    from feedback import clock
    from feedback.extensions import db
    from feedback.services import outbox

    before = counter.value  # type: ignore[attr-defined]
    sent = retry = failed = calls = 0
    errors: list[str] = []
    deadline = time.monotonic() + max_seconds
    batch = app.config["OUTBOX_BATCH_SIZE"]  # type: ignore[attr-defined]
    started = time.perf_counter()
    with app.app_context():  # type: ignore[attr-defined]
        while calls < n // batch + 20 and time.monotonic() < deadline:
            report = outbox.dispatch(clock.now())
            calls += 1
            sent, retry, failed = sent + report.sent, retry + report.retry, failed + report.failed
            errors += report.errors
            if not (report.sent or report.retry or report.failed):
                break
        seconds = time.perf_counter() - started
        db.session.remove()
    return counter.value - before, seconds, sent, retry, failed, calls, errors  # type: ignore[attr-defined]


def check_database(app: object, campaign_id: int) -> dict[str, int]:
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.models import DeliveryStatus, Invitation, OutboxMessage

    with app.app_context():  # type: ignore[attr-defined]
        by_status = dict(
            db.session.execute(
                sa.select(OutboxMessage.status, sa.func.count())
                .where(OutboxMessage.campaign_id == campaign_id)
                .group_by(OutboxMessage.status)
            ).all()
        )
        delivered = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(
                Invitation.campaign_id == campaign_id,
                Invitation.delivery == DeliveryStatus.SENT,
                Invitation.sent_at.is_not(None),
            )
        )
        bodies_left = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.campaign_id == campaign_id, OutboxMessage.body_text.is_not(None))
        )
        db.session.remove()
        db.engine.dispose()
    return {
        **{f"outbox {status.value}": count for status, count in by_status.items()},
        "invitations marked sent": delivered,
        "outbox bodies not yet emptied": bodies_left,
    }


def bench_backend(backend: str, args: argparse.Namespace, port: int, counter: object) -> dict:
    print(f"\n## {backend}", flush=True)
    with workdir() as tmp, throwaway_database(backend, Path(tmp)) as url:
        print(f"migrate: {migrate(url):.1f} s", flush=True)
        app = service_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
        if args.batch:
            app.config["OUTBOX_BATCH_SIZE"] = args.batch
        seeded = seed_campaign(app, args.n)
        print(f"seed: {args.n} people, campaign launched in {seeded.seconds:.1f} s", flush=True)
        messages = outbox_messages(app, seeded.campaign_id)
        f1_count, f1_seconds = floor(port, messages, counter)
        print(f"floor (before): {f1_count} messages in {f1_seconds:.2f} s", flush=True)
        received, seconds, sent, retry, failed, calls, errors = dispatch_all(
            app, counter, args.n, args.max_seconds
        )
        print(
            f"dispatch: {sent} sent, {retry} to retry, {failed} failed in {calls} calls of "
            f"batch {app.config['OUTBOX_BATCH_SIZE']}; server received {received}; "
            f"{seconds:.2f} s; errors {errors or 0}",
            flush=True,
        )
        f2_count, f2_seconds = floor(port, messages, counter)
        print(f"floor (after): {f2_count} messages in {f2_seconds:.2f} s", flush=True)
        checks = check_database(app, seeded.campaign_id)
    floor_rate = (f1_count / f1_seconds + f2_count / f2_seconds) / 2
    rate = received / seconds
    ratio = rate / floor_rate
    print(f"  dispatch {rate:.1f} messages/s ({seconds / max(received, 1) * 1000:.2f} ms each)")
    print(f"  floor {floor_rate:.1f} messages/s (mean of before/after)")
    for name, value in checks.items():
        print(f"  {name}: {value}")
    print(f"  RATIO dispatch / floor: {ratio:.3f}", flush=True)
    return {"backend": backend, "rate": rate, "floor": floor_rate, "ratio": ratio, "sent": sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="invitations to dispatch")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--batch", type=int, default=0, help="OUTBOX_BATCH_SIZE (0: the app's default)"
    )
    parser.add_argument("--max-seconds", type=float, default=600, help="time limit for dispatch")
    args = parser.parse_args()
    print(f"command: {command_line()}", flush=True)
    results = []
    # The sink forks, so it starts before anything else has made threads.
    with smtp_sink(lifetime=args.max_seconds * 3 + 900) as (port, counter):
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "postgresql" and (reason := postgres_unavailable()):
                print(f"\n## postgresql: SKIPPED, no server at 127.0.0.1:5432 ({reason})")
                continue
            results.append(bench_backend(backend, args, port, counter))
    print("\n## summary")
    for r in results:
        print(
            f"{r['backend']}: dispatch {r['rate']:.1f} messages/s, floor {r['floor']:.1f} "
            f"messages/s; RATIO {r['ratio']:.3f}"
        )
    print(f"peak RSS of this process: {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
