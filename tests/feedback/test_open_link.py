"""Open links for events: one shareable link, each visitor answering anonymously, once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Campaign, Response
from feedback.services import ServiceError
from feedback.services import campaigns as campaign_service
from tests.conftest import CSRF_RE, csrf_token
from tests.feedback.helpers import START, make_campaign


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START + timedelta(hours=1))
    yield
    clock.set_now(None)


@pytest.fixture
def open_path(partnership, people):
    campaign = make_campaign(partnership, people[:1], mode="anonymous")
    return campaign_service.enable_open_link(campaign, None)


def answer_through(client, path):
    first = client.get(path)
    assert first.status_code == 302
    personal = first.headers["Location"]
    assert personal.startswith("/r/")
    for data in ({"thresholds": "3", "supervision": "yes"}, {"helps": "The forum itself"}):
        page = client.get(personal).get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        client.post(personal, data={**data, "csrf_token": token})
    return personal


def test_two_visitors_to_an_open_link_each_answer_anonymously(app, open_path):
    first = answer_through(app.test_client(), open_path)
    second = answer_through(app.test_client(), open_path)
    assert first != second
    responses = db.session.scalars(sa.select(Response)).all()
    assert len(responses) == 2
    assert all(r.person_id is None and r.submitted_at is None for r in responses)


def test_the_same_browser_returns_to_its_own_link(client, open_path):
    personal = answer_through(client, open_path)
    again = client.get(open_path)
    assert again.headers["Location"] == personal
    assert "You have already responded" in client.get(personal).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_saving_part_way_shows_the_visitor_their_personal_link(client, open_path):
    personal = client.get(open_path).headers["Location"]
    page = client.get(personal).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    saved = client.post(
        personal, data={"thresholds": "2", "action": "save", "csrf_token": token}
    ).get_data(as_text=True)
    assert "keep this address" in saved
    assert personal in saved


def test_a_wrong_or_closed_open_link_gets_a_clear_page(client, open_path):
    wrong = client.get(open_path[:-4] + "XXXX")
    assert wrong.status_code == 404
    clock.set_now(START + timedelta(days=30))
    assert "This survey has closed" in client.get(open_path).get_data(as_text=True)


def test_only_anonymous_campaigns_can_have_an_open_link(partnership, people):
    campaign = make_campaign(partnership, people[:1], mode="confidential")
    with pytest.raises(ServiceError, match="Only an anonymous campaign"):
        campaign_service.enable_open_link(campaign, None)


def test_an_admin_creates_the_open_link_and_its_qr_code_on_the_campaign_page(
    client, auth, partnership, people
):
    campaign = make_campaign(partnership, people[:1], mode="anonymous")
    auth.sign_in_as("admin")
    page = client.post(
        f"/campaigns/{campaign.id}/actions",
        data={"action": "open_link", "csrf_token": csrf_token(client, f"/campaigns/{campaign.id}")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Open link created" in page
    assert f"/o/{campaign.id}/" in page
    qr = client.get(f"/campaigns/{campaign.id}/open-link.svg")
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data


def test_open_link_visitors_are_counted_as_their_own_row(app, partnership, people):
    campaign = make_campaign(partnership, people[:1], mode="anonymous")
    path = campaign_service.enable_open_link(campaign, None)
    answer_through(app.test_client(), path)
    table = campaign_service.rates(
        db.session.get(Campaign, campaign.id), disclose_small=True, threshold=5
    )
    assert dict(table.by_agency)["Open link"]["completed"] == 1
