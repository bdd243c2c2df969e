"""IDOR walk: no account of one partnership can reach another partnership's records by their ids.

A second partnership is built by the demo seed (every capability seeds a record of each of its
kinds there). Then, for every URL rule with a parameter naming a record, each role of the first
partnership requests the rule with the other partnership's ids: GET, and POST with a valid CSRF
token where the rule takes POST; the API's rules with a bearer token. Each answer must be what the
same request gets for an id that does not exist at all (404, or 403 where the role may not use
the page whatever the id), so another partnership's record is indistinguishable from no record;
never 200 or a redirect, never the other partnership's words in the body, and nothing of the
other partnership changed afterwards. A control pass proves each id is real: the other
partnership's own accounts do reach it.

Parameter names map to the other partnership's records in IDS below. A new route with a name not
in the table fails the walk with "add <param> to the IDOR table", so no route slips through.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from feedback.extensions import db
from feedback.models import Role
from feedback.seed import DEMO_PARTNERSHIP, DEMO_PASSWORD
from feedback.services import accounts
from tests.conftest import CSRF_RE, PASSWORD

#: A codebook theme only the other partnership has: every partnership gets the standard
#: codebook, so a standard key exists on both sides and would prove nothing.
OTHER_THEME = "only_in_the_other_partnership"
#: A number no table reaches, for the "no such record" answer each request is compared with.
GHOST = 987654321
CONVERSATION = "safeguarding_conversation"
#: The other partnership's roles tried, in order, in the control pass.
OTHER_ACCOUNTS = [f"{role}@northshire.example" for role in ("admin", "analyst", "trainer",
                                                            "scrutineer", "viewer")]  # fmt: skip


def _first(table: str, column: str = "id", *where: str) -> Callable[[int], Any]:
    """The other partnership's first row of a table (by id), optionally narrowed by SQL."""

    def find(other: int) -> Any:
        t = db.metadata.tables[table]
        query = sa.select(t.c[column]).where(t.c.partnership_id == other)
        for condition in where:
            query = query.where(sa.text(condition))
        value = db.session.scalar(query.order_by(t.c.id).limit(1))
        assert value is not None, f"the demo seed made no {table} row for the IDOR walk"
        return value

    return find


def _visit_topic(other: int) -> str:
    t = db.metadata.tables["visit"]
    for topics in db.session.scalars(
        sa.select(t.c.topics).where(t.c.partnership_id == other, t.c.id == _VISIT(other))
    ):
        if topics:
            return topics[0]["key"]
    raise AssertionError("the IDOR walk's visit has no topics")


def _visit_with_topics(other: int) -> int:
    t = db.metadata.tables["visit"]
    for visit_id, topics in db.session.execute(
        sa.select(t.c.id, t.c.topics).where(t.c.partnership_id == other).order_by(t.c.id)
    ):
        if topics:
            return visit_id
    return _first("visit")(other)


_VISIT = _visit_with_topics

#: parameter -> the other partnership's value: each names one of its records.
IDS: dict[str, Callable[[int], Any]] = {
    "action_id": _first("tracked_action"),
    "agency_id": _first("agency"),
    "audit_id": _first("audit"),
    # The live anonymous campaign: the one that can have an open link (set up below).
    "campaign_id": _first("campaign", "id", "mode = 'anonymous'", "status <> 'closed'"),
    "collection_id": _first("voice_collection"),
    "course_id": _first("course"),
    "instrument_id": _first("instrument"),
    "person_id": _first("person"),
    "priority_id": _first("lna_priority"),
    "recommendation_id": _first("recommendation"),
    "review_id": _first("review"),
    "sample_id": _first("coding_sample"),
    "segment_id": _first("text_segment"),
    "session_id": _first("course_session"),
    "theme_key": lambda other: OTHER_THEME,
    "user_id": _first("user_account"),
    "visit_id": _visit_with_topics,
}
#: (endpoint prefix, parameter) -> value, where one name means different records on different
#: pages (checked before IDS; the longest matching prefix wins).
BY_ENDPOINT: dict[tuple[str, str], Callable[[int], Any]] = {
    ("records.", "record_id"): _first("audit"),
    ("voice.", "record_id"): _first("voice_record"),
    ("api_voice.", "record_id"): _first("voice_record"),
    # Only a flagged record has a follow-up page.
    ("voice.follow_up", "record_id"): _first("voice_record", "id", "flagged = true"),
    ("api_voice.follow_up", "record_id"): _first("voice_record", "id", "flagged = true"),
    # Only a safeguarding conversation has an action plan.
    ("visits.action_plan", "visit_id"): _first("visit", "id", f"kind = '{CONVERSATION}'"),
    ("visits.plan_item", "visit_id"): _first("visit", "id", f"kind = '{CONVERSATION}'"),
    ("api_visits.add_plan_item", "visit_id"): _first("visit", "id", f"kind = '{CONVERSATION}'"),
    ("themes.", "key"): lambda other: OTHER_THEME,
}
#: Parameters that do not name a record but go with one: the same value on both sides.
QUALIFIERS: dict[tuple[str, str] | str, Callable[[int], Any]] = {
    "page_index": lambda other: 0,
    "question_index": lambda other: 0,
    "number": lambda other: 1,  # an instrument's version number
    ("records.", "kind"): lambda other: "audits",
    "topic_key": _visit_topic,
}
#: Rules left out, and why: their parameters are not partnership records.
NOT_RECORDS: dict[tuple[str, str] | str, str] = {
    "filename": "static files, the same for everyone",
    "token": "a respondent's or a collection's link: the unguessable token is the key",
    ("admin.", "key"): "the development mail catcher's files (not used in production)",
    ("visits.", "kind"): "the kind of visit to start: a new record, not an existing one",
}


_LATER = "2031-01-06T09:00:00+00:00"
#: API bodies that pass each schema, so the request reaches the record lookup (an empty body is
#: refused with 422 before any id is looked at, which would prove nothing).
API_BODIES: dict[str, dict[str, Any]] = {
    "api_campaigns.extend_campaign": {"closes_at": _LATER},
    "api_training.create_session": {"starts_at": _LATER, "ends_at": "2031-01-06T12:00:00+00:00"},
    "api_training.record_attendance": {"person_ids": [GHOST], "attended": True},
    "api_records.link_theme": {"record_type": "audit", "record_id": GHOST},
    "api_visits.add_plan_item": {"standard": "Standard 1", "description": "Walked in"},
    "api_visits.add_visit_action": {"description": "Walked in"},
    "api_visits.review_visit": {"outcome": "reviewed"},
    "api_voice.follow_up_voice": {"note": "Walked in"},
}


def _lookup(table: dict, endpoint: str, param: str) -> Any:
    """The entry for (longest matching endpoint prefix, param), else for param alone."""
    matches = [
        (len(key[0]), value)
        for key, value in table.items()
        if isinstance(key, tuple) and endpoint.startswith(key[0]) and key[1] == param
    ]
    return max(matches, key=lambda m: m[0])[1] if matches else table.get(param)


def walk_plan(app: Flask, other: int) -> tuple[list[tuple[Any, dict, dict]], list[str]]:
    """(rule, the other partnership's values, the same with every id a ghost) for each rule with
    a record id; and the parameters the table does not know."""
    plan, unknown = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.arguments:
            continue
        values, ghosts, ids, skip = {}, {}, 0, False
        for param in sorted(rule.arguments):
            if _lookup(NOT_RECORDS, rule.endpoint, param):
                skip = True
                break
            finder = _lookup(BY_ENDPOINT, rule.endpoint, param) or IDS.get(param)
            if finder is not None:
                values[param] = finder(other)
                ghosts[param] = GHOST if isinstance(values[param], int) else "no_such_record"
                ids += 1
                continue
            qualifier = _lookup(QUALIFIERS, rule.endpoint, param)
            if qualifier is None:
                unknown.append(f"add {param} (in {rule.rule}, {rule.endpoint}) to the IDOR table")
                skip = True
                break
            values[param] = ghosts[param] = qualifier(other)
        if not skip and ids:
            plan.append((rule, values, ghosts))
    return plan, unknown


def _url(rule: Any, values: dict) -> str:
    return rule.build(values, append_unknown=False)[1]


def _methods(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


_addresses = iter(range(1, 250))


def _signed_in(app: Flask, email: str, password: str) -> tuple[Any, str]:
    """A client signed in with the form, from an address of its own (sign-ins are rate-limited
    per address); returns it and a CSRF token for later posts."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"127.0.42.{next(_addresses)}"
    return client, _sign_in(client, email, password)


def _status(client: Any, url: str, method: str = "GET", **kw: Any) -> tuple[int, str]:
    """Status and body of one request, the response closed (file downloads hold a file)."""
    reply = client.open(url, method=method, **kw)
    try:
        return reply.status_code, reply.get_data().decode("utf-8", errors="replace")
    finally:
        reply.close()


def _sign_in(client: Any, email: str, password: str) -> str:
    """Sign in with the form; returns a CSRF token for later posts."""
    page = client.get("/sign-in")
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    reply = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    assert reply.status_code == 302, f"{email} could not sign in ({reply.status_code})"
    home = client.get("/").get_data(as_text=True)
    return CSRF_RE.search(home).group(1)


def _other_partnership_rows(other: int) -> dict[str, list[str]]:
    """Everything the other partnership holds, table by table, as text to compare."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if "partnership_id" in table.c:
            query = sa.select(table).where(table.c.partnership_id == other)
            rows[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(query))
    db.session.commit()
    return rows


def _other_words(other: int) -> list[str]:
    """Strings only the other partnership's records hold, looked for in every answer."""
    words = [DEMO_PARTNERSHIP, "northshire.example", "Only in the other partnership"]
    for table, column in (("campaign", "title"), ("course", "title"), ("audit", "title")):
        t = db.metadata.tables[table]
        words += db.session.scalars(
            sa.select(t.c[column]).where(t.c.partnership_id == other).limit(3)
        ).all()
    return words


def test_no_role_reaches_another_partnerships_records_by_id(app, partnership, make_user):
    from feedback.models import Campaign, Partnership
    from feedback.models.codebook import CodebookTheme
    from feedback.seed import seed_demo
    from feedback.services import campaigns as campaign_service

    seed_demo()
    other = db.session.scalar(sa.select(Partnership.id).where(Partnership.name == DEMO_PARTNERSHIP))
    db.session.add(
        CodebookTheme(
            partnership_id=other,
            key=OTHER_THEME,
            label="Only in the other partnership",
            description="A theme the walking partnership does not have.",
        )
    )
    db.session.commit()
    open_campaign = db.session.get(Campaign, IDS["campaign_id"](other))
    campaign_service.enable_open_link(open_campaign, None)  # so its QR code page exists

    plan, unknown = walk_plan(app, other)
    assert not unknown, "\n".join(unknown)
    pages = [(r, v, g) for r, v, g in plan if not r.rule.startswith("/api/")]
    api = [(r, v, g) for r, v, g in plan if r.rule.startswith("/api/")]
    assert len(pages) > 50 and len(api) > 20, "the walk lost its routes"

    # Control: each GET page is reachable by the other partnership's own accounts, so the ids
    # above name real records and a 404 below means "not yours", not "no such thing".
    their_clients = [_signed_in(app, email, DEMO_PASSWORD)[0] for email in OTHER_ACCOUNTS]
    unreachable = []
    for rule, values, _ in pages:
        if "GET" not in rule.methods:
            continue
        url = _url(rule, values)
        if all(_status(c, url)[0] in (403, 404) for c in their_clients):
            unreachable.append(f"{url} ({rule.endpoint})")
    other_token = accounts.issue_token(accounts.find_user("admin@northshire.example"))
    for rule, values, _ in api:
        if "GET" in rule.methods:
            url = _url(rule, values)
            headers = {"Authorization": f"Bearer {other_token}"}
            if _status(app.test_client(), url, headers=headers)[0] == 404:
                unreachable.append(f"{url} ({rule.endpoint})")
    assert not unreachable, (
        "the IDOR table names no real record here (not even the other partnership's own "
        f"accounts reach it): {unreachable}"
    )

    before = _other_partnership_rows(other)
    words = _other_words(other)
    failures = []
    walked = 0
    for role in Role:
        user = make_user(role.value)
        client, csrf = _signed_in(app, user.email, PASSWORD)
        headers = {"Authorization": f"Bearer {accounts.issue_token(user)}"}
        for rule, values, ghosts in pages + api:
            is_api = rule.rule.startswith("/api/")
            for method in _methods(rule):
                if is_api:
                    body = API_BODIES.get(rule.endpoint, {}) if method != "GET" else None
                    kw = {"headers": headers, "json": body}
                else:
                    kw = {"data": {"csrf_token": csrf} if method != "GET" else None}
                url = _url(rule, values)
                theirs, body = _status(client, url, method, **kw)
                # A 404 is the answer for no record at all; a 403 must not depend on the id.
                nobody = (
                    404 if theirs == 404 else _status(client, _url(rule, ghosts), method, **kw)[0]
                )
                walked += 1
                leaked = [w for w in words if w and w in body]
                where = f"{role.value} {method} {url} ({rule.endpoint})"
                if theirs == 422 and is_api:
                    failures.append(
                        f"{where}: 422, refused before its id was looked up: give it a valid "
                        "body in API_BODIES"
                    )
                elif theirs not in (403, 404) or leaked:
                    failures.append(f"{where}: {theirs}" + (f", shows {leaked}" if leaked else ""))
                elif theirs != nobody:
                    failures.append(
                        f"{where}: {theirs}, but {nobody} for an id that does not exist, "
                        "which tells another partnership's record from no record"
                    )
    assert not failures, f"{len(failures)} of {walked} requests got through:\n" + "\n".join(
        failures
    )
    after = _other_partnership_rows(other)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"the walk changed the other partnership's {changed}"
    print(f"IDOR walk: {walked} requests by {len(Role)} roles over {len(plan)} rules, none through")
