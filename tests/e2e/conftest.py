"""Browser fixtures: the dev server as `make run` starts it, Debian's Chromium, and axe-core.

One server serves the whole e2e session: a fresh SQLite database, migrated and seeded with the
demo partnership, served by `flask --app wsgi dev` with its scheduler and mail catcher, so an
invitation really goes out over SMTP and lands in a Maildir. The browser is the Chromium that
apt installs, driven by Playwright (never `playwright install`). When /usr/bin/chromium is
missing every browser test is skipped, saying how to install it.
"""

import email
import email.policy
import functools
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
NO_CHROMIUM = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
SECRET_KEY = "e2e-secret-key-not-for-production"
DEMO_PASSWORD = "northshire-demo"
#: axe impacts that fail a test; "minor" and "moderate" findings are reported, not fatal.
FAILING_IMPACTS = ("serious", "critical")
LINK = re.compile(r"https?://[^\s<>\"]+/r/[A-Za-z0-9_-]+(?![A-Za-z0-9_/-])")  # whole token


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every browser test `e2e`, so `pytest -m "not e2e"` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- The live server -----------------------------------------------------------------------------


@dataclass
class LiveServer:
    """The running dev server: where it answers and where its mail lands."""

    url: str
    maildir: Path
    log: Path

    def mail(self) -> list[tuple[Path, EmailMessage]]:
        """Every message the mail catcher has stored, oldest first."""
        folder = self.maildir / "new"
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            found.append((path, message))
        return found

    def wait_for_mail(
        self, match: Callable[[EmailMessage], bool], seen: set[Path], seconds: float = 20
    ) -> EmailMessage:
        """The first new message (not in `seen`) that `match` accepts, waiting while the
        scheduler sends it."""
        deadline = time.monotonic() + seconds
        while True:
            for path, message in self.mail():
                if path not in seen and match(message):
                    return message
            if time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise AssertionError(f"no matching email within {seconds}s; server log:\n{tail}")
            time.sleep(0.25)

    @staticmethod
    def link_in(message: EmailMessage) -> str:
        """The respondent's personal /r/<token> link in an invitation (not its opt-out link)."""
        body = message.get_body(("plain",))
        assert body is not None, "the invitation has no plain-text part"
        text = body.get_content()
        match = LINK.search(text)
        assert match, f"no /r/<token> link in the email:\n{text}"
        return match.group(0)


def _wait_for_health(url: str, server: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the dev server exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if json.load(response).get("database") == "ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer in {seconds}s:\n{log.read_text()}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; every browser test is skipped, saying why, when it is missing."""
    if _chromium_missing():
        pytest.skip(NO_CHROMIUM)
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`flask --app wsgi dev` on a free port over a freshly migrated and seeded database."""
    folder = tmp_path_factory.mktemp("live")
    web_port, mail_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_BASE_URL": base,
        "PORT": str(web_port),
        "MAIL_PORT": str(mail_port),
        "MAIL_CATCHER_DIR": str(folder / "mail"),
        # Debug so the session cookie is not Secure-only on plain http.
        "FLASK_DEBUG": "1",
        "SCHEDULER_INTERVAL_SECONDS": "2",
        # Every test signs in afresh from 127.0.0.1; the sign-in limit is tested elsewhere.
        "SIGN_IN_RATE_LIMIT": "1000 per minute",
    }
    for step in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run(
            FLASK + step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"flask {' '.join(step)} failed:\n{done.stderr}"
    log = folder / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            FLASK + ["dev"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_health(f"{base}/healthz", server, log)
        yield LiveServer(url=base, maildir=folder / "mail", log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- The browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    """Debian's Chromium under Playwright, shared by every test; each test opens its contexts."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def script_problems() -> list[str]:
    """Uncaught JavaScript errors and Content-Security-Policy refusals seen in this test."""
    return []


@pytest.fixture
def new_context(
    browser: Any, live_server: LiveServer, script_problems: list[str]
) -> Iterator[Callable[..., Any]]:
    """Open browser contexts (a fresh profile each: no cookies) that close after the test.

    The service's Content-Security-Policy stays on, as for real users: a page whose own script
    is refused, or throws, is reported by the next axe check.
    """
    opened: list[Any] = []

    def watch(page: Any) -> None:
        page.on("pageerror", lambda error: script_problems.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                script_problems.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    def open_context(**options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.on("page", watch)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()  # closing twice is harmless; a test may close one to "leave"


# -- axe-core -----------------------------------------------------------------------------------


@dataclass
class AxeLedger:
    """Every page axe checked this session, and the serious or critical violations found."""

    pages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    #: moderate and minor findings by rule: reported, not failed on
    advisory: Counter[str] = field(default_factory=Counter)


LEDGER = AxeLedger()


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _describe(url: str, violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"])
        lines.append(f"{url}: {v['id']} ({v['impact']}) at {targets} - {v['help']}")
    return lines


class Axe:
    """Runs axe-core on a page and fails on serious or critical violations."""

    def __init__(
        self, record_property: Callable[[str, Any], None], script_problems: list[str]
    ) -> None:
        self.record_property = record_property
        self.script_problems = script_problems
        self.checked: list[str] = []
        self.found: list[str] = []

    @staticmethod
    def run(page: Any) -> list[dict[str, Any]]:
        """Every axe-core violation on the page as it is now, of any impact.

        axe-core is evaluated through the DevTools protocol rather than added as a <script>
        tag: the service's CSP (rightly) refuses inline scripts, and bypassing CSP would hide
        a page whose own scripts it breaks.
        """
        assert AXE_JS.is_file(), f"{AXE_JS} is missing: run `npm ci`"
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(_axe_source())
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return result["violations"]

    def check(self, page: Any) -> None:
        """Run axe-core, record the page, and fail on any serious or critical violation."""
        violations = self.run(page)
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        # Respondents' tokens stay out of reports; the page title says which page it was.
        url = re.sub(r"/r/[A-Za-z0-9_-]+", "/r/<token>", page.url)
        where = f"{url} ({page.title().split(' – ')[0]})"
        found = _describe(where, failing)
        self.checked.append(where)
        self.found.extend(found)
        LEDGER.pages.append(where)
        LEDGER.violations.extend(found)
        LEDGER.advisory.update(f"{v['id']} ({v['impact']})" for v in violations if v not in failing)
        self.record_property("axe_pages_checked", len(self.checked))
        self.record_property("axe_violations", len(self.found))
        print(f"axe: {where}: {len(failing)} serious or critical violation(s)")
        for line in found:
            print(f"  {line}")
        assert not failing, "axe-core found serious or critical violations:\n" + "\n".join(found)
        assert not self.script_problems, "scripts failed:\n" + "\n".join(self.script_problems)


@pytest.fixture
def axe(record_property: Callable[[str, Any], None], script_problems: list[str]) -> Axe:
    return Axe(record_property, script_problems)


def _chromium_missing() -> bool:
    return not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many pages axe checked and what it found, or why no browser test ran."""
    if _chromium_missing() and any(
        r.nodeid.startswith("tests/e2e/") for r in terminalreporter.stats.get("skipped", [])
    ):
        terminalreporter.section("browser tests")
        terminalreporter.write_line(f"Browser tests skipped: {NO_CHROMIUM}")
    if not LEDGER.pages:
        return
    terminalreporter.section("axe-core accessibility checks")
    terminalreporter.write_line(
        f"{len(LEDGER.pages)} page(s) checked ({len(set(LEDGER.pages))} different); "
        f"{len(LEDGER.violations)} serious or critical violation(s)"
    )
    for line in LEDGER.violations:
        terminalreporter.write_line(f"  {line}")
    if LEDGER.advisory:
        found = ", ".join(f"{rule} on {n} page(s)" for rule, n in sorted(LEDGER.advisory.items()))
        terminalreporter.write_line(f"Moderate or minor, not failing: {found}")


# -- Signing in ---------------------------------------------------------------------------------


@pytest.fixture
def sign_in() -> Callable[[Any, str], None]:
    """Sign a page in through the form as one of the demo accounts (admin@, trainer@, ...)."""

    def sign_in_as(page: Any, role: str) -> None:
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(f"{role}@northshire.example")
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)

    return sign_in_as
