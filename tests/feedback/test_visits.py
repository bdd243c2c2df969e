"""Scrutiny visits through the pages: planned, written up section by section (each save kept),
submitted, sent back, reviewed and published, seen only by the right people."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from feedback import clock
from feedback.extensions import db
from feedback.models import Action, Agency, AuditEvent, SourceType, TextSegment
from feedback.models.visits import Visit, VisitStatus
from feedback.services import ServiceError
from feedback.services import segments as segment_service
from feedback.services import visits as visit_service
from tests.conftest import PASSWORD, csrf_token, post_form

TODAY = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
TOPICS = ["leadership", "policies", "training", "forums", "thresholds", "commissioned"]


@pytest.fixture(autouse=True)
def frozen_today():
    clock.set_now(TODAY)
    yield
    clock.set_now(None)


@pytest.fixture
def school(partnership):
    agency = Agency(partnership_id=partnership.id, name="Hilltop School", sector="education")
    db.session.add(agency)
    db.session.commit()
    return agency


@pytest.fixture
def team(make_user):
    return {
        "admin": make_user("admin", "lead@testshire.example", name="Pat Admin"),
        "scrutineer": make_user("scrutineer", "sam@testshire.example", name="Sam Scrutineer"),
        "other": make_user("scrutineer", "olu@testshire.example", name="Olu Other"),
        "viewer": make_user("viewer", "vic@testshire.example", name="Vic Viewer"),
    }


def sign_in(client, user):
    if client.get("/sign-in").status_code == 302:  # someone else is signed in
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    response = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def planned_visit(team, school, lead="scrutineer", on=date(2027, 3, 1), **kw):
    spec = visit_service.VisitSpec(
        kind="scrutiny_visit",
        occurred_on=on,
        agency_id=school.id,
        setting="Hilltop School",
        lead_id=team[lead].id,
        **kw,
    )
    return visit_service.create(team["admin"], spec)


def segments_of(visit):
    return {
        s.field: s.text for s in segment_service.for_source(SourceType.SCRUTINY_VISIT, visit.id)
    }


def write_up_everything(client, visit):
    for key in TOPICS:
        post_form(
            client,
            f"/visits/{visit.id}/topics/{key}",
            {"rag": "amber", "strengths": f"Strong {key}", "development": "", "notes": ""},
        )
    post_form(
        client,
        f"/visits/{visit.id}/people",
        {"role_safeguarding_lead": "1", "role_front_line_staff": "4"},
    )


# -- Writing up through the pages ----------------------------------------------------------------


def test_a_scrutineer_starts_writes_up_and_submits_a_visit_through_the_pages(client, team, school):
    sign_in(client, team["scrutineer"])
    created = post_form(
        client,
        "/visits/new/scrutiny_visit",
        {
            "agency_id": str(school.id),
            "setting": "Hilltop School, Year 6",
            "occurred_on": ["2", "3", "2027"],
            "team_ids": [str(team["other"].id)],
        },
    )
    assert created.status_code == 302
    visit = db.session.scalar(sa.select(Visit))
    assert visit.lead_id == team["scrutineer"].id and visit.status == VisitStatus.PLANNED
    assert [t["key"] for t in visit.topics] == TOPICS  # the library template's topics
    assert [u.id for u in visit.team] == [team["other"].id]

    saved = post_form(
        client,
        f"/visits/{visit.id}/topics/leadership",
        {
            "rag": "red",
            "strengths": "The DSL knows every child on a plan.",
            "development": "No supervision for the deputy DSL since September.",
            "notes": "Link governor has not visited.",
        },
    )
    # Save and continue goes on to the next topic.
    assert saved.headers["Location"].endswith(f"/visits/{visit.id}/topics/policies")
    write_up_everything(client, visit)
    post_form(client, f"/visits/{visit.id}/notes", {"note_overall_summary": "A caring school."})
    post_form(
        client,
        f"/visits/{visit.id}/actions",
        {
            "description": "Supervision for the deputy DSL",
            "owner_agency_id": str(school.id),
            "due_on": ["1", "5", "2027"],
        },
    )
    page = client.get(f"/visits/{visit.id}/submit").get_data(as_text=True)
    assert "Submit for review" in page and "There is a problem" not in page
    submitted = post_form(client, f"/visits/{visit.id}/submit", {})
    assert submitted.status_code == 302
    db.session.refresh(visit)
    assert visit.status == VisitStatus.SUBMITTED and visit.submitted_at == TODAY
    actions = db.session.scalars(sa.select(Action)).all()
    assert [(a.description, a.source_type, a.source_id) for a in actions] == [
        ("Supervision for the deputy DSL", SourceType.SCRUTINY_VISIT, str(visit.id))
    ]
    assert actions[0].due_on == date(2027, 5, 1) and actions[0].owner_agency_id == school.id
    shown = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Supervision for the deputy DSL" in shown and "Submitted for review" in shown
    events = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert {"visit.create", "visit.edit", "visit.action_add", "visit.submit"} <= set(events)


def test_every_free_text_becomes_a_segment_once_the_visit_is_published(client, team, school):
    visit = planned_visit(team, school)
    complete(team, visit)
    sign_in(client, team["scrutineer"])
    post_form(
        client,
        f"/visits/{visit.id}/topics/thresholds",
        {
            "rag": "amber",
            "strengths": "Staff know the thresholds document.",
            "development": "Unsure when to use early help rather than MASH.",
            "notes": "Nobody had used the escalation procedure.",
        },
    )
    post_form(client, f"/visits/{visit.id}/notes", {"note_overall_summary": "Good progress."})
    # A draft's words are the team's until the record is published: no segments yet.
    assert segments_of(visit) == {}
    post_form(
        client,
        f"/visits/{visit.id}/topics/thresholds",
        {"rag": "amber", "strengths": "Staff know it well.", "development": "", "notes": ""},
    )
    post_form(
        client,
        f"/visits/{visit.id}/details",
        {"agency_id": str(school.id), "setting": "Hilltop", "occurred_on": ["3", "3", "2027"]},
    )
    visit_service.submit(team["scrutineer"], visit)
    visit_service.review(team["admin"], visit, "reviewed", None)
    assert segments_of(visit) == {}
    visit_service.publish(team["admin"], visit)

    fine = {f"{key}.strengths": "Fine" for key in TOPICS if key != "thresholds"}
    assert segments_of(visit) == {
        **fine,
        "thresholds.strengths": "Staff know it well.",
        "notes.overall_summary": "Good progress.",
    }
    segment = db.session.scalar(
        sa.select(TextSegment).where(TextSegment.field == "thresholds.strengths")
    )
    assert segment.agency_id == school.id and segment.occurred_on == date(2027, 3, 3)
    assert segment.field_label == "Thresholds and escalation: Strengths"


def test_autosave_keeps_a_half_written_topic_and_submitting_says_what_is_missing(
    client, team, school
):
    visit = planned_visit(team, school)
    sign_in(client, team["scrutineer"])
    later = post_form(
        client,
        f"/visits/{visit.id}/topics/training",
        {"strengths": "Half a thought about the neglect briefing", "save_only": "yes"},
    )
    assert later.headers["Location"].endswith(f"/visits/{visit.id}")
    db.session.refresh(visit)
    assert visit.status == VisitStatus.DRAFT
    training = next(t for t in visit.topics if t["key"] == "training")
    assert training["strengths"] == "Half a thought about the neglect briefing"
    assert training["rag"] is None
    page = client.get(f"/visits/{visit.id}/topics/training").get_data(as_text=True)
    assert "Half a thought about the neglect briefing" in page

    refused = post_form(client, f"/visits/{visit.id}/submit", {})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Give a RAG rating for Training and professional development" in text
    assert "Say how many staff you spoke to, by role" in text
    assert f"/visits/{visit.id}/topics/training" in text  # each problem links to its page
    db.session.refresh(visit)
    assert visit.status == VisitStatus.DRAFT


def test_a_topic_that_is_too_long_is_refused_beside_the_field_and_kept_on_the_page(
    client, team, school
):
    visit = planned_visit(team, school)
    sign_in(client, team["scrutineer"])
    long_text = "word " * 2001
    response = post_form(
        client, f"/visits/{visit.id}/topics/policies", {"rag": "green", "notes": long_text}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and "Write 10,000 characters or fewer" in page
    assert "word word" in page
    db.session.refresh(visit)
    assert visit.status == VisitStatus.PLANNED  # nothing half-saved


def test_a_visit_cannot_be_submitted_before_it_has_happened(team, school):
    visit = planned_visit(team, school, on=date(2027, 4, 1))
    for key in TOPICS:
        visit_service.update(
            team["scrutineer"],
            visit,
            visit_service.Changes(topics=[visit_service.TopicChange(key=key, rag="green")]),
        )
    visit_service.update(
        team["scrutineer"], visit, visit_service.Changes(people_by_role={"managers": 2})
    )
    with pytest.raises(ServiceError) as refused:
        visit_service.submit(team["scrutineer"], visit)
    assert refused.value.field == "occurred_on"
    assert "planned for 1 April 2027" in refused.value.message


# -- The workflow -------------------------------------------------------------------------------


def complete(team, visit):
    for key in TOPICS:
        visit_service.update(
            team["admin"],
            visit,
            visit_service.Changes(
                topics=[visit_service.TopicChange(key=key, rag="green", strengths="Fine")]
            ),
        )
    visit_service.update(
        team["admin"], visit, visit_service.Changes(people_by_role={"front_line_staff": 3})
    )


def test_bad_moves_in_the_workflow_are_refused_with_a_message(team, school):
    visit = planned_visit(team, school)
    admin = team["admin"]
    with pytest.raises(ServiceError, match="Nothing has been written up yet"):
        visit_service.submit(team["scrutineer"], visit)
    with pytest.raises(ServiceError, match="Only a submitted record can be reviewed"):
        visit_service.review(admin, visit, "reviewed", None)
    with pytest.raises(ServiceError, match="Only a reviewed record can be published"):
        visit_service.publish(admin, visit)
    complete(team, visit)
    visit_service.submit(team["scrutineer"], visit)
    with pytest.raises(ServiceError, match="submitted for review: it can be changed only"):
        visit_service.update(
            team["scrutineer"], visit, visit_service.Changes(notes={"overall_summary": "x"})
        )
    with pytest.raises(ServiceError, match="already submitted"):
        visit_service.submit(team["scrutineer"], visit)
    with pytest.raises(ServiceError, match="Only the partnership team reviews"):
        visit_service.review(team["scrutineer"], visit, "reviewed", None)
    with pytest.raises(ServiceError, match="Say what needs to change") as no_comment:
        visit_service.review(admin, visit, "sent_back", "  ")
    assert no_comment.value.field == "comments"
    visit_service.review(admin, visit, "reviewed", None)
    visit_service.publish(admin, visit)
    assert visit.status == VisitStatus.PUBLISHED and visit.published_at == TODAY


def test_a_sent_back_visit_shows_the_comments_and_can_be_changed_and_resubmitted(
    client, team, school
):
    visit = planned_visit(team, school)
    complete(team, visit)
    visit_service.submit(team["scrutineer"], visit)
    sign_in(client, team["admin"])
    no_comments = post_form(client, f"/visits/{visit.id}/review", {"outcome": "sent_back"})
    assert "Say what needs to change before it can be reviewed" in no_comments.get_data(
        as_text=True
    )
    post_form(
        client,
        f"/visits/{visit.id}/review",
        {"outcome": "sent_back", "comments": "Please add what the DSL said about early help."},
    )
    db.session.refresh(visit)
    assert visit.status == VisitStatus.SENT_BACK

    sign_in(client, team["scrutineer"])
    for url in (f"/visits/{visit.id}", f"/visits/{visit.id}/topics/thresholds"):
        page = client.get(url).get_data(as_text=True)
        assert "Sent back for changes" in page
        assert "Please add what the DSL said about early help." in page
    post_form(
        client,
        f"/visits/{visit.id}/topics/thresholds",
        {"rag": "amber", "strengths": "The DSL explained the early help offer well."},
    )
    db.session.refresh(visit)
    assert visit.status == VisitStatus.SENT_BACK  # still sent back until submitted again
    post_form(client, f"/visits/{visit.id}/submit", {})
    db.session.refresh(visit)
    assert visit.status == VisitStatus.SUBMITTED
    # Once submitted, the write-up pages send the scrutineer back to the record.
    locked = client.get(f"/visits/{visit.id}/topics/thresholds")
    assert locked.status_code == 302 and locked.headers["Location"].endswith(f"/{visit.id}")


def test_the_admin_reviews_and_publishes_through_the_pages(client, team, school):
    visit = planned_visit(team, school)
    complete(team, visit)
    visit_service.submit(team["scrutineer"], visit)
    sign_in(client, team["admin"])
    post_form(client, f"/visits/{visit.id}/review", {"outcome": "reviewed"})
    publish = client.post(
        f"/visits/{visit.id}/publish",
        data={"csrf_token": csrf_token(client, f"/visits/{visit.id}")},
    )
    assert publish.status_code == 302
    db.session.refresh(visit)
    assert visit.status == VisitStatus.PUBLISHED
    again = client.post(
        f"/visits/{visit.id}/publish",
        data={"csrf_token": csrf_token(client, f"/visits/{visit.id}")},
        follow_redirects=True,
    )
    assert "Only a reviewed record can be published" in again.get_data(as_text=True)


def test_deleting_a_visit_removes_its_segments_and_actions(client, team, school):
    visit = planned_visit(team, school)
    complete(team, visit)
    visit_service.add_action(team["admin"], visit, "Do it", owner_agency_id=None, due_on=None)
    visit_service.submit(team["scrutineer"], visit)
    visit_service.review(team["admin"], visit, "reviewed", None)
    visit_service.publish(team["admin"], visit)
    assert segments_of(visit)
    sign_in(client, team["admin"])
    post_form(client, f"/visits/{visit.id}/delete", {})
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(TextSegment.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Action.id))) == 0


# -- Who sees what ----------------------------------------------------------------------------


def test_scrutineers_see_and_edit_only_the_visits_they_are_on(client, team, school):
    mine = planned_visit(team, school)
    theirs = visit_service.create(
        team["admin"],
        visit_service.VisitSpec(
            kind="scrutiny_visit",
            occurred_on=date(2027, 2, 1),
            agency_id=school.id,
            setting="Hilltop Nursery",
            lead_id=team["other"].id,
        ),
    )
    sign_in(client, team["scrutineer"])
    listing = client.get("/visits").get_data(as_text=True)
    assert f"/visits/{mine.id}" in listing and f"/visits/{theirs.id}" not in listing
    for url in (
        f"/visits/{theirs.id}",
        f"/visits/{theirs.id}/topics/leadership",
        f"/visits/{theirs.id}/details",
    ):
        assert client.get(url).status_code == 404
    refused = client.post(
        f"/visits/{theirs.id}/topics/leadership",
        data={"csrf_token": csrf_token(client, "/visits"), "rag": "red"},
    )
    assert refused.status_code == 404
    history = client.get(f"/visits/agencies/{school.id}").get_data(as_text=True)
    assert "Hilltop Nursery" not in history
    # A member of the team (not only the lead) may write it up.
    sign_in(client, team["other"])
    assert client.get(f"/visits/{theirs.id}/topics/leadership").status_code == 200


def test_viewers_see_only_published_visits(client, team, school):
    draft = planned_visit(team, school)
    published = planned_visit(team, school, on=date(2027, 2, 1))
    complete(team, published)
    visit_service.submit(team["admin"], published)
    visit_service.review(team["admin"], published, "reviewed", None)
    visit_service.publish(team["admin"], published)
    sign_in(client, team["viewer"])
    listing = client.get("/visits").get_data(as_text=True)
    assert f"/visits/{published.id}" in listing and f"/visits/{draft.id}" not in listing
    assert client.get(f"/visits/{draft.id}").status_code == 404
    assert client.get(f"/visits/{published.id}").status_code == 200
    assert client.get(f"/visits/{published.id}/topics/leadership").status_code == 403
    assert client.get("/visits/new").status_code == 403


def test_the_list_filters_by_kind_agency_and_status(client, team, school, partnership):
    police = Agency(partnership_id=partnership.id, name="Testshire Police", sector="police")
    db.session.add(police)
    db.session.commit()
    at_school = planned_visit(team, school)
    at_police = visit_service.create(
        team["admin"],
        visit_service.VisitSpec(
            kind="scrutiny_visit",
            occurred_on=date(2027, 2, 1),
            agency_id=police.id,
            setting="Custody suite",
            lead_id=team["scrutineer"].id,
        ),
    )
    complete(team, at_police)
    sign_in(client, team["admin"])
    by_agency = client.get(f"/visits?agency={police.id}").get_data(as_text=True)
    assert f'/visits/{at_police.id}"' in by_agency and f'/visits/{at_school.id}"' not in by_agency
    by_status = client.get("/visits?status=planned").get_data(as_text=True)
    assert f'/visits/{at_school.id}"' in by_status and f'/visits/{at_police.id}"' not in by_status
    by_kind = client.get("/visits?kind=practitioner_forum").get_data(as_text=True)
    assert "No records match" in by_kind
    assert client.get("/visits?kind=nonsense&status=&agency=abc").status_code == 200


# -- People spoken to: counts by role, never names ------------------------------------------------


def test_staff_spoken_to_are_counted_by_role_and_no_name_can_be_stored(client, team, school):
    visit = planned_visit(team, school)
    sign_in(client, team["scrutineer"])
    page = client.get(f"/visits/{visit.id}/people").get_data(as_text=True)
    assert "Names are never recorded" in page
    post_form(
        client,
        f"/visits/{visit.id}/people",
        {"role_safeguarding_lead": "1", "role_front_line_staff": "6", "role_Mrs Jones": "1"},
    )
    db.session.refresh(visit)
    assert visit.people_by_role == {"safeguarding_lead": 1, "front_line_staff": 6}
    bad = post_form(client, f"/visits/{visit.id}/people", {"role_managers": "two"})
    assert "Managers: enter a whole number, for example 3" in bad.get_data(as_text=True)
    with pytest.raises(ServiceError, match="names are never recorded"):
        visit_service.update(
            team["scrutineer"], visit, visit_service.Changes(people_by_role={"Mrs Jones": 1})
        )
    db.session.refresh(visit)
    assert visit.people_by_role == {"safeguarding_lead": 1, "front_line_staff": 6}


def test_small_counts_of_staff_are_withheld_from_readers_but_not_the_team(client, team, school):
    visit = planned_visit(team, school)
    complete(team, visit)
    visit_service.update(
        team["admin"],
        visit,
        visit_service.Changes(people_by_role={"safeguarding_lead": 1, "front_line_staff": 12}),
    )
    visit_service.submit(team["admin"], visit)
    visit_service.review(team["admin"], visit, "reviewed", None)
    visit_service.publish(team["admin"], visit)
    rows, total = visit_service.people_rows(team["viewer"], visit)
    assert [str(count) for _, count in rows] == ["[c]", "[c]"] and str(total) == "13"
    assert visit_service.people_rows(team["scrutineer"], visit)[0] == [
        ("Safeguarding lead", 1),
        ("Front-line staff", 12),
    ]
    sign_in(client, team["viewer"])
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "[c]" in page and "withheld so that nobody can be identified" in page


# -- The agency over time, and the home page -----------------------------------------------------


def test_the_agency_page_puts_repeat_visits_side_by_side_with_the_words(client, team, school):
    first = planned_visit(team, school, on=date(2026, 3, 1))
    second = planned_visit(team, school, on=date(2027, 3, 1))
    for visit, rag in ((first, "red"), (second, "green")):
        visit_service.update(
            team["admin"],
            visit,
            visit_service.Changes(topics=[visit_service.TopicChange(key="forums", rag=rag)]),
        )
    sign_in(client, team["admin"])
    page = client.get(f"/visits/agencies/{school.id}").get_data(as_text=True)
    assert "1 March 2026" in page and "1 March 2027" in page
    row = page[page.index("Multi-agency forums") :]
    row = row[: row.index("</tr>")]
    assert row.index(">Red<") < row.index(">Green<") and "Better" in row
    assert client.get("/visits/agencies/999999").status_code == 404


def test_home_pages_show_a_scrutineers_visits_and_an_admins_reviews(client, team, school):
    visit = planned_visit(team, school)
    sign_in(client, team["scrutineer"])
    home = client.get("/").get_data(as_text=True)
    assert "Your visits to write up" in home and "Start the write-up" in home
    assert f"/visits/{visit.id}" in home
    complete(team, visit)
    visit_service.submit(team["scrutineer"], visit)
    sign_in(client, team["admin"])
    home = client.get("/").get_data(as_text=True)
    assert "Visits waiting for you" in home and "Review it" in home
