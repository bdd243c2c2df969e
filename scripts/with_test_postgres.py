"""Run a command with TEST_DATABASE_URL pointing at a throwaway PostgreSQL database, if we can.

If TEST_DATABASE_URL is already set it is used as it is. Otherwise, when a server answers on
127.0.0.1:5432 (user postgres, trust auth, as on the development and CI machines), a fresh
database is created for the run and dropped afterwards. When none answers, the command runs
without it and the PostgreSQL cases skip, which this script says plainly.
"""

import os
import subprocess
import sys
import uuid

SERVER = os.environ.get("TEST_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")


def main(argv: list[str]) -> int:
    if os.environ.get("TEST_DATABASE_URL"):
        print("PostgreSQL: using TEST_DATABASE_URL as given.", flush=True)
        return subprocess.call(argv)
    try:
        import psycopg

        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except Exception as exc:  # no server, refused, auth: all mean "skip PostgreSQL"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"PostgreSQL: no server answered at 127.0.0.1:5432 ({first_line}); "
            "the PostgreSQL tests will be SKIPPED and SQLite covers everything.",
            flush=True,
        )
        return subprocess.call(argv)
    name = f"feedback_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    print(
        f"PostgreSQL: created throwaway database {name}; the suite runs on SQLite and PostgreSQL.",
        flush=True,
    )
    env = {
        **os.environ,
        "TEST_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
    }
    try:
        return subprocess.call(argv, env=env)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
