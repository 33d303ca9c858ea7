"""Contract: the stand-in answers every recorded Nextcloud 32.0.1 exchange the way the real server did.

Each fixture file is replayed in order against a fresh stand-in seeded with the state the file describes
(shared/fixtures/README.md "Test data present while recording"); state carries over between exchanges as it
did while recording. We compare status, content-type family, OCS meta and the body's shape (keys, types,
list lengths, and values wherever the seeded state makes them deterministic). exapp_incoming.json is checked
from the other side: a tiny recording ASGI app plays the ExApp and we compare what reached it.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from lxml import etree, html

from tests.standin import StandIn

FIXTURES = Path(
    os.environ.get("GOVERNANCE_FIXTURES", Path(__file__).resolve().parents[3] / "shared" / "fixtures")
)
RECORDED_ORIGIN = "http://127.0.0.1:8080"
SECRET = "contract-secret"
# Values that differ per installation or per second; their type is still compared.
VOLATILE = {"datetime", "firstLoginTimestamp", "lastLoginTimestamp", "lastLogin", "storageLocation", "used"}
SKIPPED_REQUEST_HEADERS = {
    "host", "content-length", "connection", "accept-encoding", "authorization",
    "authorization-app-api", "cookie", "requesttoken",
}  # fmt: skip
FILES = [
    "provisioning_api.json",
    "groupfolders_api.json",
    "groupfolders_acl_webdav.json",
    "notifications.json",
    "notifications_links_click.json",
    "appapi_ui_and_proxy.json",
]
SCRIPT = "console.log('governance ExApp script loaded');\nwindow.governanceLoaded = true;\n"
STYLE = "#governance { color: #333; }\n"


def test_the_recorded_fixtures_are_present() -> None:
    """Without them the contract is not checked at all: fail rather than pass quietly."""
    hint = "put shared/ beside the repository or set GOVERNANCE_FIXTURES"
    assert FIXTURES.is_dir(), f"{FIXTURES} is missing: {hint}"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


# --------------------------------------------------------------------------- the recording ExApp


class RecordingExApp:
    """Plays the ExApp of the recording (exapp_incoming.json): echoes requests and reports init progress."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.standin: StandIn | None = None
        self.status_answers: list[httpx.Response] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, query = scope["path"], scope["query_string"].decode()
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
        self.received.append(
            {
                "method": scope["method"],
                "path": path,
                "query": query,
                "headers": headers,
                "body": body.decode(),
            }
        )
        status, ctype, payload = 200, "application/json", ""
        if path == "/heartbeat":
            payload = '{"status":"ok"}'
        elif path == "/init":
            payload = "{}"
            asyncio.get_running_loop().create_task(self.report_init_done())
        elif path == "/enabled":
            payload = '{"error":""}'
        elif path.endswith(".js"):
            ctype, payload = "application/javascript", SCRIPT
        elif path.endswith(".css"):
            ctype, payload = "text/css; charset=utf-8", STYLE
        else:
            echo = {"ok": True, "exapp": "governance", "method": scope["method"], "path": path}
            payload = json.dumps({**echo, "query": query, "body": body.decode()}, separators=(",", ":"))
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype.encode())]}
        )
        await send({"type": "http.response.body", "body": payload.encode()})

    async def report_init_done(self) -> None:
        """What nc_py_api's set_init_status(100) sends (exapp_incoming.json outgoing_exapp_requests)."""
        assert self.standin is not None
        outgoing = load("exapp_incoming.json")["outgoing_exapp_requests"][0]["request"]
        headers = {k: v for k, v in outgoing["headers"] if k.lower() not in SKIPPED_REQUEST_HEADERS}
        headers["AUTHORIZATION-APP-API"] = base64.b64encode(f":{SECRET}".encode()).decode()
        async with httpx.AsyncClient(base_url=self.standin.url) as client:
            answer = await client.put(
                outgoing["path"], params=outgoing["query"], headers=headers, content=outgoing["body"]
            )
        self.status_answers.append(answer)


def serve(app: Any) -> tuple[str, uvicorn.Server]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server


# --------------------------------------------------------------------------- seeding


def seed(s: StandIn) -> None:
    """The state of fixtures/README.md 'Test data present while recording'."""
    s.add_user("admin", "admin", None, admin=True)
    for uid in ("alice", "bob", "carol", "dave"):
        s.add_user(uid, uid.capitalize(), f"{uid}@example.org")
    s.add_group("gt-communication", "alice", "dave")
    s.add_group("gt-communication-animateurs", "alice")
    s.add_group("operations", "bob")
    s.add_group("ca", "carol")
    folder = s.new_folder("Communication")
    folder.groups = {"gt-communication": 31, "gt-communication-animateurs": 31}
    folder.acl, folder.size = True, 5
    folder.manage = [("group", "gt-communication-animateurs"), ("user", "alice")]
    folder.add_path("Interne/notes.txt", is_file=True)
    folder.add_path("Public")
    folder.rules["Interne"] = [("group", "gt-communication", 10, 0)]
    s.next_folder_id = 5  # ids 2-4 were used and deleted before the recording
    s.fileids.update({(1, ""): 100, (1, "Interne"): 103, (1, "Public"): 104, (1, "Interne/notes.txt"): 105})
    s.fileids[(0, "home:alice")] = 75


def seed_ui(s: StandIn) -> None:
    """The UI that appapi_ui_and_proxy.json registered, for files recorded after it."""
    s.ui["top_menu"]["main"] = {
        "id": 1, "appid": "governance", "name": "main", "display_name": "Governance",
        "icon": "img/app.svg", "admin_required": 0,
    }  # fmt: skip
    s.ui["scripts"][("top_menu", "main", "js/governance-main")] = {"id": 1, "path": "js/governance-main"}
    s.ui["styles"][("top_menu", "main", "css/governance")] = {"id": 1, "path": "css/governance"}
    value = '{"apiBase":"\\/index.php\\/apps\\/app_api\\/proxy\\/governance","version":"1.0.0"}'
    s.ui["initial_states"][("top_menu", "main", "config")] = {"id": 1, "key": "config", "value": value}


# --------------------------------------------------------------------------- replay


def browser_user(exchange: dict[str, Any], default: str) -> str:
    for name, value in exchange["response"]["headers"]:
        if name.lower() == "x-user-id":
            return str(value)
    marker = 'data-user="'
    body = exchange["response"]["body"]
    if marker in body:
        return body.split(marker, 1)[1].split('"', 1)[0]
    return default


def build_request(s: StandIn, exchange: dict[str, Any], default_user: str) -> dict[str, Any]:
    """The recorded request with our own secrets, passwords and session in place of ``<secret>``."""
    req = exchange["request"]
    wrong = any(word in exchange["name"] for word in ("bad_password", "bad_secret"))
    headers = [(k, v) for k, v in req["headers"] if k.lower() not in SKIPPED_REQUEST_HEADERS]
    auth = req.get("auth") or {}
    user = auth.get("decoded", ":").split(":", 1)[0]
    if auth.get("scheme") == "basic":
        token = base64.b64encode(f"{user}:{'wrong' if wrong else user}".encode()).decode()
        headers.append(("Authorization", f"Basic {token}"))
    if auth.get("scheme") == "app_api":
        secret = "wrong-secret" if wrong else SECRET
        headers.append(("AUTHORIZATION-APP-API", base64.b64encode(f"{user}:{secret}".encode()).decode()))
    names = {k.lower() for k, _ in req["headers"]}
    if "cookie" in names:
        uid = browser_user(exchange, default_user)
        session, token = f"session-{uid}", f"token-{uid}"
        s.sessions[session] = (uid, token)
        headers.append(("Cookie", f"nc_session_id={session}; nc_username={uid}; nc_token=t"))
        if "requesttoken" in names:
            headers.append(("requesttoken", token))
    body = req["body"].encode() if req["body"] else None
    return {
        "method": req["method"],
        "url": req["path"],
        "params": req["query"],
        "headers": headers,
        "content": body,
    }


@functools.cache
def replayed(file: str) -> tuple[StandIn, dict[str, httpx.Response], RecordingExApp]:
    """Replay a whole fixture file in order (state carries over) and keep every answer by exchange name."""
    recorder = RecordingExApp()
    with_exapp = file in ("appapi_ui_and_proxy.json", "notifications_links_click.json")
    s = StandIn(app_secret=SECRET, exapp_url=serve(recorder)[0] if with_exapp else None, info_xml=None)
    s.proxy_routes = [(".*", "GET, POST, PUT, DELETE", 1)]  # the one route of the recording (README)
    recorder.standin = s
    seed(s)
    s.start()
    default_user = "carol" if "links" in file else "alice"
    if file == "notifications_links_click.json":
        s.next_notification_id = 5
        seed_ui(s)
    if with_exapp:
        asyncio.run(s.register_exapp())
    answers = {}
    exchanges = load(file)["exchanges"]
    with httpx.Client(base_url=s.url, timeout=10) as client:
        if file == "appapi_ui_and_proxy.json":  # the recorder's probe right after registration (incoming_04)
            probe = next(e for e in exchanges if e["name"] == "basic_auth_get_via_proxy")
            client.request(**build_request(s, probe, "bob"))
        for exchange in exchanges:
            answers[exchange["name"]] = client.request(**build_request(s, exchange, default_user))
        if file == "appapi_ui_and_proxy.json":  # what exapp_incoming.json recorded after these calls
            asyncio.run(s.disable_exapp())
            asyncio.run(s.enable_exapp())
            click = next(
                e for e in load("notifications_links_click.json")["exchanges"] if "approve" in e["name"]
            )
            answers["click"] = client.request(**build_request(s, click, "carol"))
    return s, answers, recorder


# --------------------------------------------------------------------------- comparison


def shape_diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences in keys, types, list lengths and (non-volatile) values, as readable lines."""
    key = path.rsplit(".", 1)[-1]
    if isinstance(expected, dict) and isinstance(actual, dict):
        diffs = [f"{path}: missing key {k!r}" for k in expected if k not in actual]
        diffs += [f"{path}: unexpected key {k!r}" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            diffs += shape_diff(expected[k], actual[k], f"{path}.{k}")
        return diffs
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, recorded {len(expected)}: {actual!r} vs {expected!r}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in shape_diff(e, a, f"{path}[{i}]")
        ]
    if type(expected) is not type(actual):
        return [
            f"{path}: {type(actual).__name__} {actual!r}, recorded {type(expected).__name__} {expected!r}"
        ]
    if key not in VOLATILE and expected != actual:
        return [f"{path}: {actual!r}, recorded {expected!r}"]
    return []


def xml_tree(text: str) -> Any:
    """An XML document as nested [tag, attributes, text, children] for shape_diff."""

    def walk(elem: Any) -> Any:
        text = (elem.text or "").strip()
        tag = etree.QName(elem).localname
        children = [walk(child) for child in elem]
        return {
            "tag": tag,
            "attrs": dict(elem.attrib),
            tag: "" if tag in VOLATILE else text,
            "children": children,
        }

    return walk(etree.fromstring(text.encode()))


def html_summary(text: str) -> dict[str, Any]:
    """What must match on an embedded page: user, proxied scripts/styles, initial state, #content."""
    root = html.fromstring(text.encode())
    head = root.find("head")
    proxied = "/apps/app_api/proxy/"
    return {
        "user": head.get("data-user") if head is not None else None,
        "scripts": sorted(
            e.get("src").split("?")[0] for e in root.iter("script") if proxied in (e.get("src") or "")
        ),
        "styles": sorted(
            e.get("href").split("?")[0] for e in root.iter("link") if proxied in (e.get("href") or "")
        ),
        "states": sorted(
            (e.get("id"), e.get("value")) for e in root.iter("input") if "app_api" in (e.get("id") or "")
        ),
        "empty_content": any(e.get("id") == "content" and len(e) == 0 for e in root.iter("div")),
    }


def content_type(headers: Any) -> str:
    return str(headers.get("content-type", "")).split(";")[0].strip().lower()


def compare(exchange: dict[str, Any], answer: httpx.Response, origin: str) -> list[str]:
    recorded = exchange["response"]
    recorded_type = content_type({k.lower(): v for k, v in recorded["headers"]})
    diffs = []
    if answer.status_code != recorded["status"]:
        diffs.append(f"status {answer.status_code}, recorded {recorded['status']}")
    if content_type(answer.headers) != recorded_type:
        diffs.append(f"content type {content_type(answer.headers)}, recorded {recorded_type}")
    body = answer.text.replace(origin, RECORDED_ORIGIN)
    if diffs:
        return diffs + [f"body: {body[:600]}"]
    if recorded_type == "application/json":
        return shape_diff(json.loads(recorded["body"]), json.loads(body))
    if recorded_type == "application/xml":
        masked = recorded["body"].replace("<datadir>", "datadir")  # README: the masked data directory
        return shape_diff(xml_tree(masked), xml_tree(body))
    if recorded_type == "text/html":
        expected, actual = html_summary(recorded["body"]), html_summary(body)
        if recorded["status"] != 200:  # error pages: only who is logged in must agree
            expected, actual = expected["user"], actual["user"]
        return shape_diff(expected, actual)
    return [] if body == recorded["body"] else [f"body {body!r}, recorded {recorded['body']!r}"]


CASES = [(file, e["name"]) for file in FILES if (FIXTURES / file).exists() for e in load(file)["exchanges"]]


@pytest.mark.parametrize(("file", "name"), CASES, ids=[f"{f.split('.')[0]}::{n}" for f, n in CASES])
def test_standin_answers_like_the_recorded_nextcloud(file: str, name: str) -> None:
    s, answers, _ = replayed(file)
    exchange = next(e for e in load(file)["exchanges"] if e["name"] == name)
    diffs = compare(exchange, answers[name], s.url)
    assert not diffs, f"{file} {name}: {exchange['note']}\n  " + "\n  ".join(diffs)


# --------------------------------------------------------------------------- what reaches the ExApp

LIFECYCLE = ("/heartbeat", "/init", "/enabled")
COMPARED_HEADERS = {
    "aa-version", "ex-app-id", "ex-app-version", "authorization-app-api", "aa-request-id", "accept-language",
    "x-origin-ip", "cookie", "authorization", "requesttoken", "content-type", "x-requested-with", "referer",
}  # fmt: skip


def decoded_user(headers: dict[str, str]) -> str | None:
    token = headers.get("authorization-app-api")
    return base64.b64decode(token).decode().split(":", 1)[0] if token else None


def incoming_diffs(expected: dict[str, Any], got: dict[str, Any], s: StandIn) -> list[str]:
    want = {k: v for k, v in expected["request"]["headers"]}
    have = {k: v for k, v in got["headers"]}
    diffs = [
        f"header {h}: sent {h in have}, recorded {h in want}"
        for h in COMPARED_HEADERS
        if (h in have) != (h in want)
    ]
    for header in ("aa-version", "ex-app-id", "ex-app-version", "accept-language", "user-agent"):
        if expected["request"]["path"] in LIFECYCLE or header != "user-agent":
            if header in want and have.get(header) != want[header]:
                diffs.append(f"{header}: {have.get(header)!r}, recorded {want[header]!r}")
    if want.get("aa-request-id") == "CLI" and have.get("aa-request-id") != "CLI":
        diffs.append(f"aa-request-id {have.get('aa-request-id')!r}, recorded 'CLI'")
    if expected["request"]["path"] not in LIFECYCLE and have.get("host") != s.url.split("//")[1]:
        diffs.append(f"host {have.get('host')!r}: proxied calls carry the Nextcloud host")
    if got["body"] != expected["request"]["body"]:
        diffs.append(f"body {got['body']!r}, recorded {expected['request']['body']!r}")
    return diffs


def test_exapp_receives_what_appapi_sent_during_the_recording() -> None:
    s, answers, recorder = replayed("appapi_ui_and_proxy.json")
    unused = list(recorder.received)
    problems = []
    for expected in load("exapp_incoming.json")["exchanges"]:
        req = expected["request"]
        user = (req.get("auth") or {}).get("decoded", "").split(":", 1)[0] if req.get("auth") else None
        match = next(
            (
                got
                for got in unused
                if (got["method"], got["path"], got["query"]) == (req["method"], req["path"], req["query"])
                and decoded_user(dict(got["headers"])) == user
            ),
            None,
        )
        if match is None:
            problems.append(f"{expected['name']}: never reached the ExApp")
            continue
        unused.remove(match)
        problems += [f"{expected['name']}: {d}" for d in incoming_diffs(expected, match, s)]
    assert not problems, "\n".join(problems)


def test_lifecycle_calls_reach_the_exapp_in_appapi_order() -> None:
    _, _, recorder = replayed("appapi_ui_and_proxy.json")
    sent = [(r["path"], r["query"]) for r in recorder.received if r["path"] in LIFECYCLE]
    recorded = [
        (e["request"]["path"], e["request"]["query"])
        for e in load("exapp_incoming.json")["exchanges"]
        if e["request"]["path"] in LIFECYCLE
    ]
    assert sent == recorded


def test_init_progress_report_is_answered_like_appapi() -> None:
    _, _, recorder = replayed("appapi_ui_and_proxy.json")
    recorded = load("exapp_incoming.json")["outgoing_exapp_requests"][0]["response"]
    assert [a.status_code for a in recorder.status_answers] == [recorded["status"]]
    assert not shape_diff(json.loads(recorded["body"]), recorder.status_answers[0].json())


# --------------------------------------------------------------------------- the route probe (AppAPI proxy)

PROBE = "routeprobe"
ROUTE_FILES = {"appapi_route_matching.json": "32.0.0", "appapi_route_matching_v32_0_10.json": "32.0.10"}
PROBE_REDIRECTS = {  # what the recording's probe answered (appapi_proxy_redirects.json description)
    "/redirect-303": (303, "/index.php/apps/app_api/embedded/routeprobe/main"),
    "/redirect-302-rel": (302, "../main?from=302"),
}


class ProbeExApp:
    """The recording's probe ExApp: echoes any request as JSON {method, path, query, headers, body},
    and answers /redirect-303 and /redirect-302-rel with the recorded redirects."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [[k.decode(), v.decode()] for k, v in scope["headers"]]
        echo = {"method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode(),
                "headers": headers, "body": body.decode()}  # fmt: skip
        self.received.append(echo)
        status, extra = 200, [(b"content-type", b"application/json")]
        payload = json.dumps(echo).encode()
        if scope["path"] in PROBE_REDIRECTS:
            status, location = PROBE_REDIRECTS[scope["path"]]
            extra, payload = [(b"content-type", b"text/plain"), (b"location", location.encode())], b"moved"
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": payload})


def routes_in_note(note: str) -> list[tuple[str, str, int]]:
    """The routes the probe was registered with, as the note of each route-matching exchange states."""
    start = note.index("routes=") + len("routes=")
    routes, _ = json.JSONDecoder().raw_decode(note[start:])
    return [(r["url"], r["verb"], int(r["access_level"])) for r in routes]


def probe_standin(app_api: str = "32.0.0") -> tuple[StandIn, ProbeExApp]:
    """A stand-in with the enabled probe ExApp (registered by hand: routes are set per exchange)."""
    probe = ProbeExApp()
    s = StandIn(app_id=PROBE, app_secret=SECRET, exapp_url=serve(probe)[0], app_api=app_api, info_xml=None)
    seed(s)
    s.users["alice"].display_name = "Alice Moreau"
    s.exapp.enabled = True
    s.start()
    return s, probe


@functools.cache
def replayed_probe(file: str) -> tuple[StandIn, ProbeExApp, dict[str, tuple[httpx.Response, list[Any]]]]:
    """Replay a probe fixture; each answer comes with what reached the probe during that exchange."""
    s, probe = probe_standin(ROUTE_FILES.get(file, "32.0.0"))
    if file not in ROUTE_FILES:
        s.proxy_routes = [(".*", "GET,POST,PUT,DELETE", 1)]  # the probe's route in that recording
    answers = {}
    with httpx.Client(base_url=s.url, timeout=10) as client:
        for exchange in load(file)["exchanges"]:
            if file in ROUTE_FILES:
                s.proxy_routes = routes_in_note(exchange["note"])
            before = len(probe.received)
            answer = client.request(**build_request(s, exchange, "alice"))
            answers[exchange["name"]] = (answer, probe.received[before:])
    s.stop()
    return s, probe, answers


def probe_cases(*files: str) -> list[tuple[str, str]]:
    return [(f, e["name"]) for f in files if (FIXTURES / f).exists() for e in load(f)["exchanges"]]


ROUTE_CASES = probe_cases(*ROUTE_FILES)


@pytest.mark.parametrize(
    ("file", "name"), ROUTE_CASES, ids=[f"{f.split('.')[0]}::{n}" for f, n in ROUTE_CASES]
)
def test_proxy_route_matching_answers_as_the_recorded_app_api(file: str, name: str) -> None:
    """200 through to the ExApp, or AppAPI's HTML 404 page without reaching it, as recorded per version."""
    _, _, answers = replayed_probe(file)
    exchange = next(e for e in load(file)["exchanges"] if e["name"] == name)
    answer, reached = answers[name]
    recorded = exchange["response"]
    assert answer.status_code == recorded["status"], f"{file} {name}: {answer.text[:300]}"
    if recorded["status"] == 404:
        assert not reached and content_type(answer.headers) == "text/html"
        return
    echo = json.loads(recorded["body"])
    assert [(r["method"], r["path"], r["query"]) for r in reached] == [
        (echo["method"], echo["path"], echo["query"])
    ]


REDIRECT_CASES = probe_cases("appapi_proxy_redirects.json")
# Headers the followed request carried in the recording (the probe's echo), and ones it must not carry.
FOLLOWED_HEADERS = {
    "aa-version", "ex-app-id", "ex-app-version", "authorization-app-api", "aa-request-id",
    "x-origin-ip", "cookie", "requesttoken", "content-type", "content-length", "referer",
}  # fmt: skip


@pytest.mark.parametrize(("file", "name"), REDIRECT_CASES, ids=[n for _, n in REDIRECT_CASES])
def test_the_proxy_follows_exapp_redirects_as_recorded(file: str, name: str) -> None:
    """The browser gets the final 200 and no Location; AppAPI itself asked the ExApp for the target."""
    s, _, answers = replayed_probe(file)
    exchange = next(e for e in load(file)["exchanges"] if e["name"] == name)
    answer, reached = answers[name]
    recorded = exchange["response"]
    assert answer.status_code == recorded["status"] and "location" not in answer.headers
    assert content_type(answer.headers) == "application/json"
    final = json.loads(answer.text)
    echo = json.loads(recorded["body"])
    assert (final["method"], final["path"], final["query"], final["body"]) == (
        echo["method"], echo["path"], echo["query"], echo["body"],
    )  # fmt: skip
    assert len(reached) == 2 and reached[-1] == final  # the redirect, then AppAPI's own second request
    sent = {k.lower() for k, _ in final["headers"]} & FOLLOWED_HEADERS
    assert sent == {k.lower() for k, _ in echo["headers"]} & FOLLOWED_HEADERS
    assert dict((k.lower(), v) for k, v in final["headers"])["host"] == str(s.exapp_url).split("//")[1]
    first_user = decoded_user({k.lower(): v for k, v in reached[0]["headers"]})
    assert decoded_user({k.lower(): v for k, v in final["headers"]}) == first_user == "alice"


SCRIPT_CASES = probe_cases("appapi_embedded_scripts.json")


def proxied_scripts(body: str) -> list[tuple[str, bool, str | None]]:
    """(path, defer, type) of each ExApp script tag, in page order."""
    root = html.fromstring(body.encode())
    proxied = "/apps/app_api/proxy/"
    return [
        (e.get("src").split("?")[0], e.get("defer") is not None, e.get("type"))
        for e in root.iter("script")
        if proxied in (e.get("src") or "")
    ]


@pytest.mark.parametrize(("file", "name"), SCRIPT_CASES, ids=[n for _, n in SCRIPT_CASES])
def test_embedded_page_scripts_come_in_the_recorded_order(file: str, name: str) -> None:
    """Registration is answered as recorded; pages list the scripts sorted by path, all defer, no module."""
    _, _, answers = replayed_probe(file)
    exchange = next(e for e in load(file)["exchanges"] if e["name"] == name)
    answer, reached = answers[name]
    recorded = exchange["response"]
    assert answer.status_code == recorded["status"]
    if name.startswith("browser_open_embedded"):
        assert proxied_scripts(answer.text) == proxied_scripts(recorded["body"])
    elif name.startswith("browser_get"):
        assert [r["path"] for r in reached] == [json.loads(recorded["body"])["path"]]
    else:
        assert not shape_diff(json.loads(recorded["body"]), answer.json())


# --------------------------------------------------------------------------- who sees which folder's rules

VISIBILITY = "groupfolders_admin_visibility.json"
PEOPLE = {
    "alice": "Alice Moreau",
    "bob": "Bob Girard",
    "carol": "Carol Lefèvre",
    "dave": "Dave Rousseau",
    "erin": "Erin Fontaine",
    "frank": "Frank Mercier",
}


def seed_visibility(s: StandIn) -> None:
    """The state groupfolders_admin_visibility.json describes: Communication and Finances set up by the
    app (governance-admins attached, ACL off, a stored rule on Communication/Presse), RP-NoAdmin (group
    tous only: admin is not a member) and RP-AdminMember (groups admin and tous), both with ACL on and a
    rule on Sub for tous (mask 2, permissions 0)."""
    s.add_user("admin", "admin", admin=True)
    for uid, name in PEOPLE.items():
        s.add_user(uid, name)
    s.add_group("tous", *PEOPLE)
    s.add_group("governance-admins", "admin")
    app_groups = {"ca": 1, "governance-admins": 31, "operations": 15}
    communication = s.new_folder("Communication")
    communication.groups = {
        **app_groups, "gt-communication-animateurs": 31, "gt-communication-lecteurs": 1,
        "gt-communication-membres": 15,
    }  # fmt: skip
    communication.size = 12
    communication.add_path("Interne")
    communication.add_path("Presse/communique.txt", is_file=True)
    communication.rules["Presse"] = [("group", "gt-communication-membres", 31, 1)]
    finances = s.new_folder("Finances")
    finances.groups = {**app_groups, "gt-finances-animateurs": 31, "gt-finances-membres": 15}
    for mount, groups in (("RP-NoAdmin", {"tous": 31}), ("RP-AdminMember", {"admin": 31, "tous": 31})):
        folder = s.new_folder(mount)
        folder.groups, folder.acl = groups, True
        folder.add_path("Sub")
        folder.rules["Sub"] = [("group", "tous", 2, 0)]
    fileids = {
        (1, ""): 86,
        (1, "Interne"): 93,
        (1, "Presse"): 94,
        (1, "Presse/communique.txt"): 95,
        (2, ""): 90,
    }
    fileids |= {(3, ""): 168, (3, "Sub"): 175, (4, ""): 172, (4, "Sub"): 176}
    s.fileids.update(fileids)


@functools.cache
def replayed_visibility() -> tuple[StandIn, dict[str, httpx.Response]]:
    s = StandIn(app_id="routeprobe", app_secret=SECRET, info_xml=None)
    seed_visibility(s)
    s.start()
    with httpx.Client(base_url=s.url, timeout=10) as client:
        answers = {
            e["name"]: client.request(**build_request(s, e, "alice")) for e in load(VISIBILITY)["exchanges"]
        }
    s.stop()
    return s, answers


VISIBILITY_CASES = (
    [e["name"] for e in load(VISIBILITY)["exchanges"]] if (FIXTURES / VISIBILITY).exists() else []
)


@pytest.mark.parametrize("name", VISIBILITY_CASES)
def test_standin_shows_folders_and_rules_only_to_whom_the_recorded_nextcloud_did(name: str) -> None:
    """404 for the admin on a folder whose groups do not include it, 207 with the rules where it is in one,
    rules listed while ACL is off, the groupfolders home, folder lists without rules, and the ACL mapping
    search (empty for someone who cannot manage the folder)."""
    s, answers = replayed_visibility()
    exchange = next(e for e in load(VISIBILITY)["exchanges"] if e["name"] == name)
    diffs = compare(exchange, answers[name], s.url)
    assert not diffs, f"{VISIBILITY} {name}: {exchange['note']}\n  " + "\n  ".join(diffs)


# --------------------------------------------------------------------------- bulk reads of users and rules

BULK = "provisioning_bulk_reads.json"


def seed_bulk(s: StandIn) -> None:
    """The state provisioning_bulk_reads.json was recorded in: that of groupfolders_admin_visibility.json
    (same server, same folders and file ids) plus the accounts and memberships its
    ``users_details_all_app_api`` answer lists (e-mail, language and groups of each)."""
    seed_visibility(s)
    recorded = next(e for e in load(BULK)["exchanges"] if e["name"] == "users_details_all_app_api")
    users = json.loads(recorded["response"]["body"])["ocs"]["data"]["users"]
    for uid, raw in users.items():
        user = s.users.get(uid) or s.add_user(uid, raw["displayname"])
        user.email, user.language = raw["email"], raw["language"]
        for gid in raw["groups"]:
            s.add_group(gid, uid)


def unordered_groups(body: Any) -> Any:
    """A user's ``groups`` in no particular order: the Database group backend lists them without an
    ORDER BY (nextcloud/server lib/private/Group/Database.php ``getUserGroups``), as rows were added."""
    if isinstance(body, dict):
        return {k: sorted(v) if k == "groups" and isinstance(v, list) and all(isinstance(g, str) for g in v)
                else unordered_groups(v) for k, v in body.items()}  # fmt: skip
    if isinstance(body, list):
        return [unordered_groups(v) for v in body]
    return body


@functools.cache
def replayed_bulk() -> tuple[StandIn, dict[str, httpx.Response]]:
    s = StandIn(app_id="routeprobe", app_secret=SECRET, info_xml=None)
    seed_bulk(s)
    s.start()
    with httpx.Client(base_url=s.url, timeout=10) as client:
        answers = {e["name"]: client.request(**build_request(s, e, "alice")) for e in load(BULK)["exchanges"]}
    s.stop()
    return s, answers


BULK_CASES = [e["name"] for e in load(BULK)["exchanges"]] if (FIXTURES / BULK).exists() else []


@pytest.mark.parametrize("name", BULK_CASES)
def test_standin_answers_bulk_reads_of_users_and_rules_as_recorded(name: str) -> None:
    """Every user with its groups in one call or in pages (limit/offset over uids), group details
    without members, a group's members with their groups, and Depth infinity PROPFINDs that
    descend the whole folder with each node's rules."""
    s, answers = replayed_bulk()
    exchange = next(e for e in load(BULK)["exchanges"] if e["name"] == name)
    answer = answers[name]
    if content_type(answer.headers) == "application/json":
        body = json.loads(exchange["response"]["body"])
        exchange = {
            **exchange,
            "response": {**exchange["response"], "body": json.dumps(unordered_groups(body))},
        }
        content = json.dumps(unordered_groups(answer.json())).encode()
        headers = {"content-type": answer.headers["content-type"]}
        answer = httpx.Response(answer.status_code, headers=headers, content=content)
    diffs = compare(exchange, answer, s.url)
    assert not diffs, f"{BULK} {name}: {exchange['note']}\n  " + "\n  ".join(diffs)
