"""The instrument designer pages and the respondent-exact preview, as an admin uses them."""

import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from feedback.extensions import db
from feedback.models import Instrument, InstrumentVersion, Partnership
from feedback.services import ServiceError
from feedback.services import instruments as service
from forms import library
from forms.render import RESERVED
from tests.conftest import csrf_token, post_form


def text(response):
    return response.get_data(as_text=True)


def action(client, url, **data):
    """Press one of the designer's small POST buttons (move, delete, publish, archive)."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/instruments"), **data})


def branching(key="team_check"):
    return {
        "schema_version": 1,
        "key": key,
        "title": "Team check",
        "pages": [
            {"key": "one", "title": "About you", "questions": [
                {"key": "role", "type": "single_choice", "label": "What is your role?",
                 "required": True, "options": [
                     {"value": "manager", "label": "Manager"},
                     {"value": "practitioner", "label": "Practitioner"}]},
                {"key": "years", "type": "number", "label": "Years in post", "required": True},
            ]},
            {"key": "two", "title": "Your team", "questions": [
                {"key": "team_size", "type": "number", "label": "How many people do you manage?",
                 "show_if": {"question": "role", "equals": "manager"}},
                {"key": "supported", "type": "likert", "label": "I feel supported",
                 "required": True},
            ]},
        ],
    }  # fmt: skip


@pytest.fixture
def admin(client, auth):
    return auth.sign_in_as("admin")


def make(partnership, definition=None, *, publish=False):
    return service.create_instrument(partnership, definition or branching(), None, publish=publish)


# -- Versions -------------------------------------------------------------------------------------


def test_editing_a_published_instrument_makes_a_new_draft_and_leaves_the_old_version(
    client, admin, partnership
):
    v1 = make(partnership, publish=True)
    url = f"/instruments/{v1.instrument_id}/details"
    page = text(client.get(url))
    assert "Saving starts version 2 as a draft" in page
    response = post_form(client, url, {"title": "Team check 2027", "intro": "Five minutes."})
    assert response.status_code == 302

    instrument = service.get_instrument(partnership, v1.instrument_id)
    assert [(v.number, v.status.value) for v in instrument.versions] == [
        (1, "published"),
        (2, "draft"),
    ]
    assert instrument.version(1).definition == branching()
    assert instrument.version(2).definition["title"] == "Team check 2027"
    assert instrument.title == "Team check 2027"
    # A second edit changes the same draft: there is never more than one.
    post_form(client, url, {"title": "Team check, spring", "intro": ""})
    db.session.expire_all()
    instrument = service.get_instrument(partnership, v1.instrument_id)
    assert len(instrument.versions) == 2
    assert "intro" not in instrument.version(2).definition
    designer = text(client.get(f"/instruments/{v1.instrument_id}"))
    assert "Draft version 2" in designer and "Publish version 2" in designer


def test_a_published_version_refuses_any_change_even_written_directly(partnership):
    version = make(partnership, publish=True)
    with pytest.raises(ServiceError, match="published"):
        version.replace_definition({"title": "Sneaky"})
    version.definition = {**version.definition, "title": "Sneakier"}
    with pytest.raises(ServiceError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(InstrumentVersion, version.id))
    with pytest.raises(ServiceError, match="cannot be deleted"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(InstrumentVersion, version.id).definition["title"] == "Team check"


def test_the_database_holds_at_most_one_draft_per_instrument(partnership):
    version = make(partnership)
    db.session.add(
        InstrumentVersion(
            partnership_id=partnership.id,
            instrument_id=version.instrument_id,
            number=2,
            definition={},
            status="draft",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_campaigns_get_the_latest_published_version_not_the_draft(partnership):
    v1 = make(partnership, publish=True)
    service.update_details(partnership, v1.instrument_id, "Changed", None, None)
    assert service.get_published_version(partnership, v1.instrument_id).number == 1
    service.publish(partnership, v1.instrument_id, None)
    latest = service.get_published_version(partnership, v1.instrument_id)
    assert latest.number == 2 and latest.definition["title"] == "Changed"
    assert service.get_version_by_id(partnership, v1.id).definition["title"] == "Team check"


# -- The designer ---------------------------------------------------------------------------------


def test_an_admin_creates_an_instrument_and_builds_it_question_by_question(client, admin):
    response = post_form(client, "/instruments/new", {"title": "Supervision pulse", "key": "pulse"})
    assert response.status_code == 302
    instrument = db.session.scalar(sa.select(Instrument))
    base = f"/instruments/{instrument.id}"
    # An empty page is a problem shown in the summary, and publishing is refused.
    designer = text(client.get(base))
    assert "must contain at least one question" in designer
    assert 'href="#page-0"' in designer

    new_question = f"{base}/pages/0/questions/new?type=single_choice"
    assert "Options, one per line" in text(client.get(new_question))
    response = post_form(
        client,
        new_question,
        {
            "type": "single_choice",
            "key": "supervised",
            "label": "When were you last supervised?",
            "required": "y",
            "options": "This month\nLonger ago\nnever | Never",
            "themes": ["supervision_support"],
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#question-0-0")
    post_form(
        client,
        f"{base}/pages/0/questions/new?type=long_text",
        {
            "type": "long_text",
            "key": "why",
            "label": "Why not?",
            "limit_max_length": "500",
            "show_if_question": "supervised",
            "show_if_operator": "equals",
            "show_if_value": "never",
        },
    )
    version = service.get_version(instrument.partnership, instrument.id)
    questions = version.definition["pages"][0]["questions"]
    assert questions[0]["options"] == [
        {"value": "this_month", "label": "This month"},
        {"value": "longer_ago", "label": "Longer ago"},
        {"value": "never", "label": "Never"},
    ]
    assert questions[0]["themes"] == ["supervision_support"] and questions[0]["required"]
    assert questions[1]["show_if"] == {"question": "supervised", "equals": "never"}
    assert questions[1]["limits"] == {"max_length": 500}
    assert service.check(version.definition) == []

    # Add a second page, move the follow-up question onto it, then move the page up.
    post_form(client, f"{base}/pages/new", {"key": "more", "title": "More", "intro": ""})
    action(client, f"{base}/pages/0/questions/1/move", expected="why", direction="down")
    version = service.get_version(instrument.partnership, instrument.id)
    assert [q["key"] for q in version.definition["pages"][1]["questions"]] == ["why"]
    action(client, f"{base}/pages/1/move", expected="more", direction="up")
    version = service.get_version(instrument.partnership, instrument.id)
    assert [p["key"] for p in version.definition["pages"]] == ["more", "page_1"]
    # Now the follow-up comes before the question it depends on: shown beside it.
    designer = text(client.get(base))
    assert "which comes later" in designer
    assert 'href="#question-0-0"' in designer
    action(client, f"{base}/pages/0/move", expected="more", direction="down")

    # Edit the first question's label; delete the follow-up; delete the empty page.
    edit_url = f"{base}/pages/0/questions/0"
    form = text(client.get(edit_url))
    assert "This month" in form and 'value="supervised"' in form
    post_form(
        client,
        edit_url,
        {
            "type": "single_choice",
            "key": "supervised",
            "label": "When were you last given supervision?",
            "options": "this_month | This month\nlonger_ago | Longer ago\nnever | Never",
            "expected": "supervised",
        },
    )
    action(client, f"{base}/pages/1/questions/0/delete", expected="why")
    action(client, f"{base}/pages/1/delete", expected="more")
    version = service.get_version(instrument.partnership, instrument.id)
    assert len(version.definition["pages"]) == 1
    assert version.definition["pages"][0]["questions"][0]["label"] == (
        "When were you last given supervision?"
    )
    assert "required" not in version.definition["pages"][0]["questions"][0]

    response = action(client, f"{base}/publish")
    assert response.status_code == 302
    assert "Version 1 published" in text(client.get(base))


def test_a_question_with_problems_is_marked_beside_it_and_in_the_summary(
    client, admin, partnership
):
    version = make(partnership)
    base = f"/instruments/{version.instrument_id}"
    post_form(
        client,
        f"{base}/pages/1/questions/new?type=likert",
        {
            "type": "likert",
            "key": "role",  # already used on page 1
            "label": "Duplicate",
            "show_if_json": '{"question": "supervised", "equals": 1}',
        },
    )
    designer = text(client.get(base))
    summary = designer.split('class="govuk-error-summary', 1)[1].split("</div>", 3)
    assert "Page 2, question 3 (role)" in "".join(summary)
    assert 'href="#question-1-2"' in designer
    question = designer.split('id="question-1-2"', 1)[1].split("app-card-actions", 1)[0]
    assert "is used by another question" in question
    assert "not a question in this form" in question
    # The edit form shows the problems beside its fields.
    form = text(client.get(f"{base}/pages/1/questions/2"))
    assert "There is a problem" in form and "is used by another question" in form


def test_publishing_an_invalid_draft_is_refused_with_its_problems_listed(
    client, admin, partnership
):
    version = make(partnership)
    base = f"/instruments/{version.instrument_id}"
    post_form(
        client,
        f"{base}/pages/0/questions/0",
        {
            "type": "single_choice",
            "key": "role",
            "label": "What is your role?",
            "options": "Only one",
            "expected": "role",
        },
    )
    response = action(client, f"{base}/publish")
    page = text(client.get(response.headers["Location"]))
    assert "cannot be published" in page
    assert "must list at least 2 options" in page
    assert service.get_instrument(partnership, version.instrument_id).draft is not None


def test_question_form_mistakes_are_shown_without_saving(client, admin, partnership):
    version = make(partnership)
    url = f"/instruments/{version.instrument_id}/pages/0/questions/new?type=number"
    response = post_form(
        client,
        url,
        {
            "type": "number",
            "key": "Bad Key",
            "label": "",
            "limit_min": "ten",
            "show_if_json": "{not json",
        },
    )
    page = text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter the question" in page and "Question key must use only" in page
    db.session.expire_all()
    saved = service.get_version(partnership, version.instrument_id).definition
    assert len(saved["pages"][0]["questions"]) == 2
    response = post_form(
        client,
        url,
        {"type": "number", "key": "hours", "label": "Hours", "limit_min": "ten"},
    )
    assert "must be a number" in text(response)
    response = post_form(
        client,
        url,
        {"type": "number", "key": "hours", "label": "Hours", "show_if_json": "{not json"},
    )
    assert "not valid JSON" in text(response)


def test_a_stale_form_is_refused_rather_than_deleting_the_wrong_question(
    client, admin, partnership
):
    version = make(partnership)
    base = f"/instruments/{version.instrument_id}"
    response = action(client, f"{base}/pages/0/questions/0/delete", expected="years")
    assert "has changed since you opened" in text(client.get(response.headers["Location"]))
    after = service.get_version(partnership, version.instrument_id)
    assert [q["key"] for q in after.definition["pages"][0]["questions"]] == ["role", "years"]


def test_an_instrument_can_be_archived_and_restored(client, admin, partnership):
    version = make(partnership, publish=True)
    base = f"/instruments/{version.instrument_id}"
    action(client, f"{base}/archive")
    assert "Archived" in text(client.get("/instruments"))
    with pytest.raises(ServiceError, match="archived"):
        service.update_details(partnership, version.instrument_id, "X", None, None)
    action(client, f"{base}/archive")
    assert not service.get_instrument(partnership, version.instrument_id).archived


def test_old_versions_are_listed_and_shown_read_only(client, admin, partnership):
    v1 = make(partnership, publish=True)
    service.update_details(partnership, v1.instrument_id, "Team check 2027", None, None)
    base = f"/instruments/{v1.instrument_id}"
    designer = text(client.get(base))
    assert f"{base}/versions/1" in designer and f"{base}/versions/2" in designer
    old = text(client.get(f"{base}/versions/1"))
    assert "Team check" in old and "version 1" in old
    assert "Move up" not in old and "Delete" not in old
    assert client.get(f"{base}/versions/9").status_code == 404


def test_another_partnerships_instrument_is_not_found_on_every_page(client, admin):
    other = Partnership(name="Otherton Safeguarding Children Partnership")
    db.session.add(other)
    db.session.commit()
    theirs = make(other, publish=True)
    base = f"/instruments/{theirs.instrument_id}"
    for url in (base, f"{base}/details", f"{base}/versions/1", f"{base}/versions/1/preview"):
        assert client.get(url).status_code == 404, url
    assert action(client, f"{base}/publish").status_code == 404
    assert action(client, f"{base}/pages/0/delete", expected="one").status_code == 404
    assert "Team check" not in text(client.get("/instruments"))


def test_non_admins_cannot_open_the_designer(client, auth, partnership):
    version = make(partnership)
    auth.sign_in_as("trainer")
    assert client.get(f"/instruments/{version.instrument_id}").status_code == 403


# -- Preview ------------------------------------------------------------------------------------


def valid_post(definition, page_index):
    """Form data answering every question on a page with something acceptable."""
    data = {}
    for question in definition["pages"][page_index]["questions"]:
        key, kind = question["key"], question["type"]
        name = f"{key}-answer" if key in RESERVED else key
        limits = question.get("limits", {})
        options = [o["value"] for o in question.get("options", [])]
        if kind in ("likert", "emoji_scale"):
            data[name] = "1"
        elif kind in ("rating", "safety_scale"):
            data[name] = str(limits.get("min", 0))
        elif kind == "single_choice":
            data[name] = options[0]
        elif kind == "multi_choice":
            data[name] = options[: max(1, limits.get("min_selected", 1))]
        elif kind in ("short_text", "long_text"):
            data[name] = "More time for supervision"
        elif kind == "number":
            data[name] = str(limits.get("min", 1))
        elif kind == "date":
            data[name] = limits.get("min", "2024-01-01").split("-")[::-1]
        elif kind == "yes_no":
            data[name] = "yes"
        elif kind == "consent":
            data[name] = "y"
        elif kind == "matrix":
            for row in question["rows"]:
                data[f"{name}-{row['key']}"] = "1"
        elif kind == "ranking":
            for rank, value in enumerate(options, start=1):
                data[f"{name}-{value}"] = str(rank)
        elif kind == "retrospective_confidence":
            for outcome in question["outcomes"]:
                data[f"{name}-{outcome['key']}-before"] = "1"
                data[f"{name}-{outcome['key']}-now"] = "2"
    return data


PAGE_PATH = re.compile(r"/preview/(\d+)$")


def test_every_standard_instrument_is_copied_previewed_to_the_end_and_published(
    client, admin, partnership
):
    standard = library.keys()
    assert len(standard) >= 11
    for key in standard:
        preview_to_the_end_and_publish(client, key)


def preview_to_the_end_and_publish(client, key):
    response = post_form(client, "/instruments/copy", {"library_key": key})
    assert response.status_code == 302, text(response)
    instrument = db.session.scalar(sa.select(Instrument).where(Instrument.key == key))
    definition = service.preview_definition(instrument.latest)
    base = f"/instruments/{instrument.id}/versions/1/preview"

    start = text(client.get(base))
    assert str(escape(definition["title"])) in start and "Start now" in start, key
    url = re.search(rf'href="({base}/\d+)"', start).group(1)
    seen = []
    count = None
    while PAGE_PATH.search(url):
        page_index = int(PAGE_PATH.search(url).group(1))
        seen.append(page_index)
        page = text(client.get(url))
        match = re.search(r"Page (\d+) of (\d+)", page)
        assert match and int(match.group(1)) == len(seen), f"{key}: {url}"
        count = int(match.group(2))
        assert str(escape(definition["pages"][page_index]["title"])) in page, f"{key}: {url}"
        response = post_form(client, url, valid_post(definition, page_index))
        assert response.status_code == 302, f"{key} page {page_index}: {text(response)[:3000]}"
        url = response.headers["Location"]
    assert url.endswith("/preview/end"), key
    assert len(seen) == count, key
    end = text(client.get(url))
    assert "check your answers" in end, key
    assert "More time for supervision" in end or "Not answered" in end, key

    response = action(client, f"/instruments/{instrument.id}/publish")
    assert "Version 1 published" in text(client.get(response.headers["Location"])), key


def test_show_if_hides_and_shows_a_question_in_preview_without_javascript(
    client, admin, partnership
):
    version = make(partnership)
    base = f"/instruments/{version.instrument_id}/versions/1/preview"
    client.get(base)
    post_form(client, f"{base}/0", {"role": "practitioner", "years": "3"})
    page = text(client.get(f"{base}/1"))
    assert "How many people do you manage?" not in page
    assert "Page 2 of 2" in page

    # Back to page 1, change the answer: the question appears.
    page_one = text(client.get(f"{base}/0"))
    assert 'value="practitioner" checked' in page_one
    post_form(client, f"{base}/0", {"role": "manager", "years": "3"})
    page = text(client.get(f"{base}/1"))
    assert "How many people do you manage?" in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>")[0]


def test_a_question_depending_on_the_same_page_says_when_to_answer_it(client, admin, partnership):
    definition = branching()
    definition["pages"][0]["questions"].append(
        {
            "key": "team",
            "type": "short_text",
            "label": "Which team do you manage?",
            "required": True,
            "show_if": {"question": "role", "equals": "manager"},
        }
    )
    version = make(partnership, definition)
    url = f"/instruments/{version.instrument_id}/versions/1/preview/0"
    page = text(client.get(url))
    assert "Only answer this if you answered ‘Manager’ to ‘What is your role?’" in page
    # A practitioner may leave it blank; the server ignores it.
    response = post_form(client, url, {"role": "practitioner", "years": "2", "team": ""})
    assert response.status_code == 302
    response = post_form(client, url, {"role": "manager", "years": "2", "team": ""})
    assert response.status_code == 200
    assert "Enter your answer to &#39;Which team do you manage?&#39;" in text(response)


def test_a_failing_page_keeps_its_answers_and_links_each_error_to_its_field(
    client, admin, partnership
):
    version = make(partnership)
    url = f"/instruments/{version.instrument_id}/versions/1/preview/0"
    response = post_form(client, url, {"role": "manager", "years": "lots"})
    page = text(response)
    assert response.status_code == 200
    assert "<title>Error: About you" in page
    assert "There is a problem" in page
    assert 'href="#years"' in page and "must be a number" in page
    assert 'value="manager" checked' in page  # the good answer is kept
    assert 'value="lots"' in page  # and the bad one, to correct
    assert "Page 1 of 2" in page

    response = post_form(client, url, {"years": "2"})
    page = text(response)
    assert 'href="#role"' in page and "Select an answer for &#39;What is your role?&#39;" in page


def test_preview_of_a_draft_that_cannot_be_built_says_why(client, admin, partnership):
    response = post_form(client, "/instruments/new", {"title": "Empty", "key": "empty"})
    base = response.headers["Location"]
    page = text(client.get(f"{base}/versions/1/preview"))
    assert "cannot be previewed yet" in page
    assert "must contain at least one question" in page
    assert client.get(f"{base}/versions/1/preview/0").status_code == 302
