"""`flask --app wsgi analysis ...`: run the text pipeline by hand and see how far it has got."""

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from feedback.extensions import db
from feedback.models import Partnership

analysis_cli = AppGroup("analysis", help="The text pipeline: segments, sentiment and themes.")


@analysis_cli.command("run")
@click.option(
    "--recode",
    is_flag=True,
    help="Code every segment again with the current codebook (suggestions only).",
)
def analysis_run(recode: bool) -> None:
    """Turn new answers into text segments and analyse every segment not yet analysed."""
    from feedback.services import codebook, text_analysis, transaction

    if recode:
        for pid in db.session.scalars(sa.select(Partnership.id)):
            codebook.ensure_codebook(pid)
            with transaction():
                codebook.bump_version(pid)
    report = text_analysis.segment_new_responses(None)  # type: ignore[arg-type]
    click.echo(report or "No new responses to read.")
    pending = text_analysis.pending_by_partnership()
    if not pending:
        click.echo("Nothing to analyse: every text segment is up to date.")
        return
    for pid, waiting in sorted(pending.items()):
        click.echo(f"Partnership {pid}: {waiting:,} text segments to analyse.")
        done = text_analysis.analyse_partnership(pid)
        analysed, total = text_analysis.progress(pid)
        click.echo(f"Partnership {pid}: {done:,} analysed now; {analysed:,} of {total:,} in all.")


@analysis_cli.command("status")
def analysis_status() -> None:
    """How many text segments each partnership has, analysed, and waiting for an analyst."""
    from feedback.services import codebook, text_analysis

    for partnership in db.session.scalars(sa.select(Partnership).order_by(Partnership.id)):
        analysed, total = text_analysis.progress(partnership.id)
        waiting = text_analysis.waiting_for_coding(partnership.id)
        click.echo(
            f"{partnership.name}: {analysed:,} of {total:,} text segments analysed "
            f"(codebook version {codebook.version(partnership.id)}); "
            f"{waiting:,} waiting for coding."
        )


def init_app(app: Flask) -> None:
    """Add the `analysis` command group (once, however often it is called)."""
    if "analysis" not in app.cli.commands:
        app.cli.add_command(analysis_cli)
