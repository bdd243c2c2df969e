"""Page forms: built from a definition, validated by question type, mapped back to answers."""

from datetime import date

import pytest
from flask import Flask, render_template_string
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.datastructures import MultiDict
from wtforms import Form

import forms
import forms.library
from forms.render import PageForm, page_form_class

OPTIONS = [
    {"value": "time", "label": "Not enough time"},
    {"value": "caseload", "label": "My caseload"},
    {"value": "systems", "label": "Our systems"},
]
ROWS = [{"key": "clear", "label": "It was clear"}, {"key": "useful", "label": "It was useful"}]
OUTCOMES = [{"key": "lo1", "label": "Recognise neglect"}]
LABEL = "The training was relevant to my role"


def one_question(type_, **extra):
    question = {"key": "q", "type": type_, "label": LABEL, "required": True, **extra}
    return {
        "schema_version": 1,
        "key": "single",
        "title": "Single",
        "pages": [{"key": "p", "title": "P", "questions": [question]}],
    }


# (question type and fields, posted pairs, stored answer)
CASES = {
    "likert": ({}, [("q", "4")], 4),
    "likert_dont_know": ({"type": "likert", "dont_know": True}, [("q", "dont_know")], "dont_know"),
    "rating": ({}, [("q", "7")], 7),
    "safety_scale": ({}, [("q", "0")], 0),
    "emoji_scale": ({"faces": 5}, [("q", "5")], 5),
    "single_choice": ({"options": OPTIONS}, [("q", "caseload")], "caseload"),
    "single_choice_select": (
        {"type": "single_choice", "options": OPTIONS, "display": "select"},
        [("q", "systems")],
        "systems",
    ),
    "multi_choice": (
        {"options": OPTIONS, "other": True},
        [("q", "time"), ("q", "other"), ("q-other", "Rota gaps")],
        {"selected": ["time", "other"], "other": "Rota gaps"},
    ),
    "short_text": ({}, [("q", " Health visitor ")], "Health visitor"),
    "long_text": (
        {"limits": {"max_length": 50}},
        [("q", "More time to think")],
        "More time to think",
    ),
    "number": ({"limits": {"min": 0, "max": 100}}, [("q", "12")], 12),
    "date": ({}, [("q", "3"), ("q", "4"), ("q", "2024")], "2024-04-03"),
    "yes_no": ({}, [("q", "no")], False),
    "consent": ({}, [("q", "y")], True),
    "matrix": ({"rows": ROWS}, [("q-clear", "5"), ("q-useful", "1")], {"clear": 5, "useful": 1}),
    "ranking": (
        {"options": OPTIONS},
        [("q-time", "3"), ("q-caseload", "1"), ("q-systems", "2")],
        ["caseload", "systems", "time"],
    ),
    "retrospective_confidence": (
        {"outcomes": OUTCOMES},
        [("q-lo1-before", "2"), ("q-lo1-now", "4")],
        {"lo1": {"before": 2, "now": 4}},
    ),
}


def case_definition(name):
    extra, _, _ = CASES[name]
    extra = dict(extra)
    type_ = extra.pop("type", name)
    return one_question(type_, **extra)


def test_every_answerable_type_has_a_form_case():
    covered = {case_definition(name)["pages"][0]["questions"][0]["type"] for name in CASES}
    answerable = {name for name, t in forms.QUESTION_TYPES.items() if t.answerable}
    assert answerable <= covered


@pytest.mark.parametrize("name", sorted(CASES))
def test_good_post_is_accepted_and_mapped_to_the_stored_answer(name):
    definition = case_definition(name)
    assert forms.validate(definition) == []
    form = page_form_class(definition, 0)(MultiDict(CASES[name][1]))
    assert form.validate(), form.errors
    assert form.answers == {"q": CASES[name][2]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_answer_fills_the_form_and_resubmits_unchanged(name):
    definition = case_definition(name)
    stored = CASES[name][2]
    form_class = page_form_class(definition, 0, {"q": stored})
    shown = form_class()
    resubmitted = MultiDict()
    for bound in shown:
        if bound.type == "DatePartsField":
            day, month, year = bound.data.strftime("%d %m %Y").split()
            resubmitted.setlist(bound.name, [day, month, year])
        elif bound.type == "SelectMultipleField":
            resubmitted.setlist(bound.name, bound.data)
        elif bound.type == "BooleanField":
            if bound.data:
                resubmitted.add(bound.name, "y")
        elif bound.data not in (None, ""):
            resubmitted.add(bound.name, bound.data)
    form = form_class(resubmitted)
    assert form.validate(), form.errors
    assert form.answers == {"q": stored}


# (case, posted pairs, field that shows the error, GOV.UK message)
BAD = [
    ("likert", [("q", "9")], "q", f"Select how much you agree with '{LABEL}'"),
    ("likert", [], "q", f"Select how much you agree with '{LABEL}'"),
    ("rating", [("q", "11")], "q", "Enter a number between 0 and 10"),
    ("safety_scale", [], "q", f"Select a number between 0 and 10 for '{LABEL}'"),
    ("emoji_scale", [], "q", f"Choose a face for '{LABEL}'"),
    ("single_choice", [("q", "hacked")], "q", f"Select an answer for '{LABEL}'"),
    ("single_choice_select", [("q", "")], "q", f"Select an answer for '{LABEL}'"),
    ("multi_choice", [], "q", f"Select at least one option for '{LABEL}'"),
    ("multi_choice", [("q", "other")], "q-other", f"Enter your other answer for '{LABEL}'"),
    ("short_text", [("q", "  ")], "q", f"Enter your answer to '{LABEL}'"),
    (
        "long_text",
        [("q", "x" * 51)],
        "q",
        f"Your answer to '{LABEL}' must be 50 characters or fewer",
    ),
    ("number", [("q", "twelve")], "q", f"'{LABEL}' must be a number"),
    ("number", [("q", "101")], "q", "Enter a number between 0 and 100"),
    ("date", [("q", "31"), ("q", "2"), ("q", "2024")], "q", f"'{LABEL}' must be a real date"),
    ("date", [("q", "1"), ("q", ""), ("q", "2024")], "q", f"'{LABEL}' must include a month"),
    ("yes_no", [], "q", f"Select yes or no for '{LABEL}'"),
    ("consent", [("q", "")], "q", f"Select the box to confirm you agree with '{LABEL}'"),
    ("matrix", [("q-clear", "5")], "q-useful", "Select how much you agree with 'It was useful'"),
    (
        "ranking",
        [("q-time", "1"), ("q-caseload", "1"), ("q-systems", "2")],
        "q-time",
        f"Give each option a different rank for '{LABEL}'",
    ),
    (
        "ranking",
        [("q-time", "1"), ("q-caseload", ""), ("q-systems", "2")],
        "q-caseload",
        f"Give every option a rank from 1 to 3 for '{LABEL}'",
    ),
    (
        "retrospective_confidence",
        [("q-lo1-before", "2")],
        "q-lo1-now",
        "Select how confident you feel now about 'Recognise neglect'",
    ),
]


@pytest.mark.parametrize(("name", "posted", "field_name", "message"), BAD)
def test_bad_post_shows_a_gov_uk_error_on_the_right_field(name, posted, field_name, message):
    form = page_form_class(case_definition(name), 0)(MultiDict(posted + [("csrf", "x")]))
    assert not form.validate()
    assert form[field_name].errors == [message]
    assert form.answers["q"] is None


def test_error_summary_links_each_message_to_its_field():
    definition = case_definition("date")
    form = page_form_class(definition, 0)(MultiDict([("q", ""), ("q", ""), ("q", "")]))
    form.validate()
    assert form.error_summary() == [{"text": f"Enter the date for '{LABEL}'", "href": "#q-day"}]
    form = page_form_class(case_definition("likert"), 0)(MultiDict([("other", "x")]))
    form.validate()
    assert form.error_summary()[0]["href"] == "#q"


def test_tampered_date_post_still_gives_three_boxes():
    form = page_form_class(case_definition("date"), 0)(MultiDict([("q", "1")]))
    assert not form.validate()
    assert form["q"].raw_data == ["1", "", ""]


def test_blank_submission_replaces_a_saved_answer_rather_than_keeping_it():
    definition = case_definition("likert")
    definition["pages"][0]["questions"][0]["required"] = False
    form = page_form_class(definition, 0, {"q": 4})(MultiDict([("csrf", "x")]))
    assert form.validate()
    assert form.answers == {"q": None}


def test_date_in_the_future_is_judged_by_the_today_given():
    definition = one_question("date", not_in_future=True)
    posted = MultiDict([("q", "2"), ("q", "1"), ("q", "2025")])
    assert page_form_class(definition, 0, today=date(2025, 1, 2))(posted).validate()
    form = page_form_class(definition, 0, today=date(2025, 1, 1))(posted)
    assert not form.validate()
    assert form["q"].errors == [f"'{LABEL}' must be today or in the past"]


def branching():
    return {
        "schema_version": 1,
        "key": "branching",
        "title": "Branching",
        "pages": [
            {"key": "one", "title": "One", "questions": [
                {"key": "role", "type": "single_choice", "label": "Role", "options": [
                    {"value": "manager", "label": "Manager"},
                    {"value": "practitioner", "label": "Practitioner"},
                ]},
            ]},
            {"key": "two", "title": "Two", "questions": [
                {"key": "team_size", "type": "number", "label": "Team size", "required": True,
                 "show_if": {"question": "role", "equals": "manager"}},
                {"key": "supervised", "type": "yes_no", "label": "Are you supervised?"},
                {"key": "why_not", "type": "long_text", "label": "Why not?", "required": True,
                 "show_if": {"question": "supervised", "equals": False}},
                {"key": "data", "type": "short_text", "label": "A key that clashes"},
            ]},
        ],
    }  # fmt: skip


def test_branching_definition_is_valid():
    assert forms.validate(branching()) == []


def test_question_hidden_by_an_earlier_page_is_left_out_of_the_form():
    practitioner = page_form_class(branching(), 1, {"role": "practitioner"})()
    assert "team_size" not in practitioner._fields
    manager = page_form_class(branching(), 1, {"role": "manager"})()
    assert "team_size" in manager._fields


def test_question_depending_on_the_same_page_is_included_and_marked_conditional():
    form = page_form_class(branching(), 1, {"role": "practitioner"})()
    conditional = {group.key: group.conditional for group in form.groups}
    assert conditional == {"supervised": False, "why_not": True, "data": False}


def test_conditional_question_is_required_only_when_its_condition_holds():
    form_class = page_form_class(branching(), 1, {"role": "practitioner"})
    form = form_class(MultiDict([("supervised", "yes"), ("why_not", "ignored")]))
    assert form.validate(), form.errors
    assert form.answers == {"team_size": None, "supervised": True, "why_not": None, "data": None}
    form = form_class(MultiDict([("supervised", "no")]))
    assert not form.validate()
    assert form["why_not"].errors == ["Enter your answer to 'Why not?'"]


def test_question_key_that_clashes_with_a_form_attribute_still_works():
    form_class = page_form_class(branching(), 1, {"role": "practitioner"})
    form = form_class(MultiDict([("data-answer", "Fine"), ("supervised", "yes")]))
    assert form.validate(), form.errors
    assert form.answers["data"] == "Fine"
    assert isinstance(form.data, dict)


def test_form_gives_its_page_number_and_count():
    assert page_form_class(branching(), 1, {"role": "manager"})().position() == (2, 2)
    assert forms.page_position(branching(), 0, {}) == (1, 2)


def test_info_item_appears_as_a_group_without_fields():
    form = page_form_class(forms.library.load("child_voice_4_7"), 0)()
    info = form.groups[0]
    assert info.kind == "info" and info.fields == []


def test_form_class_can_sit_on_another_form_base_such_as_flask_wtf():
    class Base(Form):
        marker = True

    form_class = page_form_class(case_definition("likert"), 0, base=Base)
    assert issubclass(form_class, Base) and issubclass(form_class, PageForm)
    form = form_class(MultiDict([("q", "2")]))
    assert form.validate() and form.answers == {"q": 2}


@pytest.mark.parametrize("key", sorted(forms.library.keys()))
def test_every_library_page_builds_and_validates_an_empty_post(key):
    definition = forms.with_learning_outcomes(forms.library.load(key), ["Recognise neglect"])
    for index in range(len(definition["pages"])):
        form = page_form_class(definition, index)(MultiDict([("csrf", "x")]))
        form.validate()
        required = {
            q["key"]
            for q in forms.visible_questions(definition, index, {})
            if q.get("required") or q["type"] == "consent"
        }
        with_errors = {
            group.key for group in form.groups if any(field.errors for field in group.fields)
        }
        assert with_errors == required


@pytest.fixture
def bare_app():
    """A Flask app with only the GOV.UK templates: enough to render widgets, nothing of ours."""
    app = Flask(__name__)
    app.jinja_loader = ChoiceLoader(
        [
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            )
        ]
    )
    return app


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_field_renders_with_the_gov_uk_macros_including_its_error(bare_app, name):
    form = page_form_class(case_definition(name), 0)(MultiDict([("csrf", "x")]))
    form.validate()
    with bare_app.test_request_context():
        html = render_template_string(
            "{% for g in form.groups %}{% for f in g.fields %}{{ f() }}{% endfor %}{% endfor %}",
            form=form,
        )
    assert "govuk-" in html
    assert "govuk-error-message" in html


def test_flask_wtf_form_built_on_a_page_validates_a_real_post(bare_app):
    app = bare_app
    from flask import jsonify
    from flask_wtf import FlaskForm

    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=True)
    form_class = page_form_class(case_definition("likert"), 0, {"q": 2}, base=FlaskForm)

    @app.route("/page", methods=["GET", "POST"])
    def page():
        form = form_class()
        if form.validate_on_submit():
            return jsonify(answers=form.answers)
        return jsonify(errors=form.errors, token=form.csrf_token.current_token, q=form["q"].data)

    client = app.test_client()
    shown = client.get("/page").get_json()
    assert shown["q"] == "2"
    assert client.post("/page", data={"q": "5", "csrf_token": shown["token"]}).get_json() == {
        "answers": {"q": 5}
    }
    refused = client.post("/page", data={"q": "5"}).get_json()
    assert "csrf_token" in refused["errors"]
