"""Every registered route, visited with each role and with no session, gives the expected status.

A new route must be added to PAGES or API below, or the walk fails: nobody can add a page
without saying who may see it. Each capability may keep its routes in a table of its own under
role_tables/ (a module defining any of PAGES, POSTS and API in the same shapes); they are merged
in here.
"""

import importlib.util
from pathlib import Path

import pytest

from feedback.models import Role
from tests.conftest import csrf_token

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
#: Who may read campaign results and download them (de-identified for all but admins).
READERS = frozenset({Role.ADMIN, Role.ANALYST, Role.VIEWER})
PUBLIC = "public"

#: endpoint -> (URL to visit, roles admitted or PUBLIC, status for an admitted visitor)
PAGES: dict[str, tuple[str, object, int]] = {
    "static": ("/static/app.css", PUBLIC, 200),
    "assets.govuk_asset": ("/assets/no-such-file.png", PUBLIC, 404),
    "assets.govuk_bundle": ("/govuk/govuk-frontend.min.css", PUBLIC, 200),
    "ops.healthz": ("/healthz", PUBLIC, 200),
    "auth.sign_in": ("/sign-in", PUBLIC, 200),
    # Respondent pages need no account: the link's token is the key (an unknown one is a 404).
    "respond.answer": ("/r/not-a-token", PUBLIC, 404),
    "respond.done": ("/r/not-a-token/done", PUBLIC, 404),
    "respond.opt_out": ("/r/not-a-token/opt-out", PUBLIC, 404),
    "respond.open_link": ("/o/999999/not-a-token", PUBLIC, 404),
    "api-docs.openapi_json": ("/api/v1/openapi.json", PUBLIC, 200),
    "home.index": ("/", ALL, 200),
    "people.agencies": ("/agencies", ALL, 200),
    "people.people": ("/people", ADMIN, 200),
    "people.person_new": ("/people/new", ADMIN, 200),
    "people.people_import": ("/people/import", ADMIN, 200),
    "campaigns.index": ("/campaigns", READERS, 200),
    "campaigns.new": ("/campaigns/new", ADMIN, 200),
    "campaigns.show": ("/campaigns/999999", READERS, 404),
    "campaigns.open_link_qr": ("/campaigns/999999/open-link.svg", ADMIN, 404),
    "admin.users": ("/admin/users", ADMIN, 200),
    "admin.mail": ("/admin/mail", ADMIN, 200),
    "admin.mail_message": ("/admin/mail/no-such-message", ADMIN, 404),
    "instruments.index": ("/instruments", ADMIN, 200),
    "instruments.new": ("/instruments/new", ADMIN, 200),
    "instruments.copy": ("/instruments/copy", ADMIN, 200),
    "instruments.upload": ("/instruments/import", ADMIN, 200),
    "instruments.show": ("/instruments/1", ADMIN, 404),
    "instruments.details": ("/instruments/1/details", ADMIN, 404),
    "instruments.page_new": ("/instruments/1/pages/new", ADMIN, 404),
    "instruments.page_edit": ("/instruments/1/pages/0", ADMIN, 404),
    "instruments.question_new": ("/instruments/1/pages/0/questions/new", ADMIN, 404),
    "instruments.question_edit": ("/instruments/1/pages/0/questions/0", ADMIN, 404),
    "instruments.version": ("/instruments/1/versions/1", ADMIN, 404),
    "instruments.xlsform": ("/instruments/1/versions/1/xlsform", ADMIN, 404),
    "instruments.preview": ("/instruments/1/versions/1/preview", ADMIN, 404),
    "instruments.preview_page": ("/instruments/1/versions/1/preview/0", ADMIN, 404),
    "instruments.preview_end": ("/instruments/1/versions/1/preview/end", ADMIN, 404),
    "results.campaign_results": ("/campaigns/1/results", READERS, 404),
    "results.results_csv": ("/campaigns/1/results.csv", READERS, 404),
    "results.results_xlsx": ("/campaigns/1/results.xlsx", READERS, 404),
    "results.campaign_trend": ("/campaigns/1/trend", READERS, 404),
    "results.trend_csv": ("/campaigns/1/trend.csv", READERS, 404),
    "results.trend_xlsx": ("/campaigns/1/trend.xlsx", READERS, 404),
    "results.export_csv": ("/campaigns/1/export.csv", READERS, 404),
    "results.export_xlsx": ("/campaigns/1/export.xlsx", READERS, 404),
}
#: POST-only pages: endpoint -> (URL, roles admitted or PUBLIC, status for an admitted visitor);
#: others get 403, or 302 to sign in without a session
POSTS: dict[str, tuple[str, object, int]] = {
    "instruments.publish": ("/instruments/1/publish", ADMIN, 404),
    "instruments.archive": ("/instruments/1/archive", ADMIN, 404),
    "instruments.page_move": ("/instruments/1/pages/0/move", ADMIN, 404),
    "instruments.page_delete": ("/instruments/1/pages/0/delete", ADMIN, 404),
    "instruments.question_move": ("/instruments/1/pages/0/questions/0/move", ADMIN, 404),
    "instruments.question_delete": ("/instruments/1/pages/0/questions/0/delete", ADMIN, 404),
    "campaigns.act": ("/campaigns/999999/actions", ADMIN, 404),
    "auth.sign_out": ("/sign-out", PUBLIC, 302),  # last: it ends the session
}
#: API endpoint -> (method, URL, roles admitted)
API: dict[str, tuple[str, str, frozenset[Role]]] = {
    "api_agencies.list_agencies": ("GET", "/api/v1/agencies", ALL),
    "api_agencies.create_agency": ("POST", "/api/v1/agencies", ADMIN),
    "api_people.list_people": ("GET", "/api/v1/people", ADMIN),
    "api_people.create_person": ("POST", "/api/v1/people", ADMIN),
    "api_people.import_people": ("POST", "/api/v1/people/import", ADMIN),
    "api_instruments.list_instruments": ("GET", "/api/v1/instruments", ALL),
    "api_instruments.create_instrument": ("POST", "/api/v1/instruments", ADMIN),
    "api_instruments.get_instrument": ("GET", "/api/v1/instruments/1", ALL),
    "api_instruments.publish_instrument": ("POST", "/api/v1/instruments/1/publish", ADMIN),
    "api_instruments.import_xlsform": ("POST", "/api/v1/instruments/import-xlsform", ADMIN),
    "api_instruments.download_xlsform": ("GET", "/api/v1/instruments/1/xlsform", ALL),
    "api_campaigns.create_campaign": ("POST", "/api/v1/campaigns", ADMIN),
    "api_campaigns.get_campaign": ("GET", "/api/v1/campaigns/1", READERS),
    "api_campaigns.launch_campaign": ("POST", "/api/v1/campaigns/1/launch", ADMIN),
    "api_campaigns.pause_campaign": ("POST", "/api/v1/campaigns/1/pause", ADMIN),
    "api_campaigns.resume_campaign": ("POST", "/api/v1/campaigns/1/resume", ADMIN),
    "api_campaigns.close_campaign": ("POST", "/api/v1/campaigns/1/close", ADMIN),
    "api_campaigns.extend_campaign": ("POST", "/api/v1/campaigns/1/extend", ADMIN),
    "api_campaigns.campaign_stats": ("GET", "/api/v1/campaigns/1/stats", READERS),
    "api_campaigns.list_responses": ("GET", "/api/v1/campaigns/1/responses", READERS),
    "api_campaigns.export_csv": ("GET", "/api/v1/campaigns/1/export.csv", READERS),
    "api_campaigns.export_xlsx": ("GET", "/api/v1/campaigns/1/export.xlsx", READERS),
    "api_training.create_course": ("POST", "/api/v1/courses", ADMIN),
    "api_training.create_session": ("POST", "/api/v1/courses/1/sessions", ADMIN),
    "api_training.record_attendance": ("POST", "/api/v1/sessions/1/attendance", ADMIN),
    "api_training.course_evaluation": (
        "GET",
        "/api/v1/courses/1/evaluation",
        ALL - {Role.SCRUTINEER},
    ),
    "api_training.session_evaluation": (
        "GET",
        "/api/v1/sessions/1/evaluation",
        ALL - {Role.SCRUTINEER},
    ),
    "api_analysis.code_text": ("POST", "/api/v1/analysis/code-text", ALL),
}


def _merge_area_tables() -> None:
    """Add each capability's role table; the same endpoint listed twice is a mistake."""
    for path in sorted((Path(__file__).parent / "role_tables").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"role_table_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, table in (("PAGES", PAGES), ("POSTS", POSTS), ("API", API)):
            extra = getattr(module, name, {})
            twice = set(extra) & set(table)
            assert not twice, f"{path.name} lists {sorted(twice)} already listed"
            table.update(extra)
    POSTS["auth.sign_out"] = POSTS.pop("auth.sign_out")  # last: it ends the session


_merge_area_tables()


def test_every_route_is_listed_with_who_may_see_it(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unlisted = endpoints - set(PAGES) - set(POSTS) - set(API)
    assert not unlisted, f"add these endpoints to the role table: {sorted(unlisted)}"
    stale = (set(PAGES) | set(POSTS) | set(API)) - endpoints
    assert not stale, f"these endpoints no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "no-session")
def test_each_page_admits_exactly_its_roles(app, client, make_user, root, role):
    if role is not None:
        from tests.conftest import post_form

        user = make_user(role.value)
        post_form(client, "/sign-in", {"email": user.email, "password": "correct-horse-battery"})
    has_assets = (root / "node_modules" / "govuk-frontend").is_dir()
    failures = []
    for endpoint, (url, admitted, ok_status) in PAGES.items():
        if endpoint == "assets.govuk_bundle" and not has_assets:
            continue
        response = client.get(url)
        response.close()
        if admitted == PUBLIC:
            expected = ok_status
            if endpoint == "auth.sign_in" and role is not None:
                expected = 302  # already signed in: sent home
        elif role is None:
            expected = 302
        else:
            expected = ok_status if role in admitted else 403
        if response.status_code != expected:
            failures.append(f"{url}: {response.status_code}, expected {expected}")
        if expected == 302 and admitted != PUBLIC:
            assert "/sign-in" in response.headers["Location"]
    for url, admitted, ok_status in POSTS.values():
        token = csrf_token(client, "/sign-in" if role is None else "/")
        response = client.post(url, data={"csrf_token": token})
        if admitted == PUBLIC or (role is not None and role in admitted):
            expected = ok_status
        else:
            expected = 302 if role is None else 403
        if response.status_code != expected:
            failures.append(f"POST {url}: {response.status_code}, expected {expected}")
    assert not failures, failures


def test_agency_form_is_only_for_admins(app, client, auth):
    auth.sign_in_as("viewer")
    page = client.get("/agencies").get_data(as_text=True)
    assert "Add an agency" not in page
    token = csrf_token(client, "/agencies")
    response = client.post(
        "/agencies", data={"csrf_token": token, "name": "Sneaky", "sector": "police"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_api_endpoint_admits_exactly_its_roles(app, api, role):
    client, headers = api(role.value)
    failures = []
    for endpoint, (method, url, admitted) in API.items():
        anonymous = client.open(url, method=method)
        if anonymous.status_code != 401:
            failures.append(f"{method} {url} without a token: {anonymous.status_code}")
        response = client.open(url, method=method, headers=headers, json={})
        allowed = role in admitted
        if allowed and response.status_code in (401, 403):
            failures.append(f"{endpoint} refused {role}: {response.status_code}")
        if not allowed and response.status_code != 403:
            failures.append(f"{endpoint} let {role} in: {response.status_code}")
    assert not failures, failures
