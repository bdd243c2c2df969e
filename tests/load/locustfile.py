"""Practitioners answering an emailed survey link at the same moment (run by test_load.py).

Each simulated user is one practitioner with a link of their own, read in turn from the JSON list
in LOAD_TOKENS_FILE. Users connect from a loopback address each (127.1.x.y), as respondents on
their own phones would: the service limits /r/ requests per address, and one shared address
would measure that limit rather than the journey. Nobody starts until every user has been
spawned, so all of them are in flight together. A journey is five requests: page 1, its answers,
page 2, the submission (a 302 to /done is the acknowledgement), the confirmation page. Then the
user stops; the last one ends the run, and a JSON summary goes to LOAD_RESULTS_FILE.
"""

import json
import os
import re
from itertools import count

import gevent
import gevent.event
from locust import HttpUser, constant, events, task
from locust.exception import StopUser
from requests.adapters import HTTPAdapter

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKENS: list[str] = json.loads(open(os.environ["LOAD_TOKENS_FILE"]).read())  # noqa: SIM115
RESULTS_FILE = os.environ["LOAD_RESULTS_FILE"]
TIMEOUT = float(os.environ.get("LOAD_REQUEST_TIMEOUT", "60"))

_next_index = count()
_all_spawned = gevent.event.Event()
acknowledged: list[str] = []
finished: list[str] = []


def source_address(i: int) -> str:
    """The i-th respondent's own loopback address: 127.1.0.1, 127.1.0.2, ..."""
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{1 + i % 250}"


class FromAddress(HTTPAdapter):
    """Open this user's connections from its own loopback address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def _status(reply) -> str:  # noqa: ANN001
    """The status, or for a request that got no answer at all, why not."""
    if reply.status_code:
        return f"status {reply.status_code}"
    return f"no response ({type(reply.error).__name__}: {reply.error})"


@events.spawning_complete.add_listener
def _start_together(user_count: int, **_kw: object) -> None:
    _all_spawned.set()


class Respondent(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.index = next(_next_index)
        if self.index >= len(TOKENS):
            raise StopUser()
        self.token = TOKENS[self.index]
        self.client.mount("http://", FromAddress(source_address(self.index)))
        _all_spawned.wait()

    def _page(self, name: str, must_show: str) -> str | None:
        """GET the link; returns the page's CSRF token, or None after recording a failure."""
        with self.client.get(
            f"/r/{self.token}", name=name, timeout=TIMEOUT, catch_response=True
        ) as reply:
            body = reply.text
            match = CSRF_RE.search(body)
            if reply.status_code != 200 or must_show not in body or not match:
                reply.failure(f"{_status(reply)}, no '{must_show}' form")
                return None
            return match.group(1)

    def _post(self, name: str, page: int, answers: dict[str, str], csrf: str) -> str | None:
        """POST a page's answers; returns where it redirects to, or None after a failure."""
        with self.client.post(
            f"/r/{self.token}?page={page}",
            data={**answers, "csrf_token": csrf, "action": "continue"},
            name=name,
            timeout=TIMEOUT,
            allow_redirects=False,
            catch_response=True,
        ) as reply:
            if reply.status_code != 302:
                reply.failure(f"{_status(reply)}, expected a redirect")
                return None
            return reply.headers.get("Location", "")

    @task
    def answer_the_survey(self) -> None:
        try:
            self._journey()
        finally:
            finished.append(self.token)
            if len(finished) == len(TOKENS):
                # In a greenlet of its own: quitting stops every user, this one included.
                gevent.spawn(self.environment.runner.quit)
        raise StopUser()

    def _journey(self) -> None:
        csrf = self._page("GET /r/[token] page 1", "Page 1 of 2")
        if csrf is None:
            return
        first = {"thresholds": str(1 + self.index % 5), "supervision": "yes"}
        if self._post("POST /r/[token] page 1", 0, first, csrf) is None:
            return
        csrf = self._page("GET /r/[token] page 2", "Page 2 of 2")
        if csrf is None:
            return
        last = {"helps": f"Supervision with my DSL (respondent {self.index})"}
        location = self._post("POST /r/[token] submit", 1, last, csrf)
        if location is None:
            return
        if not location.endswith(f"/r/{self.token}/done"):
            events.request.fire(
                request_type="CHECK",
                name="submission acknowledged",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"submitted, but redirected to {location}"),
            )
            return
        acknowledged.append(self.token)
        with self.client.get(
            f"/r/{self.token}/done", name="GET /r/[token]/done", timeout=TIMEOUT,
            catch_response=True,
        ) as reply:  # fmt: skip
            if reply.status_code != 200 or "Response submitted" not in reply.text:
                reply.failure(f"{_status(reply)}, no confirmation")


@events.quitting.add_listener
def _write_summary(environment, **_kw: object) -> None:  # noqa: ANN001
    stats = environment.stats

    def figures(entry) -> dict[str, float]:  # noqa: ANN001
        return {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.50),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": entry.max_response_time,
        }

    summary = {
        "users": len(TOKENS),
        "acknowledged": acknowledged,
        "finished": len(finished),
        "seconds": (stats.total.last_request_timestamp or 0) - (stats.total.start_time or 0),
        "total": figures(stats.total),
        "by_request": {name: figures(entry) for (name, _method), entry in stats.entries.items()},
        "errors": [
            f"{error.method} {error.name}: {error.error} (x{error.occurrences})"
            for error in stats.errors.values()
        ],
    }
    with open(RESULTS_FILE, "w") as out:
        json.dump(summary, out, indent=1)
