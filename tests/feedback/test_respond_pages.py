"""The respondent's pages, followed from the emailed link the way a practitioner uses them."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Invitation, Response
from tests.conftest import CSRF_RE
from tests.feedback.helpers import START, make_campaign, run_due

LINK = re.compile(r"(/r/[A-Za-z0-9_-]+)(?![A-Za-z0-9_/-])")  # the whole token, never a prefix


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START + timedelta(hours=1))
    yield
    clock.set_now(None)


@pytest.fixture
def link(partnership, people, smtp):
    """The first officer's emailed link, as a path."""
    make_campaign(partnership, people)
    run_due(START)
    body = smtp.to("officer0@example.org")[0].get_body(("plain",)).get_content()
    return LINK.search(body).group(1)


def submit(client, url, data):
    page = client.get(url)
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    return client.post(url, data={**data, "csrf_token": token})


def test_a_practitioner_answers_from_the_email_link_to_the_confirmation(client, link):
    first = client.get(link).get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "I know the thresholds and how to refer" in first
    response = submit(client, link, {"thresholds": "4", "supervision": "yes"})
    assert response.status_code == 302
    second = client.get(link).get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert "Submit your answers" in second
    done = submit(client, link, {"helps": "My DSL's open door"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    assert "Response submitted" in client.get(done.headers["Location"]).get_data(as_text=True)
    stored = db.session.scalar(sa.select(Response))
    assert stored.answers["thresholds"] == 4
    assert stored.answers["supervision"] is True
    assert stored.answers["helps"] == "My DSL's open door"
    again = client.get(link).get_data(as_text=True)
    assert "You have already responded" in again


def test_a_missing_answer_shows_an_error_summary_and_keeps_the_other_answers(client, link):
    html = submit(client, link, {"supervision": "no", "why_not": "Caseload"}).get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#thresholds' in html
    assert "Caseload" in html  # what they typed is still there
    assert 'value="no" checked' in html or "checked" in html


def test_a_question_shown_only_for_some_answers_is_skipped_without_javascript(client, link):
    submit(client, link, {"thresholds": "3", "supervision": "yes", "why_not": "ignored"})
    db.session.expire_all()
    draft = db.session.scalar(
        sa.select(Invitation.draft_answers).where(Invitation.draft_answers.is_not(None))
    )
    assert draft["supervision"] is True
    assert draft.get("why_not") is None


def test_back_returns_to_the_previous_page_with_its_answers(client, link):
    submit(client, link, {"thresholds": "2", "supervision": "yes"})
    second = client.get(link).get_data(as_text=True)
    back = re.search(r'href="([^"]*page=0)"', second).group(1).replace("&amp;", "&")
    first = client.get(back).get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert re.search(r'value="2"\s+checked', first) or 'value="2" checked' in first


def test_save_and_come_back_later_keeps_the_page_and_reopens_there(client, link):
    saved = submit(client, link, {"thresholds": "5", "action": "save"}).get_data(as_text=True)
    assert "Your answers have been saved" in saved
    fresh = client.application.test_client()  # the browser was closed
    reopened = fresh.get(link).get_data(as_text=True)
    assert "Page 1 of 2" in reopened
    assert 'value="5" checked' in reopened or re.search(r'value="5"\s+checked', reopened)


def test_submitting_the_last_page_twice_creates_one_response(client, link):
    submit(client, link, {"thresholds": "4", "supervision": "yes"})
    page = client.get(link).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    first = client.post(link, data={"helps": "x", "csrf_token": token})
    second = client.post(link, data={"helps": "x", "csrf_token": token})
    assert first.status_code == 302
    assert "You have already responded" in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_an_unknown_link_gets_a_clear_404_page(client):
    response = client.get("/r/this-is-not-a-token")
    assert response.status_code == 404
    assert "This link is not recognised" in response.get_data(as_text=True)


def test_a_closed_campaign_says_so(client, link):
    clock.set_now(START + timedelta(days=40))
    html = client.get(link).get_data(as_text=True)
    assert "This survey has closed" in html


def test_opting_out_from_the_link_stops_further_email(client, link):
    page = client.get(link + "/opt-out").get_data(as_text=True)
    assert "Stop these emails" in page
    done = submit(client, link + "/opt-out", {})
    assert "You have opted out" in done.get_data(as_text=True)
    assert "You have opted out" in client.get(link).get_data(as_text=True)


def test_respondent_pages_send_no_referrer(client, link):
    assert client.get(link).headers["Referrer-Policy"] == "no-referrer"


def test_access_logs_never_carry_a_respondents_token(app, caplog):
    import logging

    token = "AbCdEfGh1234567890_-xyz"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            '127.0.0.1 - - "GET /r/%s/opt-out HTTP/1.1" 200 -', token
        )
    assert token not in caplog.text
    assert "/r/[token]/opt-out" in caplog.text
