"""The `flask --app wsgi ...` commands: demo data, accounts, jobs, the scheduler, the dev server."""

import os
from datetime import datetime
from pathlib import Path

import click
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
def scheduler_run() -> None:
    """Run the scheduler in the foreground; start exactly one, beside the web workers."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(
        f"Scheduler running every {app.config['SCHEDULER_INTERVAL_SECONDS']}s; Ctrl+C stops it."
    )
    jobs.build_scheduler(app, blocking=True).start()


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
            "Other roles: trainer@, analyst@, scrutineer@, viewer@northshire.example "
            "(same password)."
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


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_cli)
    _seed_command(app)
    _dev_command(app)
