"""Escaping walk: nothing a user typed becomes markup on any page.

The demo partnership is seeded (`feedback.seed`; the database holds nothing else, so every row
is its own), and every column of free text a person typed (names, agency names, survey answers
and drafts, visit notes and topics, voice records, forum notes, audit and review findings,
actions and their updates, the codebook, courses and their learning outcomes, instruments and
their questions, campaign names and e-mail templates...) gets a hostile prefix with a number of
its own:

    "'><script>alert(xss17)</script><img src=x onerror=alert(xss17)>

FREE_TEXT lists those columns and how each is changed; NOT_FREE_TEXT lists every other string,
text or JSON column with why it is left alone (keys, tokens, hashes, e-mail addresses, words the
application writes, counts). A column in neither fails the test, so a new column is either
covered or listed. The payload goes first, so a page that shortens a long text still shows it,
and is cut to the column's length.

Then each role of the demo walks every page (GET; not the API, not the downloads), each record
parameter filled with the partnership's real ids: every record of the kind (up to PER_KIND) for
admin, the first for the other roles. Admin also gets each page once with the payload (number
0) in every query argument the pages read. A respondent walks a pending invitation's pages with
draft answers, its opt-out page and the voice link.

No page may hold the payload as markup: its tags raw, or its handler as an attribute (parsed as
a browser would, which catches a value put in a tag without quotes). Each column's mark must be
seen, escaped, on some page, unless NOT_SHOWN says why no page shows it, so the walk cannot pass
by showing nothing. The API's GET answers (admin's token) must be JSON or a download, never HTML.
"""

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask

import forms
from feedback.extensions import db
from feedback.seed import DEMO_DOMAIN, DEMO_PARTNERSHIP, DEMO_PASSWORD
from tests.hostile.test_idor import NOT_RECORDS, QUALIFIERS, _lookup, _signed_in

#: The payload, with {n} the column's number; SHORT where the column holds fewer characters.
PAYLOAD = "\"'><script>alert(xss{n})</script><img src=x onerror=alert(xss{n})> "
SHORT = "\"'><script>alert(xss{n})</script>"
#: Any of these in a page means a payload reached it unescaped.
RAW = re.compile(r"<script>alert\(xss\d+\)|<img src=x onerror=alert\(xss\d+\)")
#: The payload's handler inside a tag (quoted, which is safe, or not, which is not).
IN_TAG = re.compile(r"<[a-zA-Z][^<>]*onerror=alert\(xss\d+\)")
#: A column's mark, escaped or not: how a page shows it was given the payload.
MARK = re.compile(r"alert\(xss(\d+)\)")

# How a column is changed.
TEXT = "text"  # the payload before the text (rows with no text are left empty)
FILL = "fill"  # the same, and rows with no text get the payload alone
STRINGS = "strings"  # JSON: before every string in it (lists of outcomes, notes by section)
TOPICS = "topics"  # a visit's topics: every string but each topic's key and RAG rating
DEFINITION = "definition"  # an instrument: its titles, intros, labels and hints, not its keys
ANSWERS = "answers"  # answers: the free text the question types say is free text

#: table -> column -> how its free text is given the payload.
FREE_TEXT: dict[str, dict[str, str]] = {
    "partnership": {"name": TEXT, "privacy_notice": FILL, "privacy_contact": FILL},
    "agency": {"name": TEXT},
    "user_account": {"name": TEXT},
    "api_token": {"name": TEXT},
    "person": {"name": TEXT, "job_role": TEXT, "team": TEXT},
    "codebook_theme": {
        "label": TEXT,
        "description": TEXT,
        "indicators": STRINGS,
        "weak_indicators": STRINGS,
    },
    "codebook_change": {"before": STRINGS, "after": STRINGS},
    "coding_sample": {"name": TEXT, "drawn_from": TEXT},
    "course": {"title": TEXT, "description": FILL, "level": TEXT, "learning_outcomes": STRINGS},
    "course_session": {"venue": TEXT},
    "instrument": {"title": TEXT},
    "instrument_version": {"definition": DEFINITION},
    "campaign": {"title": TEXT, "subject_template": TEXT, "body_template": TEXT},
    "invitation": {"draft_answers": ANSWERS},
    "response": {"job_role": TEXT, "answers": ANSWERS},
    "outbox_message": {"subject": TEXT, "body_text": FILL, "last_error": TEXT},
    "audit": {"title": TEXT, "scope": TEXT, "findings": TEXT},
    "review": {"title": TEXT, "summary": TEXT, "learning_points": TEXT},
    "recommendation": {"text": TEXT},
    "tracked_action": {"description": TEXT, "evidence_of_impact": TEXT},
    "tracked_action_update": {"text": TEXT},
    "lna_priority": {"text": TEXT},
    "audit_event": {"detail": STRINGS},
    "visit": {"setting": TEXT, "title": TEXT, "audience": TEXT, "topics": TOPICS, "notes": STRINGS},
    "visit_review": {"comments": TEXT},
    "section11_item": {"description": TEXT},
    "conversation_item": {"narrative": TEXT},
    "voice_collection": {"title": TEXT, "setting_detail": TEXT},
    "voice_record": {
        "setting_detail": TEXT,
        "local_reference": TEXT,
        "answers": ANSWERS,
        "follow_up_note": TEXT,
    },
    "text_segment": {"field_label": TEXT, "text": TEXT},
}

_KEY = "a key or code the application chose, used in URLs and lookups"
_TOKEN = "a secret, a nonce or a hash"
_EMAIL = "an e-mail address, checked as one when entered"
#: "table.column" -> why it is not given the payload (enum columns are left alone unlisted).
NOT_FREE_TEXT: dict[str, str] = {
    "partnership.retention_months": "months by kind of record",
    "scheduler_lock.name": "the name of a background job",
    "scheduler_lock.holder": "the process holding the lock",
    "codebook_theme.key": _KEY,
    "codebook_theme.merged_into_key": _KEY,
    "course.themes": "codebook theme keys",
    "instrument.key": _KEY,
    "instrument.source": "the library form it was copied from",
    "user_account.email": _EMAIL,
    "user_account.password_hash": _TOKEN,
    "api_token.token_hash": _TOKEN,
    "audit_event.action": "what happened, a dotted word the application writes",
    "audit_event.record_type": "a table name the application writes",
    "audit_event.record_id": "a record's id or key",
    "codebook_change.theme_key": _KEY,
    "codebook_change.change": "added, edited, renamed...: written by the application",
    "lna_priority.theme_key": _KEY,
    "person.email": _EMAIL,
    "section11_item.standard": "a standard's key from the conversation template",
    "theme_link.theme_key": _KEY,
    "tracked_action.source_id": "the id of the record the action came from",
    "visit.people_by_role": "counts by role key, never names",
    "voice_collection.form_key": _KEY,
    "voice_collection.token_nonce": _TOKEN,
    "voice_collection.token_hash": _TOKEN,
    "campaign.purpose": "survey, post_course...: written by the application",
    "campaign.reminder_days": "numbers of days",
    "campaign.audience": "agency or person ids",
    "campaign.open_link_nonce": _TOKEN,
    "recommendation.theme_key": _KEY,
    "voice_record.form_key": _KEY,
    "voice_record.risk_categories": "keys of the kinds of concern",
    "invitation.token_nonce": _TOKEN,
    "invitation.token_hash": _TOKEN,
    "response.id": _TOKEN,
    "text_segment.source_id": "the id of the record the text came from",
    "text_segment.field": "the question's or section's key",
    "text_segment.respondent_key": "a hash that groups one respondent's texts",
    "text_segment.sentiment": "positive, negative...: written by the analysis",
    "outbox_message.kind": "invitation or reminder",
    "outbox_message.to_address": _EMAIL,
    "outbox_message.headers": "headers the application writes (List-Unsubscribe)",
    "outbox_message.claimed_by": "the process sending it",
    "segment_code.theme_key": _KEY,
    "segmented_response.response_id": _TOKEN,
}

#: Columns given the payload that no page shows, and why (each was looked for on every page).
NOT_SHOWN: dict[str, str] = {
    "api_token.name": "named at the command line (flask users token); no page lists tokens",
    "codebook_change.before": "the codebook's history shows what a change made, not what it undid",
    "outbox_message.body_text": (
        "an e-mail's plain-text body, kept until it is sent; no page shows it (the development "
        "mail catcher at /admin/mail reads files, and is off here)"
    ),
}

#: URL parameter -> the table whose ids (or keys) fill it: every row of the demo partnership.
RECORDS: dict[str, tuple[str, str]] = {
    "action_id": ("tracked_action", "id"),
    "agency_id": ("agency", "id"),
    "audit_id": ("audit", "id"),
    "campaign_id": ("campaign", "id"),
    "collection_id": ("voice_collection", "id"),
    "course_id": ("course", "id"),
    "instrument_id": ("instrument", "id"),
    "person_id": ("person", "id"),
    "priority_id": ("lna_priority", "id"),
    "review_id": ("review", "id"),
    "sample_id": ("coding_sample", "id"),
    "session_id": ("course_session", "id"),
    "theme_key": ("codebook_theme", "key"),
    "user_id": ("user_account", "id"),
    "visit_id": ("visit", "id"),
}
#: (endpoint prefix, parameter) -> table, where one name means different records on different
#: pages (the longest matching prefix wins).
RECORDS_BY_ENDPOINT: dict[tuple[str, str], tuple[str, str]] = {
    ("records.", "record_id"): ("audit", "id"),
    ("voice.", "record_id"): ("voice_record", "id"),
    ("themes.", "key"): ("codebook_theme", "key"),
}
#: At most this many records of a kind are walked (for admin; the other roles get the first).
PER_KIND = 25
#: Downloads (not HTML) and pages that are not the partnership's.
SKIPPED_SUFFIXES = (".csv", ".xlsx", ".qdpx", ".qdc", ".json")
SKIPPED_ENDPOINTS = {"static", "assets.govuk_asset", "assets.govuk_bundle", "ops.healthz"}
#: Pages that fail whatever they hold, each a bug of its own to fix (then delete its entry here):
#: endpoint -> the bug. Their error page is still checked for the payload.
KNOWN_ERRORS: dict[str, str] = {}
#: The demo's accounts, one a role; admin first, who sees most.
ROLES = ("admin", "analyst", "trainer", "scrutineer", "viewer")


# -- Giving the payload --------------------------------------------------------------------------


def _is_free_text_type(column: sa.Column) -> bool:
    return not isinstance(column.type, sa.Enum) and isinstance(
        column.type, sa.String | sa.Text | sa.JSON
    )


def _unclassified() -> list[str]:
    """String, text and JSON columns in neither FREE_TEXT nor NOT_FREE_TEXT."""
    missing = []
    for table in db.metadata.sorted_tables:
        for column in table.c:
            name = f"{table.name}.{column.name}"
            if not _is_free_text_type(column) or name in NOT_FREE_TEXT:
                continue
            if column.name not in FREE_TEXT.get(table.name, {}):
                missing.append(name)
    return missing


def _payload(n: int, length: int | None = None) -> str:
    long = PAYLOAD.format(n=n)
    return long if length is None or length >= len(long) + 40 else SHORT.format(n=n)


def _map_strings(value: Any, change: Callable[[str], str], keep: frozenset[str] = frozenset()):
    """The JSON value with change applied to every string in it (not to dict keys, nor to the
    values of keys in keep)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(v, change, keep) for v in value]
    if isinstance(value, dict):
        return {k: v if k in keep else _map_strings(v, change, keep) for k, v in value.items()}
    return value


#: The parts of an instrument's definition that are words shown to people.
SHOWN_PARTS = frozenset({"title", "intro", "label", "hint", "min_label", "max_label"})


def _definition(value: Any, prefix: str) -> Any:
    if isinstance(value, list):
        return [_definition(v, prefix) for v in value]
    if isinstance(value, dict):
        return {
            k: prefix + v if k in SHOWN_PARTS and isinstance(v, str) else _definition(v, prefix)
            for k, v in value.items()
        }
    return value


def _answers(answers: Any, questions: list[dict[str, Any]], prefix: str) -> Any:
    """The answers with the payload before each piece of free text in them."""
    if not isinstance(answers, dict):
        return answers
    changed = dict(answers)
    for question in questions:
        stored = answers.get(question["key"])
        if stored is None:
            continue
        texts = set(forms.answer_texts(question, stored))
        if texts:
            changed[question["key"]] = _map_strings(
                stored, lambda s, texts=texts: prefix + s if s in texts else s
            )
    return changed


def _questions_of(table: str, row: Any) -> list[dict[str, Any]]:
    """The questions a row's answers answer."""
    from feedback.models import Campaign, InstrumentVersion
    from feedback.services import voice

    if table == "voice_record":
        return voice.questions(row.form_key)
    if table == "invitation":
        version_id = db.session.get(Campaign, row.campaign_id).instrument_version_id
    else:
        version_id = row.instrument_version_id
    definition = db.session.get(InstrumentVersion, version_id).definition
    return [q for _, q in forms.iter_questions(definition)]


def _give_payload() -> tuple[dict[int, str], Counter]:
    """Give every FREE_TEXT column its payload; returns number -> "table.column" and how many
    rows each column had changed."""
    columns: dict[int, str] = {}
    changed: Counter = Counter()
    for table in db.metadata.sorted_tables:
        for name, how in FREE_TEXT.get(table.name, {}).items():
            n = len(columns) + 1
            columns[n] = f"{table.name}.{name}"
            column = table.c[name]
            if how in (TEXT, FILL):
                length = getattr(column.type, "length", None)
                prefix = _payload(n, length)
                value = sa.literal(prefix, sa.Text) + sa.func.coalesce(column, "")
                if length is not None:
                    value = sa.func.substr(value, 1, length)
                has_text = sa.and_(column.is_not(None), column != "")
                where = sa.true() if how == FILL else has_text
                result = db.session.execute(sa.update(table).where(where).values({name: value}))
                changed[columns[n]] += result.rowcount
                continue
            prefix = _payload(n)
            key = list(table.primary_key.columns)
            for row in db.session.execute(sa.select(table).where(column.is_not(None))).all():
                before = getattr(row, name)
                if how == STRINGS:
                    after = _map_strings(before, lambda s, p=prefix: p + s)
                elif how == TOPICS:
                    after = _map_strings(
                        before, lambda s, p=prefix: p + s, frozenset({"key", "rag"})
                    )
                elif how == DEFINITION:
                    after = _definition(before, prefix)
                else:
                    after = _answers(before, _questions_of(table.name, row), prefix)
                if after != before:
                    match = sa.and_(*(c == getattr(row, c.name) for c in key))
                    db.session.execute(sa.update(table).where(match).values({name: after}))
                    changed[columns[n]] += 1
    db.session.commit()
    db.session.expire_all()
    return columns, changed


# -- Setting the scene ---------------------------------------------------------------------------


def _prepare(pid: int) -> list[str]:
    """Give the demo what it lacks for every column to hold text somewhere (an API token, a
    codebook change, a refused e-mail, draft answers on a pending invitation of each live
    campaign); returns the respondents' links to walk."""
    from feedback import clock
    from feedback.models import Campaign, CampaignStatus, DeliveryStatus, Invitation, OutboxMessage
    from feedback.models.voice import VoiceCollection
    from feedback.services import accounts, codebook, messages, voice

    admin = accounts.find_user(f"admin@{DEMO_DOMAIN}")
    accounts.issue_token(admin, name="The demo's reporting tool")
    theme = codebook.list_themes(pid)[0]
    codebook.edit_theme(
        theme,
        codebook.ThemeSpec(
            label=f"{theme.label} (renamed)",
            description=theme.description or "",
            priority=theme.priority,
            indicators=tuple(theme.indicators or ()),
            weak_indicators=tuple(theme.weak_indicators or ()),
        ),
        admin,
    )

    # A message the mail server refused for good: the campaign's page lists it with the reason.
    message = db.session.scalar(sa.select(OutboxMessage).order_by(OutboxMessage.id).limit(1))
    message.status = DeliveryStatus.FAILED
    message.last_error = "550 5.1.1 No such user here"

    links = []
    now = clock.now()
    live = db.session.scalars(
        sa.select(Campaign)
        .where(
            Campaign.partnership_id == pid,
            Campaign.status == CampaignStatus.LIVE,
            Campaign.closes_at > now,
        )
        .order_by(Campaign.id)
    ).all()
    for campaign in live:
        invitation = db.session.scalar(
            sa.select(Invitation)
            .where(Invitation.campaign_id == campaign.id, Invitation.responded.is_(False))
            .order_by(Invitation.id)
            .limit(1)
        )
        if invitation is None:
            continue
        definition = campaign.instrument_version.definition
        draft = {
            q["key"]: "A draft answer"
            for _, q in forms.iter_questions(definition)
            if q["type"] in ("short_text", "long_text")
        }
        invitation.draft_answers = draft
        invitation.current_page = len(definition["pages"]) - 1
        token = messages.token_for("invitation", invitation.token_nonce)
        links += [f"/r/{token}?page={i}" for i in range(len(definition["pages"]))]
        links += [f"/r/{token}/opt-out"]
    for collection in db.session.scalars(
        sa.select(VoiceCollection).where(VoiceCollection.partnership_id == pid)
    ):
        links.append(voice.collection_path(collection))
    db.session.commit()
    return links


def _ids(pid: int, table: str, column: str) -> list[Any]:
    t = db.metadata.tables[table]
    return db.session.scalars(
        sa.select(t.c[column]).where(t.c.partnership_id == pid).order_by(t.c.id).limit(PER_KIND)
    ).all()


def _pages(app: Flask, pid: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(endpoint, its URLs with every record) for each page to walk; and the parameters no
    table here knows."""
    pages, unknown = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if (
            "GET" not in rule.methods
            or rule.rule.startswith("/api/")
            or rule.endpoint in SKIPPED_ENDPOINTS
            or rule.rule.endswith(SKIPPED_SUFFIXES)
        ):
            continue
        fixed, varied, skip = {}, {}, False
        for param in sorted(rule.arguments):
            if _lookup(NOT_RECORDS, rule.endpoint, param):
                skip = True  # links and files: the respondents' links are walked apart
                break
            table = _lookup(RECORDS_BY_ENDPOINT, rule.endpoint, param) or RECORDS.get(param)
            if table is not None:
                varied[param] = _ids(pid, *table)
                continue
            qualifier = _lookup(QUALIFIERS, rule.endpoint, param)
            if qualifier is None:
                unknown.append(f"add {param} (in {rule.rule}, {rule.endpoint}) to RECORDS")
                skip = True
                break
            fixed[param] = qualifier(pid)
        if skip:
            continue
        urls = []
        for values in _combinations(fixed, varied):
            urls.append(rule.build(values, append_unknown=False)[1])
        pages.append((rule.endpoint, urls))
    return pages, unknown


def _combinations(fixed: dict, varied: dict[str, list]) -> Iterator[dict]:
    """Each record in turn for each parameter, the others at their first record (a walk of
    every pair would be long and show nothing more)."""
    if not all(varied.values()):
        return  # a kind the demo has none of
    firsts = {k: v[0] for k, v in varied.items()}
    yield {**fixed, **firsts}
    for param, values in varied.items():
        for value in values[1:]:
            yield {**fixed, **firsts, param: value}


# -- The walk ------------------------------------------------------------------------------------

#: Query arguments the pages read (filters, searches, paging, where to go next): each is given
#: the payload numbered 0 on every page at once, as a link someone was sent might.
ARGUMENTS = ("action", "agency", "agency_id", "form", "from", "from_on", "indicators", "key",
             "kind", "label", "next", "owner", "owner_agency_id", "page", "partnership", "q",
             "rag", "record_type", "role", "sector", "segment", "source", "source_type",
             "status", "text", "to", "to_on", "type", "user", "version")  # fmt: skip
#: What a page may be, for the payload to be looked for in it (downloads are not pages).
MARKUP = ("text/html", "image/svg+xml", "application/xml", "text/xml")
#: What the API may answer with: never markup a browser would run.
API_TYPES = ("application/json", "text/csv", "application/vnd.openxmlformats-officedocument"
             ".spreadsheetml.sheet")  # fmt: skip


class _Attributes(HTMLParser):
    """Finds a payload that became markup as the page is parsed, as a browser would: an event
    handler attribute (from a value put in a tag without quotes) or the payload's own tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") and "xss" in (value or ""):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and ("src", "x") in attrs:
            self.found.append(f"<{tag} {attrs!r}>")


def _markup_made(body: str) -> list[str]:
    """What of the payload a browser would take as markup, not text."""
    found = [m.group(0) for m in RAW.finditer(body)]
    if IN_TAG.search(body):  # parse only a page where the payload may be inside a tag
        parser = _Attributes()
        parser.feed(body)
        parser.close()
        found += parser.found
    return found


class Walk:
    """The pages fetched, what each showed, and what went wrong."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        #: column number -> the pages (role and URL) showing its mark
        self.seen: dict[int, set[str]] = defaultdict(set)
        self.pages: set[str] = set()
        self.statuses: Counter = Counter()
        self.errors: set[str] = set()

    def get(self, client: Any, url: str, who: str, endpoint: str = "", query: str = "") -> None:
        """Fetch a page (with the query, shown as "?..." in messages) and check it."""
        reply = client.get(url + query)
        try:
            status, data, kind = reply.status_code, reply.get_data(), reply.mimetype
        finally:
            reply.close()
        url += "?<the payload in every argument>" if query else ""
        where = f"{who} GET {url}" + (f" ({endpoint})" if endpoint else "")
        self.statuses[status] += 1
        if status >= 500:
            self.errors.add(endpoint)
            if endpoint not in KNOWN_ERRORS:
                self.failures.append(f"{where}: {status}")
        if kind not in MARKUP:
            return
        body = data.decode("utf-8", errors="replace")
        made = _markup_made(body)
        if made:
            raw = RAW.search(body)
            context = body[max(raw.start() - 150, 0) : raw.end() + 40] if raw else ""
            self.failures.append(f"{where}: unescaped {made[:3]} {context!r}")
        if status == 200:
            self.pages.add(url)
        for n in set(MARK.findall(body)):
            self.seen[int(n)].add(f"{who} {url}")


def _api_urls(app: Flask, pid: int) -> list[str]:
    """The API's GET rules, each with the partnership's first records."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/") or "GET" not in rule.methods:
            continue
        values = {}
        for param in rule.arguments:
            table = _lookup(RECORDS_BY_ENDPOINT, rule.endpoint.replace("api_", ""), param)
            table = table or RECORDS.get(param)
            qualifier = _lookup(QUALIFIERS, rule.endpoint, param)
            values[param] = _ids(pid, *table)[0] if table else qualifier(pid) if qualifier else 1
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def test_every_page_escapes_what_users_typed(app):
    from feedback.models import Partnership
    from feedback.seed import seed_demo
    from feedback.services import accounts

    started = time.monotonic()
    unclassified = _unclassified()
    assert not unclassified, (
        "say in FREE_TEXT how to give these columns the payload, or in NOT_FREE_TEXT why "
        f"not: {unclassified}"
    )
    seed_demo()
    pid = db.session.scalar(sa.select(Partnership.id).where(Partnership.name == DEMO_PARTNERSHIP))
    links = _prepare(pid)
    pages, unknown = _pages(app, pid)
    assert not unknown, "\n".join(unknown)
    assert len(pages) > 80, f"the walk lost its pages: {len(pages)} rules"
    columns, changed = _give_payload()
    empty = sorted(name for name in columns.values() if not changed[name])
    assert not empty, f"the demo has no text in {empty}: give it some in _prepare"
    seeded = time.monotonic()

    walk = Walk()
    reflected = "?" + urlencode({name: _payload(0) for name in ARGUMENTS})
    for role in ROLES:
        client, _ = _signed_in(app, f"{role}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        for endpoint, urls in pages:
            # Every record for admin, who may see most; the first for the other roles.
            for url in urls if role == "admin" else urls[:1]:
                walk.get(client, url, role, endpoint)
            if role == "admin" and urls:
                walk.get(client, urls[0], role, endpoint, reflected)
    # The respondents: a pending invitation's pages with its draft answers, the voice link; and
    # the sign-in page, where a link can carry where to go next.
    respondent = app.test_client()
    for url in links:
        walk.get(respondent, url, "respondent")
    walk.get(app.test_client(), "/sign-in", "nobody", "auth.sign_in", reflected)
    requests = walk.statuses.total()
    # The API answers in JSON (or a download), whatever it holds: never a page a browser runs.
    admin = accounts.find_user(f"admin@{DEMO_DOMAIN}")
    headers = {"Authorization": f"Bearer {accounts.issue_token(admin)}"}
    api_urls, api_ok = _api_urls(app, pid), 0
    for url in api_urls:
        reply = app.test_client().get(url, headers=headers)
        api_ok += reply.status_code == 200
        if reply.mimetype not in API_TYPES:
            walk.failures.append(f"API GET {url}: {reply.status_code} {reply.mimetype}")
        reply.close()

    assert not walk.failures, f"{len(walk.failures)} failures:\n" + "\n".join(walk.failures)
    fixed = sorted(set(KNOWN_ERRORS) - walk.errors)
    assert not fixed, f"these pages work now: delete them from KNOWN_ERRORS: {fixed}"
    unseen = sorted(
        name for n, name in columns.items() if not walk.seen[n] and name not in NOT_SHOWN
    )
    assert not unseen, f"no page shows these columns, so their escaping was not tested: {unseen}"
    shown = sorted(name for n, name in columns.items() if walk.seen[n] and name in NOT_SHOWN)
    assert not shown, f"NOT_SHOWN lists columns a page does show: take them out: {shown}"
    assert walk.seen[0], "no page showed a query argument back, so reflection was not tested"
    # Every page shows the partnership's name: count the pages showing a record's words.
    name = next(n for n, column in columns.items() if column == "partnership.name")
    records = {page for n, pages in walk.seen.items() if n not in (0, name) for page in pages}
    assert len(records) > 300, f"only {len(records)} pages showed a record's words"
    print()
    for n, column in columns.items():
        print(f"  {column}: {changed[column]} rows, shown on {len(walk.seen[n])} pages")
    print(
        f"Escaping walk: {requests} requests {dict(walk.statuses)} by {len(ROLES)} roles over "
        f"{len(pages)} page rules and {len(links)} respondent links; {len(walk.pages)} pages "
        f"answered 200, {len(records)} (role, page) pairs showed a record's words escaped, "
        f"{len(walk.seen[0])} a query argument; {len(columns)} columns given the payload, "
        f"{len(columns) - len(NOT_SHOWN)} of them seen; {len(api_urls)} API answers ({api_ok} of "
        f"them 200) were JSON or a download. Seeded in {seeded - started:.1f}s, walked in "
        f"{time.monotonic() - seeded:.1f}s."
    )
