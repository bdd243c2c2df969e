"""XLSForm import and export: the mapping both ways, round trips, and located problems."""

import io
import random
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

import forms
import forms.library
from forms import Problem, validate
from forms.xlsform import XLSFormImport, export_losses, export_xlsform, import_xlsform

AGREE_5 = [
    ("sd", "Strongly disagree"),
    ("d", "Disagree"),
    ("n", "Neither agree nor disagree"),
    ("a", "Agree"),
    ("sa", "Strongly agree"),
]


def workbook(survey, choices=None, settings=None, extra_sheets=()):
    """The bytes of an .xlsx whose sheets hold these rows (the first row names the columns)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    if choices is not None:
        sheet = book.create_sheet("choices")
        for row in choices:
            sheet.append(list(row))
    if settings is not None:
        sheet = book.create_sheet("settings")
        for row in settings:
            sheet.append(list(row))
    for name in extra_sheets:
        book.create_sheet(name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def choice_rows(*lists):
    rows = [("list_name", "name", "label")]
    for list_name, items in lists:
        rows += [(list_name, name, label) for name, label in items]
    return rows


SETTINGS = [("form_title", "form_id", "version"), ("Team check-in", "team_check_in", "2024061")]


def questions_of(definition):
    return {q["key"]: q for page in definition["pages"] for q in page["questions"]}


def messages_at(result, path):
    return [p.message for p in result.problems if p.path == path]


# -- the mapping ----------------------------------------------------------------------------------


def rich_workbook():
    survey = [
        ("type", "name", "label", "hint", "required", "relevant", "constraint", "appearance"),
        ("note", "welcome", "Thanks for taking part", None, None, None, None, None),
        (
            "begin group",
            "about",
            "About you",
            "A few questions about your role",
            None,
            None,
            None,
            "field-list",
        ),
        ("select_one agency", "agency", "Where do you work?", None, "yes", None, None, "minimal"),
        ("select_one yn", "is_dsl", "Are you a DSL?", None, "TRUE()", None, None, None),
        ("integer", "years", "Years in post", "Whole years", "1", None, ". >= 0 and . <= 50", None),
        ("decimal", "hours", "Hours of training", None, None, None, ".>=1 and .<=5", None),
        ("end group", None, None, None, None, None, None, None),
        ("begin_group", "views", "Your views", None, None, None, None, None),
        (
            "select_one agree",
            "relevant_to_me",
            "The training was relevant",
            None,
            "true",
            None,
            None,
            None,
        ),
        (
            "select_one agree4",
            "know_procedures",
            "I know the procedures",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "select_multiple barriers",
            "barriers",
            "What gets in the way?",
            "Select all that apply",
            None,
            "${relevant_to_me} = 'sd' or ${relevant_to_me} = 'd'",
            "count-selected(.) <= 2",
            None,
        ),
        (
            "text",
            "why",
            "Why?",
            None,
            None,
            "selected(${barriers}, 'time') and ${agency} != 'police'",
            None,
            "multiline",
        ),
        (
            "text",
            "job",
            "Job title",
            None,
            None,
            "${is_dsl} = 'yes' or ${why} != ''",
            "string-length(.) <= 100",
            None,
        ),
        (
            "date",
            "attended",
            "When did you attend?",
            None,
            None,
            None,
            ". >= date('2024-01-01') and . <= today()",
            None,
        ),
        ("end_group", None, None, None, None, None, None, None),
    ]
    choices = choice_rows(
        ("agency", [("police", "Police"), ("health", "Health"), ("education", "Education")]),
        ("yn", [("yes", "Yes"), ("no", "No")]),
        ("agree", list(reversed(AGREE_5)) + [("dk", "Don't know")]),
        (
            "agree4",
            [
                ("1", "Strongly disagree"),
                ("2", "Disagree"),
                ("3", "Agree"),
                ("4", "Strongly agree"),
            ],
        ),
        ("barriers", [("time", "Time"), ("caseload", "Caseload"), ("money", "Money")]),
    )
    return workbook(survey, choices, SETTINGS)


def test_import_maps_xlsform_types_rows_and_settings_to_a_valid_definition():
    result = import_xlsform(rich_workbook())

    assert result.problems == []
    definition = result.definition
    assert validate(definition, forms.THEMES) == []
    assert (definition["key"], definition["title"]) == ("team_check_in", "Team check-in")
    assert [p["key"] for p in definition["pages"]] == ["page_1", "about", "views"]
    assert definition["pages"][1]["intro"] == "A few questions about your role"
    q = questions_of(definition)
    assert q["welcome"]["type"] == "info"
    assert q["agency"] == {
        "key": "agency",
        "type": "single_choice",
        "label": "Where do you work?",
        "required": True,
        "options": [
            {"value": "police", "label": "Police"},
            {"value": "health", "label": "Health"},
            {"value": "education", "label": "Education"},
        ],
        "display": "select",
    }
    assert q["is_dsl"]["type"] == "yes_no" and q["is_dsl"]["required"] is True
    assert q["years"]["limits"] == {"min": 0, "max": 50}
    assert q["years"]["hint"] == "Whole years"
    assert q["hours"]["limits"] == {"min": 1, "max": 5, "integer": False}
    assert q["relevant_to_me"] == {
        "key": "relevant_to_me",
        "type": "likert",
        "label": "The training was relevant",
        "required": True,
        "dont_know": True,
    }
    assert q["know_procedures"]["scale"] == "agree_4"
    assert q["barriers"]["type"] == "multi_choice"
    assert q["barriers"]["limits"] == {"max_selected": 2}
    assert q["why"]["type"] == "long_text" and q["job"]["type"] == "short_text"
    assert q["job"]["limits"] == {"max_length": 100}
    assert q["attended"]["limits"] == {"min": "2024-01-01"}
    assert q["attended"]["not_in_future"] is True


def test_relevant_becomes_show_if_with_choice_names_turned_into_stored_answers():
    q = questions_of(import_xlsform(rich_workbook()).definition)

    # The agree list runs from Strongly agree down, so its names map to levels by label.
    assert q["barriers"]["show_if"] == {"question": "relevant_to_me", "in": [1, 2]}
    assert q["why"]["show_if"] == {
        "all": [
            {"question": "barriers", "equals": "time"},
            {"question": "agency", "not_equals": "police"},
        ]
    }
    assert q["job"]["show_if"] == {
        "any": [
            {"question": "is_dsl", "equals": True},
            {"question": "why", "answered": True},
        ]
    }


def test_import_export_import_gives_the_same_definition():
    first = import_xlsform(rich_workbook())
    second = import_xlsform(export_xlsform(first.definition))

    assert second.problems == []
    assert second.definition == first.definition


def test_round_trip_keeps_nested_conditions_scales_grids_and_extras():
    definition = {
        "schema_version": 1,
        "key": "everything",
        "title": "Everything",
        "intro": "About five minutes.",
        "meta": {"audience": "staff", "levels": [1, 2]},
        "pages": [
            {
                "key": "one",
                "title": "One",
                "intro": "Start here.",
                "questions": [
                    {"key": "agree", "type": "consent", "label": "I agree to take part"},
                    {
                        "key": "score",
                        "type": "rating",
                        "label": "Score it",
                        "limits": {"min": 1, "max": 5},
                    },
                    {"key": "face", "type": "emoji_scale", "label": "How do you feel?", "faces": 5},
                    {
                        "key": "face3",
                        "type": "emoji_scale",
                        "label": "And now?",
                        "faces": 3,
                        "labels": ["Bad", "Fine", "Good"],
                    },
                    {
                        "key": "custom",
                        "type": "likert",
                        "label": "How often?",
                        "labels": ["Never", "Sometimes", "Often"],
                        "dont_know": True,
                    },
                    {
                        "key": "conf",
                        "type": "likert",
                        "label": "Confident?",
                        "scale": "confidence_5",
                        "themes": ["confidence_application"],
                    },
                    {
                        "key": "order",
                        "type": "ranking",
                        "label": "Rank these",
                        "options": [
                            {"value": "a", "label": "A", "hint": "The first"},
                            {"value": "b", "label": "B"},
                        ],
                    },
                    {
                        "key": "pick",
                        "type": "multi_choice",
                        "label": "Pick",
                        "other": True,
                        "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
                        "limits": {"min_selected": 1, "max_selected": 2},
                    },
                ],
            },
            {
                "key": "two",
                "title": "Two",
                "questions": [
                    {
                        "key": "grid",
                        "type": "matrix",
                        "label": "How much do you agree?",
                        "required": True,
                        "scale": "agree_4",
                        "dont_know": True,
                        "rows": [
                            {"key": "clear", "label": "It was clear", "hint": "Plain words"},
                            {"key": "paced", "label": "It was well paced"},
                        ],
                    },
                    {
                        "key": "grid2",
                        "type": "matrix",
                        "label": "Each outcome",
                        "scale": "confidence_5",
                        "rows": "from_course",
                    },
                    {
                        "key": "retro",
                        "type": "retrospective_confidence",
                        "label": "Before and now",
                        "outcomes": [
                            {"key": "lo1", "label": "Spot neglect"},
                            {"key": "lo2", "label": "Escalate"},
                        ],
                    },
                    {
                        "key": "retro2",
                        "type": "retrospective_confidence",
                        "label": "Course",
                        "outcomes": "from_course",
                    },
                    {
                        "key": "amount",
                        "type": "number",
                        "label": "How much?",
                        "limits": {"min": 0.5, "max": 99.5, "integer": False},
                    },
                    {
                        "key": "later",
                        "type": "date",
                        "label": "When?",
                        "limits": {"min": "2024-01-01", "max": "2030-12-31"},
                    },
                    {
                        "key": "why",
                        "type": "long_text",
                        "label": "Why?",
                        "limits": {"max_length": 500},
                        "show_if": {
                            "all": [
                                {
                                    "any": [
                                        {"question": "score", "in": [1, 2]},
                                        {"question": "face", "equals": 1},
                                    ]
                                },
                                {"question": "pick", "not_equals": "x"},
                                {"question": "custom", "not_equals": "dont_know"},
                                {"question": "grid", "answered": True},
                                {"question": "agree", "equals": True},
                            ]
                        },
                    },
                    {
                        "key": "more",
                        "type": "short_text",
                        "label": "More?",
                        "show_if": {
                            "any": [
                                {"question": "pick", "in": ["x", "other"]},
                                {"question": "why", "answered": False},
                            ]
                        },
                    },
                ],
            },
        ],
    }
    assert validate(definition, forms.THEMES) == []

    result = import_xlsform(export_xlsform(definition))

    assert result.problems == []
    assert result.definition == definition


def test_xlsform_constraints_without_spaces_and_strict_bounds_become_limits():
    survey = [
        ("type", "name", "label", "constraint"),
        ("integer", "a", "A", ".>=1 and .<=5"),
        ("integer", "b", "B", ". > 0 and . < 11"),
    ]
    q = questions_of(import_xlsform(workbook(survey)).definition)

    assert q["a"]["limits"] == {"min": 1, "max": 5}
    assert q["b"]["limits"] == {"min": 1, "max": 10}


def test_questions_outside_groups_go_on_pages_of_their_own_in_order():
    survey = [
        ("type", "name", "label"),
        ("text", "a", "A"),
        ("begin group", "middle", "Middle"),
        ("text", "b", "B"),
        ("end group", None, None),
        ("text", "c", "C"),
        ("text", "d", "D"),
    ]
    result = import_xlsform(workbook(survey, settings=SETTINGS))

    assert result.problems == []
    pages = result.definition["pages"]
    assert [(p["key"], [q["key"] for q in p["questions"]]) for p in pages] == [
        ("page_1", ["a"]),
        ("middle", ["b"]),
        ("page_3", ["c", "d"]),
    ]


def test_the_english_label_column_is_used_and_other_languages_are_reported():
    survey = [
        ("type", "name", "label::Français (fr)", "label::English (en)", "hint::English (en)"),
        ("text", "role", "Votre rôle", "Your role", "As on your badge"),
    ]
    result = import_xlsform(workbook(survey, settings=SETTINGS))

    assert questions_of(result.definition)["role"]["label"] == "Your role"
    assert questions_of(result.definition)["role"]["hint"] == "As on your badge"
    assert any("label::Français (fr)" in m for m in messages_at(result, "survey row 1"))


def test_title_and_key_fall_back_when_settings_are_missing_or_unusable():
    survey = [("type", "name", "label"), ("text", "a", "A")]
    no_settings = import_xlsform(workbook(survey))
    odd_id = import_xlsform(
        workbook(survey, settings=[("form_title", "form_id"), ("Staff Survey 2024", "")])
    )
    bad_id = import_xlsform(
        workbook(survey, settings=[("form_title", "form_id"), ("Survey", "Staff-Survey")])
    )

    assert no_settings.definition["title"] == "Imported form"
    assert messages_at(no_settings, "settings")
    assert odd_id.definition["key"] == "staff_survey_2024"
    assert bad_id.definition["key"] == "staff_survey"
    assert any("form_id 'Staff-Survey'" in m for m in messages_at(bad_id, "settings row 2"))


# -- problems, located and never raised ----------------------------------------------------------


def test_an_unsupported_type_is_reported_with_its_row_and_the_rest_is_imported():
    survey = [
        ("type", "name", "label"),
        ("text", "a", "A"),
        ("geopoint", "where", "Where are you?"),
        ("calculate", "sum", None),
        ("deviceid", "device", None),
        ("text", "b", "B"),
    ]
    result = import_xlsform(workbook(survey, settings=SETTINGS))

    assert messages_at(result, "survey row 3") == [
        "type 'geopoint' is not supported, so this question was not imported"
    ]
    assert messages_at(result, "survey row 4")
    assert "device" in messages_at(result, "survey row 5")[0]
    assert list(questions_of(result.definition)) == ["a", "b"]
    assert validate(result.definition) == []


def test_a_repeat_is_reported_with_every_question_inside_it():
    survey = [
        ("type", "name", "label"),
        ("text", "a", "A"),
        ("begin repeat", "children", "Each child"),
        ("text", "child_name", "Name"),
        ("integer", "child_age", "Age"),
        ("end repeat", None, None),
    ]
    result = import_xlsform(workbook(survey))

    assert "repeat" in messages_at(result, "survey row 3")[0]
    assert messages_at(result, "survey row 4") and messages_at(result, "survey row 5")
    assert list(questions_of(result.definition)) == ["a"]


def test_nested_groups_are_reported_and_flattened_onto_the_outer_page():
    survey = [
        ("type", "name", "label", "relevant"),
        ("text", "a", "A", None),
        ("begin group", "outer", "Outer", None),
        ("begin group", "inner", "Inner", "${a} != ''"),
        ("text", "b", "B", None),
        ("end group", None, None, None),
        ("text", "c", "C", None),
        ("end group", None, None, None),
    ]
    result = import_xlsform(workbook(survey))

    assert "inside groups" in messages_at(result, "survey row 4")[0]
    outer = result.definition["pages"][1]
    assert [q["key"] for q in outer["questions"]] == ["b", "c"]
    # The inner group's condition still applies to the questions that were in it.
    assert outer["questions"][0]["show_if"] == {"question": "a", "answered": True}


def test_duplicate_and_unusable_names_are_reported_and_given_usable_keys():
    survey = [
        ("type", "name", "label"),
        ("text", "role", "Role"),
        ("text", "role", "Role again"),
        ("text", "Job-Title", "Job title"),
        ("text", None, "No name"),
    ]
    result = import_xlsform(workbook(survey))

    assert list(questions_of(result.definition)) == ["role", "role_2", "job_title", "row_5"]
    assert "also used on survey row 2" in messages_at(result, "survey row 3")[0]
    assert "'Job-Title'" in messages_at(result, "survey row 4")[0]
    assert messages_at(result, "survey row 5")
    assert validate(result.definition) == []


def test_a_select_with_an_unknown_list_is_reported_and_left_out():
    survey = [
        ("type", "name", "label"),
        ("select_one colours", "colour", "Colour"),
        ("text", "b", "B"),
    ]
    choices = choice_rows(("yn", [("yes", "Yes"), ("no", "No")]))
    result = import_xlsform(workbook(survey, choices))

    assert messages_at(result, "survey row 2") == [
        "list 'colours' is not on the choices sheet, so this question was not imported"
    ]
    assert list(questions_of(result.definition)) == ["b"]


def test_a_choice_without_a_label_is_reported_on_the_choices_sheet():
    survey = [("type", "name", "label"), ("select_one yn", "ok", "OK?")]
    choices = [("list_name", "name", "label"), ("yn", "yes", "Yes"), ("yn", "maybe", None)]
    result = import_xlsform(workbook(survey, choices))

    assert messages_at(result, "choices row 3")[0].startswith("list 'yn' has no label")
    assert questions_of(result.definition)["ok"]["options"][1] == {
        "value": "maybe",
        "label": "maybe",
    }


def test_numbered_choice_names_are_renamed_to_usable_values_and_conditions_follow():
    survey = [
        ("type", "name", "label", "relevant"),
        ("select_one team", "team", "Team", None),
        ("text", "why", "Why?", "${team} = '2'"),
    ]
    choices = choice_rows(("team", [("1", "Red"), ("2", "Blue")]))
    result = import_xlsform(workbook(survey, choices))

    q = questions_of(result.definition)
    assert [o["value"] for o in q["team"]["options"]] == ["option_1", "option_2"]
    assert q["why"]["show_if"] == {"question": "team", "equals": "option_2"}
    assert "'1' as 'option_1'" in messages_at(result, "choices row 2")[0]


@pytest.mark.parametrize(
    ("relevant", "reason"),
    [
        ("${a} > 3 and string-length(${b}) > 2", "is not a condition"),
        ("${a} > 3", "only be converted for scale questions"),
        ("${later} = 'x'", "comes later"),
        ("${missing} = 'x'", "not a question that was imported"),
        ("${b} = 'words'", "can only be tested for being answered"),
        ("${c} = 'nope'", "not a choice"),
        ("${a} =", "expected a value"),
        ("((((", "is not a condition"),
        ("${c} = 'yes' and", "is not a condition"),
        ("not(${b} != '')", "not(selected"),
    ],
)
def test_an_unconvertible_relevant_is_reported_and_the_question_kept_without_it(relevant, reason):
    survey = [
        ("type", "name", "label", "relevant"),
        ("integer", "a", "A", None),
        ("text", "b", "B", None),
        ("select_one yn", "c", "C", None),
        ("text", "d", "D", relevant),
        ("text", "later", "Later", None),
    ]
    choices = choice_rows(("yn", [("yes", "Yes"), ("no", "No")]))
    result = import_xlsform(workbook(survey, choices))

    [message] = messages_at(result, "survey row 5")
    assert message.startswith(f"relevant '{relevant}' could not be converted")
    assert reason in message
    assert "show_if" not in questions_of(result.definition)["d"]
    assert validate(result.definition) == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a spreadsheet at all",
        bytes(random.Random(7).randrange(256) for _ in range(4000)),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 60,
    ],
    ids=["empty", "text", "random", "old-xls", "broken-zip"],
)
def test_bytes_that_are_not_a_workbook_give_a_problem_not_an_exception(data):
    result = import_xlsform(data)

    assert isinstance(result, XLSFormImport)
    assert result.definition is None
    assert len(result.problems) == 1 and result.problems[0].message


def test_a_word_document_zip_is_reported_as_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    result = import_xlsform(buffer.getvalue())

    assert result.definition is None
    assert "Word document" in result.problems[0].message


def test_a_workbook_without_a_survey_sheet_is_reported():
    book = Workbook()
    book.active.title = "Sheet1"
    book.active.append(["type", "name", "label"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_xlsform(buffer.getvalue())

    assert result.definition is None
    assert result.problems == [
        Problem(
            "survey",
            "the workbook has no sheet called 'survey'; an XLSForm lists its questions there",
        )
    ]


def test_an_empty_survey_sheet_or_wrong_headers_give_located_problems():
    empty = import_xlsform(workbook([]))
    wrong = import_xlsform(workbook([("Question", "Answer"), ("How are you?", "Fine")]))
    nothing = import_xlsform(workbook([("type", "name", "label"), ("geopoint", "g", "G")]))

    assert empty.definition is None and empty.problems
    assert wrong.definition is None
    assert "no 'type' column" in messages_at(wrong, "survey row 1")[0]
    assert nothing.definition is None
    assert messages_at(nothing, "survey") == ["no questions could be imported"]


def with_sheet_extension(data):
    """The workbook with the data-validation extension Excel and Kobo add to sheets."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                extension = (
                    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                    "</ext></extLst></worksheet>"
                )
                content = content.replace(b"</worksheet>", extension.encode())
            target.writestr(item, content)
    return buffer.getvalue()


def test_a_sheet_extension_openpyxl_drops_neither_warns_nor_stops_the_import():
    survey = [("type", "name", "label"), ("text", "a", "A")]
    data = with_sheet_extension(workbook(survey, settings=SETTINGS))

    result = import_xlsform(data)

    assert result.problems == []
    assert list(questions_of(result.definition)) == ["a"]


def test_cells_of_any_type_are_read_as_text_without_error():
    survey = [
        ("type", "name", "label", "required", "hint"),
        ("integer", 42, 3.5, True, datetime(2024, 1, 2)),
        ("text", "ok", "OK", 1, 7),
        (True, "flag", "Flag", None, None),
    ]
    result = import_xlsform(workbook(survey))

    q = questions_of(result.definition)
    assert q["ok"] == {
        "key": "ok",
        "type": "short_text",
        "label": "OK",
        "hint": "7",
        "required": True,
    }
    assert "'42'" in messages_at(result, "survey row 2")[0]
    assert messages_at(result, "survey row 4") == [
        "type 'true' is not supported, so this question was not imported"
    ]


def test_unsupported_columns_and_settings_are_reported_not_dropped():
    survey = [
        ("type", "name", "label", "default", "choice_filter", "$kuid"),
        ("integer", "n", "N", "5", None, "abc"),
        ("select_one c", "c", "C", None, "county = ${n}", "def"),
    ]
    choices = choice_rows(("c", [("a", "A"), ("b", "B")]))
    settings = [("form_title", "form_id", "submission_url"), ("T", "t", "https://example.org")]
    result = import_xlsform(workbook(survey, choices, settings))

    assert "'default'" in messages_at(result, "survey row 2")[0]
    assert "choice_filter" in messages_at(result, "survey row 3")[0]
    assert "submission_url" in messages_at(result, "settings row 2")[0]
    # Kobo's bookkeeping columns ($kuid and friends) carry no content.
    assert not any("$kuid" in p.message for p in result.problems)


def test_import_never_raises_on_randomly_damaged_survey_rows():
    cells = [
        None,
        "",
        "text",
        "select_one x",
        "begin group",
        "end group",
        "end repeat",
        "${a} = 'b'",
        "yes",
        3,
        -1.5,
        True,
        "((",
        "a",
        "b",
        "x",
        ". >= 1",
    ]
    rng = random.Random(20240601)
    for _ in range(60):
        survey = [("type", "name", "label", "relevant", "required", "constraint")]
        survey += [tuple(rng.choice(cells) for _ in range(6)) for _ in range(rng.randrange(8))]
        choices = choice_rows(("x", [("a", "A"), ("b", "B")]))
        result = import_xlsform(workbook(survey, choices))
        assert not any("unexpected" in p.message for p in result.problems)
        if result.definition is not None:
            # Whatever was imported either validates or its problems are reported.
            for problem in validate(result.definition):
                assert problem in result.problems or any(
                    p.message.endswith(problem.message) for p in result.problems
                )


# -- export ---------------------------------------------------------------------------------------


def read_back(data):
    book = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def test_export_writes_survey_choices_and_settings_sheets():
    definition = forms.library.load("post_course_evaluation")
    sheets = read_back(export_xlsform(definition))

    assert list(sheets) == ["survey", "choices", "settings"]
    assert sheets["survey"][0][:3] == ["type", "name", "label"]
    assert sheets["choices"][0] == ["list_name", "name", "label", "hint"]
    assert sheets["settings"][1][:2] == ["Training evaluation", "post_course_evaluation"]
    types = [row[0] for row in sheets["survey"][1:]]
    assert types[0] == "begin_group" and types[-1] == "end_group"
    assert "range" in types


def test_export_writes_types_xlsform_lacks_as_their_nearest_equivalents():
    definition = {
        "schema_version": 1,
        "key": "x",
        "title": "X",
        "pages": [
            {
                "key": "p",
                "title": "P",
                "questions": [
                    {"key": "ok", "type": "consent", "label": "I agree"},
                    {"key": "safe", "type": "safety_scale", "label": "How safe?"},
                    {
                        "key": "grid",
                        "type": "matrix",
                        "label": "Agree?",
                        "scale": "agree_4",
                        "rows": [{"key": "r1", "label": "One"}, {"key": "r2", "label": "Two"}],
                    },
                    {
                        "key": "retro",
                        "type": "retrospective_confidence",
                        "label": "Confidence",
                        "outcomes": [{"key": "lo1", "label": "Spot neglect"}],
                    },
                ],
            }
        ],
    }
    survey = read_back(export_xlsform(definition))["survey"]
    header = survey[0]
    rows = [dict(zip(header, row, strict=True)) for row in survey[1:]]
    by_name = {r["name"]: r for r in rows if r["name"]}

    assert (by_name["ok"]["type"], by_name["ok"]["required"]) == ("acknowledge", "yes")
    assert (by_name["safe"]["type"], by_name["safe"]["parameters"]) == (
        "range",
        "start=0 end=10 step=1",
    )
    assert (by_name["grid"]["type"], by_name["grid"]["appearance"]) == ("begin_group", "table-list")
    assert by_name["grid_r1"]["type"] == by_name["grid_r2"]["type"] == "select_one agree_4"
    assert by_name["retro_lo1_before"]["type"] == by_name["retro_lo1_now"]["type"]
    assert by_name["retro_lo1_before"]["label"] == "Spot neglect (before the course)"


@pytest.mark.parametrize("key", forms.library.keys())
def test_each_library_instrument_survives_export_and_import_or_its_losses_are_named(key):
    definition = forms.library.load(key)
    result = import_xlsform(export_xlsform(definition))

    assert result.problems == []
    assert validate(result.definition, forms.THEMES) == []
    for field in ("schema_version", "key", "title", "intro", "meta"):
        assert result.definition.get(field) == definition.get(field)
    assert [
        {k: v for k, v in p.items() if k != "questions"} for p in result.definition["pages"]
    ] == [{k: v for k, v in p.items() if k != "questions"} for p in definition["pages"]]
    lost = {p.path.rsplit(".", 1)[0] for p in export_losses(definition)}
    for page_index, page in enumerate(definition["pages"]):
        back = result.definition["pages"][page_index]["questions"]
        assert [q["key"] for q in back] == [q["key"] for q in page["questions"]]
        for index, question in enumerate(page["questions"]):
            path = f"pages[{page_index}].questions[{index}]"
            if path not in lost:
                assert back[index] == question, path


def test_export_losses_names_what_xlsform_cannot_carry():
    definition = forms.library.load("family_voice")
    losses = {str(p) for p in export_losses(definition)}

    assert any("safety scale" in loss for loss in losses)
    assert any(loss.endswith("min_label: XLSForm ranges have no end labels") for loss in losses)
    assert export_losses(forms.library.load("staff_survey")) == []
