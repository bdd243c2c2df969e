"""The partnership team's campaign pages: create, launch, follow and steer a campaign."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Campaign, CampaignStatus, Invitation
from tests.conftest import SURVEY, post_form, published_version
from tests.feedback.helpers import START, run_due


@pytest.fixture(autouse=True)
def campaign_time():
    clock.set_now(START - timedelta(days=1))
    yield
    clock.set_now(None)


@pytest.fixture
def version(partnership):
    return published_version(partnership, SURVEY)


def new_campaign_form(version, people, **changes):
    form = {
        "instrument_version_id": str(version.id),
        "title": "Spring staff survey",
        "mode": "confidential",
        "opens_on": START.strftime("%d"),
        "opens_on-month": "",
        "opens_on-year": "",
        "closes_on": "",
        "reminder_days": "7, 14",
        "agency_ids": [str(people[0].agency_id)],
        "subject_template": "{survey_title}: your views please",
        "body_template": "Hello {first_name}, answer here: {link}",
    }
    # GOV.UK date inputs post three boxes under one name: day, month, year.
    form["opens_on"] = [START.strftime("%d"), START.strftime("%m"), START.strftime("%Y")]
    closes = START + timedelta(days=21)
    form["closes_on"] = [closes.strftime("%d"), closes.strftime("%m"), closes.strftime("%Y")]
    del form["opens_on-month"], form["opens_on-year"]
    form.update(changes)
    return form


def test_an_admin_creates_a_draft_then_launches_it(client, auth, version, people):
    auth.sign_in_as("admin")
    response = post_form(client, "/campaigns/new", new_campaign_form(version, people))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Campaign saved as a draft" in page
    assert "3 people will be invited" in page  # the three officers, not the teacher
    assert "Hello Sam, answer here:" in page  # the message preview
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.opens_at.hour in (8, 9)  # 9am UK time, in UTC
    launched = client.post(
        f"/campaigns/{campaign.id}/actions",
        data={"action": "launch", "csrf_token": _token(client, campaign.id)},
        follow_redirects=True,
    )
    assert "3 invitations queued" in launched.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 3


def _token(client, campaign_id):
    from tests.conftest import csrf_token

    return csrf_token(client, f"/campaigns/{campaign_id}")


def test_a_close_date_before_the_open_date_is_shown_on_the_field(client, auth, version, people):
    auth.sign_in_as("admin")
    early = START - timedelta(days=3)
    html = post_form(
        client,
        "/campaigns/new",
        new_campaign_form(
            version,
            people,
            closes_on=[early.strftime("%d"), early.strftime("%m"), early.strftime("%Y")],
        ),
    ).get_data(as_text=True)
    assert "There is a problem" in html
    assert "The close date must be after the open date" in html
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0


def test_an_unknown_placeholder_in_the_message_is_refused_clearly(client, auth, version, people):
    auth.sign_in_as("admin")
    html = post_form(
        client,
        "/campaigns/new",
        new_campaign_form(version, people, body_template="Hi {name}: {link}"),
    ).get_data(as_text=True)
    assert "{name}, which is not a placeholder we know" in html


def test_pause_resume_extend_and_close_from_the_campaign_page(client, auth, version, people):
    auth.sign_in_as("admin")
    location = post_form(client, "/campaigns/new", new_campaign_form(version, people)).headers[
        "Location"
    ]
    campaign = db.session.scalar(sa.select(Campaign))

    def act(action, **extra):
        return client.post(
            f"/campaigns/{campaign.id}/actions",
            data={"action": action, "csrf_token": _token(client, campaign.id), **extra},
            follow_redirects=True,
        ).get_data(as_text=True)

    act("launch")
    assert "Campaign paused." in act("pause")
    assert "Campaign resumed." in act("resume")
    later = START + timedelta(days=40)
    assert "Close date extended." in act(
        "extend", closes_on=[later.strftime("%d"), later.strftime("%m"), later.strftime("%Y")]
    )
    assert "Campaign closed." in act("close")
    assert "This campaign is already closed" in act("close")
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.CLOSED
    assert location.endswith(f"/campaigns/{campaign.id}")


def test_viewers_see_rates_with_small_agency_counts_hidden(client, auth, partnership, people, smtp):
    from tests.feedback.helpers import make_campaign

    partnership.disclosure_threshold = 5
    db.session.commit()
    campaign = make_campaign(partnership, people)
    run_due(START)
    auth.sign_in_as("viewer")
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "[c]" in page
    assert "Launch and send invitations" not in page
    assert "could not be delivered" not in page


def test_admins_see_every_count_and_delivery_failures(client, auth, partnership, people, smtp):
    from tests.feedback.helpers import make_campaign

    smtp.refuse["teacher@example.org"] = "550 5.1.1 No such mailbox"
    campaign = make_campaign(partnership, people)
    run_due(START)
    auth.sign_in_as("admin")
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "[c]" not in page
    assert "teacher@example.org" in page
    assert "550" in page


def test_another_partnerships_campaign_is_not_found(client, auth, people, smtp):
    from feedback.models import Agency, Partnership, Person
    from tests.feedback.helpers import make_campaign

    other = Partnership(name="Elsewhere SCP")
    db.session.add(other)
    db.session.flush()
    agency = Agency(partnership_id=other.id, name="Elsewhere Police", sector="police")
    db.session.add(agency)
    db.session.flush()
    theirs = Person(
        partnership_id=other.id,
        name="Their Officer",
        email="x@elsewhere.example",
        agency_id=agency.id,
    )
    db.session.add(theirs)
    db.session.commit()
    campaign = make_campaign(other, [theirs])
    auth.sign_in_as("admin")
    assert client.get(f"/campaigns/{campaign.id}").status_code == 404
    assert (
        client.post(
            f"/campaigns/{campaign.id}/actions",
            data={"action": "close", "csrf_token": _token_from_home(client)},
        ).status_code
        == 404
    )


def _token_from_home(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_the_admin_home_page_lists_live_campaigns_with_their_progress(
    client, auth, partnership, people, smtp
):
    from tests.feedback.helpers import answer_all, make_campaign, token_from

    make_campaign(partnership, people)
    run_due(START)
    clock.set_now(START + timedelta(hours=2))
    answer_all(token_from(smtp.to("officer0@example.org")[0]))
    auth.sign_in_as("admin")
    home = client.get("/").get_data(as_text=True)
    assert "Campaigns taking answers" in home
    assert "Spring staff survey" in home
    assert "1 of 4 answered (25%)" in home


def test_an_imported_list_of_emails_chooses_the_audience(client, auth, version, people):
    auth.sign_in_as("admin")
    form = new_campaign_form(
        version, people, agency_ids=[], emails="TEACHER@example.org\nofficer2@example.org"
    )
    response = post_form(client, "/campaigns/new", form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 people will be invited" in page


def test_an_unknown_email_in_the_list_is_reported_by_line(client, auth, version, people):
    auth.sign_in_as("admin")
    form = new_campaign_form(version, people, emails="teacher@example.org\nghost@example.org")
    html = post_form(client, "/campaigns/new", form).get_data(as_text=True)
    assert "Line 2: nobody with the email ghost@example.org is listed" in html
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0


@pytest.mark.parametrize(
    ("opens_on", "message"),
    [
        (None, "Enter the date the campaign opens"),
        ([" ", "", ""], "Enter the date the campaign opens"),
        ([START.strftime("%d"), START.strftime("%m")], "Enter the day, month and year"),
    ],
    ids=["boxes-missing", "spaces-only", "two-boxes"],
)
def test_a_date_posted_without_its_three_boxes_is_a_located_message_not_a_500(
    client, auth, version, people, opens_on, message
):
    auth.sign_in_as("admin")
    form = new_campaign_form(version, people)
    if opens_on is None:
        del form["opens_on"]
    else:
        form["opens_on"] = opens_on
    response = post_form(client, "/campaigns/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<a href="#opens_on">{message}' in html  # in the summary, linked to the field
    assert html.count(message) == 2  # and again above the three boxes
    assert html.count('name="opens_on"') == 3
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
