"""The privacy notice: on every respondent page, public, and in the partnership's own words."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import AuditEvent, Partnership
from tests.conftest import CSRF_RE, post_form
from tests.feedback.helpers import START, make_campaign, run_due

LINK = re.compile(r"(/r/[A-Za-z0-9_-]+)(?![A-Za-z0-9_/-])")
SUMMARY = "How we use your information"


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START + timedelta(hours=1))
    yield
    clock.set_now(None)


@pytest.fixture
def link(partnership, people, smtp):
    make_campaign(partnership, people)
    run_due(START)
    body = smtp.to("officer0@example.org")[0].get_body(("plain",)).get_content()
    return LINK.search(body).group(1)


def submit(client, url, data):
    token = CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(url, data={**data, "csrf_token": token})


def says_who_holds_it(html, partnership):
    return (
        SUMMARY in html
        and f"{partnership.name} holds what you tell us" in html
        and f'href="/privacy?partnership={partnership.id}"' in html
        and "(opens in new tab)" in html
    )


def test_every_respondent_page_says_who_holds_the_answers_and_links_to_the_notice(
    client, link, partnership
):
    pages = {"first page": client.get(link).get_data(as_text=True)}
    saved = submit(client, link, {"thresholds": "4", "supervision": "yes", "action": "save"})
    pages["saved"] = saved.get_data(as_text=True)
    submit(client, link, {"thresholds": "4", "supervision": "yes"})
    done = submit(client, link, {"helps": "Supervision"})
    pages["done"] = client.get(done.headers["Location"]).get_data(as_text=True)
    pages["already answered"] = client.get(link).get_data(as_text=True)
    pages["opt out"] = client.get(link + "/opt-out").get_data(as_text=True)
    pages["opted out"] = submit(client, link + "/opt-out", {}).get_data(as_text=True)
    missing = [name for name, html in pages.items() if not says_who_holds_it(html, partnership)]
    assert not missing, f"no privacy summary on: {missing}"


def test_an_unrecognised_link_still_points_to_the_privacy_notice(client, partnership):
    html = client.get("/r/not-a-real-token").get_data(as_text=True)
    assert SUMMARY in html
    assert 'href="/privacy"' in html
    notice = client.get("/privacy").get_data(as_text=True)  # the only partnership: its notice
    assert partnership.name in notice


def test_the_default_notice_covers_what_uk_gdpr_asks_a_notice_to_say(client, partnership):
    html = client.get(f"/privacy?partnership={partnership.id}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", html)
    assert f"{partnership.name} (the partnership) is the controller" in text
    assert "Why we ask and what we use it for" in text
    assert "public interest (UK GDPR Article 6(1)(e))" in text
    assert "Staff surveys: 24 months after the survey closes" in text
    assert "Your rights" in text and "erase it" in text
    assert "Information Commissioner&#39;s Office" in text or "Information Commissioner's" in text
    assert f"fewer than {partnership.disclosure_threshold} people" in text


def test_an_admin_rewrites_the_notice_and_respondents_read_the_new_words(
    app, client, auth, partnership
):
    auth.sign_in_as("admin")
    form = client.get("/admin/privacy-notice").get_data(as_text=True)
    assert "controller" in form  # the default text is there to edit
    notice = (
        "## Who we are\nNorthshire's partnership team holds your answers.\n\n"
        "- to learn\n- to improve training\n\n<script>alert(1)</script>"
    )
    response = post_form(
        client,
        "/admin/privacy-notice",
        {"notice": notice, "contact": "dpo@testshire.example"},
        follow_redirects=True,
    )
    assert "The privacy notice is saved" in response.get_data(as_text=True)
    public = app.test_client().get(f"/privacy?partnership={partnership.id}").get_data(as_text=True)
    assert '<h2 class="govuk-heading-m">Who we are</h2>' in public
    assert "<li>to improve training</li>" in public
    assert "<script>alert(1)</script>" not in public
    assert "&lt;script&gt;" in public
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "partnership.privacy_notice")
    )
    assert event.detail == {"uses_default": False, "contact_changed": True}


def test_emptying_the_notice_brings_back_the_default_with_the_contact_filled_in(
    app, client, auth, partnership
):
    auth.sign_in_as("admin")
    post_form(client, "/admin/privacy-notice", {"notice": "Our own words.", "contact": ""})
    post_form(
        client, "/admin/privacy-notice", {"notice": "", "contact": "The business unit, Room 4"}
    )
    db.session.expire_all()
    assert db.session.get(Partnership, partnership.id).privacy_notice is None
    public = app.test_client().get(f"/privacy?partnership={partnership.id}").get_data(as_text=True)
    assert "Our own words." not in public
    assert "contact The business unit, Room 4." in public


def test_a_notice_too_long_is_refused_beside_the_box_and_nothing_changes(client, auth, partnership):
    auth.sign_in_as("admin")
    html = post_form(
        client, "/admin/privacy-notice", {"notice": "x" * 20_001, "contact": ""}
    ).get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#notice"' in html
    assert "20,000 characters or fewer" in html
    db.session.expire_all()
    assert db.session.get(Partnership, partnership.id).privacy_notice is None


def test_with_several_partnerships_the_public_page_asks_which(client, partnership):
    db.session.add(Partnership(name="Elsewhere Safeguarding Children Partnership"))
    db.session.commit()
    html = client.get("/privacy").get_data(as_text=True)
    assert "Choose the partnership that asked you" in html
    assert partnership.name in html and "Elsewhere" in html
    assert client.get("/privacy?partnership=999999").status_code == 404


def test_every_page_links_to_the_privacy_notice_in_its_footer(client, auth, partnership):
    footer = '<a class="govuk-footer__link" href="/privacy">Privacy notice</a>'
    assert footer in client.get("/sign-in").get_data(as_text=True)
    auth.sign_in_as("viewer")
    assert footer in client.get("/").get_data(as_text=True)
