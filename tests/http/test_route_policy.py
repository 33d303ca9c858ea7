"""Every route of the app's own route table, called as every kind of caller, answers as the policy says.

The routes come from ``create_app(...).routes`` (``iter_route_contexts`` flattens the included
routers), and the test fails on a route missing from :data:`POLICY`: a new route cannot escape. Each
is called with no AppAPI headers, a wrong secret, a wrong EX-APP-ID (401 each), as AppAPI itself (an
empty user), a user Nextcloud does not know, and each role of the demo organisation. Expected: 401
for bad authentication, 403 for a caller without the right, and otherwise any 2xx-4xx answer but
neither 401 nor 403; never a 5xx. State-changing routes also refuse a missing or wrong CSRF header
(issue 13).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from ex_app.deps import SESSION_COOKIE, csrf_token, csrf_window
from lib.core.request_kinds import RequestState
from tests.conftest import SECRET, RunningApp, appapi_headers

# ---- who calls --------------------------------------------------------------------------------------

ROLES = {  # caller → Nextcloud user in the demo organisation (ex_app/demo.py)
    "member": "dave",  # a contributor of Communication
    "facilitator": "alice",  # facilitator of Communication
    "board": "sophie",
    "operations": "claire",
    "admin": "admin",  # Nextcloud administrator (the IT lead), in no group of the organisation
    "unknown": "ghost",  # not a Nextcloud account: only someone holding the app secret can send it
}
USERS = frozenset(ROLES)
BAD_AUTH = ("no headers", "wrong secret", "wrong app id")
APPAPI = "appapi"  # AppAPI's own calls: authenticated, no Nextcloud user

# ---- the policy -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]  # callers that get an answer (2xx-4xx, not 401/403)
    refused_with: int = 403  # what any other authenticated caller gets
    csrf: str = "header"  # "header": X-Governance-CSRF; "link": the decision-link token; "none"


EVERYONE = Rule(USERS)  # any Nextcloud user; per-object refusals (403) are the route's business
READERS = Rule(frozenset({"board", "operations", "admin"}))
OPERATORS = Rule(frozenset({"operations", "admin"}))
ADMIN = Rule(frozenset({"admin"}))
SEARCHERS = Rule(frozenset({"facilitator", "board", "operations", "admin"}))
STATIC = Rule(USERS | {APPAPI})
LIFECYCLE = Rule(frozenset({APPAPI}), csrf="none")  # reached by AppAPI only, never through the proxy
OPEN = Rule(frozenset(), refused_with=0)  # /heartbeat: AppAPI's health check, no headers at all

POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/heartbeat"): OPEN,
    ("POST", "/init"): LIFECYCLE,
    ("PUT", "/enabled"): LIFECYCLE,
    ("GET", "/js"): STATIC,
    ("GET", "/css"): STATIC,
    ("GET", "/img"): STATIC,
    ("GET", "/l10n"): STATIC,
    ("GET", "/ui/groups"): EVERYONE,
    ("GET", "/ui/groups/{slug}"): EVERYONE,
    ("GET", "/ui/people"): SEARCHERS,
    ("GET", "/ui/person/{uid}"): READERS,  # someone else's page (one's own is open to oneself)
    ("POST", "/ui/person/{uid}/offboard"): OPERATORS,  # out of every group: more than a facilitator asks
    ("GET", "/ui/requests"): EVERYONE,
    ("GET", "/ui/requests/{rid}"): EVERYONE,
    ("GET", "/ui/decide"): OPERATORS,
    ("POST", "/ui/requests"): EVERYONE,
    ("POST", "/ui/requests/{rid}/{action}"): EVERYONE,
    ("GET", "/actions/{decision}/{rid}"): EVERYONE,
    ("POST", "/actions/reject/{rid}"): Rule(USERS, csrf="link"),
    ("GET", "/ui/matrix"): READERS,
    ("GET", "/ui/matrix/drift"): READERS,
    ("POST", "/ui/matrix/repair"): OPERATORS,
    ("POST", "/ui/matrix/adopt"): OPERATORS,
    ("GET", "/ui/explain"): READERS,
    ("GET", "/ui/audit"): READERS,
    ("GET", "/api/audit.csv"): READERS,
    ("GET", "/ui/organisation"): OPERATORS,
    ("POST", "/ui/organisation/groups"): OPERATORS,
    ("GET", "/api/organisation.yaml"): OPERATORS,
    ("POST", "/ui/organisation/import"): OPERATORS,
    ("GET", "/ui/organisation/adopt"): OPERATORS,
    ("POST", "/ui/organisation/adopt"): OPERATORS,
    ("GET", "/ui/stats"): READERS,
    ("GET", "/api/groups/{slug}/members.csv"): READERS,
    ("GET", "/api/plan"): OPERATORS,
    ("GET", "/api/openapi.json"): EVERYONE,
    ("GET", "/ui/setup"): ADMIN,  # set up: the settings page
    ("POST", "/ui/setup/template"): ADMIN,
    ("GET", "/ui/setup/operations"): ADMIN,
    ("POST", "/ui/setup/operations"): ADMIN,
    ("GET", "/ui/settings"): ADMIN,
}

STATIC_FILES = {"/js": "/js/governance-main.js", "/css": "/css/governance.css", "/img": "/img/app.svg",
                "/l10n": "/l10n/fr.json"}  # fmt: skip
STATE_CHANGING = {"POST", "PUT", "DELETE", "PATCH"}
NOT_FROM_OUR_PAGE = "This action must be made from the Governance page."

# ---- the walk ---------------------------------------------------------------------------------------


def routes_of(app: RunningApp) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves, from its own route table."""
    for route in iter_route_contexts(app.app.routes):
        for method in sorted(route.methods or {"GET"}):  # a Mount (static files) has none: GET
            if method != "HEAD":
                yield method, route.path or ""


def headers_for(caller: str, csrf: bool = True) -> dict[str, str]:
    if caller == "no headers":
        return {}
    if caller == "wrong secret":
        return appapi_headers("claire", secret=SECRET + "x")
    if caller == "wrong app id":
        return {**appapi_headers("claire"), "EX-APP-ID": "another_app"}
    headers = appapi_headers("" if caller == APPAPI else ROLES[caller])
    if not csrf:
        del headers["X-Governance-CSRF"]
    return headers


def url_for(path: str, rid: int) -> str:
    if path in STATIC_FILES:
        return STATIC_FILES[path]
    concrete = path.format(slug="communication", rid=rid, action="object", decision="approve", uid="nora")
    return concrete + ("?enabled=1" if path == "/enabled" else "")


def call(app: RunningApp, method: str, path: str, caller: str, rid: int, **headers: str) -> httpx.Response:
    with httpx.Client(base_url=app.url, timeout=60) as client:
        return client.request(method, url_for(path, rid), headers={**headers_for(caller), **headers})


@pytest.fixture
def walked(demo: RunningApp) -> tuple[RunningApp, int]:
    """The demo organisation with one open request (Alice asks to add Nora to Communication)."""
    data = {"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor",
            "justification": "Needs the files"}  # fmt: skip
    with demo.client("alice") as c:
        r = c.post("/ui/requests", data=data)
    assert r.status_code == 200, r.text[:300]
    rid = int(re.search(r"#(\d+)", r.text).group(1))  # type: ignore[union-attr]
    return demo, rid


def test_the_policy_table_names_every_route_of_the_app(demo: RunningApp) -> None:
    served = set(routes_of(demo))
    assert served - POLICY.keys() == set(), "routes with no line in POLICY: say who may call them"
    assert POLICY.keys() - served == set(), "POLICY names routes the app no longer serves"


def test_bad_authentication_gets_401_on_every_route(walked: tuple[RunningApp, int]) -> None:
    app, rid = walked
    wrong = []
    for method, path in routes_of(app):
        for caller in BAD_AUTH:
            status = call(app, method, path, caller, rid).status_code
            expected = 200 if POLICY[method, path] is OPEN else 401
            if status != expected:
                wrong.append(f"{method} {path} with {caller}: {status}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_every_caller_gets_what_the_policy_says_on_every_route(walked: tuple[RunningApp, int]) -> None:
    app, rid = walked
    wrong = []
    for method, path in routes_of(app):
        rule = POLICY[method, path]
        for caller in (*ROLES, APPAPI):
            r = call(app, method, path, caller, rid)
            status = r.status_code
            if status >= 500:
                wrong.append(f"{method} {path} as {caller}: {status} {r.text[:120]!r}")
            elif rule is OPEN:
                ok = status == 200
            elif caller in rule.allowed:
                ok = 200 <= status < 500 and status != 401 and (status != 403 or rule is EVERYONE)
            elif caller == APPAPI:  # no Nextcloud user: nothing of a user's
                ok = status == 401
            else:
                ok = status == rule.refused_with
            if status < 500 and not ok:
                wrong.append(f"{method} {path} as {caller}: {status} {r.text[:160]!r}")
    assert not wrong, "\n".join(wrong)


def test_state_changing_routes_refuse_a_missing_or_wrong_csrf_header(walked: tuple[RunningApp, int]) -> None:
    app, rid = walked
    version, audit_rows = app.gov.orgs.version(), sum(1 for _ in app.gov.audit.entries())
    wrong: list[str] = []
    checked: list[str] = []
    for method, path in routes_of(app):
        rule = POLICY[method, path]
        if method not in STATE_CHANGING or rule.csrf != "header":
            continue
        for caller in sorted(rule.allowed):
            for sent in (None, "0" * 32, "forged"):
                headers = headers_for(caller, csrf=False)
                if sent is not None:
                    headers["X-Governance-CSRF"] = sent
                with httpx.Client(base_url=app.url, timeout=60) as client:
                    r = client.request(method, url_for(path, rid), headers=headers)
                checked.append(path)
                if r.status_code != 403 or NOT_FROM_OUR_PAGE not in r.text:
                    wrong.append(f"{method} {path} as {caller} with CSRF {sent!r}: {r.status_code}")
    assert len(set(checked)) >= 9
    assert not wrong, "\n".join(wrong)
    assert app.gov.orgs.version() == version
    assert sum(1 for _ in app.gov.audit.entries()) == audit_rows, "a refused request wrote to the audit log"


def test_a_decision_link_post_without_its_token_changes_nothing(walked: tuple[RunningApp, int]) -> None:
    """/actions/reject/{rid} carries no CSRF header: the link's token is its CSRF protection."""
    app, rid = walked
    for token in ("", "forged-token-of-thirty-two-chars"):
        headers = headers_for("operations", csrf=False)
        with httpx.Client(base_url=app.url, timeout=60) as client:
            r = client.post(f"/actions/reject/{rid}", headers=headers, data={"t": token, "reason": "No"})
        assert 400 <= r.status_code < 500 and r.status_code != 401
    assert app.gov.requests.get(rid).state is RequestState.PENDING


def test_lifecycle_routes_are_not_reachable_through_the_proxy() -> None:
    """AppAPI forwards only the info.xml routes; /init and /enabled must match none of them."""
    from pathlib import Path

    info = (Path(__file__).resolve().parents[2] / "appinfo" / "info.xml").read_text()
    patterns = [re.compile(u.replace("\\/", "/")) for u in re.findall(r"<url>(.*?)</url>", info)]
    assert patterns
    for path in ("init", "enabled", "heartbeat", "/init", "/enabled"):
        assert not any(p.search(path) for p in patterns), path


# ---- the CSRF token: bound to the Nextcloud session, and expiring (issue 13.8) -----------------------


def _post_as_alice(app: RunningApp, session: str, token: str) -> httpx.Response:
    headers = {**appapi_headers("alice"), "X-Governance-CSRF": token}
    with httpx.Client(base_url=app.url, timeout=60, cookies={SESSION_COOKIE: session}) as client:
        return client.post(
            "/ui/requests",
            headers=headers,
            data={"kind": "join", "group": "jardins", "justification": "Hello"},
        )


def test_the_page_carries_the_token_of_its_own_nextcloud_session(demo: RunningApp) -> None:
    with httpx.Client(base_url=demo.url, timeout=60, cookies={SESSION_COOKIE: "session-a"}) as client:
        page = client.get("/ui/groups", headers=appapi_headers("alice")).text
    token = re.search(r'"X-Governance-CSRF": "([0-9a-f]{32})"', page).group(1)  # type: ignore[union-attr]
    assert token == csrf_token(SECRET, "alice", "session-a")
    assert token != csrf_token(SECRET, "alice", "session-b") != csrf_token(SECRET, "alice")
    assert _post_as_alice(demo, "session-a", token).status_code == 200


def test_a_token_from_another_session_is_refused_with_a_sentence(demo: RunningApp) -> None:
    r = _post_as_alice(demo, "session-b", csrf_token(SECRET, "alice", "session-a"))
    assert r.status_code == 403 and NOT_FROM_OUR_PAGE in r.text
    assert not demo.gov.requests.repo.by_requester("alice")
    logged_out = _post_as_alice(demo, "session-a", csrf_token(SECRET, "alice"))  # bound to the user only
    assert logged_out.status_code == 403 and NOT_FROM_OUR_PAGE in logged_out.text


def test_a_token_expires_after_its_window_and_the_next(demo: RunningApp) -> None:
    now = csrf_window()
    old = _post_as_alice(demo, "session-a", csrf_token(SECRET, "alice", "session-a", now - 2))
    assert old.status_code == 403
    assert "This page has been open too long: reload it and try again." in old.text
    assert not demo.gov.requests.repo.by_requester("alice")
    recent = _post_as_alice(demo, "session-a", csrf_token(SECRET, "alice", "session-a", now - 1))
    assert recent.status_code == 200, "a page opened in the previous 12-hour window still works"


def test_the_expired_page_sentence_is_translated(demo: RunningApp) -> None:
    headers = {**appapi_headers("alice", lang="fr")}
    headers["X-Governance-CSRF"] = csrf_token(SECRET, "alice", "s", csrf_window() - 3)
    with httpx.Client(base_url=demo.url, timeout=60, cookies={SESSION_COOKIE: "s"}) as client:
        r = client.post(
            "/ui/requests",
            headers=headers,
            data={"kind": "join", "group": "jardins", "justification": "Hello"},
        )
    assert r.status_code == 403
    assert "Cette page est ouverte depuis trop longtemps : rechargez-la et réessayez." in r.text
