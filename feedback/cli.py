"""The `flask --app wsgi ...` commands: demo data, accounts, jobs, the scheduler, the dev server
and backups."""

import os
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from feedback import clock, jobs
from feedback.models import Role
from feedback.services import ServiceError, accounts

users_cli = AppGroup("users", help="Create accounts and API tokens.")
jobs_cli = AppGroup("jobs", help="Run scheduled work by hand.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process (run exactly one).")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default=None, help="Display name (defaults to the email's first part).")
@click.option("--password", default=None, help="Omit to be prompted, or use --generate.")
@click.option("--generate", is_flag=True, help="Generate a password and print it.")
def users_create(
    email: str, role: str, name: str | None, password: str | None, generate: bool
) -> None:
    """Create an account in the partnership."""
    from feedback.seed import default_partnership

    if generate:
        password = accounts.generate_password()
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(default_partnership(), email, role, password, name)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.email} ({user.role.value}).")
    if generate:
        click.echo(f"Password: {password}")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="API token", help="What the token is for.")
def users_token(email: str, name: str) -> None:
    """Issue a new API token; it is printed once, on the last line."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}")
    token = accounts.issue_token(user, name)
    click.echo(f"New API token for {user.email} (keep it secret; it is not shown again):")
    click.echo(token)


@users_cli.command("revoke-tokens")
@click.argument("email")
def users_revoke_tokens(email: str) -> None:
    """Revoke every API token an account has."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}")
    click.echo(f"Revoked {accounts.revoke_tokens(user)} token(s) for {user.email}.")


@jobs_cli.command("run-due")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Act as if it were this moment (ISO 8601, e.g. 2027-03-01T09:00:00Z).",
)
def jobs_run_due(now_text: str | None) -> None:
    """Run every due job once and say what each did."""
    if now_text:
        try:
            moment = datetime.fromisoformat(now_text.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(
                f"'{now_text}' is not an ISO 8601 date-time", param_hint="--now"
            ) from None
        clock.set_now(moment)
    try:
        results = jobs.run_due(clock.now())
    finally:
        clock.set_now(None)
    if not results:
        click.echo("Nothing was due.")
    for name, report in results:
        click.echo(f"{name}: {report}")


@scheduler_cli.command("run")
@click.option(
    "--lock-seconds",
    default=jobs.DEFAULT_LOCK_SECONDS,
    show_default=True,
    type=click.IntRange(min=3),
    help="How long this process may fall silent before a standby scheduler takes over.",
)
def scheduler_run(lock_seconds: int) -> None:
    """Run the scheduler in the foreground, beside the web workers.

    Only the process holding the database's scheduler lock runs jobs; a second one started by
    mistake stands by, and takes over if the first dies.
    """
    import logging
    import signal

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    scheduler = jobs.build_scheduler(app, blocking=True, lock_seconds=lock_seconds)
    click.echo(
        f"Scheduler {scheduler.jobs_lock.holder} running every "  # type: ignore[attr-defined]
        f"{app.config['SCHEDULER_INTERVAL_SECONDS']}s; Ctrl+C stops it."
    )

    def stop(_signum: int, _frame: object) -> None:
        # SIGTERM (systemd, docker stop) ends it cleanly, releasing the lock on the way out; a
        # repeated SIGTERM (sent to the whole process group) must not cut that short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)  # finishes the jobs under way, then releases the lock


def _seed_command(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create (or top up) the demo partnership; running it twice changes nothing."""
        from feedback.seed import DEMO_PASSWORD
        from feedback.seed import seed_demo as run_seed

        created = run_seed()
        click.echo(f"Demo partnership ready ({created} new records).")
        click.echo(f"Sign in as admin@northshire.example with password {DEMO_PASSWORD}")
        click.echo(
            "Other roles: trainer@, analyst@, scrutineer@, viewer@northshire.example, and a "
            "second analyst and scrutineer, analyst2@ and scrutineer2@ (same password)."
        )


def _dev_command(app: Flask) -> None:
    @app.cli.command("dev")
    @click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
    def dev(port: int) -> None:
        """Serve on 127.0.0.1 with the scheduler and a local mail catcher (development only)."""
        from werkzeug.serving import run_simple

        from feedback import mailcatcher

        the_app = current_app._get_current_object()  # type: ignore[attr-defined]
        folder = Path(
            the_app.config.get("MAIL_CATCHER_DIR") or Path(the_app.instance_path) / "mail"
        )
        the_app.config["MAIL_CATCHER_DIR"] = str(folder)
        catcher = mailcatcher.start(folder, "127.0.0.1", the_app.config["MAIL_PORT"])
        the_app.config["MAIL_SERVER"] = "127.0.0.1"
        scheduler = jobs.build_scheduler(the_app, blocking=False)
        scheduler.start()
        click.echo(
            f"Mail catcher on 127.0.0.1:{the_app.config['MAIL_PORT']}; read it at "
            f"http://127.0.0.1:{port}/admin/mail"
        )
        click.echo(f"Serving on http://127.0.0.1:{port}")
        try:
            # Flask's app.run() refuses to start inside a `flask` command, so serve directly.
            run_simple(
                "127.0.0.1", port, the_app, use_reloader=False, use_debugger=False, threaded=True
            )
        finally:
            scheduler.shutdown(wait=False)
            catcher.stop()


def _default_backup_path(dialect: str) -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    suffix = "db" if dialect == "sqlite" else "dump"
    return Path(current_app.config["BACKUP_DIR"]) / f"feedback-{stamp}.{suffix}"


def backup_sqlite(database: str, output: Path) -> None:
    """Copy a live SQLite database page by page with its online backup API: a consistent
    snapshot even while the app writes (in WAL mode the copy includes committed WAL pages)."""
    import sqlite3

    if not database or database == ":memory:" or not Path(database).is_file():
        raise click.ClickException(f"There is no SQLite database file at {database or '(none)'}")
    partial = output.with_name(output.name + ".partial")
    source = sqlite3.connect(Path(database).resolve(), timeout=30)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=1024)
            problem = target.execute("PRAGMA integrity_check").fetchone()[0]
            if problem != "ok":
                raise click.ClickException(f"The copy failed its integrity check: {problem}")
            # A single file to copy back into place: no -wal or -shm beside it.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    partial.replace(output)


def backup_postgresql(url: sa.engine.URL, output: Path) -> None:
    """Run pg_dump in its custom format (restore with pg_restore); one consistent snapshot."""
    import shutil
    import subprocess

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise click.ClickException(
            "pg_dump was not found on PATH. Install the PostgreSQL client tools (Debian: "
            "apt-get install postgresql-client), the same major version as the server or newer."
        )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line, where ps shows it
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    partial = output.with_name(output.name + ".partial")
    result = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
        [pg_dump, "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={libpq}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"pg_dump failed: {result.stderr.strip()}")
    partial.replace(output)


def _backup_command(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option(
        "--output",
        "output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Where to write the copy (default: BACKUP_DIR/feedback-<UTC time>.db or .dump).",
    )
    def backup(output: Path | None) -> None:
        """Write a consistent copy of the database (SQLite file, or a pg_dump custom archive)."""
        from feedback.extensions import db

        url = db.engine.url
        dialect = url.get_backend_name()
        if dialect not in ("sqlite", "postgresql"):
            raise click.ClickException(f"Backups support SQLite and PostgreSQL, not {dialect}")
        output = output or _default_backup_path(dialect)
        if output.exists():
            raise click.ClickException(f"{output} already exists; choose another --output")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"Cannot create {output.parent}: {exc.strerror}") from None
        if dialect == "sqlite":
            backup_sqlite(url.database or "", output)
        else:
            backup_postgresql(url, output)
        size = output.stat().st_size
        click.echo(f"Backed up the {dialect} database to {output} ({size:,} bytes).")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_cli)
    _seed_command(app)
    _dev_command(app)
    _backup_command(app)
