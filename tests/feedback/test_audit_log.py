"""The audit log: sign-ins, downloads and views of identifiable answers are recorded, and admins
search it by who, what, which record, when and any text, a page at a time or as CSV."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import AuditEvent, Partnership
from feedback.services import accounts, audit, transaction
from tests.conftest import PASSWORD, post_form
from tests.feedback.helpers import START, answer_all, make_campaign, run_due, token_from


@pytest.fixture(autouse=True)
def fixed_time():
    clock.set_now(START)
    yield
    clock.set_now(None)


def events(action):
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def add_event(partnership, action, when, **kw):
    with clock.frozen_at(when), transaction():
        audit.record(action, partnership_id=partnership.id, **kw)


def test_sign_ins_that_work_and_that_fail_are_recorded(app, client, make_user):
    user = make_user("trainer")
    post_form(client, "/sign-in", {"email": user.email, "password": "wrong"})
    post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert [e.user_id for e in events("user.sign_in_failed")] == [user.id]
    assert [e.user_id for e in events("user.sign_in")] == [user.id]


def test_downloads_and_identifiable_views_are_recorded_with_who_and_how(
    client, auth, partnership, people, smtp, api
):
    campaign = make_campaign(partnership, people)
    run_due(START)
    answer_all(token_from(smtp.to("officer0@example.org")[0]))
    admin = auth.sign_in_as("admin")
    api_client, headers = api("admin")
    for who, url, kw in (
        (client, f"/campaigns/{campaign.id}/export.csv", {}),
        (client, f"/campaigns/{campaign.id}/results.xlsx", {}),
        (api_client, f"/api/v1/campaigns/{campaign.id}/export.csv", {"headers": headers}),
        (api_client, f"/api/v1/campaigns/{campaign.id}/responses", {"headers": headers}),
    ):
        response = who.get(url, **kw)
        assert response.status_code == 200
        response.get_data()  # read it all, as a browser does, so the stream ends
        response.close()
    exports = events("responses.export")
    assert [(e.user_id, e.detail["via"], e.detail["identifiable"]) for e in exports] == [
        (admin.id, "web", True),
        (exports[1].user_id, "api", True),
    ]
    assert events("results.export")[0].detail == {
        "what": "results",
        "format": "xlsx",
        "identifiable": False,
        "via": "web",
    }
    (view,) = events("responses.view_identifiable")
    assert view.record_id == str(campaign.id) and view.detail["responses"] == 1


def test_a_viewer_download_is_recorded_as_not_identifiable(client, auth, partnership, people, smtp):
    campaign = make_campaign(partnership, people)
    viewer = auth.sign_in_as("viewer")
    client.get(f"/campaigns/{campaign.id}/export.xlsx").close()
    (event,) = events("responses.export")
    assert event.user_id == viewer.id and event.detail["identifiable"] is False


def test_admins_search_by_user_action_record_dates_and_text(client, auth, partnership):
    admin = auth.sign_in_as("admin")
    add_event(
        partnership,
        "campaign.close",
        START - timedelta(days=10),
        record_type="campaign",
        record_id=7,
    )
    add_event(
        partnership,
        "campaign.launch",
        START - timedelta(days=3),
        record_type="campaign",
        record_id=8,
    )
    add_event(
        partnership,
        "person.import",
        START - timedelta(days=2),
        user=admin,
        detail={"created": 412, "updated": 3},
    )

    def shown(query):
        html = client.get("/admin/audit-log?" + query).get_data(as_text=True)
        return {
            a
            for a in ("campaign.close", "campaign.launch", "person.import", "Signed in")
            if a in html.split("<tbody", 1)[-1]
        }

    assert shown("") == {"campaign.close", "campaign.launch", "person.import", "Signed in"}
    assert shown("record_type=campaign") == {"campaign.close", "campaign.launch"}
    assert shown("action=campaign.launch") == {"campaign.launch"}
    assert shown(f"user={admin.id}") == {"person.import", "Signed in"}
    assert shown("user=system") == {"campaign.close", "campaign.launch"}
    assert shown("text=412") == {"person.import"}
    dates = "from-day=20&from-month=2&from-year=2027&to-day=27&to-month=2&to-year=2027"
    assert shown(dates) == {"campaign.launch", "person.import"}


def test_the_log_is_paginated_and_the_pages_keep_the_search(client, auth, partnership):
    auth.sign_in_as("admin")
    for n in range(120):
        add_event(partnership, "campaign.launch", START - timedelta(minutes=n), record_id=n)
    first = client.get("/admin/audit-log?action=campaign.launch").get_data(as_text=True)
    assert "120 events found" in first
    assert first.count('<tr class="govuk-table__row">') == 51  # the header and 50 events
    assert "/admin/audit-log?page=2&amp;action=campaign.launch" in first
    last = client.get("/admin/audit-log?action=campaign.launch&page=3").get_data(as_text=True)
    assert last.count('<tr class="govuk-table__row">') == 21


def test_a_search_downloads_as_csv_and_the_download_is_recorded(client, auth, partnership):
    admin = auth.sign_in_as("admin")
    add_event(
        partnership,
        "campaign.close",
        START - timedelta(days=1),
        record_type="campaign",
        record_id=5,
        detail={"by": "schedule"},
    )
    add_event(partnership, "campaign.launch", START - timedelta(days=1), record_id=6)
    response = client.get("/admin/audit-log.csv?action=campaign.close")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == audit.CSV_HEADER
    assert [r[1:] for r in rows[1:]] == [
        ["system", "campaign.close", "campaign", "5", '{"by": "schedule"}']
    ]
    assert rows[1][0].startswith("2027-02-28T09:00:00")
    (event,) = events("audit_log.export")
    assert event.user_id == admin.id
    assert event.detail == {"filters": {"action": "campaign.close"}}


def test_a_date_that_does_not_exist_is_a_located_error_not_a_crash(client, auth):
    auth.sign_in_as("admin")
    response = client.get("/admin/audit-log?from-day=31&from-month=2&from-year=2027&to-year=2027")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert 'href="#from-day"' in html
    assert "Date from must be a real date" in html
    assert "Date to must include a day and a month" in html
    assert client.get("/admin/audit-log.csv?from-day=99").status_code == 400


def test_another_partnerships_events_never_show(client, auth, partnership):
    other = Partnership(name="Elsewhere Safeguarding Children Partnership")
    db.session.add(other)
    db.session.commit()
    stranger = accounts.create_user(other, "lead@elsewhere.example", "admin", PASSWORD)
    add_event(other, "person.import", START, user=stranger, detail={"created": 999})
    auth.sign_in_as("admin")
    html = client.get("/admin/audit-log").get_data(as_text=True)
    assert "lead@elsewhere.example" not in html and "999" not in html
    assert client.get(f"/admin/audit-log?user={stranger.id}").status_code == 400
    csv_text = client.get("/admin/audit-log.csv").get_data(as_text=True)
    assert "person.import" not in csv_text
