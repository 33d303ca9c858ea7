"""The ExApp as AppAPI sees it: lifecycle, authentication on every route, the first page in two languages."""

from __future__ import annotations

import base64

import httpx
import pytest

from ex_app.demo import demo_org
from tests.conftest import SECRET, RunningApp, appapi_headers


async def test_enabling_registers_the_top_menu_entry_scripts_and_style(running: RunningApp) -> None:
    await running.standin.register_exapp()
    ui = running.standin.ui
    assert (
        [m["name"] for m in ui["top_menu"].values()] == ["main"] if isinstance(ui["top_menu"], dict) else True
    )
    text = repr(ui)
    assert "Governance" in text
    assert "js/governance-main" in text and "js/htmx.min" in text and "css/governance" in text


async def test_disabling_removes_the_menu_entry_and_scripts(running: RunningApp) -> None:
    await running.standin.register_exapp()
    await running.standin.disable_exapp()
    text = repr(running.standin.ui)
    assert "js/governance-main" not in text
    assert "Governance" not in text


async def test_enabling_fails_clearly_when_the_admin_account_is_missing(running: RunningApp) -> None:
    del running.standin.users["admin"]
    running.standin.groups["admin"].discard("admin")
    with pytest.raises(Exception, match="does not exist"):
        await running.standin.register_exapp()


def _flat(routes: list) -> list:  # type: ignore[type-arg]
    """Routes of the app, including those of included routers (FastAPI wraps them)."""
    out = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        out.extend(_flat(inner.routes) if inner is not None else [r])
    return out


def _app_routes(running: RunningApp) -> list[tuple[str, str]]:
    out = []
    for route in _flat(running.app.routes):
        path = getattr(route, "path", "")
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method == "HEAD" or path in ("/heartbeat",):
                continue
            out.append(
                (
                    method,
                    path.replace("{slug}", "communication")
                    .replace("{rid}", "1")
                    .replace("{decision}", "approve"),
                )
            )
    out += [("GET", "/js/governance-main.js"), ("GET", "/css/governance.css")]
    return out


def test_every_route_refuses_a_request_without_valid_appapi_auth(running: RunningApp) -> None:
    running.seed(demo_org(__import__("datetime").date.today()))
    routes = _app_routes(running)
    assert len(routes) >= 10
    wrong = base64.b64encode(b"alice:not-the-secret").decode()
    with httpx.Client(base_url=running.url) as anon:
        for method, path in routes:
            for headers in ({}, {**appapi_headers("alice"), "AUTHORIZATION-APP-API": wrong}):
                r = anon.request(method, path, headers=headers)
                assert r.status_code == 401, (method, path, r.status_code)
                assert "alice" not in r.text and "Communication" not in r.text and SECRET not in r.text


def test_heartbeat_answers_without_auth(running: RunningApp) -> None:
    r = httpx.get(running.url + "/heartbeat")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_state_changing_routes_refuse_a_request_without_the_page_token(running: RunningApp) -> None:
    running.seed(demo_org(__import__("datetime").date.today()))
    with running.client("alice") as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "add_member", "group": "communication", "users": "nora", "justification": "x"},
            headers={"X-Governance-CSRF": "forged"},
        )
    assert r.status_code == 403
    assert running.gov.requests.repo.by_requester("alice") == []


def test_working_groups_page_lists_the_demo_groups_in_english(running: RunningApp) -> None:
    running.seed(demo_org(__import__("datetime").date.today()))
    with running.client("dave") as c:
        r = c.get("/ui/groups")
    assert r.status_code == 200
    assert "Working groups" in r.text
    for name in ("Communication", "Jardins partagés", "Éducation populaire"):
        assert name in r.text
    assert "Alice Martin" in r.text  # facilitator shown by display name


def test_working_groups_page_speaks_french_to_a_french_user(running: RunningApp) -> None:
    running.seed(demo_org(__import__("datetime").date.today()))
    with running.client("dave", lang="fr") as c:
        r = c.get("/ui/groups")
    assert r.status_code == 200
    assert "Groupes de travail" in r.text and "Working groups" not in r.text
    assert 'lang="fr"' in r.text


def test_group_names_are_escaped_in_pages(running: RunningApp) -> None:
    from dataclasses import replace

    org = demo_org(__import__("datetime").date.today())
    evil = replace(org.working_groups[0], name='<script>alert("x")</script>')
    running.seed(replace(org, working_groups=(evil, *org.working_groups[1:])))
    with running.client("dave") as c:
        r = c.get("/ui/groups")
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
