"""XLSForm upload and download, through the designer pages and the API."""

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.extensions import db
from feedback.models import Instrument
from feedback.services import instruments as service
from forms.xlsform import export_xlsform, import_xlsform
from tests.conftest import csrf_token
from tests.feedback.test_instruments_pages import branching

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(definition, change=None):
    """An XLSForm of the definition, with a cell changed: change=(sheet, row, column, value)."""
    data = export_xlsform(definition)
    if change is None:
        return data
    book = load_workbook(io.BytesIO(data))
    sheet, row, column, value = change
    book[sheet].cell(row=row, column=column).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data, filename="form.xlsx"):
    return client.post(
        "/instruments/import",
        data={
            "csrf_token": csrf_token(client, "/instruments/import"),
            "file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def test_an_uploaded_workbook_becomes_a_new_instrument(client, auth, partnership):
    auth.sign_in_as("admin")
    response = upload(client, workbook(branching("from_excel")))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Team check created." in page
    version = service.get_version(
        partnership,
        db.session.scalar(sa.select(Instrument.id).where(Instrument.key == "from_excel")),
    )
    assert version.number == 1 and version.is_draft
    assert version.definition == import_xlsform(workbook(branching("from_excel"))).definition


def test_a_workbook_that_cannot_be_read_is_reported_by_sheet_and_row(client, auth, partnership):
    auth.sign_in_as("admin")
    page = upload(client, b"not a workbook").get_data(as_text=True)
    assert "There is a problem" in page and "not an Excel workbook" in page

    broken = branching()
    broken["pages"][0]["questions"][1]["limits"] = {"min": 5, "max": 1}
    page = upload(client, workbook(broken)).get_data(as_text=True)
    assert "Problems in the workbook" in page
    assert "survey row 4" in page and "min (5) is greater than max (1)" in page
    assert db.session.scalar(sa.select(sa.func.count(Instrument.id))) == 0


def test_each_version_downloads_as_a_workbook_that_reads_back_the_same(client, auth, partnership):
    auth.sign_in_as("admin")
    version = service.create_instrument(partnership, branching(), None, publish=True)
    page = client.get(f"/instruments/{version.instrument_id}").get_data(as_text=True)
    url = f"/instruments/{version.instrument_id}/versions/1/xlsform"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "team_check-v1.xlsx" in response.headers["Content-Disposition"]
    assert import_xlsform(response.data).definition == branching()


def test_api_import_creates_then_makes_the_next_draft_with_warnings(api, partnership):
    client, headers = api("admin")
    xlsx_headers = {**headers, "Content-Type": XLSX}
    created = client.post(
        "/api/v1/instruments/import-xlsform", data=workbook(branching()), headers=xlsx_headers
    )
    assert created.status_code == 201
    body = created.get_json()
    assert (body["version"], body["status"], body["warnings"]) == (1, "draft", [])
    client.post(f"/api/v1/instruments/{body['id']}/publish", headers=headers)

    # The same form key again: an edited workbook becomes version 2, with what it dropped.
    edited = workbook(branching(), ("survey", 4, 1, "geopoint"))
    again = client.post("/api/v1/instruments/import-xlsform", data=edited, headers=xlsx_headers)
    assert again.status_code == 201
    body2 = again.get_json()
    assert (body2["id"], body2["version"], body2["status"]) == (body["id"], 2, "draft")
    assert body2["warnings"][0]["path"] == "survey row 4"
    assert "geopoint" in body2["warnings"][0]["message"]
    first = service.get_version(partnership, body["id"], 1)
    assert first.definition == branching()


def test_api_import_refuses_bad_workbooks_with_located_problems(api):
    client, headers = api("admin")
    xlsx_headers = {**headers, "Content-Type": XLSX}
    response = client.post(
        "/api/v1/instruments/import-xlsform", data=b"PK not really", headers=xlsx_headers
    )
    assert response.status_code == 422
    assert "workbook" in response.get_json()["error"]["details"][0]["message"]
    broken = branching()
    broken["pages"][0]["questions"][1]["limits"] = {"min": 5, "max": 1}
    response = client.post(
        "/api/v1/instruments/import-xlsform", data=workbook(broken), headers=xlsx_headers
    )
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details == [
        {"path": "survey row 4", "message": "limits: min (5) is greater than max (1)"}
    ]
    wrong_type = client.post(
        "/api/v1/instruments/import-xlsform",
        data=b"x",
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert wrong_type.status_code == 415


def test_api_download_gives_the_requested_version(api, partnership):
    version = service.create_instrument(partnership, branching(), None, publish=True)
    service.update_details(partnership, version.instrument_id, "Team check 2027", None, None)
    client, headers = api("viewer")
    url = f"/api/v1/instruments/{version.instrument_id}/xlsform"
    latest = client.get(url, headers=headers)
    assert latest.status_code == 200 and latest.mimetype == XLSX
    assert import_xlsform(latest.data).definition["title"] == "Team check 2027"
    first = client.get(f"{url}?version=1", headers=headers)
    assert import_xlsform(first.data).definition["title"] == "Team check"
    assert client.get(f"{url}?version=5", headers=headers).status_code == 404
