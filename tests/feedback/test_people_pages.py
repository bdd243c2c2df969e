"""The admin pages for agencies and practitioners."""

import io

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import Agency, Person
from tests.conftest import csrf_token, post_form


def test_an_admin_adds_an_agency_and_sees_it_listed(client, auth):
    auth.sign_in_as("admin")
    response = post_form(
        client, "/agencies", {"name": "Testshire Police", "sector": "police"}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Testshire Police added." in html
    assert "Police" in html


def test_an_agency_without_a_name_shows_an_error_summary_linking_to_the_field(client, auth):
    auth.sign_in_as("admin")
    html = post_form(client, "/agencies", {"name": "", "sector": ""}).get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#name"' in html
    assert "Enter the agency&#39;s name" in html or "Enter the agency's name" in html
    assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 0


def test_an_admin_imports_a_csv_and_reads_the_row_report(client, auth, partnership):
    db.session.add(Agency(partnership_id=partnership.id, name="Testshire Police", sector="police"))
    db.session.commit()
    auth.sign_in_as("admin")
    data = (
        b"name,email,agency,job_role,team\n"
        b"Sam Patel,sam@example.org,Testshire Police,DC,CAIU\n"
        b"Bad,bad-email,Testshire Police,,\n"
    )
    response = client.post(
        "/people/import",
        data={
            "csrf_token": csrf_token(client, "/people/import"),
            "file": (io.BytesIO(data), "people.csv"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "1 practitioner added" in html
    assert "1 row not imported" in html
    assert "bad-email" in html
    assert db.session.scalar(sa.select(Person.name)) == "Sam Patel"


def test_an_import_without_a_file_says_so(client, auth):
    auth.sign_in_as("admin")
    html = post_form(client, "/people/import", {}).get_data(as_text=True)
    assert "Select a CSV file to upload" in html


def test_an_admin_adds_a_practitioner_and_a_duplicate_email_is_refused(client, auth, partnership):
    agency = Agency(partnership_id=partnership.id, name="Testshire Police", sector="police")
    db.session.add(agency)
    db.session.commit()
    auth.sign_in_as("admin")
    form = {
        "name": "Jo Bloggs",
        "email": "jo@example.org",
        "agency_id": str(agency.id),
        "job_role": "",
        "team": "",
    }
    assert post_form(client, "/people/new", form).status_code == 302
    html = post_form(client, "/people/new", form).get_data(as_text=True)
    assert "already listed" in html
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 1


def test_practitioner_list_pages_through_many_people(client, auth, partnership):
    db.session.add_all(
        [
            Person(partnership_id=partnership.id, name=f"P{i:03}", email=f"p{i}@example.org")
            for i in range(120)
        ]
    )
    db.session.commit()
    auth.sign_in_as("admin")
    first = client.get("/people").get_data(as_text=True)
    assert "120 practitioners" in first
    assert "P000" in first and "P050" not in first
    third = client.get("/people?page=3").get_data(as_text=True)
    assert "P119" in third


def test_names_with_markup_are_shown_as_text(client, auth, partnership):
    db.session.add(Person(partnership_id=partnership.id, name="<b>Bold</b>", email="b@example.org"))
    db.session.commit()
    auth.sign_in_as("admin")
    html = client.get("/people").get_data(as_text=True)
    assert "<b>Bold</b>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
