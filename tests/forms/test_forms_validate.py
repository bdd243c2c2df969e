"""forms.validate reports every class of definition problem with its path, and never raises."""

import copy
import json
import random

import pytest

import forms
import forms.library
from forms import Problem, validate


def good_definition():
    return {
        "schema_version": 1,
        "key": "example",
        "title": "Example",
        "intro": "An example form.",
        "pages": [
            {
                "key": "first",
                "title": "First",
                "questions": [
                    {"key": "role", "type": "single_choice", "label": "Role", "options": [
                        {"value": "manager", "label": "Manager"},
                        {"value": "practitioner", "label": "Practitioner"},
                    ]},
                    {"key": "relevant", "type": "likert", "label": "Relevant", "themes": [
                        "training_delivery"
                    ]},
                ],
            },
            {
                "key": "second",
                "title": "Second",
                "questions": [
                    {"key": "hours", "type": "number", "label": "Hours", "limits": {"min": 0}},
                    {"key": "notes", "type": "long_text", "label": "Notes"},
                ],
            },
        ],
    }  # fmt: skip


P00, P01 = "pages[0].questions[0]", "pages[0].questions[1]"
P10, P11 = "pages[1].questions[0]", "pages[1].questions[1]"


def problems_after(change, **options):
    definition = good_definition()
    change(definition)
    return validate(definition, **options)


def q(definition, page, index):
    return definition["pages"][page]["questions"][index]


def assert_reported(problems, path, fragment):
    matching = [p for p in problems if p.path == path and fragment in p.message]
    assert matching, f"no problem at {path} mentioning {fragment!r}: {problems}"


def test_good_definition_has_no_problems():
    assert validate(good_definition(), forms.THEMES) == []


def test_problem_reads_as_path_then_message():
    assert str(Problem("pages[1].questions[3].show_if", "refers to 'q9'")) == (
        "pages[1].questions[3].show_if: refers to 'q9'"
    )


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (lambda d: d.pop("schema_version"), "schema_version", "missing"),
        (lambda d: d.update(schema_version=2), "schema_version", "must be 1, found 2"),
        (lambda d: d.update(schema_version=True), "schema_version", "must be 1"),
        (lambda d: d.pop("key"), "key", "missing"),
        (lambda d: d.update(key="Not A Key"), "key", "is not usable as a key"),
        (lambda d: d.pop("title"), "title", "missing"),
        (lambda d: d.update(title=""), "title", "non-empty text"),
        (lambda d: d.update(intro=7), "intro", "non-empty text"),
        (lambda d: d.update(colour="blue"), "colour", "is not a field"),
        (lambda d: d.update(meta="x"), "meta", "must be an object"),
        (lambda d: d.pop("pages"), "pages", "missing"),
        (lambda d: d.update(pages="x"), "pages", "must be a list"),
        (lambda d: d.update(pages=[]), "pages", "at least one page"),
        (lambda d: d["pages"].append("x"), "pages[2]", "must be an object"),
        (lambda d: d["pages"][1].update(key="first"), "pages[1].key", "used by another page"),
        (lambda d: d["pages"][0].pop("key"), "pages[0].key", "missing"),
        (lambda d: d["pages"][0].pop("title"), "pages[0].title", "missing"),
        (lambda d: d["pages"][0].pop("questions"), "pages[0].questions", "missing"),
        (lambda d: d["pages"][0].update(questions={}), "pages[0].questions", "must be a list"),
        (lambda d: d["pages"][0].update(questions=[]), "pages[0].questions", "at least one"),
        (lambda d: d["pages"][0]["questions"].append(3), "pages[0].questions[2]", "an object"),
        (lambda d: q(d, 1, 0).pop("key"), P10 + ".key", "missing"),
        (lambda d: q(d, 1, 0).update(key="2fast"), P10 + ".key", "not usable"),
        (lambda d: q(d, 1, 0).update(key="role"), P10 + ".key", "another question"),
        (lambda d: q(d, 1, 0).pop("type"), P10 + ".type", "missing"),
        (
            lambda d: q(d, 1, 0).update(type="slider"),
            P10 + ".type",
            "not a question",
        ),
        (lambda d: q(d, 1, 0).update(type=["x"]), P10 + ".type", "not a question"),
        (lambda d: q(d, 1, 0).pop("label"), P10 + ".label", "missing"),
        (lambda d: q(d, 1, 0).update(hint=1), P10 + ".hint", "must be text"),
        (lambda d: q(d, 1, 0).update(required="yes"), P10 + ".required", "true"),
        (lambda d: q(d, 1, 0).update(requird=True), P10 + ".requird", "not a field"),
        (lambda d: q(d, 0, 1).update(themes="neglect"), P01 + ".themes", "a list"),
        (lambda d: q(d, 0, 1).update(themes=[3]), P01 + ".themes[0]", "theme key"),
        (
            lambda d: q(d, 0, 1).update(themes=["neglect", "neglect"]),
            P01 + ".themes[1]",
            "listed twice",
        ),
        (lambda d: q(d, 0, 0).pop("options"), P00 + ".options", "need options"),
        (lambda d: q(d, 0, 0).update(options="a,b"), P00 + ".options", "a list"),
        (lambda d: q(d, 0, 0).update(options=[]), P00 + ".options", "at least one"),
        (
            lambda d: q(d, 0, 0)["options"].pop(),
            P00 + ".options",
            "at least 2 options",
        ),
        (
            lambda d: q(d, 0, 0)["options"][1].update(value="manager"),
            P00 + ".options[1].value",
            "used twice",
        ),
        (
            lambda d: q(d, 0, 0)["options"][1].pop("value"),
            P00 + ".options[1]",
            "missing 'value'",
        ),
        (
            lambda d: q(d, 0, 0)["options"][1].pop("label"),
            P00 + ".options[1].label",
            "non-empty text",
        ),
        (
            lambda d: q(d, 0, 0)["options"].__setitem__(1, "manager"),
            P00 + ".options[1]",
            "an object",
        ),
        (
            lambda d: q(d, 0, 0).update(display="dropdown"),
            P00 + ".display",
            "radios",
        ),
        (
            lambda d: q(d, 0, 1).update(scale="agree_7"),
            P01 + ".scale",
            "not a scale",
        ),
        (
            lambda d: q(d, 0, 1).update(scale="agree_5", labels=["a", "b"]),
            "pages[0].questions[1]",
            "not both",
        ),
        (
            lambda d: q(d, 0, 1).update(labels=["only one"]),
            P01 + ".labels",
            "2 to 11",
        ),
        (lambda d: q(d, 0, 1).update(dont_know="yes"), P01 + ".dont_know", "true"),
        (
            lambda d: q(d, 0, 1).update(limits={"min": 1}),
            P01 + ".limits",
            "no limits",
        ),
        (
            lambda d: q(d, 1, 0).update(limits={"min": 10, "max": 1}),
            P10 + ".limits",
            "min (10) is greater than max (1)",
        ),
        (
            lambda d: q(d, 1, 0).update(limits={"min": "0"}),
            P10 + ".limits.min",
            "number",
        ),
        (lambda d: q(d, 1, 0).update(limits=[0, 10]), P10 + ".limits", "an object"),
        (
            lambda d: q(d, 1, 0).update(limits={"minimum": 0}),
            P10 + ".limits",
            "'minimum' is not a limit of number questions",
        ),
        (
            lambda d: q(d, 1, 0).update(limits={"integer": "no"}),
            P10 + ".limits.integer",
            "true or false",
        ),
        (
            lambda d: q(d, 1, 1).update(limits={"max_length": 0}),
            P11 + ".limits.max_length",
            "whole number from 1 to 10,000",
        ),
    ],
)
def test_definition_problem_is_reported_with_its_path(change, path, fragment):
    assert_reported(problems_after(change), path, fragment)


def replace_question(page, index, question):
    def change(definition):
        definition["pages"][page]["questions"][index] = question

    return change


@pytest.mark.parametrize(
    ("question", "path", "fragment"),
    [
        ({"type": "rating", "limits": {"min": 5, "max": 1}}, "limits", "greater than max"),
        ({"type": "rating", "limits": {"min": 0.5}}, "limits.min", "whole number"),
        ({"type": "rating", "limits": {"min": 0, "max": 100}}, "limits", "at most 21 points"),
        ({"type": "date", "limits": {"min": "01/02/2024"}}, "limits.min", "YYYY-MM-DD"),
        (
            {"type": "date", "limits": {"min": "2024-02-01", "max": "2024-01-01"}},
            "limits",
            "is after max",
        ),
        ({"type": "date", "not_in_future": "yes"}, "not_in_future", "true or false"),
        ({"type": "emoji_scale", "faces": 4}, "faces", "3 or 5"),
        ({"type": "emoji_scale", "faces": 3, "labels": ["a"]}, "labels", "each of the 3 faces"),
        ({"type": "consent", "required": False}, "required", "cannot be optional"),
        ({"type": "info", "required": True}, "required", "cannot be required"),
        ({"type": "matrix"}, "rows", "need rows"),
        ({"type": "matrix", "rows": [{"key": "a"}]}, "rows[0].label", "non-empty text"),
        ({"type": "retrospective_confidence"}, "outcomes", "need outcomes"),
        ({"type": "ranking"}, "options", "need options"),
        (
            {"type": "multi_choice", "other": True, "options": [
                {"value": "a", "label": "A"}, {"value": "other", "label": "Other"}
            ]},
            "options",
            "do not list 'other'",
        ),
        (
            {"type": "multi_choice", "options": [
                {"value": "a", "label": "A"}, {"value": "b", "label": "B"}
            ], "limits": {"min_selected": 2, "max_selected": 1}},
            "limits",
            "min_selected (2) is greater than max_selected (1)",
        ),
        ({"type": "short_text", "limits": {"max_length": 501}}, "limits.max_length", "1 to 500"),
        ({"type": "safety_scale", "limits": {"min": 0}}, "limits", "no limits"),
    ],
)  # fmt: skip
def test_type_specific_problem_is_reported_with_its_path(question, path, fragment):
    base = {"key": "extra", "label": "Extra"} | question
    problems = problems_after(replace_question(1, 1, base))
    assert_reported(problems, f"{P11}.{path}", fragment)


def test_unknown_theme_is_reported_when_a_codebook_is_given():
    def change(definition):
        q(definition, 0, 1)["themes"] = ["training_delivery", "astrology"]

    assert problems_after(change) == []
    assert_reported(
        problems_after(change, themes=forms.THEMES),
        P01 + ".themes[1]",
        "'astrology' is not a theme in the codebook",
    )


def test_unfilled_course_placeholder_is_reported_only_when_asked():
    outcomes = {
        "key": "confidence",
        "type": "retrospective_confidence",
        "label": "Confidence",
        "outcomes": "from_course",
    }
    change = replace_question(1, 1, outcomes)
    assert problems_after(change) == []
    assert_reported(
        problems_after(change, allow_placeholders=False),
        P11 + ".outcomes",
        "with_learning_outcomes",
    )


def with_show_if(page, index, condition):
    def change(definition):
        definition["pages"][page]["questions"][index]["show_if"] = condition

    return change


SHOW_IF = P10 + ".show_if"


def test_show_if_referring_to_a_later_question_is_reported():
    problems = problems_after(with_show_if(0, 1, {"question": "hours", "answered": True}))
    assert [str(p) for p in problems] == [P01 + ".show_if: refers to 'hours', which comes later"]


def test_show_if_referring_to_an_earlier_question_on_the_same_page_is_allowed():
    assert problems_after(with_show_if(0, 1, {"question": "role", "equals": "manager"})) == []


@pytest.mark.parametrize(
    ("condition", "path", "fragment"),
    [
        ({"question": "hours", "answered": True}, SHOW_IF, "this question itself"),
        ({"question": "q9", "equals": 1}, SHOW_IF, "'q9', which is not a question"),
        ({"question": "notes", "answered": True}, SHOW_IF, "which comes later"),
        ("role is manager", SHOW_IF, "must be a condition"),
        ({"equals": "manager"}, SHOW_IF, "missing 'question'"),
        ({"question": ["role"], "equals": "x"}, f"{SHOW_IF}.question", "key of an earlier"),
        ({"question": "role", "is": "manager"}, SHOW_IF, "'is' is not a recognised operator"),
        ({"question": "role"}, SHOW_IF, "exactly one of"),
        ({"question": "role", "equals": "manager", "in": ["manager"]}, SHOW_IF, "exactly one"),
        ({"question": "role", "equals": "boss"}, f"{SHOW_IF}.equals", "not a possible answer"),
        ({"question": "relevant", "equals": "4"}, f"{SHOW_IF}.equals", "not a possible answer"),
        ({"question": "relevant", "not_equals": 9}, f"{SHOW_IF}.not_equals", "not a possible"),
        ({"question": "role", "in": "manager"}, f"{SHOW_IF}.in", "non-empty list"),
        ({"question": "role", "in": ["manager", "x"]}, f"{SHOW_IF}.in", "'x' is not a possible"),
        ({"question": "role", "answered": "yes"}, f"{SHOW_IF}.answered", "true or false"),
        ({"all": []}, f"{SHOW_IF}.all", "non-empty list"),
        ({"any": "role"}, f"{SHOW_IF}.any", "non-empty list"),
        ({"all": [{"question": "role", "answered": True}], "question": "role"}, SHOW_IF, "own"),
        (
            {"all": [{"question": "role", "answered": True}, {"question": "zzz", "answered": 1}]},
            f"{SHOW_IF}.all[1]",
            "'zzz', which is not a question",
        ),
        (
            {"any": [{"all": [{"question": "notes", "answered": True}]}]},
            f"{SHOW_IF}.any[0].all[0]",
            "which comes later",
        ),
    ],
)
def test_show_if_problem_is_reported_with_its_path(condition, path, fragment):
    assert_reported(problems_after(with_show_if(1, 0, condition)), path, fragment)


def test_show_if_comparing_free_text_is_reported():
    problems = problems_after(with_show_if(1, 1, {"question": "hours", "equals": 3}))
    assert problems == []
    definition = good_definition()
    definition["pages"][1]["questions"].append(
        {"key": "more", "type": "short_text", "label": "More", "show_if": {
            "question": "notes", "equals": "yes"
        }}
    )  # fmt: skip
    assert_reported(
        validate(definition),
        "pages[1].questions[2].show_if.equals",
        "can only be tested with 'answered'",
    )


def test_show_if_on_an_info_item_is_reported():
    definition = good_definition()
    definition["pages"][0]["questions"].insert(
        0, {"key": "welcome", "type": "info", "label": "Welcome"}
    )
    q(definition, 1, 0)["show_if"] = {"question": "welcome", "answered": True}
    assert_reported(validate(definition), SHOW_IF, "collects no answer")


def test_every_problem_is_reported_not_just_the_first():
    definition = good_definition()
    definition.pop("title")
    q(definition, 0, 0)["type"] = "slider"
    q(definition, 1, 0)["limits"] = {"min": 3, "max": 1}
    q(definition, 1, 1)["show_if"] = {"question": "nowhere", "answered": True}
    paths = {p.path for p in validate(definition)}
    assert {
        "title",
        P00 + ".type",
        P10 + ".limits",
        P11 + ".show_if",
    } <= paths


HOSTILE = [
    None,
    [],
    "",
    "pages",
    0,
    3.5,
    True,
    b"bytes",
    {"pages": "x"},
    {"pages": None},
    {"pages": [None, 1, "x", [], {}]},
    {"pages": [{"questions": [None, 1, [], {"key": {}}, {"type": {}}, {"show_if": []}]}]},
    {"schema_version": [], "key": {}, "title": [], "intro": {}, "pages": {}},
    {1: 2, (1, 2): "tuple key", None: None},
    {"pages": [{"key": "p", "title": "t", "questions": [{"key": "a", "type": "likert",
        "label": "L", "scale": [], "labels": {}, "dont_know": [], "limits": None,
        "themes": {"a": 1}, "show_if": {"all": [None, {"question": {}}, {"any": {}}]}}]}]},
    {"pages": [{"key": "p", "title": "t", "questions": [{"key": "a", "type": "number",
        "label": "L", "limits": {"min": float("nan"), "max": [1]}}]}]},
    {"pages": [{"key": "p", "title": "t", "questions": [{"key": "a", "type": "date",
        "label": "L", "limits": {"min": 20240101, "max": {}}}]}]},
    {"pages": [{"key": "p", "title": "t", "questions": [{"key": "a", "type": "multi_choice",
        "label": "L", "options": [{"value": []}, {"value": {}}], "other": "x",
        "limits": {"min_selected": "2", "max_selected": [1]}}]}]},
    {"pages": [{"key": "p", "title": "t", "questions": [{"key": "a", "type": "matrix",
        "label": "L", "rows": [{"key": None}, None], "scale": {"x": 1}}]}]},
]  # fmt: skip


@pytest.mark.parametrize("definition", HOSTILE, ids=range(len(HOSTILE)))
def test_validate_never_raises_on_garbage(definition):
    problems = validate(definition, forms.THEMES)
    assert problems
    assert all(isinstance(p, Problem) and isinstance(p.message, str) for p in problems)


def test_validate_survives_a_condition_nested_far_too_deeply():
    condition = {"question": "role", "answered": True}
    for _ in range(5000):
        condition = {"all": [condition]}
    problems = problems_after(with_show_if(1, 0, condition))
    assert problems
    assert all(isinstance(p, Problem) for p in problems)


def test_validate_cuts_huge_values_short_in_messages():
    problems = problems_after(lambda d: d.update(key="x" * 100_000))
    assert problems and all(len(p.message) < 300 for p in problems)


GARBAGE = [None, True, 0, -1, 2.5, "", "x", "from_course", [], [None], {}, {"a": 1}, [{}]]


def mutations(node, rng, path=()):
    """Yield (path, replacement) for random nodes of a JSON-like structure."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield path + (key,), child
            yield from mutations(child, rng, path + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield path + (index,), child
            yield from mutations(child, rng, path + (index,))


def test_validate_never_raises_when_library_definitions_are_randomly_broken():
    rng = random.Random(20241122)
    for key in list(forms.library.keys()):
        original = forms.library.load(key)
        paths = [path for path, _ in mutations(original, rng)]
        for _ in range(150):
            broken = copy.deepcopy(original)
            for _ in range(rng.randint(1, 3)):
                path = rng.choice(paths)
                parent = broken
                try:
                    for step in path[:-1]:
                        parent = parent[step]
                    parent[path[-1]] = copy.deepcopy(rng.choice(GARBAGE))
                except (KeyError, IndexError, TypeError):
                    continue
            problems = validate(broken, forms.THEMES)
            assert all(isinstance(p, Problem) for p in problems)
            json.dumps([str(p) for p in problems])
