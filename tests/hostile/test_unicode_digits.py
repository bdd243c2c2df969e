"""Digits that are not ASCII in an id, a page number or a filter are junk, never a 500.

Python's str.isdigit() is true for "²" (which int() refuses) and for "١٢" (which int() reads as
12), so `int(s) if s.isdigit()` answered 500 for the first. Each is now what the same request
gets for other junk such as "abc": 404 for an id in a path, the located message or the filter
left out for a query argument or form field.
"""

import random
from datetime import date

import pytest
from flask import Flask

from feedback.extensions import db
from feedback.models import Agency, SourceType
from feedback.models.learning import Action
from feedback.services import coding
from feedback.services import visits as visit_service
from tests.conftest import csrf_token
from tests.feedback.themes_helpers import add_segments, run_jobs

#: A superscript two (isdigit, int() refuses it) and Arabic-Indic twelve (isdigit, int() reads
#: it), alone and as long as the widest ids and years the code accepts.
ODD = ["²", "١٢", "²²²²", "٢٠٢٨", "²" * 9, "١" * 11]


def _signed_in_admin(client, auth):
    return auth.sign_in_as("admin", "admin@testshire.example")


@pytest.mark.parametrize(
    "url",
    [
        "/visits?page={}",
        "/visits?agency={}",
        "/themes?page={}",
        "/themes?campaign={}",
        "/themes?agency={}",
        "/themes/export.qdpx?course={}",
        "/actions?owner={}",
        "/admin/audit-log?user={}",
        "/admin/audit-log.csv?user={}",
    ],
)
def test_a_query_argument_of_odd_digits_is_answered_like_other_junk(client, auth, url):
    _signed_in_admin(client, auth)
    junk = client.get(url.format("abc")).status_code
    assert junk != 500
    for value in ODD:
        response = client.get(url.format(value))
        assert response.status_code == junk, (url, value, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/voice/{}", "/api/v1/visits/{}", "/api/v1/campaigns/{}", "/api/v1/instruments/{}"],
)
def test_an_api_path_id_of_odd_digits_is_a_404(api, path):
    client, headers = api("admin")
    for value in ODD:
        response = client.get(path.format(value), headers=headers)
        assert response.status_code == 404, (path, value, response.status_code)


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def _same_as_junk(client, url, field, base=None, junk="abc"):
    expected = _post(client, url, {**(base or {}), field: junk}).status_code
    assert expected != 500
    for value in ODD:
        response = _post(client, url, {**(base or {}), field: value})
        assert response.status_code == expected, (url, field, value, response.status_code)


def test_form_fields_of_odd_digits_are_answered_like_other_junk(client, auth, partnership):
    admin = _signed_in_admin(client, auth)
    school = Agency(partnership_id=partnership.id, name="Hilltop School", sector="education")
    db.session.add(school)
    db.session.commit()
    visit = visit_service.create(
        admin,
        visit_service.VisitSpec(
            kind="scrutiny_visit",
            occurred_on=date(2027, 3, 1),
            agency_id=school.id,
            setting="Hilltop School",
            lead_id=admin.id,
        ),
    )
    new_visit = {"setting": "Hilltop", "occurred_on": ["2", "3", "2027"]}
    _same_as_junk(client, "/visits/new/scrutiny_visit", "agency_id", new_visit)
    _same_as_junk(client, "/visits/new/scrutiny_visit", "team_ids", new_visit)
    _same_as_junk(client, "/visits/new/practitioner_forum", "attendee_count", new_visit)
    _same_as_junk(client, f"/visits/{visit.id}/actions", "owner_agency_id", {"description": "Do"})
    _same_as_junk(client, "/voice/new", "agency_id")
    _same_as_junk(client, "/themes/samples", "size", {"name": "S"})
    _same_as_junk(client, "/themes/samples", "campaign", {"name": "S", "size": "10"})
    _same_as_junk(client, "/admin/retention", "months_survey")
    _same_as_junk(client, "/lna/priorities", "year", {"text": "More on neglect"}, junk="abcd")


def test_a_coding_sample_takes_odd_digits_as_no_segment_and_no_coder(client, auth, partnership):
    admin = _signed_in_admin(client, auth)
    add_segments(partnership, ["Neglect at home.", "Referral took days.", "Supervision helps."])
    run_jobs("text_analysis")
    sample = coding.draw_sample(
        partnership.id,
        "Check",
        5,
        coding.SegmentFilters(source=SourceType.SCRUTINY_VISIT),
        admin,
        rng=random.Random(1),
    )
    code = f"/themes/samples/{sample.id}/code"
    for value in ODD:
        assert client.get(f"{code}?segment={value}").status_code == 404, value
        assert _post(client, code, {"segment_id": value}).status_code == 404, value
        page = client.get(f"/themes/samples/{sample.id}/agreement?a={value}&b={value}")
        assert page.status_code == 200, value


def test_helpers_behind_other_pages_take_odd_digits_as_nothing(app: Flask, partnership):
    from feedback.extensions import login
    from feedback.services import actions, results, voice
    from feedback.services.privacy import check_retention
    from feedback.web.records import _agency_id
    from feedback.web.visits_forms import whole_number
    from feedback.web.voice import _int

    for value in ODD:
        action = Action(source_type=SourceType.AUDIT, source_id=value)
        assert actions.source_page(action) is None
        assert actions.source_titles(partnership.id, [action]) == {}
        assert voice.quotable_record_ids(partnership.id, [value]) == set()
        _, errors = results.parse_filters(partnership, {"agency": value})
        assert [field for field, _ in errors] == ["agency"]
        months, errors = check_retention({"survey": value})
        assert not months and [purpose for purpose, _ in errors] == ["survey"]
        assert _agency_id(value) == -1
        assert _int(value) is None
        with pytest.raises(ValueError):
            whole_number(value)
        assert login._user_callback(value) is None
