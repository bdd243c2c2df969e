"""The floor for bench/submissions.py: a bare Flask app whose POST inserts one row, nothing else.

Served by the same gunicorn settings on the same database as the service, so the difference
is what the respondent journey costs on top of "an HTTP request that writes a row".
Run as: gunicorn --pythonpath bench 'floor_app:create_app()'  (DATABASE_URL names the database).
"""

import os
import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Flask, request

metadata = sa.MetaData()
floor_row = sa.Table(
    "bench_floor_row",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """The same SQLite settings the service uses: WAL, and wait on locks rather than fail."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def create_table(url: str) -> None:
    """Make the floor's one table (the benchmark calls this before starting gunicorn)."""
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def count_rows(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(sa.select(sa.func.count()).select_from(floor_row))
    engine.dispose()
    return int(count or 0)


def create_app() -> Flask:
    """The floor app on the database DATABASE_URL names."""
    app = Flask(__name__)
    engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)

    @app.get("/")
    def ready() -> str:
        return "ok"

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        with engine.begin() as conn:
            conn.execute(floor_row.insert().values(payload=request.form.get("payload", "")))
        return "inserted", 201

    return app
