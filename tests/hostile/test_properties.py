"""Property tests: whatever arrives, the answer is a result or a located error, never a crash.

forms.validate, the XLSForm importer, the people CSV importer and the respondent's form posts
are each fed generated input; Hypothesis runs derandomized so CI sees the same cases each time.
"""

import io
import itertools
import string
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import forms
from feedback import clock
from feedback.extensions import db
from feedback.models import Agency, Invitation, Person
from feedback.services import ServiceError, messages
from feedback.services import people as people_service
from forms.schema import COMMON_FIELDS
from forms.xlsform import CHOICES_COLUMNS, SURVEY_COLUMNS, XLSFormImport, import_xlsform
from tests.conftest import CSRF_RE, SURVEY
from tests.feedback.helpers import START, make_campaign

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None)
# The app, partnership and campaign are set up once per test and shared by its examples on
# purpose: each example must leave them usable for the next, which is part of what is tested.
WITH_APP = settings(
    PROPERTY,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- Generated values ----------------------------------------------------------------------------

nasty_text = st.text(
    alphabet=st.characters(codec="utf-8")
    | st.sampled_from(["\x00", "\r", "\n", '"', ",", ";", "\ufeff", "{", "}", "'", "<", "é"]),
    max_size=40,
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | nasty_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=25,
)

# Near-miss definitions reach deeper than random JSON: real field names, real question types.
QUESTION_FIELDS = sorted(
    (COMMON_FIELDS - {"key", "type"}) | {"choices", "options", "scale", "rows"}
)
question_types = st.sampled_from(sorted(forms.QUESTION_TYPES)) | nasty_text
questions = st.fixed_dictionaries(
    {"key": st.sampled_from(["a", "b", "c", "thresholds"]) | json_values, "type": question_types},
    optional={name: json_values for name in QUESTION_FIELDS}
    | {
        "show_if": st.fixed_dictionaries(
            {"question": st.sampled_from(["a", "b", "zz"]) | json_values},
            optional={"equals": json_values, "in": json_values, "all": json_values},
        )
    },
)
pages = st.fixed_dictionaries(
    {"key": st.sampled_from(["p1", "p2"]) | json_values},
    optional={
        "title": json_values,
        "intro": json_values,
        "questions": st.lists(questions, max_size=4) | json_values,
    },
)
definitions = st.fixed_dictionaries(
    {},
    optional={
        "schema_version": st.sampled_from([1, 2, "1", None]),
        "key": st.sampled_from(["survey", ""]) | json_values,
        "title": json_values,
        "intro": json_values,
        "meta": json_values,
        "pages": st.lists(pages, max_size=3) | json_values,
    },
)


# -- forms.validate ------------------------------------------------------------------------------


def _located(problems: Any) -> None:
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, forms.Problem)
        assert isinstance(problem.path, str) and isinstance(problem.message, str)
        assert problem.message


@PROPERTY
@given(definition=json_values | definitions, themes=st.none() | json_values)
@example(definition=SURVEY, themes=None)
def test_validate_reports_problems_for_any_value(definition: Any, themes: Any) -> None:
    _located(forms.validate(definition, themes))
    _located(forms.validate(definition, allow_placeholders=False))


# -- The XLSForm importer ------------------------------------------------------------------------

UNEXPECTED = "the workbook could not be imported because of an unexpected error"
HEADERS = [*SURVEY_COLUMNS, *CHOICES_COLUMNS, "label::English (en)"]
XLS_WORDS = [
    "begin group",
    "end group",
    "begin_repeat",
    "select_one yn",
    "select_multiple yn",
    "integer",
    "text",
    "note",
    "yn",
    "yes",
    "form_title",
    "form_id",
    "${a}",
    "${a} = 'yes'",
    "selected(${a}, 'yes')",
    ". > 3 and . < 10",
    "field-list",
    "true()",
]
# openpyxl refuses control characters in cells, so a workbook never holds them.
cell_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30
)
cell_values = (
    st.none()
    | st.sampled_from(HEADERS + XLS_WORDS)
    | cell_text
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.dates(min_value=date(1900, 1, 1))
)
sheet_names = st.sampled_from(["survey", "choices", "settings", "Survey", "other"]) | st.text(
    alphabet=string.ascii_letters + string.digits + " _-", min_size=1, max_size=20
)
rows = st.lists(st.lists(cell_values, max_size=8), max_size=12)
workbooks = st.dictionaries(sheet_names, rows, min_size=1, max_size=4)
XLS_TYPES = ["text", "integer", "decimal", "date", "note", "select_one yn", "select_multiple yn"]
XLS_TYPES += ["begin group", "end group", "select_one missing", "calculate", "acknowledge"]
identifiers = st.sampled_from(["a", "b", "c", "q_1"]) | st.from_regex(
    r"[a-z][a-z0-9_]{0,8}", fullmatch=True
)


def mostly(strategy: Any) -> Any:
    """Values from strategy, but one time in five any cell value at all."""
    return st.integers(0, 4).flatmap(lambda n: strategy if n else cell_values)


@st.composite
def xlsforms(draw: Any) -> dict[str, list[list[Any]]]:
    """Workbooks shaped like XLSForms, with the odd cell wrong, so the importer gets past the
    sheet checks and into questions, choices and expressions."""
    extra = draw(st.lists(st.sampled_from(SURVEY_COLUMNS[3:]), unique=True, max_size=5))
    columns = ["type", "name", "label", *extra]
    cell = {
        "required": st.sampled_from(["yes", "no", "true()", "", "maybe"]) | cell_values,
        "relevant": st.sampled_from(XLS_WORDS) | cell_values,
        "constraint": st.sampled_from(XLS_WORDS) | cell_values,
    }
    survey = [columns] + draw(
        st.lists(
            st.tuples(
                mostly(st.sampled_from(XLS_TYPES)),
                mostly(identifiers),
                mostly(cell_text.filter(str.strip)),
                *[cell.get(c, cell_values) for c in extra],
            ).map(list),
            min_size=1,
            max_size=10,
        )
    )
    choices = [["list_name", "name", "label"]] + draw(
        st.lists(
            st.tuples(
                mostly(st.sampled_from(["yn", "other"])),
                mostly(identifiers),
                mostly(cell_text.filter(str.strip)),
            ).map(list),
            max_size=5,
        )
    )
    settings_rows = draw(
        st.sampled_from([[], [["form_title", "form_id"], ["A form", "a_form"]]])
        | st.lists(st.lists(cell_values, max_size=3), max_size=3)
    )
    book = {"survey": survey, "choices": choices}
    if settings_rows:
        book["settings"] = settings_rows
    return book


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, sheet_rows in sheets.items():
        sheet = book.create_sheet(name.strip()[:31] or "blank")
        for row in sheet_rows:
            sheet.append(row)
    if not book.sheetnames:
        book.create_sheet("empty")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _imported(data: bytes) -> XLSFormImport:
    result = import_xlsform(data)
    assert isinstance(result, XLSFormImport)
    assert result.definition is None or isinstance(result.definition, dict)
    _located(result.problems)
    # import_xlsform catches everything as a last resort; reaching that is still a bug.
    assert UNEXPECTED not in [p.message for p in result.problems], result.problems
    event("a definition" if result.definition is not None else "no definition")
    return result


@PROPERTY
@given(data=st.binary(max_size=2000))
@example(data=b"")
@example(data=b"PK\x03\x04" + b"\x00" * 100)
def test_the_xlsform_importer_reports_on_any_bytes(data: bytes) -> None:
    result = _imported(data)
    assert result.definition is None
    assert result.problems


@PROPERTY
@given(sheets=workbooks | xlsforms())
@example(
    sheets={
        "survey": [["type", "name", "label"], ["select_one yn", "a", "A?"], ["text", "b", "B"]],
        "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
    }
)
def test_the_xlsform_importer_reports_on_any_workbook(sheets: dict[str, list[list[Any]]]) -> None:
    result = _imported(_xlsx(sheets))
    if result.definition is not None:
        _located(forms.validate(result.definition))


# -- The people CSV importer ---------------------------------------------------------------------

CSV_COLUMNS = ["name", "email", "agency", "job_role", "team", "Name ", "EMAIL", "extra", ""]
csv_cells = (
    st.sampled_from(
        ["Sam Patel", "sam@example.org", "SAM@EXAMPLE.ORG", "bad@@x", "Hostile Police", ""]
    )
    | nasty_text
)


person_rows = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Sam Patel", "Jo Bloggs", " ", "x" * 201]) | nasty_text,
        "email": st.emails() | st.sampled_from(["sam@example.org", "SAM@Example.org", "a@@b"]),
        "agency": st.sampled_from(["Hostile Police", " hostile police ", "Nowhere"]) | nasty_text,
        "job_role": csv_cells,
        "team": csv_cells,
    }
)


@st.composite
def csv_texts(draw: Any) -> str:
    usable = draw(st.integers(0, 3)) > 0  # mostly a header the importer accepts
    header = draw(
        st.permutations(people_service.IMPORT_COLUMNS)
        if usable
        else st.lists(st.sampled_from(CSV_COLUMNS) | nasty_text, min_size=0, max_size=6)
    )
    rows = draw(st.lists(person_rows | st.lists(csv_cells, max_size=7), max_size=8))
    lines = [header] + [
        [row.get(column.strip().lower(), "") for column in header] if isinstance(row, dict) else row
        for row in rows
    ]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote = draw(st.booleans())
    text = newline.join(
        ",".join('"' + c.replace('"', '""') + '"' if quote else c for c in line) for line in lines
    )
    return draw(st.sampled_from(["", "\ufeff"])) + text


def _people() -> int:
    return db.session.scalar(sa.select(sa.func.count(Person.id)))


@pytest.fixture
def agency(partnership: Any) -> Agency:
    agency = Agency(partnership_id=partnership.id, name="Hostile Police", sector="police")
    db.session.add(agency)
    db.session.commit()
    return agency


@WITH_APP
@given(text=st.integers(0, 3).flatmap(lambda n: csv_texts() if n else st.text()))
@example(text="name,email,agency\nSam Patel,sam@example.org,Hostile Police\n")
# The csv module refuses a field over 128 KiB with csv.Error; that was a 500 from the API.
@example(text="name,email,agency\n" + "x" * 200_000 + ",big@example.org,Hostile Police\n")
@example(text="x" * 200_000)
def test_the_people_importer_reports_or_refuses_whole(partnership: Any, agency: Any, text: str):
    before = _people()
    try:
        report = people_service.import_people_csv(partnership, text, None)
    except ServiceError as exc:
        event("refused")
        assert isinstance(exc.message, str) and exc.message
        db.session.rollback()
        assert _people() == before  # refused whole: nothing half-written
        return
    event("imported" if report.created or report.updated else "nothing imported")
    assert report.created >= 0 and report.updated >= 0
    assert _people() == before + report.created
    for error in report.errors:
        assert error.row >= 2 and error.message


def test_a_csv_field_over_the_csv_modules_limit_is_refused_not_a_500(api, agency):
    client, headers = api("admin")
    body = "name,email,agency\n" + "x" * 200_000 + ",big@example.org,Hostile Police\n"
    response = client.post(
        "/api/v1/people/import", data=body, headers={**headers, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith("Row 2:")
    assert _people() == 0


# -- The respondent's form posts -----------------------------------------------------------------


@pytest.fixture
def invitation_token(app: Any, partnership: Any, agency: Any) -> Iterator[tuple[int, str]]:
    """A live confidential campaign's invitation link token, with the clock inside the campaign."""
    person = Person(
        partnership_id=partnership.id, name="Officer", email="officer@example.org", agency=agency
    )
    db.session.add(person)
    db.session.commit()
    make_campaign(partnership, [person])
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.person_id == person.id))
    clock.set_now(START + timedelta(hours=1))
    yield invitation.id, messages.token_for("invitation", invitation.token_nonce)
    clock.set_now(None)


ADDRESSES = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())
QUESTION_KEYS = ["thresholds", "supervision", "why_not", "helps"]
field_names = st.sampled_from([*QUESTION_KEYS, "action", "csrf_token", "page"]) | nasty_text
field_values = (
    st.sampled_from(["1", "3", "5", "yes", "no", "dont_know", "save", "continue", "", "4.5"])
    | nasty_text
    | st.text(min_size=1000, max_size=3000)
)
form_data = st.dictionaries(
    field_names, field_values | st.lists(field_values, min_size=2, max_size=3), max_size=8
)


@WITH_APP
@given(
    data=form_data,
    page=st.none() | st.integers(min_value=-5, max_value=5),
    current_page=st.sampled_from([0, 1]),
    with_csrf=st.booleans(),
)
@example(data={"thresholds": "4", "supervision": "yes"}, page=None, current_page=0, with_csrf=True)
@example(data={"helps": "x", "action": "save"}, page=None, current_page=1, with_csrf=True)
def test_respondent_posts_never_fail(
    app: Any, invitation_token: Any, data: dict[str, Any], page: Any, current_page: int, with_csrf
):
    invitation_id, token = invitation_token
    # Start each example from a fresh, unanswered invitation on the given page.
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation_id)
        .values(responded=False, completed_at=None, draft_answers=None, current_page=current_page)
    )
    db.session.commit()
    client = app.test_client()
    # A fresh address for each example keeps the respondent rate limit out of the way.
    client.environ_base["REMOTE_ADDR"] = next(ADDRESSES)
    url = f"/r/{token}" + ("" if page is None else f"?page={page}")
    if with_csrf:
        form_page = client.get(url)
        assert form_page.status_code == 200
        match = CSRF_RE.search(form_page.get_data(as_text=True))
        assert match
        data = {**data, "csrf_token": match.group(1)}
    response = client.post(url, data=data)
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


# -- The attendance importer ----------------------------------------------------------------------

attendance_rows = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["Sam Patel", "Jo Bloggs", " ", "x" * 201]) | nasty_text,
        "email": st.emails() | st.sampled_from(["sam@example.org", "SAM@Example.org", "a@@b"]),
        "agency": st.sampled_from(["Hostile Police", " hostile police ", "Nowhere"]) | nasty_text,
        "attended": st.sampled_from(["yes", "no", "Y", "n", "", "maybe"]) | nasty_text,
    }
)


@st.composite
def attendance_texts(draw: Any) -> str:
    from feedback.services.training import IMPORT_COLUMNS

    usable = draw(st.integers(0, 3)) > 0
    header = draw(
        st.permutations(IMPORT_COLUMNS)
        if usable
        else st.lists(
            st.sampled_from([*IMPORT_COLUMNS, "Attended ", "x", ""]) | nasty_text, max_size=6
        )  # fmt: skip
    )
    rows = draw(st.lists(attendance_rows | st.lists(csv_cells, max_size=6), max_size=8))
    lines = [header] + [
        [row.get(column.strip().lower(), "") for column in header] if isinstance(row, dict) else row
        for row in rows
    ]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(",".join('"' + c.replace('"', '""') + '"' for c in line) for line in lines)


@pytest.fixture
def course_session(partnership: Any, agency: Any) -> Any:
    from feedback.services import training

    course = training.create_course(
        partnership,
        training.CourseSpec(title="Neglect", learning_outcomes=["Spot it", "Act", "Record it"]),
        None,
    )
    starts = clock.now() - timedelta(days=1)
    return training.add_session(
        partnership, course, starts_at=starts, ends_at=starts + timedelta(hours=6), venue="Hall"
    )


@WITH_APP
@given(text=st.integers(0, 3).flatmap(lambda n: attendance_texts() if n else st.text()))
@example(text="name,email,agency,attended\nSam Patel,sam@example.org,Hostile Police,yes\n")
@example(text="email,attended\n" + "x" * 200_000 + ",yes\n")
def test_the_attendance_importer_reports_every_row_or_refuses_whole(course_session: Any, text: str):
    from feedback.models import Attendance
    from feedback.services import training

    def count(model: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    before = (count(Attendance), _people())
    try:
        report = training.import_attendance_csv(course_session, text, None)
    except ServiceError as exc:
        event("refused")
        assert isinstance(exc.message, str) and exc.message
        db.session.rollback()
        assert (count(Attendance), _people()) == before  # refused whole: nothing half-written
        return
    event("imported" if report.count("added") else "nothing booked")
    assert all(r.row >= 2 and r.message for r in report.rows)
    assert {r.outcome for r in report.rows} <= {"added", "updated", "unchanged", "skipped"}
    assert count(Attendance) == before[0] + report.count("added")
