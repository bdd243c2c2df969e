"""`flask --app wsgi backup`: a consistent copy that restores with every response in it."""

import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from feedback import clock, create_app
from feedback.cli import backup_postgresql
from feedback.extensions import db
from feedback.models import Response
from tests.conftest import PG_URL, base_config
from tests.feedback.helpers import START, answer_all, make_campaign, run_due, token_from


@pytest.fixture
def answered(partnership, people, smtp):
    """Four practitioners' responses, as {id: answers}."""
    clock.set_now(START)
    try:
        make_campaign(partnership, people)
        run_due(START)
        for message in smtp.messages:
            answer_all(token_from(message), helps=f"Answer for {message['To']}")
    finally:
        clock.set_now(None)
    stored = {r.id: r.answers for r in db.session.scalars(sa.select(Response))}
    assert len(stored) == 4
    return stored


def responses_in(url):
    """The responses a restored database holds, read through the app as a restored service."""
    restored = create_app(base_config(url))
    with restored.app_context():
        found = {r.id: r.answers for r in db.session.scalars(sa.select(Response))}
        db.session.remove()
        db.engine.dispose()
    return found


def test_a_sqlite_backup_restores_with_every_response(app, runner, answered, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite backup; the PostgreSQL one is tested below")
    output = tmp_path / "copies" / "feedback.db"
    result = runner.invoke(args=["backup", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"Backed up the sqlite database to {output}" in result.output
    # Restoring is copying the file into place (here: a fresh path the service then uses).
    restored = tmp_path / "restored.db"
    shutil.copyfile(output, restored)
    assert not (tmp_path / "copies" / "feedback.db-wal").exists()
    assert responses_in(f"sqlite:///{restored}") == answered


def test_a_postgresql_backup_restores_into_a_new_database(app, runner, answered, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backup needs TEST_DATABASE_URL")
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    output = tmp_path / "feedback.dump"
    result = runner.invoke(args=["backup", "--output", str(output)])
    assert result.exit_code == 0, result.output
    name = f"privacy_restore_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    target = server.url.set(database=name)
    try:
        libpq = target.set(drivername="postgresql").render_as_string(hide_password=False)
        restore = subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={libpq}", str(output)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr
        assert responses_in(target.render_as_string(hide_password=False)) == answered
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_an_existing_file_is_never_overwritten(app, runner, tmp_path):
    output = tmp_path / "feedback.db"
    output.write_text("yesterday's backup")
    result = runner.invoke(args=["backup", "--output", str(output)])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert output.read_text() == "yesterday's backup"


def test_without_pg_dump_the_error_says_what_to_install(monkeypatch, tmp_path):
    import click

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no pg_dump on it
    url = sa.engine.make_url("postgresql+psycopg://postgres@127.0.0.1:5432/feedback")
    with pytest.raises(click.ClickException) as caught:
        backup_postgresql(url, tmp_path / "feedback.dump")
    assert "pg_dump was not found on PATH" in caught.value.message
    assert "postgresql-client" in caught.value.message
    assert not (tmp_path / "feedback.dump").exists()


def test_by_default_the_copy_goes_to_the_backup_folder_with_the_time_in_its_name(
    app, runner, tmp_path
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("checks the SQLite file name")
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    with clock.frozen_at(START):
        result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "backups" / "feedback-20270301T090000Z.db").is_file()
