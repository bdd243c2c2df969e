"""Anonymous means unlinkable: with two invitations answered, nothing an admin can reach through
the pages, the API, the exports or the logs says which answer came from whom."""

import io
import logging
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Invitation, Person, Response
from feedback.services import accounts
from tests.feedback.helpers import START, answer_all, make_campaign, run_due, token_from


def test_nothing_reachable_links_an_anonymous_answer_to_its_author(
    app, client, auth, partnership, people, smtp, make_user, caplog
):
    caplog.set_level(logging.DEBUG)
    campaign = make_campaign(partnership, people, mode="anonymous")
    run_due(START)
    first, second = people[0], people[1]
    tokens = [token_from(smtp.to(p.email)[0]) for p in (first, second)]
    with clock.frozen_at(START + timedelta(hours=1)):
        answer_all(tokens[0], thresholds=1, helps="ANSWER-FROM-FIRST")
    with clock.frozen_at(START + timedelta(hours=5)):
        answer_all(tokens[1], thresholds=4, helps="ANSWER-FROM-SECOND")

    # Who they are, in every form an output could carry it.
    identifiers = {}
    for person in (first, second):
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.person_id == person.id)
        )
        identifiers[person.id] = {
            person.name,
            person.email,
            f"/r/{tokens[0]}",
            f"/r/{tokens[1]}",
            invitation.token_hash,
        }

    auth.sign_in_as("admin")
    admin = accounts.find_user("admin@testshire.example")
    bearer = {"Authorization": f"Bearer {accounts.issue_token(admin)}"}
    outputs = {
        "results page": client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True),
        "campaign page": client.get(f"/campaigns/{campaign.id}").get_data(as_text=True),
        "results.csv": client.get(f"/campaigns/{campaign.id}/results.csv").get_data(as_text=True),
        "export.csv": client.get(f"/campaigns/{campaign.id}/export.csv").get_data(as_text=True),
        "api responses": client.get(
            f"/api/v1/campaigns/{campaign.id}/responses", headers=bearer
        ).get_data(as_text=True),
        "api export.csv": client.get(
            f"/api/v1/campaigns/{campaign.id}/export.csv", headers=bearer
        ).get_data(as_text=True),
    }
    with client.get(f"/campaigns/{campaign.id}/export.xlsx") as download:
        workbook = openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)
    outputs["export.xlsx"] = "\n".join(
        " ".join(str(c) for c in row if c is not None)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    workbook.close()
    # Everything the app and its libraries logged; not the test's SMTP server ("mail.log"),
    # which stands for the respondent's own mail provider and rightly saw the email.
    outputs["logs"] = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")
    )

    # Both answers are there to be read...
    assert "ANSWER-FROM-FIRST" in outputs["export.csv"]
    assert "ANSWER-FROM-SECOND" in outputs["api responses"]
    # ...but nothing beside them says who gave them, or when (the two differ only by hours).
    for where, text in outputs.items():
        for person_id, marks in identifiers.items():
            for mark in marks:
                assert mark not in text, f"{where} carries {mark!r} of person {person_id}"
        for hour in ("10:00", "14:00", "T10:", "T14:"):
            assert hour not in text, f"{where} carries a time of submission ({hour})"

    # And in the database itself: no column joins a response to an invitation or a person.
    for response in db.session.scalars(sa.select(Response)):
        assert response.person_id is None and response.submitted_at is None
    used = db.session.scalars(sa.select(Invitation).where(Invitation.responded)).all()
    assert {i.person_id for i in used} == {first.id, second.id}
    assert all(i.completed_at is None and i.draft_answers is None for i in used)
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == len(people)
