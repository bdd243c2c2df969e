"""The `flask --app wsgi ...` commands an operator runs."""

import sqlalchemy as sa

from feedback import jobs
from feedback.extensions import db
from feedback.models import Agency, Campaign, Partnership, Person, Response, User


def test_users_create_with_a_generated_password_that_then_signs_in(runner, client):
    result = runner.invoke(
        args=["users", "create", "lead@testshire.example", "--role", "admin", "--generate"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].removeprefix("Password: ")
    from tests.conftest import post_form

    post_form(client, "/sign-in", {"email": "lead@testshire.example", "password": password})
    assert client.get("/").status_code == 200


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["users", "create", "t@testshire.example", "--role", "trainer"],
        input="a-long-enough-password\na-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.role).where(User.email == "t@testshire.example"))


def test_users_create_refuses_a_duplicate_or_short_password_clearly(runner):
    runner.invoke(args=["users", "create", "a@testshire.example", "--role", "viewer", "--generate"])
    again = runner.invoke(
        args=["users", "create", "A@testshire.example", "--role", "viewer", "--generate"]
    )
    assert again.exit_code != 0
    assert "already exists" in again.output
    short = runner.invoke(
        args=["users", "create", "b@testshire.example", "--role", "viewer", "--password", "short"]
    )
    assert short.exit_code != 0
    assert "12 characters" in short.output


def test_users_token_prints_a_working_token_on_its_last_line(runner, client):
    runner.invoke(
        args=["users", "create", "i@testshire.example", "--role", "analyst", "--generate"]
    )
    result = runner.invoke(args=["users", "token", "i@testshire.example"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    revoked = runner.invoke(args=["users", "revoke-tokens", "i@testshire.example"])
    assert "Revoked 1" in revoked.output
    response = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@northshire.example" in first.output

    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (Partnership, Agency, Person, User, Campaign, Response)
        ]

    before = counts()
    assert before[1] >= 10 and before[2] >= 100
    assert before[4] >= 3 and before[5] >= 100  # two rounds of the staff survey, answered
    second = runner.invoke(args=["seed-demo"])
    assert "(0 new records)" in second.output
    assert counts() == before


def test_jobs_run_due_says_what_it_did_at_the_time_given(runner):
    seen = []

    def probe(now):
        seen.append(now)
        return "probed"

    jobs.JOBS.append(jobs.Job("probe", probe))
    try:
        result = runner.invoke(args=["jobs", "run-due", "--now", "2027-05-01T09:00:00Z"])
    finally:
        jobs.JOBS.pop()
    assert result.exit_code == 0
    assert "probe: probed" in result.output
    assert seen[0].isoformat() == "2027-05-01T09:00:00+00:00"


def test_jobs_run_due_rejects_a_bad_time_clearly(runner):
    result = runner.invoke(args=["jobs", "run-due", "--now", "next tuesday"])
    assert result.exit_code != 0
    assert "not an ISO 8601" in result.output


def test_a_failing_job_does_not_stop_the_others(app):
    def broken(now):
        raise RuntimeError("boom")

    jobs.JOBS.extend([jobs.Job("broken", broken), jobs.Job("fine", lambda now: "ok")])
    try:
        results = dict(jobs.run_due())
    finally:
        del jobs.JOBS[-2:]
    assert results == {"broken": "failed (see the log)", "fine": "ok"}
