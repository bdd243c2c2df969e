"""XLSForm (ODK / KoboToolbox) workbooks read into instrument definitions and written from them."""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook

from forms.problems import Problem
from forms.questions import (
    DONT_KNOW,
    FACES,
    FROM_COURSE,
    IDENTIFIER_HELP,
    OTHER,
    QUESTION_TYPES,
    SCALES,
    TextType,
    is_identifier,
    scale_choices,
)
from forms.schema import SCHEMA_VERSION, validate
from forms.themes import THEMES

__all__ = ["XLSFormImport", "export_losses", "export_xlsform", "import_xlsform"]

log = logging.getLogger(__name__)

# A hostile or accidental upload must not exhaust memory: real forms are far smaller than this.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 200
MAX_EXPRESSION = 2000
MAX_NESTING = 30

# openpyxl warns about workbook features it drops on reading (Kobo and Excel add data validation
# and conditional formatting extensions). They carry no form content, so only these are silenced.
OPENPYXL_NOISE = (
    r".*extension is not supported and will be removed",
    r"Workbook contains no default style",
    r"Cannot parse header or footer",
)

SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "parameters",
    "themes",
)
CHOICES_COLUMNS = ("list_name", "name", "label", "hint")
SETTINGS_USED = frozenset({"form_title", "form_id", "intro", "meta"})
# Revision numbers and display styles say nothing about what is asked.
SETTINGS_IGNORED = frozenset({"version", "style", "default_language"})

GROUP_APPEARANCES = frozenset({"field-list", "table-list"})
# Layout hints for ODK Collect and Enketo; GOV.UK pages lay questions out their own way.
PRESENTATIONAL = frozenset(
    {
        "field-list",
        "table-list",
        "likert",
        "horizontal",
        "horizontal-compact",
        "columns",
        "columns-pack",
        "columns-flex",
        "compact",
        "quick",
        "minimal",
        "autocomplete",
        "search",
        "multiline",
        "no-calendar",
        "label",
        "list-nolabel",
        "list",
    }
)
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-geopoint",
        "uri:email",
        "uri:phonenumber",
        "uri:username",
    }
)
TRUE_WORDS = frozenset({"yes", "true", "true()", "1", "y"})
FALSE_WORDS = frozenset({"", "no", "false", "false()", "0", "n"})
DONT_KNOW_WORDS = frozenset({"don't know", "dont know", "do not know"})
CONSENT_VALUE = "OK"
LIKERT_APPEARANCE = "likert"
BEFORE_SUFFIX = " (before the course)"
NOW_SUFFIX = " (now)"
FROM_COURSE_LABEL = "Each learning outcome of the course"


@dataclass(frozen=True)
class XLSFormImport:
    """What an XLSForm workbook became: a definition (or None) and everything worth reporting."""

    definition: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)


# == reading workbooks ============================================================================


@dataclass
class _Sheet:
    """One sheet's cells as text, keyed by canonical column name, with spreadsheet row numbers."""

    name: str
    header_row: int = 1
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    truncated: bool = False


def _canonical_header(text: str) -> str:
    base, sep, language = text.partition("::")
    base = re.sub(r"\s+", "_", base.strip().lower())
    return f"{base}::{language.strip()}" if sep else base


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_sheet(worksheet: Any, name: str) -> _Sheet:
    sheet = _Sheet(name)
    if hasattr(worksheet, "reset_dimensions"):
        # Some generators write a wrong dimension record, which read-only mode would trust.
        worksheet.reset_dimensions()
    header: list[str] | None = None
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            sheet.truncated = True
            break
        texts = [_cell_text(v) for v in values[:MAX_COLUMNS]]
        if not any(texts):
            continue
        if header is None:
            header = [_canonical_header(t) for t in texts]
            sheet.header_row = number
            sheet.columns = header
            continue
        cells = {}
        for column, text in zip(header, texts, strict=False):
            if column and text and column not in cells:
                cells[column] = text
        if cells:
            sheet.rows.append((number, cells))
    return sheet


def _open_workbook(data: Any, problems: list[Problem]) -> dict[str, _Sheet] | None:
    """Every sheet keyed by lower-case name, or None (with a problem) if data is no workbook."""
    if not isinstance(data, bytes | bytearray | memoryview):
        problems.append(Problem("", "the upload must be the bytes of an .xlsx workbook"))
        return None
    data = bytes(data)
    if not data:
        problems.append(Problem("", "the file is empty; upload an XLSForm saved as .xlsx"))
        return None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        problems.append(
            Problem("", "the file is an old-style .xls workbook; save it as .xlsx and try again")
        )
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        problems.append(Problem("", "the file is not an Excel workbook; upload an .xlsx file"))
        return None
    if "xl/workbook.xml" not in names:
        problems.append(
            Problem(
                "",
                "the file is a zip archive but not an Excel workbook (it may be a Word document); "
                "upload an .xlsx file",
            )
        )
        return None
    if size > MAX_UNCOMPRESSED_BYTES:
        problems.append(Problem("", "the workbook is too large to be a form; it was not read"))
        return None
    with warnings.catch_warnings():
        for pattern in OPENPYXL_NOISE:
            warnings.filterwarnings("ignore", message=pattern, category=UserWarning)
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds of error on damaged files
            problems.append(
                Problem("", "the workbook could not be read; it may be damaged or not an .xlsx")
            )
            return None
        try:
            sheets: dict[str, _Sheet] = {}
            for worksheet in book.worksheets:
                key = str(worksheet.title).strip().lower()
                if key in ("survey", "choices", "settings") and key not in sheets:
                    sheets[key] = _read_sheet(worksheet, key)
        except Exception:
            problems.append(
                Problem("", "the workbook could not be read; it may be damaged or not an .xlsx")
            )
            return None
        finally:
            book.close()
    return sheets


# == small helpers ================================================================================


def _slug(text: str, fallback: str) -> str:
    """An identifier made from text, so a name such as 'Q1' or 'first-name' stays recognisable."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug:
        return fallback
    if not slug[0].isalpha():
        slug = f"{fallback}_{slug}"
    return slug[:64].rstrip("_")


def _unique(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = base[: 64 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _humanise(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def _norm(label: str) -> str:
    label = label.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", label).strip().lower()


def _number(text: str) -> int | float | None:
    if re.fullmatch(r"-?\d{1,15}", text):
        return int(text)
    if re.fullmatch(r"-?\d{1,15}\.\d{1,6}", text):
        return float(text)
    return None


def _format_number(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _quote(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


# == conditions: XLSForm expressions ==============================================================


class _Unsupported(Exception):
    """An expression, or part of one, that has no show_if equivalent; the message says why."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{[^}]*\})
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_:\-]*)
    )""",
    re.VERBOSE,
)
_FLIPPED = {"=": "=", "!=": "!=", ">": "<", "<": ">", ">=": "<=", "<=": ">="}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _Unsupported(f"'{text[position : position + 20].strip()}' is not understood")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """A small recursive-descent parser for the relevant expressions show_if can express."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_EXPRESSION:
            raise _Unsupported("it is too long")
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    def parse(self) -> tuple:
        if not self.tokens:
            raise _Unsupported("it is empty")
        node = self.either()
        if self.position != len(self.tokens):
            raise _Unsupported(f"'{self.tokens[self.position][1]}' is not understood there")
        return node

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            found = "the end" if token is None else f"'{token[1]}'"
            raise _Unsupported(f"expected {value or kind} but found {found}")
        self.position += 1
        return token[1]

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1] == word

    def either(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Unsupported("it is nested too deeply")
        parts = [self.both()]
        while self.is_word("or"):
            self.position += 1
            parts.append(self.both())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else ("or", parts)

    def both(self) -> tuple:
        parts = [self.unary()]
        while self.is_word("and"):
            self.position += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary(self) -> tuple:
        if self.is_word("not"):
            self.position += 1
            self.take("punct", "(")
            inner = self.either()
            self.take("punct", ")")
            return ("not", inner)
        token = self.peek()
        if token == ("punct", "("):
            self.position += 1
            inner = self.either()
            self.take("punct", ")")
            return inner
        if self.is_word("selected"):
            self.position += 1
            self.take("punct", "(")
            ref = self.reference()
            self.take("punct", ",")
            value = self.literal()
            self.take("punct", ")")
            return ("selected", ref, value)
        if token is not None and token[0] == "ref":
            ref = self.reference()
            operator = self.take("op")
            return ("compare", ref, operator, self.literal())
        if token is not None and token[0] in ("str", "num"):
            value = self.literal()
            operator = self.take("op")
            return ("compare", self.reference(), _FLIPPED[operator], value)
        found = "the end" if token is None else f"'{token[1]}'"
        raise _Unsupported(f"{found} is not a condition this form can show")

    def reference(self) -> str:
        return self.take("ref")[2:-1].strip()

    def literal(self) -> str | int | float:
        token = self.peek()
        if token is not None and token[0] == "str":
            self.position += 1
            return token[1][1:-1]
        if token is not None and token[0] == "num":
            self.position += 1
            number = _number(token[1])
            if number is None:
                raise _Unsupported(f"{token[1]} is not a number this form can compare")
            return number
        found = "the end" if token is None else f"'{token[1]}'"
        raise _Unsupported(f"expected a value in quotes but found {found}")


# == import =======================================================================================


@dataclass
class _Choice:
    row: int
    name: str
    label: str
    hint: str


@dataclass
class _Node:
    """A survey row, with the rows inside it when it begins a group or repeat."""

    row: int
    cells: dict[str, str]
    kind: str
    args: list[str]
    written: str
    children: list[_Node] = field(default_factory=list)
    closed: bool = False

    @property
    def name(self) -> str:
        return self.cells.get("name", "")


@dataclass
class _Entry:
    """An imported question and what its conditions need: where it came from and its answers."""

    question: dict[str, Any]
    row: int
    relevant: list[tuple[int, str, bool]]
    values: dict[str, Any] | None = None


class _Importer:
    """One pass over a workbook, collecting problems as it goes."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.lists: dict[str, list[_Choice]] = {}
        self.list_rows: dict[str, int] = {}
        self.option_cache: dict[str, tuple[list[dict[str, str]], dict[str, str]]] = {}
        self.entries: list[_Entry] = []
        self.names: dict[str, str] = {}
        self.name_rows: dict[str, int] = {}
        self.keys: set[str] = set()
        self.reported: set[tuple[str, str]] = set()
        self.label_column = "label"
        self.hint_column = "hint"
        self.ignored_columns: set[str] = set()
        self.page_rows: list[int | None] = []
        self.question_rows: list[list[int]] = []

    def add(self, path: str, message: str) -> None:
        if (path, message) not in self.reported:
            self.reported.add((path, message))
            self.problems.append(Problem(path, message))

    # -- the workbook -----------------------------------------------------------------------------

    def run(self, data: Any) -> dict[str, Any] | None:
        sheets = _open_workbook(data, self.problems)
        if sheets is None:
            return None
        survey = sheets.get("survey")
        if survey is None:
            self.add(
                "survey",
                "the workbook has no sheet called 'survey'; an XLSForm lists its questions there",
            )
            return None
        if "type" not in survey.columns:
            self.add(
                f"survey row {survey.header_row}",
                "there is no 'type' column; the first row of the survey sheet must name the "
                "columns, such as type, name and label",
            )
            return None
        self.choose_languages(survey)
        self.read_choices(sheets.get("choices"))
        title, key, extra = self.read_settings(sheets.get("settings"))
        if "name" not in survey.columns:
            self.add(f"survey row {survey.header_row}", "there is no 'name' column")
        if not self.label_column:
            self.add(f"survey row {survey.header_row}", "there is no 'label' column")
        if survey.truncated:
            self.add("survey", f"only the first {MAX_ROWS} rows were read")
        nodes = self.tree(survey)
        pages = self.pages(nodes, title)
        self.conditions()
        if not pages:
            self.add("survey", "no questions could be imported")
            return None
        definition: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "key": key, "title": title}
        definition.update(extra)
        definition["pages"] = pages
        self.problems.sort(key=_reading_order)
        for problem in validate(definition):
            self.problems.append(self.locate(problem))
        return definition

    def choose_languages(self, survey: _Sheet) -> None:
        """Pick the label and hint columns: plain, else English, else the first language."""
        for base in ("label", "hint"):
            translated = [c for c in survey.columns if c.startswith(f"{base}::")]
            chosen = base if base in survey.columns else None
            if chosen is None and translated:
                english = [c for c in translated if re.search(r"english|\(en\)", c, re.I)]
                chosen = (english or translated)[0]
            if chosen is not None and base == "label":
                self.label_column = chosen
            elif chosen is not None:
                self.hint_column = chosen
            elif base == "label":
                self.label_column = ""
            left = [c for c in translated if c != chosen]
            self.ignored_columns.update(left)
            if left:
                names = ", ".join(f"'{c}'" for c in left)
                self.add(
                    f"survey row {survey.header_row}",
                    f"only one language is imported, so the columns {names} were ignored",
                )

    def read_choices(self, sheet: _Sheet | None) -> None:
        if sheet is None:
            return
        where = f"choices row {sheet.header_row}"
        if sheet.truncated:
            self.add("choices", f"only the first {MAX_ROWS} rows were read")
        if "list_name" not in sheet.columns or "name" not in sheet.columns:
            self.add(where, "the choices sheet needs 'list_name' and 'name' columns")
            return
        label_column = "label"
        if "label" not in sheet.columns:
            translated = [c for c in sheet.columns if c.startswith("label::")]
            english = [c for c in translated if re.search(r"english|\(en\)", c, re.I)]
            label_column = (english or translated or ["label"])[0]
        unused = [
            c
            for c in sheet.columns
            if c and c not in CHOICES_COLUMNS and c != label_column and not c.startswith("$")
        ]
        if unused:
            names = ", ".join(f"'{c}'" for c in unused)
            self.add(where, f"the columns {names} are not used, so they were ignored")
        for row, cells in sheet.rows:
            where = f"choices row {row}"
            list_name, name = cells.get("list_name", ""), cells.get("name", "")
            if not list_name:
                self.add(where, "this choice has no list_name, so it was not imported")
                continue
            if not name:
                self.add(where, f"list '{list_name}' has a choice with no name; it was left out")
                continue
            choices = self.lists.setdefault(list_name, [])
            self.list_rows.setdefault(list_name, row)
            if any(c.name == name for c in choices):
                self.add(
                    where,
                    f"list '{list_name}' already has a choice named '{name}'; it was left out",
                )
                continue
            label = cells.get(label_column, "")
            if not label:
                self.add(
                    where,
                    f"list '{list_name}' has no label for choice '{name}', so its name was used",
                )
                label = name
            choices.append(_Choice(row, name, label, cells.get("hint", "")))

    def read_settings(self, sheet: _Sheet | None) -> tuple[str, str, dict[str, Any]]:
        values = dict(sheet.rows[0][1]) if sheet is not None and sheet.rows else {}
        row = sheet.rows[0][0] if sheet is not None and sheet.rows else 2
        where = f"settings row {row}"
        extra: dict[str, Any] = {}
        for column in values:
            if column not in SETTINGS_USED and column not in SETTINGS_IGNORED:
                self.add(where, f"the setting '{column}' is not used, so it was ignored")
        title = values.get("form_title", "")
        form_id = values.get("form_id", "")
        if not title:
            title = _humanise(form_id) if form_id else "Imported form"
            self.add("settings", f"there is no form_title, so the form was called '{title}'")
        if is_identifier(form_id):
            key = form_id
        else:
            key = _slug(form_id or title, "form")
            if form_id:
                self.add(
                    where,
                    f"form_id '{form_id}' is not usable as a key ({IDENTIFIER_HELP}), "
                    f"so it was imported as '{key}'",
                )
        if values.get("intro"):
            extra["intro"] = values["intro"]
        if values.get("meta"):
            try:
                meta = json.loads(values["meta"])
            except ValueError:
                meta = None
            if isinstance(meta, dict):
                extra["meta"] = meta
            else:
                self.add(where, "the setting 'meta' is not a JSON object, so it was ignored")
        return title, key, extra

    # -- the survey sheet as a tree ---------------------------------------------------------------

    def tree(self, survey: _Sheet) -> list[_Node]:
        roots: list[_Node] = []
        stack: list[_Node] = []
        for row, cells in survey.rows:
            written = re.sub(r"\s+", " ", cells.get("type", "")).strip()
            if not written:
                self.add(f"survey row {row}", "this row has no type, so it was not imported")
                continue
            words = written.split(" ")
            kind = words[0].lower()
            args = words[1:]
            if kind in ("begin", "end", "select") and args:
                kind = f"{kind}_{args[0].lower()}"
                args = args[1:]
            node = _Node(row, cells, kind, args, words[0])
            here = stack[-1].children if stack else roots
            if kind in ("begin_group", "begin_repeat"):
                here.append(node)
                stack.append(node)
            elif kind in ("end_group", "end_repeat"):
                wanted = "begin_group" if kind == "end_group" else "begin_repeat"
                if stack and stack[-1].kind == wanted:
                    stack.pop().closed = True
                else:
                    noun = kind.replace("_", " ")
                    self.add(
                        f"survey row {row}",
                        f"this '{noun}' has no matching begin, so it was ignored",
                    )
            else:
                here.append(node)
        for node in stack:
            noun = "end group" if node.kind == "begin_group" else "end repeat"
            self.add(
                f"survey row {node.row}",
                f"this has no matching '{noun}', so it was closed at the end of the sheet",
            )
        return roots

    # -- pages -----------------------------------------------------------------------------------

    def pages(self, nodes: list[_Node], title: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        page_keys: set[str] = set()
        loose: dict[str, Any] | None = None
        for node in nodes:
            if node.kind == "begin_group":
                loose = None
                start = len(self.entries)
                relevant = self.group_relevant(node)
                for child in node.children:
                    self.content(child, relevant)
                self.check_group_row(node)
                if len(self.entries) == start:
                    self.add(
                        f"survey row {node.row}",
                        "this group has no questions that could be imported, so it was left out",
                    )
                    continue
                base = node.name if is_identifier(node.name) else _slug(node.name, "page")
                if node.name and base != node.name:
                    self.add(
                        f"survey row {node.row}",
                        f"group name '{node.name}' is not usable as a key ({IDENTIFIER_HELP}), "
                        f"so the page was keyed '{base}'",
                    )
                if not node.name:
                    base = f"page_{len(pages) + 1}"
                page = {
                    "key": _unique(base, page_keys),
                    "title": node.cells.get(self.label_column) or _humanise(base),
                }
                if node.cells.get(self.hint_column):
                    page["intro"] = node.cells[self.hint_column]
                page["questions"] = [e.question for e in self.entries[start:]]
                page_keys.add(page["key"])
                pages.append(page)
                self.page_rows.append(node.row)
                self.question_rows.append([e.row for e in self.entries[start:]])
            elif node.kind == "begin_repeat":
                loose = None
                self.repeat(node)
            else:
                start = len(self.entries)
                self.content(node, [])
                if len(self.entries) == start:
                    continue
                if loose is None:
                    key = _unique(f"page_{len(pages) + 1}", page_keys)
                    loose = {"key": key, "title": title, "questions": []}
                    page_keys.add(key)
                    pages.append(loose)
                    self.page_rows.append(None)
                    self.question_rows.append([])
                loose["questions"].append(self.entries[-1].question)
                self.question_rows[-1].append(self.entries[-1].row)
        return pages

    def group_relevant(self, node: _Node) -> list[tuple[int, str, bool]]:
        text = node.cells.get("relevant", "")
        return [(node.row, text, True)] if text else []

    def check_group_row(self, node: _Node) -> None:
        appearance = node.cells.get("appearance", "")
        for word in appearance.split():
            if word not in GROUP_APPEARANCES:
                self.add(
                    f"survey row {node.row}",
                    f"appearance '{word}' is not used for groups, so it was ignored",
                )
        self.unused_cells(node, {"type", "name", "label", "hint", "relevant", "appearance"})

    def content(self, node: _Node, relevant: list[tuple[int, str, bool]]) -> None:
        """Import a row found on a page: a question, or a nested group or repeat."""
        if node.kind == "begin_repeat":
            self.repeat(node)
        elif node.kind == "begin_group":
            if self.grid(node, relevant):
                return
            self.add(
                f"survey row {node.row}",
                "groups inside groups are not supported, so the questions in this group were "
                "put on the page of the group around it",
            )
            inner = relevant + self.group_relevant(node)
            self.check_group_row(node)
            for child in node.children:
                self.content(child, inner)
        else:
            self.question(node, relevant)

    def repeat(self, node: _Node) -> None:
        self.add(
            f"survey row {node.row}",
            "type 'begin repeat' is not supported, so this repeat and the questions in it were "
            "not imported",
        )
        for child in node.children:
            self.skipped_in_repeat(child, node.row)

    def skipped_in_repeat(self, node: _Node, repeat_row: int) -> None:
        if node.kind not in ("begin_group", "begin_repeat"):
            self.add(
                f"survey row {node.row}",
                f"this question is inside the repeat on row {repeat_row}, so it was not imported",
            )
        for child in node.children:
            self.skipped_in_repeat(child, repeat_row)

    # -- questions -------------------------------------------------------------------------------

    def unused_cells(self, node: _Node, used: set[str]) -> None:
        used = used | {self.label_column, self.hint_column} | self.ignored_columns
        for column, value in node.cells.items():
            if column in used or column.startswith("$") or column in ("label", "hint"):
                continue
            self.add(
                f"survey row {node.row}",
                f"column '{column}' is not supported for this row, so '{value}' was ignored",
            )

    def key_for(self, node: _Node) -> str:
        name = node.name
        where = f"survey row {node.row}"
        if not name:
            key = _unique(f"row_{node.row}", self.keys)
            self.add(where, f"this question has no name, so it was given the key '{key}'")
        elif is_identifier(name):
            key = name
        else:
            key = _slug(name, "q")
            self.add(
                where,
                f"name '{name}' is not usable as a key ({IDENTIFIER_HELP}), "
                f"so it was imported as '{_unique(key, self.keys)}'",
            )
        if name and name in self.names:
            new = _unique(key, self.keys)
            self.add(
                where,
                f"name '{name}' is also used on survey row {self.name_rows[name]}, "
                f"so this question was imported as '{new}'",
            )
            key = new
        key = _unique(key, self.keys)
        self.keys.add(key)
        if name and name not in self.names:
            self.names[name] = key
            self.name_rows[name] = node.row
        return key

    def question(self, node: _Node, relevant: list[tuple[int, str, bool]]) -> None:
        where = f"survey row {node.row}"
        kind = node.kind
        if kind in METADATA_TYPES:
            self.add(
                where,
                f"type '{node.written}' records details of the device or session, which this "
                "platform does not collect, so it was not imported",
            )
            return
        handlers = {
            "text": self.text,
            "string": self.text,
            "integer": self.number,
            "int": self.number,
            "decimal": self.number,
            "range": self.range,
            "date": self.date,
            "note": self.note,
            "acknowledge": self.acknowledge,
            "select_one": self.select,
            "select_multiple": self.select,
            "rank": self.select,
        }
        handler = handlers.get(kind)
        if handler is None:
            self.add(
                where, f"type '{node.written}' is not supported, so this question was not imported"
            )
            return
        label = node.cells.get(self.label_column, "")
        if not label:
            self.add(where, "this question has no label, so it was not imported")
            return
        built = handler(node)
        if built is None:
            return
        question, values, used = built
        key = self.key_for(node)
        ordered: dict[str, Any] = {"key": key, "type": question.pop("type"), "label": label}
        hint = node.cells.get(self.hint_column, "")
        if hint:
            ordered["hint"] = hint
        required = self.required(node)
        if required and ordered["type"] == "info":
            self.add(where, "a note collects no answer, so 'required' was ignored")
        elif required and ordered["type"] != "consent":
            ordered["required"] = True
        ordered.update(question)
        themes = self.themes(node)
        if themes:
            ordered["themes"] = themes
        self.appearance(node, used)
        self.unused_cells(
            node, {"type", "name", "required", "relevant", "appearance", "themes"} | used
        )
        rows = relevant + (
            [(node.row, node.cells["relevant"], False)] if "relevant" in node.cells else []
        )
        self.entries.append(_Entry(ordered, node.row, rows, values))

    def required(self, node: _Node) -> bool:
        text = node.cells.get("required", "").strip().lower()
        if text in TRUE_WORDS:
            return True
        if text not in FALSE_WORDS:
            self.add(
                f"survey row {node.row}",
                f"required '{node.cells['required']}' is not yes or no, so the question was "
                "imported as optional",
            )
        return False

    def themes(self, node: _Node) -> list[str]:
        themes: list[str] = []
        for theme in re.split(r"[\s,;]+", node.cells.get("themes", "")):
            if not theme or theme in themes:
                continue
            if theme in THEMES:
                themes.append(theme)
            else:
                self.add(
                    f"survey row {node.row}",
                    f"theme '{theme}' is not in the codebook, so it was left out",
                )
        return themes

    def appearance(self, node: _Node, used: set[str]) -> None:
        if "appearance" in used:
            return
        for word in node.cells.get("appearance", "").split():
            if word not in PRESENTATIONAL and not re.fullmatch(r"w\d+", word):
                self.add(
                    f"survey row {node.row}",
                    f"appearance '{word}' is not supported, so it was ignored",
                )

    def constraint(
        self, node: _Node, qtype: str, *, integer: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Limits (and fields such as not_in_future) from a constraint; ({}, {}) if none."""
        text = node.cells.get("constraint", "")
        if not text:
            return {}, {}
        limits: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        subject = {
            "number": r"\.",
            "date": r"\.",
            "short_text": r"string-length\(\s*\.\s*\)",
            "long_text": r"string-length\(\s*\.\s*\)",
            "multi_choice": r"count-selected\(\s*\.\s*\)",
        }[qtype]
        clause = re.compile(rf"\s*{subject}\s*(>=|<=|>|<)\s*(.+?)\s*")
        try:
            for part in re.split(r"\s+and\s+", text.strip()):
                match = clause.fullmatch(part)
                if not match:
                    raise _Unsupported(part)
                operator, value = match.groups()
                self.limit(qtype, operator, value, limits, fields, integer)
        except _Unsupported:
            self.add(
                f"survey row {node.row}",
                f"constraint '{text}' could not be converted, so this question was imported "
                "without it",
            )
            return {}, {}
        return limits, fields

    def limit(
        self,
        qtype: str,
        operator: str,
        value: str,
        limits: dict[str, Any],
        fields: dict[str, Any],
        integer: bool,
    ) -> None:
        if qtype == "date":
            if value == "today()" and operator == "<=":
                fields["not_in_future"] = True
                return
            match = re.fullmatch(r"date\(\s*['\"](\d{4}-\d{2}-\d{2})['\"]\s*\)", value)
            if not match or operator not in (">=", "<="):
                raise _Unsupported(value)
            try:
                date.fromisoformat(match.group(1))
            except ValueError as error:
                raise _Unsupported(value) from error
            limits["min" if operator == ">=" else "max"] = match.group(1)
            return
        number = _number(value)
        if number is None:
            raise _Unsupported(value)
        if operator in (">", "<"):
            # Strict bounds only convert for whole numbers: > 0 is >= 1.
            if not (integer and isinstance(number, int)):
                raise _Unsupported(value)
            number = number + 1 if operator == ">" else number - 1
            operator += "="
        if qtype == "number":
            limits["min" if operator == ">=" else "max"] = number
            return
        if not isinstance(number, int) or number < (0 if operator == ">=" else 1):
            raise _Unsupported(value)
        if qtype in ("short_text", "long_text"):
            ceiling = QUESTION_TYPES[qtype]
            if operator != "<=" or not (
                isinstance(ceiling, TextType) and 1 <= number <= ceiling.ceiling
            ):
                raise _Unsupported(value)
            limits["max_length"] = number
            return
        if number < 1:
            # count-selected(.) >= 0 says nothing.
            return
        limits["min_selected" if operator == ">=" else "max_selected"] = number

    def text(self, node: _Node):
        qtype = (
            "long_text" if "multiline" in node.cells.get("appearance", "").split() else "short_text"
        )
        limits, _ = self.constraint(node, qtype)
        question: dict[str, Any] = {"type": qtype}
        if limits:
            question["limits"] = limits
        return question, None, {"constraint"}

    def number(self, node: _Node):
        integer = node.kind != "decimal"
        limits, _ = self.constraint(node, "number", integer=integer)
        if not integer:
            limits["integer"] = False
        question: dict[str, Any] = {"type": "number"}
        if limits:
            question["limits"] = limits
        return question, None, {"constraint"}

    def range(self, node: _Node):
        where = f"survey row {node.row}"
        text = node.cells.get("parameters", "")
        params: dict[str, int | float] = {}
        for part in re.split(r"[\s;,]+", text.strip()):
            name, _, value = part.partition("=")
            number = _number(value.strip())
            if name and number is not None:
                params[name.strip().lower()] = number
        start, end, step = params.get("start"), params.get("end"), params.get("step", 1)
        if node.cells.get("constraint"):
            self.add(where, "a constraint on a range is not supported, so it was ignored")
        if start is None or end is None or start >= end:
            self.add(
                where,
                f"range parameters '{text}' do not give a start below the end, so this question "
                "was imported as a number without limits",
            )
            return (
                {"type": "number", "limits": {"integer": False}},
                None,
                {"parameters", "constraint"},
            )
        if isinstance(start, int) and isinstance(end, int) and step == 1 and end - start <= 20:
            question: dict[str, Any] = {"type": "rating"}
            if (start, end) != (0, 10):
                question["limits"] = {"min": start, "max": end}
            return question, None, {"parameters", "constraint"}
        self.add(
            where,
            f"range parameters '{text}' are not whole-number steps of 1 over at most 20 points, "
            "so this question was imported as a number",
        )
        integer = all(isinstance(v, int) for v in (start, end, step))
        limits: dict[str, Any] = {"min": start, "max": end}
        if not integer:
            limits["integer"] = False
        return {"type": "number", "limits": limits}, None, {"parameters", "constraint"}

    def date(self, node: _Node):
        limits, fields = self.constraint(node, "date")
        for word in node.cells.get("appearance", "").split():
            if word in ("month-year", "year"):
                self.add(
                    f"survey row {node.row}",
                    f"appearance '{word}' is not supported; the question asks for a full date",
                )
        question: dict[str, Any] = {"type": "date", **fields}
        if limits:
            question["limits"] = limits
        return question, None, {"constraint"}

    def note(self, node: _Node):
        return {"type": "info"}, None, set()

    def acknowledge(self, node: _Node):
        if not self.required(node):
            self.add(
                f"survey row {node.row}",
                "this acknowledge question is optional in the workbook, but a consent "
                "statement must always be agreed",
            )
        return {"type": "consent"}, {CONSENT_VALUE: True}, set()

    def options(self, list_name: str) -> tuple[list[dict[str, str]], dict[str, str]]:
        """Options for a list and a map from choice names to option values, reported once."""
        if list_name in self.option_cache:
            return self.option_cache[list_name]
        options: list[dict[str, str]] = []
        values: dict[str, str] = {}
        renamed: list[str] = []
        for choice in self.lists[list_name]:
            value = choice.name if is_identifier(choice.name) else _slug(choice.name, "option")
            value = _unique(value, values.values())
            if value != choice.name:
                renamed.append(f"'{choice.name}' as '{value}'")
            values[choice.name] = value
            option = {"value": value, "label": choice.label}
            if choice.hint:
                option["hint"] = choice.hint
            options.append(option)
        if renamed:
            self.add(
                f"choices row {self.list_rows[list_name]}",
                f"list '{list_name}' has choice names that are not usable as answer values "
                f"({IDENTIFIER_HELP}), so they were imported as follows: {', '.join(renamed)}",
            )
        self.option_cache[list_name] = (options, values)
        return options, values

    def select(self, node: _Node):
        where = f"survey row {node.row}"
        used = {"choice_filter"}
        if not node.args:
            self.add(
                where, f"type '{node.written}' names no list, so this question was not imported"
            )
            return None
        list_name = node.args[0]
        extras = [a.lower() for a in node.args[1:]]
        if list_name not in self.lists:
            self.add(
                where,
                f"list '{list_name}' is not on the choices sheet, "
                "so this question was not imported",
            )
            return None
        if node.cells.get("choice_filter"):
            self.add(
                where,
                f"choice_filter '{node.cells['choice_filter']}' is not supported, so every "
                f"choice in list '{list_name}' is offered",
            )
        choices = self.lists[list_name]
        for extra in extras:
            if extra != "or_other" or node.kind != "select_multiple":
                self.add(
                    where,
                    f"'{extra}' is not supported for this type, so it was ignored",
                )
        if node.kind == "select_multiple":
            limits, _ = self.constraint(node, "multi_choice")
            used.add("constraint")
            options, values = self.options(list_name)
            question: dict[str, Any] = {"type": "multi_choice"}
            if "or_other" in extras:
                options = [o for o in options if o["value"] != OTHER]
                values = {**values, OTHER: OTHER}
                question["other"] = True
            if len(options) < 2:
                self.add(
                    where,
                    f"list '{list_name}' has fewer than 2 choices, "
                    "so this question was not imported",
                )
                return None
            question["options"] = options
            if limits:
                question["limits"] = limits
            return question, dict(values), used
        appearance = node.cells.get("appearance", "").split()
        scale = _scale(choices, likert=LIKERT_APPEARANCE in appearance)
        if node.kind == "select_one" and scale is not None:
            return scale[0], scale[1], used
        options, values = self.options(list_name)
        if len(options) < 2:
            self.add(
                where,
                f"list '{list_name}' has fewer than 2 choices, so this question was not imported",
            )
            return None
        if node.kind == "rank":
            return {"type": "ranking", "options": options}, None, used
        question = {"type": "single_choice", "options": options}
        if {"minimal", "autocomplete", "search"} & set(appearance):
            question["display"] = "select"
        return question, dict(values), used

    def grid(self, node: _Node, relevant: list[tuple[int, str, bool]]) -> bool:
        """Import a nested group of scale questions as one matrix or retrospective question."""
        children = node.children
        label = node.cells.get(self.label_column, "")
        if not children or not label or not node.name:
            return False
        if any(
            c.kind != "select_one" or len(c.args) != 1 or c.children or "relevant" in c.cells
            for c in children
        ):
            return False
        list_names = {c.args[0] for c in children}
        if len(list_names) != 1 or next(iter(list_names)) not in self.lists:
            return False
        scale = _scale(self.lists[next(iter(list_names))], likert=True)
        if scale is None or scale[0]["type"] != "likert":
            return False
        fields = {k: v for k, v in scale[0].items() if k != "type"}
        core = [n for n, v in scale[1].items() if v != DONT_KNOW]
        if "labels" in fields and core != [str(i) for i in range(1, len(core) + 1)]:
            # Only numbered choices make an unrecognised list a scale rather than categories.
            return False
        prefix = f"{node.name}_"
        names = [c.name for c in children]
        if not all(n.startswith(prefix) for n in names):
            return False
        stems = [n[len(prefix) :] for n in names]
        question: dict[str, Any]
        if (
            fields == {"scale": "confidence_5"}
            and len(stems) % 2 == 0
            and all(
                b.endswith("_before") and a.endswith("_now") and b[:-7] == a[:-4]
                for b, a in zip(stems[::2], stems[1::2], strict=True)
            )
        ):
            keys = [b[:-7] for b in stems[::2]]
            labels = [c.cells.get(self.label_column, "") for c in children[::2]]
            labels = [x[: -len(BEFORE_SUFFIX)] if x.endswith(BEFORE_SUFFIX) else x for x in labels]
            items: Any = [{"key": k, "label": t} for k, t in zip(keys, labels, strict=True)]
            question = {"type": "retrospective_confidence", "outcomes": items}
            field_name = "outcomes"
        else:
            labels = [c.cells.get(self.label_column, "") for c in children]
            items = [{"key": k, "label": t} for k, t in zip(stems, labels, strict=True)]
            for item, child in zip(items, children, strict=True):
                if child.cells.get(self.hint_column):
                    item["hint"] = child.cells[self.hint_column]
            question = {"type": "matrix", "rows": items, **fields}
            field_name = "rows"
        keys = [i["key"] for i in items]
        if keys == [FROM_COURSE]:
            question[field_name] = FROM_COURSE
        elif not all(is_identifier(k) and t for k, t in zip(keys, labels, strict=True)) or len(
            set(keys)
        ) != len(keys):
            return False
        key = self.key_for(node)
        ordered: dict[str, Any] = {"key": key, "type": question.pop("type"), "label": label}
        if node.cells.get(self.hint_column):
            ordered["hint"] = node.cells[self.hint_column]
        required = [self.required(c) for c in children]
        if all(required):
            ordered["required"] = True
        elif any(required):
            self.add(
                f"survey row {node.row}",
                "only some rows of this grid are required, so the question was imported as "
                "optional",
            )
        ordered.update(question)
        themes = self.themes(node)
        if themes:
            ordered["themes"] = themes
        for child in children:
            self.unused_cells(child, {"type", "name", "required", "label", "hint", "appearance"})
        self.unused_cells(
            node, {"type", "name", "relevant", "appearance", "themes", "label", "hint"}
        )
        rows = relevant + self.group_relevant(node)
        self.entries.append(_Entry(ordered, node.row, rows, None))
        return True

    # -- conditions ------------------------------------------------------------------------------

    def conditions(self) -> None:
        known: dict[str, _Entry] = {}
        for entry in self.entries:
            parts = []
            for row, text, group in entry.relevant:
                try:
                    parts.append(self.convert(_Parser(text).parse(), known, entry))
                except _Unsupported as reason:
                    what = "the questions in this group were" if group else "this question was"
                    self.add(
                        f"survey row {row}",
                        f"relevant '{text}' could not be converted ({reason}), so {what} "
                        "imported without it",
                    )
            if parts:
                entry.question["show_if"] = parts[0] if len(parts) == 1 else {"all": parts}
                # Keep show_if where the README lists it, after the common fields.
                themes = entry.question.pop("themes", None)
                if themes is not None:
                    show_if = entry.question.pop("show_if")
                    entry.question["themes"] = themes
                    entry.question["show_if"] = show_if
            known[entry.question["key"]] = entry

    def convert(self, node: tuple, known: Mapping[str, _Entry], here: _Entry) -> dict[str, Any]:
        kind = node[0]
        if kind in ("or", "and"):
            items = [self.convert(n, known, here) for n in node[1]]
            if kind == "and":
                return {"all": items}
            first = items[0].get("question")
            if all(set(i) == {"question", "equals"} and i["question"] == first for i in items):
                values: list[Any] = []
                for item in items:
                    if item["equals"] not in values:
                        values.append(item["equals"])
                return {"question": first, "in": values}
            return {"any": items}
        if kind == "not":
            inner = node[1]
            if inner[0] == "selected" or (
                inner[0] == "compare" and inner[2] == "=" and inner[3] != ""
            ):
                condition = self.convert(inner, known, here)
                return {"question": condition["question"], "not_equals": condition["equals"]}
            raise _Unsupported("only not(selected(...)) can be shown as a condition")
        if kind == "selected":
            entry = self.target(node[1], known, here)
            return {"question": entry.question["key"], "equals": self.value(entry, node[2])}
        _, ref, operator, literal = node
        entry = self.target(ref, known, here)
        key = entry.question["key"]
        if literal == "":
            if operator not in ("=", "!="):
                raise _Unsupported(f"'{operator} ''' cannot be shown as a condition")
            return {"question": key, "answered": operator == "!="}
        if operator == "=":
            return {"question": key, "equals": self.value(entry, literal)}
        if operator == "!=":
            return {"question": key, "not_equals": self.value(entry, literal)}
        levels = _levels(entry.question)
        number = literal if isinstance(literal, int | float) else _number(str(literal))
        if levels is None or number is None:
            raise _Unsupported(f"'{operator}' can only be converted for scale questions")
        tests = {
            ">": lambda v: v > number,
            ">=": lambda v: v >= number,
            "<": lambda v: v < number,
            "<=": lambda v: v <= number,
        }
        matching = [v for v in levels if tests[operator](v)]
        if not matching:
            raise _Unsupported("no answer can meet it")
        if len(matching) == 1:
            return {"question": key, "equals": matching[0]}
        return {"question": key, "in": matching}

    def target(self, name: str, known: Mapping[str, _Entry], here: _Entry) -> _Entry:
        key = self.names.get(name)
        if key is None:
            raise _Unsupported(f"'{name}' is not a question that was imported")
        if key == here.question["key"]:
            raise _Unsupported(f"'{name}' is this question itself")
        if key not in known:
            raise _Unsupported(f"'{name}' comes later in the form")
        entry = known[key]
        if entry.question["type"] == "info":
            raise _Unsupported(f"'{name}' is a note, which collects no answer")
        return entry

    def value(self, entry: _Entry, literal: str | int | float) -> Any:
        question = entry.question
        text = _format_number(literal) if isinstance(literal, int | float) else literal
        if entry.values is not None:
            if text not in entry.values:
                raise _Unsupported(f"'{text}' is not a choice of '{question['key']}'")
            return entry.values[text]
        qtype = question["type"]
        number = literal if isinstance(literal, int | float) else _number(text)
        if qtype in ("rating", "number") and number is not None:
            if qtype == "rating" and not isinstance(number, int):
                raise _Unsupported(f"'{text}' is not a whole number")
            return number
        raise _Unsupported(
            f"answers to '{question['key']}' can only be tested for being answered or not"
        )

    # -- problems from validation ----------------------------------------------------------------

    def locate(self, problem: Problem) -> Problem:
        """A validation problem re-pointed at the survey row it came from, where known."""
        match = re.match(r"pages\[(\d+)\](?:\.questions\[(\d+)\])?\.?(.*)", problem.path)
        if not match:
            return problem
        page, question, rest = int(match.group(1)), match.group(2), match.group(3)
        row: int | None = None
        if page < len(self.page_rows):
            if question is not None and int(question) < len(self.question_rows[page]):
                row = self.question_rows[page][int(question)]
            elif question is None:
                row = self.page_rows[page]
        if row is None:
            return problem
        message = f"{rest}: {problem.message}" if rest else problem.message
        return Problem(f"survey row {row}", message)


def _reading_order(problem: Problem) -> tuple[int, int]:
    """Problems sorted as the admin reads the workbook: sheet by sheet, row by row."""
    match = re.fullmatch(r"(survey|choices|settings)(?: row (\d+))?", problem.path)
    if not match:
        return (0, 0)
    sheet = ("survey", "choices", "settings").index(match.group(1)) + 1
    return (sheet, int(match.group(2) or 0))


def _scale(choices: list[_Choice], *, likert: bool) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A likert, yes_no or emoji_scale question for a list that is one, with its answer values."""
    names = [c.name for c in choices]
    labels = [_norm(c.label) for c in choices]
    if len(choices) == 2 and sorted(labels) == ["no", "yes"]:
        return {"type": "yes_no"}, {c.name: _norm(c.label) == "yes" for c in choices}
    for count, faces in FACES.items():
        if names == [str(i) for i in range(1, count + 1)] and all(
            c.label.startswith(f"{emoji} ") for c, (emoji, _) in zip(choices, faces, strict=False)
        ):
            texts = [c.label.split(" ", 1)[1].strip() for c in choices]
            question: dict[str, Any] = {"type": "emoji_scale", "faces": count}
            if texts != [text for _, text in faces] and all(texts):
                question["labels"] = texts
            return question, {str(i): i for i in range(1, count + 1)}
    core = list(choices)
    dont_know = None
    if core and (_norm(core[-1].label) in DONT_KNOW_WORDS or core[-1].name == DONT_KNOW):
        dont_know = core.pop()
    core_labels = [_norm(c.label) for c in core]
    values: dict[str, Any] = {}
    question = {"type": "likert"}
    for name, levels in SCALES.items():
        wanted = [_norm(x) for x in levels]
        if core_labels in (wanted, wanted[::-1]):
            ascending = core_labels == wanted
            for index, choice in enumerate(core):
                values[choice.name] = index + 1 if ascending else len(core) - index
            if name != "agree_5":
                question["scale"] = name
            break
    else:
        if not likert or not 2 <= len(core) <= 11:
            return None
        question["labels"] = [c.label for c in core]
        values = {c.name: index for index, c in enumerate(core, start=1)}
    if dont_know is not None:
        question["dont_know"] = True
        values[dont_know.name] = DONT_KNOW
    return question, values


def _levels(question: Mapping[str, Any]) -> list[int] | None:
    """The numeric answers of a scale question, lowest first, for converting >= and friends."""
    qtype = question.get("type")
    if qtype not in ("likert", "rating", "safety_scale", "emoji_scale"):
        return None
    summary = QUESTION_TYPES[qtype].summary(question)
    return [level["value"] for level in summary["levels"]]


def import_xlsform(data: bytes) -> XLSFormImport:
    """Read an XLSForm workbook into a definition, reporting by sheet and row what did not fit.

    Never raises. definition is None when nothing usable was found; otherwise it holds every
    supported part, and any forms.validate problems it still has are among the problems.
    """
    importer = _Importer()
    try:
        definition = importer.run(data)
    except Exception:
        # An upload must give the admin a message, never a server error; the log keeps the bug.
        log.exception("XLSForm import failed unexpectedly")
        importer.problems.append(
            Problem("", "the workbook could not be imported because of an unexpected error")
        )
        definition = None
    return XLSFormImport(definition, importer.problems)


# == export =======================================================================================


class _Exporter:
    """Rows for the survey, choices and settings sheets of one definition."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition = definition
        self.survey: list[dict[str, str]] = []
        self.choices: list[dict[str, str]] = []
        self.lists: dict[tuple, str] = {}
        self.questions: dict[str, Mapping[str, Any]] = {}
        for page in _pages(definition):
            for question in _questions(page):
                key = question.get("key")
                if isinstance(key, str):
                    self.questions.setdefault(key, question)

    def choice_list(self, preferred: str, choices: list[tuple[str, str, str]]) -> str:
        """The name of a list holding these (name, label, hint) choices, shared when identical."""
        signature = tuple(choices)
        if signature in self.lists:
            return self.lists[signature]
        name = _unique(_slug(preferred, "list"), self.lists.values())
        self.lists[signature] = name
        for value, label, hint in choices:
            row = {"list_name": name, "name": value, "label": label}
            if hint:
                row["hint"] = hint
            self.choices.append(row)
        return name

    def scale_list(self, question: Mapping[str, Any]) -> str:
        choices = [(str(v), label, "") for v, label in scale_choices(question)]
        if "labels" in question:
            preferred = f"{question.get('key', 'scale')}_scale"
        else:
            preferred = str(question.get("scale", "agree_5"))
        if question.get("dont_know") is True:
            preferred += "_dont_know"
        return self.choice_list(preferred, choices)

    def option_list(self, question: Mapping[str, Any]) -> str:
        options = question.get("options") if isinstance(question.get("options"), list) else []
        choices = [
            (
                str(o.get("value", "")),
                str(o.get("label", o.get("value", ""))),
                str(o.get("hint", "")),
            )
            for o in options
            if isinstance(o, Mapping)
        ]
        return self.choice_list(str(question.get("key", "options")), choices)

    def build(self) -> bytes:
        for page in _pages(self.definition):
            self.survey.append(
                {
                    "type": "begin_group",
                    "name": str(page.get("key", "")),
                    "label": str(page.get("title", "")),
                    "hint": str(page.get("intro", "")),
                    "appearance": "field-list",
                }
            )
            for question in _questions(page):
                self.question(question)
            self.survey.append({"type": "end_group"})
        settings = {
            "form_title": str(self.definition.get("title", "")),
            "form_id": str(self.definition.get("key", "")),
        }
        if isinstance(self.definition.get("intro"), str):
            settings["intro"] = self.definition["intro"]
        if isinstance(self.definition.get("meta"), Mapping):
            settings["meta"] = json.dumps(self.definition["meta"], ensure_ascii=False)
        book = Workbook()
        _write(book.active, "survey", SURVEY_COLUMNS, self.survey)
        _write(book.create_sheet(), "choices", CHOICES_COLUMNS, self.choices)
        _write(book.create_sheet(), "settings", tuple(settings), [settings])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def question(self, question: Mapping[str, Any]) -> None:
        qtype = question.get("type")
        key = str(question.get("key", ""))
        row: dict[str, str] = {"name": key, "label": str(question.get("label", ""))}
        if isinstance(question.get("hint"), str):
            row["hint"] = question["hint"]
        if question.get("required") is True:
            row["required"] = "yes"
        if "show_if" in question:
            row["relevant"] = self.expression(question["show_if"])
        themes = question.get("themes")
        if isinstance(themes, list):
            row["themes"] = " ".join(str(t) for t in themes)
        limits = question.get("limits") if isinstance(question.get("limits"), Mapping) else {}
        if qtype == "likert":
            row.update(type=f"select_one {self.scale_list(question)}", appearance=LIKERT_APPEARANCE)
        elif qtype in ("rating", "safety_scale"):
            low, high = QUESTION_TYPES[qtype].bounds(question)
            row.update(type="range", parameters=f"start={low} end={high} step=1")
        elif qtype == "emoji_scale":
            faces = QUESTION_TYPES["emoji_scale"].faces(question)
            choices = [(str(v), f"{emoji} {text}", "") for v, emoji, text in faces]
            row["type"] = f"select_one {self.choice_list(f'faces_{len(faces)}', choices)}"
        elif qtype == "single_choice":
            row["type"] = f"select_one {self.option_list(question)}"
            if question.get("display") == "select":
                row["appearance"] = "minimal"
        elif qtype == "multi_choice":
            other = " or_other" if question.get("other") is True else ""
            row["type"] = f"select_multiple {self.option_list(question)}{other}"
            row["constraint"] = _constraint(
                "count-selected(.)", limits.get("min_selected"), limits.get("max_selected")
            )
        elif qtype == "ranking":
            row["type"] = f"rank {self.option_list(question)}"
        elif qtype in ("short_text", "long_text"):
            row["type"] = "text"
            if qtype == "long_text":
                row["appearance"] = "multiline"
            row["constraint"] = _constraint("string-length(.)", None, limits.get("max_length"))
        elif qtype == "number":
            row["type"] = "decimal" if limits.get("integer") is False else "integer"
            row["constraint"] = _constraint(".", limits.get("min"), limits.get("max"))
        elif qtype == "date":
            parts = []
            if isinstance(limits.get("min"), str):
                parts.append(f". >= date('{limits['min']}')")
            if isinstance(limits.get("max"), str):
                parts.append(f". <= date('{limits['max']}')")
            if question.get("not_in_future") is True:
                parts.append(". <= today()")
            row.update(type="date", constraint=" and ".join(parts))
        elif qtype == "yes_no":
            choices = [("yes", "Yes", ""), ("no", "No", "")]
            row["type"] = f"select_one {self.choice_list('yes_no', choices)}"
        elif qtype == "consent":
            row.update(type="acknowledge", required="yes")
        elif qtype in ("matrix", "retrospective_confidence"):
            self.grid(question, row)
            return
        else:
            row["type"] = "note"
        self.survey.append({k: v for k, v in row.items() if v})

    def grid(self, question: Mapping[str, Any], row: dict[str, str]) -> None:
        key = row["name"]
        required = row.pop("required", "")
        self.survey.append({**row, "type": "begin_group", "appearance": "table-list"})
        if question.get("type") == "matrix":
            rows = question.get("rows")
            list_name = self.scale_list(question)
            items = (
                [{"key": FROM_COURSE, "label": FROM_COURSE_LABEL}] if rows == FROM_COURSE else rows
            )
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, Mapping):
                    continue
                cells = {
                    "type": f"select_one {list_name}",
                    "name": f"{key}_{item.get('key', '')}",
                    "label": str(item.get("label", "")),
                    "hint": str(item.get("hint", "")),
                    "required": required,
                }
                self.survey.append({k: v for k, v in cells.items() if v})
        else:
            outcomes = question.get("outcomes")
            list_name = self.scale_list({"scale": "confidence_5"})
            if outcomes == FROM_COURSE:
                outcomes = [{"key": FROM_COURSE, "label": FROM_COURSE_LABEL}]
            for item in outcomes if isinstance(outcomes, list) else []:
                if not isinstance(item, Mapping):
                    continue
                for moment, suffix in (("before", BEFORE_SUFFIX), ("now", NOW_SUFFIX)):
                    cells = {
                        "type": f"select_one {list_name}",
                        "name": f"{key}_{item.get('key', '')}_{moment}",
                        "label": f"{item.get('label', '')}{suffix}",
                        "required": required,
                    }
                    self.survey.append({k: v for k, v in cells.items() if v})
        self.survey.append({"type": "end_group"})

    # -- conditions ------------------------------------------------------------------------------

    def expression(self, condition: Any, nested: bool = False) -> str:
        if not isinstance(condition, Mapping):
            return ""
        for combinator, joiner in (("all", " and "), ("any", " or ")):
            if isinstance(condition.get(combinator), list):
                parts = [self.expression(c, True) for c in condition[combinator]]
                text = joiner.join(p for p in parts if p)
                return f"({text})" if nested and len(parts) > 1 else text
        key = str(condition.get("question", ""))
        target = self.questions.get(key, {})
        ref = f"${{{key}}}"
        if "answered" in condition:
            return f"{ref} != ''" if condition["answered"] else f"{ref} = ''"
        multi = target.get("type") == "multi_choice"
        if "in" in condition and isinstance(condition["in"], list):
            if multi:
                parts = [f"selected({ref}, {self.literal(target, v)})" for v in condition["in"]]
            else:
                parts = [f"{ref} = {self.literal(target, v)}" for v in condition["in"]]
            text = " or ".join(parts)
            return f"({text})" if nested and len(parts) > 1 else text
        if "equals" in condition:
            value = self.literal(target, condition["equals"])
            return f"selected({ref}, {value})" if multi else f"{ref} = {value}"
        if "not_equals" in condition:
            value = self.literal(target, condition["not_equals"])
            return f"not(selected({ref}, {value}))" if multi else f"{ref} != {value}"
        return ""

    def literal(self, target: Mapping[str, Any], value: Any) -> str:
        qtype = target.get("type")
        if qtype in ("yes_no", "consent") and isinstance(value, bool):
            if qtype == "consent":
                return _quote(CONSENT_VALUE)
            return _quote("yes" if value else "no")
        if qtype in ("rating", "safety_scale", "number") and isinstance(value, int | float):
            return _format_number(value)
        if isinstance(value, bool):
            return "true()" if value else "false()"
        if isinstance(value, int | float):
            return _quote(_format_number(value))
        return _quote(str(value))


def _pages(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    pages = definition.get("pages")
    return [p for p in pages if isinstance(p, Mapping)] if isinstance(pages, list) else []


def _questions(page: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    questions = page.get("questions")
    if not isinstance(questions, list):
        return []
    return [q for q in questions if isinstance(q, Mapping)]


def _constraint(subject: str, low: Any, high: Any) -> str:
    parts = []
    for operator, bound in ((">=", low), ("<=", high)):
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            parts.append(f"{subject} {operator} {_format_number(bound)}")
    return " and ".join(parts)


def _write(sheet: Any, title: str, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    sheet.title = title
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(column) or None for column in columns])


def export_xlsform(definition: Mapping[str, Any]) -> bytes:
    """An .xlsx XLSForm (survey, choices and settings sheets) for a definition.

    Types XLSForm has no word for are written as their nearest equivalent; export_losses says
    what a re-import would not get back.
    """
    if not isinstance(definition, Mapping):
        raise TypeError("export_xlsform needs a definition (a dict)")
    return _Exporter(definition).build()


def export_losses(definition: Mapping[str, Any]) -> list[Problem]:
    """What exporting this definition to XLSForm and importing it again would not bring back."""
    losses: list[Problem] = []
    for page_index, page in enumerate(_pages(definition)):
        for index, question in enumerate(_questions(page)):
            path = f"pages[{page_index}].questions[{index}]"
            qtype = question.get("type")
            if qtype == "safety_scale":
                losses.append(
                    Problem(
                        f"{path}.type",
                        "XLSForm has no safety scale, so it is written as a 0 to 10 range and "
                        "comes back as a rating",
                    )
                )
            for name in ("min_label", "max_label"):
                if name in question and qtype in ("rating", "safety_scale"):
                    losses.append(Problem(f"{path}.{name}", "XLSForm ranges have no end labels"))
            for name in ("prefix", "suffix"):
                if name in question and qtype == "number":
                    losses.append(
                        Problem(f"{path}.{name}", "XLSForm numbers have no prefix or suffix")
                    )
    return losses
