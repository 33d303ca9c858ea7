"""The app is reachable through AppAPI's proxy on every app_api version, and `make register` says so too.

The routes come from appinfo/info.xml; the stand-in matches them as app_api 32.0.0 (stock Nextcloud 32.0.1)
and as v32.0.10+ do (tests/standin/routes.py, fixtures appapi_route_matching*.json).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from defusedxml import ElementTree

from ex_app import register
from lib.settings import Settings
from tests.conftest import RunningApp
from tests.servers import ServerThread
from tests.standin import StandIn
from tests.standin.routes import MATCHERS, find_route, routes_from_info_xml

INFO = Path(__file__).resolve().parents[2] / "appinfo" / "info.xml"
LONG_SECRET = "s" * 40
REACHABLE = [  # what the page needs, through the proxy
    ("GET", "js/governance-main.js"),
    ("GET", "js/htmx.min.js"),
    ("GET", "css/governance.css"),
    ("GET", "img/app.svg"),
    ("GET", "ui/groups"),
    ("POST", "ui/requests"),
    ("GET", "api/plan"),
    ("GET", "actions/approve/1"),
    ("POST", "actions/reject/1"),
]
ASSETS = [  # through the proxy, with the content type a browser needs
    ("js/governance-main.js", "javascript"),
    ("js/htmx.min.js", "javascript"),
    ("css/governance.css", "css"),
    ("img/app.svg", "svg"),
    ("ui/groups", "html"),
]
UNREACHABLE = [  # AppAPI calls these directly; a browser must not
    ("GET", "heartbeat"),
    ("POST", "init"),
    ("PUT", "enabled"),
    ("PUT", "ui/groups"),
    ("POST", "js/governance-main.js"),
]


def xml_routes() -> list[dict[str, str]]:
    root = ElementTree.parse(INFO).getroot()
    return [{child.tag: child.text or "" for child in route} for route in root.iter("route")]


def test_register_sends_exactly_the_routes_of_info_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SECRET", LONG_SECRET)
    sent = json.loads(register.commands(Settings(), "occ")[1][5])["routes"]
    written = xml_routes()
    assert len(sent) == len(written) == 4
    for route, xml in zip(sent, written, strict=True):
        assert route["url"] == xml["url"]
        assert route["verb"] == xml["verb"]
        assert route["access_level"] == register.LEVELS[xml["access_level"]]
        assert route["headers_to_exclude"] == json.loads(xml["headers_to_exclude"])
        assert route["bruteforce_protection"] == json.loads(xml.get("bruteforce_protection", "[]"))
    as_appapi_reads_it = [(r["url"], r["verb"], r["access_level"]) for r in sent]
    assert as_appapi_reads_it == routes_from_info_xml(INFO)  # --json-info and --info-xml agree


def test_every_route_is_portable_disjoint_and_for_users() -> None:
    prefixes: list[str] = []
    for url, _verbs, level in routes_from_info_xml(INFO):
        assert level == 1, url
        assert not re.search(r"(?<!\\)/", url), f"{url}: an unescaped / breaks app_api 32.0.0"
        prefix = re.fullmatch(r"\^\\/\?(\(?[a-z|]+\)?)\\/\.\*", url)
        assert prefix, f"{url} is not of the form ^\\/?<prefix>\\/.*"
        prefixes += prefix.group(1).strip("()").split("|")
    assert sorted(prefixes) == sorted(set(prefixes)) == ["actions", "api", "css", "img", "js", "ui"]


@pytest.mark.parametrize("app_api", MATCHERS)
@pytest.mark.parametrize(("method", "path"), REACHABLE)
def test_the_apps_routes_let_a_user_reach_the_page_and_its_forms(
    app_api: str, method: str, path: str
) -> None:
    routes = routes_from_info_xml(INFO)
    assert find_route(app_api, routes, path, method, lambda level: True) is not None
    assert find_route(app_api, routes, path, method, lambda level: level == 0) is None  # no anonymous


@pytest.mark.parametrize("app_api", MATCHERS)
@pytest.mark.parametrize(("method", "path"), UNREACHABLE)
def test_the_lifecycle_endpoints_stay_out_of_the_proxy(app_api: str, method: str, path: str) -> None:
    assert find_route(app_api, routes_from_info_xml(INFO), path, method, lambda level: True) is None


@pytest.mark.parametrize("secret", ["", "short-secret"])
def test_register_refuses_an_empty_or_short_secret(
    secret: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_SECRET", secret)
    assert register.main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no occ command to copy
    assert "APP_SECRET" in err and "32" in err and "othing was registered" in err
    assert secret not in err.replace("APP_SECRET", "") or not secret
    assert "change-me" not in out + err


def test_register_prints_both_commands_with_a_long_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_SECRET", LONG_SECRET)
    assert register.main([]) == 0
    out = capsys.readouterr().out
    assert "app_api:daemon:register" in out and "app_api:app:register" in out
    assert LONG_SECRET in out and "^\\\\/?ui\\\\/.*" in out  # JSON-escaped inside the shell-quoted argument


# --------------------------------------------------------------------------- through the stand-in's proxy


def browser(s: StandIn, uid: str) -> httpx.Client:
    c = httpx.Client(base_url=s.url, timeout=30)
    c.get("/standin/login", params={"user": uid})
    return c


@pytest.mark.parametrize("app_api", MATCHERS)
def test_a_logged_in_user_gets_the_page_script_style_and_icon_through_the_proxy(
    running: RunningApp, app_api: str
) -> None:
    running.standin.app_api = app_api
    proxy = f"/index.php/apps/app_api/proxy/{running.settings.app_id}"
    with closing(browser(running.standin, "alice")) as alice:
        for path, kind in ASSETS:
            r = alice.get(f"{proxy}/{path}")
            assert r.status_code == 200 and kind in r.headers["content-type"], (path, r.status_code)
        assert 'id="gov-app"' in alice.get(f"{proxy}/ui/groups").text
    with closing(httpx.Client(base_url=running.standin.url)) as anonymous:
        r = anonymous.get(f"{proxy}/ui/groups")
        assert r.status_code == 404 and "Page not found" in r.text


def test_the_embedded_page_lists_the_apps_scripts_sorted_by_path_and_deferred(running: RunningApp) -> None:
    running.run(running.standin.register_exapp())
    page = (
        f"/index.php/apps/app_api/embedded/{running.settings.app_id}/{running.settings.governance_menu_name}"
    )
    with closing(browser(running.standin, "alice")) as alice:
        text = alice.get(page).text
    tags = re.findall(r"<script[^>]*src=\"[^\"]*/proxy/[^\"]*\"[^>]*>", text)
    assert [re.search(r"/(js/[^.]+(?:\.min)?)\.js", t).group(1) for t in tags] == [  # type: ignore[union-attr]
        "js/governance-main",
        "js/htmx.min",
    ]
    assert all("defer" in t and "module" not in t for t in tags)


# --------------------------------------------------------------------------- redirects, followed by the proxy


class Redirector:
    """An ExApp answering /hop/<n> with a redirect to /hop/<n-1>, and /hop/0 with the request it got."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            return
        path = scope["path"]
        with self.lock:
            self.seen.append((scope["method"], path))
        hops = int(path.rsplit("/", 1)[1]) if path.startswith("/ui/hop/") else 0
        if hops:
            start = {
                "type": "http.response.start",
                "status": 302,
                "headers": [(b"location", b"%d" % (hops - 1))],
            }
            await send(start)  # type: ignore[operator]
            await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]
            return
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": f"{scope['method']} {path}".encode()})  # type: ignore[operator]


@pytest.fixture
def redirector() -> Iterator[tuple[StandIn, Redirector]]:
    exapp = Redirector()
    server = ServerThread(exapp)
    url = server.start()
    s = StandIn(app_secret=LONG_SECRET)
    s.add_user("alice", "Alice")
    s.exapp_url = url
    s.start()
    yield s, exapp
    s.stop()
    server.stop()


def test_the_proxy_follows_five_redirects_and_answers_the_last_page(
    redirector: tuple[StandIn, Redirector],
) -> None:
    s, exapp = redirector
    with closing(browser(s, "alice")) as alice:
        r = alice.post("/index.php/apps/app_api/proxy/governance/ui/hop/5", data={"a": "1"})
    assert r.status_code == 200 and "location" not in r.headers
    assert r.text == "GET /ui/hop/0"  # the POST became a GET, as Guzzle does on a 302
    assert len(exapp.seen) == 6


def test_a_sixth_redirect_is_an_error_page_not_a_redirect(redirector: tuple[StandIn, Redirector]) -> None:
    s, exapp = redirector
    with closing(browser(s, "alice")) as alice:
        r = alice.get("/index.php/apps/app_api/proxy/governance/ui/hop/6")
    assert r.status_code == 500 and "location" not in r.headers
    assert len(exapp.seen) == 6  # Guzzle stops before asking a seventh time
