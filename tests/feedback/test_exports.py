"""Response exports: a header of labels, one row per response, person columns only for admins
and never for anonymous campaigns, split grid columns, no formulas, and streaming at scale."""

import csv
import io
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.extensions import db
from feedback.models import Person, Response
from tests.conftest import SURVEY, published_version
from tests.feedback.test_results import (
    RICH,
    _rich_answers,
    add_responses,
    draft_campaign,
    make_agency,
    pulse,
)

PERSON_COLUMNS = {"Name", "Email", "Submitted at (UTC)"}


def read_csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    assert response.status_code == 200
    data = response.data
    response.close()
    sheet = load_workbook(io.BytesIO(data))["Responses"]
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def people_campaign(partnership):
    """A campaign in the given mode answered by 12 named police officers."""

    def make(mode):
        police = make_agency(partnership, f"Police {mode}")
        campaign = draft_campaign(
            partnership, published_version(partnership, {**SURVEY, "key": mode}), mode=mode
        )
        for i in range(12):
            person = Person(
                partnership_id=partnership.id,
                name=f"Officer {i}",
                email=f"officer{i}.{mode}@example.org",
                agency_id=police.id,
            )
            db.session.add(person)
            db.session.flush()
            add_responses(campaign, [pulse(1 + i % 5, helps=f"Answer {i}")], police, person=person)
        return campaign

    return make


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_has_a_header_of_labels_and_a_row_per_response(client, auth, people_campaign, fmt):
    campaign = people_campaign("confidential")
    auth.sign_in_as("admin")
    response = client.get(f"/campaigns/{campaign.id}/export.{fmt}")
    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    header = rows[0]
    assert "I know the thresholds and how to refer" in header
    assert "Do you get regular safeguarding supervision?" in header
    assert "What helps you most?" in header
    assert len(rows) == 1 + 12
    assert set(header) >= PERSON_COLUMNS
    names = {row[header.index("Name")] for row in rows[1:]}
    assert names == {f"Officer {i}" for i in range(12)}
    likert = {row[header.index("I know the thresholds and how to refer")] for row in rows[1:]}
    assert "Strongly agree" in likert


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("mode", "role"),
    [("anonymous", "admin"), ("anonymous", "viewer"), ("confidential", "analyst")],
)
def test_no_person_columns_when_anonymous_or_not_an_admin(
    client, auth, people_campaign, fmt, mode, role
):
    campaign = people_campaign(mode)
    auth.sign_in_as(role)
    response = client.get(f"/campaigns/{campaign.id}/export.{fmt}")
    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    assert not PERSON_COLUMNS & set(rows[0])
    assert len(rows) == 13
    flat = " ".join(str(v) for row in rows for v in row)
    assert "Officer" not in flat and "@example.org" not in flat


def test_a_small_group_is_hidden_in_a_de_identified_export(client, auth, partnership):
    big, small = make_agency(partnership, "Big agency"), make_agency(partnership, "Small agency")
    campaign = draft_campaign(partnership, published_version(partnership, SURVEY), "anonymous")
    add_responses(campaign, [pulse(4)] * 10, big, job_role="Nurse")
    add_responses(campaign, [pulse(4)] * 2, small, job_role="Designated Safeguarding Lead")
    auth.sign_in_as("viewer")
    rows = read_csv(client.get(f"/campaigns/{campaign.id}/export.csv"))
    header = rows[0]
    agencies = [row[header.index("Agency")] for row in rows[1:]]
    roles = [row[header.index("Job role")] for row in rows[1:]]
    assert agencies.count("Big agency") == 10 and agencies.count("[c]") == 2
    assert "Designated Safeguarding Lead" not in roles and roles.count("[c]") == 2


def test_grids_split_into_columns_and_multiple_choices_are_joined(client, auth, partnership):
    police = make_agency(partnership, "Testshire Police")
    campaign = draft_campaign(partnership, published_version(partnership, RICH), "anonymous")
    add_responses(campaign, [_rich_answers(i) for i in range(3)], police)
    auth.sign_in_as("admin")
    rows = read_csv(client.get(f"/campaigns/{campaign.id}/export.csv"))
    header = rows[0]
    assert "In my team: I am listened to" in header and "In my team: I am supported" in header
    assert "Which training have you done?: other" in header
    training = [row[header.index("Which training have you done?")] for row in rows[1:]]
    assert "Neglect; Other, please specify" in training


def test_answers_that_look_like_formulas_are_kept_as_text(client, auth, partnership):
    police = make_agency(partnership, "Testshire Police")
    campaign = draft_campaign(partnership, published_version(partnership, SURVEY), "anonymous")
    add_responses(campaign, [pulse(4, helps='=HYPERLINK("http://evil","x")')], police)
    auth.sign_in_as("admin")
    rows = read_csv(client.get(f"/campaigns/{campaign.id}/export.csv"))
    assert rows[1][rows[0].index("What helps you most?")] == '\'=HYPERLINK("http://evil","x")'
    response = client.get(f"/campaigns/{campaign.id}/export.xlsx")
    data = response.data
    response.close()
    sheet = load_workbook(io.BytesIO(data))["Responses"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("What helps you most?") + 1)
    assert cell.data_type == "s"


def test_two_thousand_responses_stream_out(client, auth, partnership):
    police = make_agency(partnership, "Testshire Police")
    campaign = draft_campaign(partnership, published_version(partnership, SURVEY), "anonymous")
    db.session.execute(
        sa.insert(Response),
        [
            {
                "id": uuid.uuid4().hex,
                "campaign_id": campaign.id,
                "instrument_version_id": campaign.instrument_version_id,
                "agency_id": police.id,
                "job_role": "Police Constable",
                "submitted_on": date(2027, 3, 2),
                "answers": pulse(1 + i % 5, i % 2 == 0, helps=f"Answer {i}"),
            }
            for i in range(2000)
        ],
    )
    db.session.commit()
    auth.sign_in_as("analyst")
    response = client.get(f"/campaigns/{campaign.id}/export.csv")
    assert response.is_streamed
    rows = read_csv(response)
    assert len(rows) == 2001
    helps = rows[0].index("What helps you most?")
    assert {row[helps] for row in rows[1:]} == {f"Answer {i}" for i in range(2000)}
    xlsx = read_xlsx(client.get(f"/campaigns/{campaign.id}/export.xlsx"))
    assert len(xlsx) == 2001
