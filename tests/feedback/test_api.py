"""The JSON API: bearer tokens, one error shape, located validation errors, CSV import, OpenAPI."""

import re

import sqlalchemy as sa
from openapi_spec_validator import validate

from feedback.extensions import db
from feedback.models import Agency, Person
from feedback.services import accounts


def _agency(partnership, name="Testshire Police", sector="police"):
    agency = Agency(partnership_id=partnership.id, name=name, sector=sector)
    db.session.add(agency)
    db.session.commit()
    return agency


def test_requests_without_a_token_get_401_in_the_error_shape(client):
    response = client.get("/api/v1/agencies")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized"
    assert "Bearer" in error["message"]
    assert error["details"] == []


def test_a_revoked_token_stops_working(api, app):
    client, headers = api("admin")
    assert client.get("/api/v1/agencies", headers=headers).status_code == 200
    user = accounts.find_user("api-admin@testshire.example")
    accounts.revoke_tokens(user)
    assert client.get("/api/v1/agencies", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(api):
    from feedback.models import ApiToken

    _client, headers = api("admin")
    token = headers["Authorization"].split()[1]
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1 and len(stored[0]) == 64


def test_the_wrong_role_gets_403(api):
    client, headers = api("trainer")
    response = client.post(
        "/api/v1/agencies", json={"name": "X", "sector": "police"}, headers=headers
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_an_admin_creates_and_lists_agencies(api):
    client, headers = api("admin")
    created = client.post(
        "/api/v1/agencies", json={"name": "Testshire Police", "sector": "police"}, headers=headers
    )
    assert created.status_code == 201
    assert created.get_json()["name"] == "Testshire Police"
    listed = client.get("/api/v1/agencies", headers=headers).get_json()
    assert [a["name"] for a in listed] == ["Testshire Police"]


def test_bad_input_gets_422_saying_where_and_what(api):
    client, headers = api("admin")
    response = client.post(
        "/api/v1/agencies", json={"name": "", "sector": "space"}, headers=headers
    )
    assert response.status_code == 422
    details = {d["path"]: d["message"] for d in response.get_json()["error"]["details"]}
    assert set(details) == {"name", "sector"}
    assert "one of" in details["sector"].lower()


def test_a_duplicate_agency_is_refused_without_writing(api, partnership):
    _agency(partnership)
    client, headers = api("admin")
    response = client.post(
        "/api/v1/agencies", json={"name": "testshire police", "sector": "police"}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["path"] == "name"
    assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 1


def test_malformed_json_gets_a_4xx_json_error_not_a_500(api):
    client, headers = api("admin")
    response = client.post(
        "/api/v1/agencies",
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.get_json()


def test_people_are_created_listed_and_paged(api, partnership):
    agency = _agency(partnership)
    client, headers = api("admin")
    for i in range(3):
        response = client.post(
            "/api/v1/people",
            json={"name": f"Person {i}", "email": f"P{i}@Example.org", "agency_id": agency.id},
            headers=headers,
        )
        assert response.status_code == 201
    page = client.get("/api/v1/people?per_page=2&page=2", headers=headers).get_json()
    assert page["total"] == 3
    assert [p["email"] for p in page["items"]] == ["p2@example.org"]


def test_a_person_with_an_unknown_agency_or_bad_email_is_refused(api, partnership):
    client, headers = api("admin")
    bad_email = client.post(
        "/api/v1/people",
        json={"name": "A", "email": "not-an-email", "agency_id": None},
        headers=headers,
    )
    assert bad_email.status_code == 422
    assert bad_email.get_json()["error"]["details"][0]["path"] == "email"
    bad_agency = client.post(
        "/api/v1/people",
        json={"name": "A", "email": "a@example.org", "agency_id": 999},
        headers=headers,
    )
    assert bad_agency.status_code == 422
    assert bad_agency.get_json()["error"]["details"][0]["path"] == "agency_id"


CSV = (
    "name,email,agency,job_role,team\n"
    "Sam Patel,sam.patel@example.org,Testshire Police,Detective Constable,CAIU\n"
    "No Email,,Testshire Police,,\n"
    "Bad Email,bad@@example,Testshire Police,,\n"
    "Ghost,ghost@example.org,Nowhere Agency,,\n"
    "Sam Again,SAM.PATEL@example.org,Testshire Police,,\n"
    "Jo Bloggs,jo@example.org,testshire police,Social Worker,\n"
)


def test_csv_import_keeps_good_rows_and_reports_each_bad_one(api, partnership):
    _agency(partnership)
    client, headers = api("admin")
    response = client.post(
        "/api/v1/people/import", data=CSV, headers={**headers, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200
    report = response.get_json()
    assert report["created"] == 2
    assert report["updated"] == 0
    errors = {e["row"]: e["message"] for e in report["errors"]}
    assert set(errors) == {3, 4, 5, 6}
    assert "email" in errors[3]
    assert "not a valid email" in errors[4]
    assert "Nowhere Agency" in errors[5]
    assert "duplicate of row 2" in errors[6]
    emails = set(db.session.scalars(sa.select(Person.email)))
    assert emails == {"sam.patel@example.org", "jo@example.org"}


def test_reimporting_updates_rather_than_duplicates(api, partnership):
    _agency(partnership)
    client, headers = api("admin")
    csv_headers = {**headers, "Content-Type": "text/csv"}
    client.post("/api/v1/people/import", data=CSV, headers=csv_headers)
    changed = (
        "name,email,agency,job_role,team\n"
        "Sam Patel,sam.patel@example.org,Testshire Police,DS,MASH\n"
    )
    report = client.post("/api/v1/people/import", data=changed, headers=csv_headers).get_json()
    assert (report["created"], report["updated"]) == (0, 1)
    person = db.session.scalar(sa.select(Person).where(Person.email == "sam.patel@example.org"))
    assert (person.job_role, person.team) == ("DS", "MASH")


def test_csv_import_without_required_columns_is_refused_whole(api, partnership):
    client, headers = api("admin")
    response = client.post(
        "/api/v1/people/import",
        data="full name,mail\nA,a@example.org\n",
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert "Row 1" in response.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 0


def test_csv_import_needs_the_csv_content_type(api):
    client, headers = api("admin")
    response = client.post("/api/v1/people/import", json={"x": 1}, headers=headers)
    assert response.status_code == 415


def test_csv_import_that_is_not_utf8_gets_a_clear_message(api):
    client, headers = api("admin")
    response = client.post(
        "/api/v1/people/import",
        data="name,email,agency\nZoë,z@example.org,X\n".encode("utf-16"),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert "UTF-8" in response.get_json()["error"]["message"]


def test_the_openapi_document_is_valid_and_describes_every_endpoint(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api-docs.openapi_json":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
                assert (method, path) in documented, f"{method} {path} is not documented"
    error_schema = spec["components"]["schemas"]["Error"]
    assert error_schema["properties"]["error"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
