"""The browser side as AppAPI serves it: login switcher, the top-menu page, the ExApp proxy, notifications.

Page and proxy behaviour from fixtures/appapi_ui_and_proxy.json (browser_open_top_menu_page, *_via_proxy,
anonymous/unknown → 404 HTML), exapp_incoming.json (headers that reach the ExApp) and
notifications_links_click.json; upstream nextcloud/app_api lib/Controller/TopMenuController.php,
lib/Controller/ExAppProxyController.php, lib/Service/AppAPICommonService.php buildAppAPIAuthHeaders.
Theme colours: nextcloud/server apps/theming/lib/Themes/DefaultTheme.php and DarkTheme.php (defaults).
Route matching per app_api version: tests/standin/routes.py. Redirects from the ExApp are followed by the
proxy itself (appapi_proxy_redirects.json); scripts are emitted sorted by path (appapi_embedded_scripts.json).
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
from typing import Any

import httpx
from lxml import html
from lxml.html import builder as E
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tests.standin.appapi import APPAPI_VERSION, php_json
from tests.standin.ocs import caller
from tests.standin.routes import find_route
from tests.standin.state import Notification, State

logger = logging.getLogger(__name__)

PROXY = "/index.php/apps/app_api/proxy"
EMBEDDED = "/index.php/apps/app_api/embedded"
NOTIFICATIONS_UI = "/index.php/apps/notifications-ui"
DROPPED_HEADERS = {"content-length", "authorization-app-api", "x-origin-ip"}
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding"}
# Guzzle's default allow_redirects (RedirectMiddleware::DEFAULT_SETTINGS), which AppAPI leaves in force.
MAX_REDIRECTS = 5
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_JS_FILES = 10  # app_api lib/Service/UI/ScriptsService.php
LIGHT = {
    "--color-main-background": "#ffffff",
    "--color-main-text": "#222222",
    "--color-primary-element": "#00679e",
    "--color-primary-element-text": "#ffffff",
    "--color-border": "#ededed",
    "--color-background-hover": "#f5f5f5",
    "--color-text-maxcontrast": "#6b6b6b",
    "--border-radius": "3px",
    "--default-font-size": "15px",
    "--color-error": "#db0606",
    "--color-success": "#2d7b41",
    "--color-warning": "#a37200",
}
DARK = {
    **LIGHT,
    "--color-main-background": "#171717",
    "--color-main-text": "#ebebeb",
    "--color-primary-element": "#0091f2",
    "--color-primary-element-text": "#000000",
    "--color-border": "#292929",
    "--color-background-hover": "#292929",
    "--color-text-maxcontrast": "#999999",
    "--color-error": "#ff5252",
    "--color-success": "#50bb6a",
    "--color-warning": "#ffcc00",
}
LAYOUT_CSS = (
    "body{margin:0;font-family:system-ui,sans-serif;font-size:var(--default-font-size);"
    "background:var(--color-main-background);color:var(--color-main-text)}"
    "#header{display:flex;gap:1em;align-items:center;padding:.5em 1em;"
    "background:var(--color-primary-element);color:var(--color-primary-element-text)}"
    "#header a{color:inherit}#header .header-end{margin-left:auto}"
)
BOOT_JS = (
    "window._oc_webroot='';window.OC=window.OC||{};OC.webroot='';"
    "OC.requestToken=document.head.dataset.requesttoken;OC.config={modRewriteWorking:false};"
)


def theme_css(request: Request) -> str:
    def block(values: dict[str, str]) -> str:
        return ":root{" + ";".join(f"{k}:{v}" for k, v in values.items()) + "}"

    theme = request.query_params.get("theme", "")
    if theme == "dark":
        return block(DARK) + LAYOUT_CSS
    if theme == "light":
        return block(LIGHT) + LAYOUT_CSS
    return block(LIGHT) + "@media (prefers-color-scheme: dark){" + block(DARK) + "}" + LAYOUT_CSS


def render(root: Any, status: int = 200) -> Response:
    body = html.tostring(root, doctype="<!DOCTYPE html>", encoding="utf-8")
    return Response(body, status, media_type="text/html; charset=UTF-8")


def user_switcher(s: State, current: str | None, next_url: str) -> Any:
    options = [E.OPTION(u.display_name, value=u.uid) for u in s.users.values()]
    for option in options:
        if option.get("value") == current:
            option.set("selected", "selected")
    return E.FORM(
        E.SELECT(*options, name="user", **{"aria-label": "User"}),
        E.INPUT(type="hidden", name="next", value=next_url),
        E.BUTTON("Switch user", type="submit"),
        action="/standin/login",
        method="get",
        id="user-switcher",
    )


def page(
    request: Request,
    s: State,
    uid: str | None,
    title: str,
    main: list[Any],
    status: int = 200,
    states: Any = None,
) -> Response:
    """A Nextcloud-like shell: head data attributes, header with app menu and user switcher."""
    session = s.sessions.get(request.cookies.get("nc_session_id", ""))
    head = E.HEAD(E.META(charset="utf-8"), E.TITLE(f"{title} - Nextcloud"), E.STYLE(theme_css(request)))
    if uid:
        head.set("data-user", uid)
        head.set("data-user-displayname", s.users[uid].display_name)
    head.set("data-requesttoken", session[1] if session else "")
    menu = [
        E.A(entry["display_name"], href=f"{EMBEDDED}/{s.app_id}/{name}", id=f"app_api_{s.app_id}_{name}")  # type: ignore[attr-defined]
        for name, entry in s.ui["top_menu"].items()
        if entry["display_name"] and (not entry["admin_required"] or s.is_admin(uid))
    ]
    header = E.HEADER(
        E.DIV(E.NAV(*menu, id="header-start__appmenu"), {"class": "header-start"}),
        E.DIV(E.A("Notifications", href=NOTIFICATIONS_UI), user_switcher(s, uid, str(request.url.path)),
              {"class": "header-end"}),
        id="header",
    )  # fmt: skip
    body = E.BODY(
        *([states] if states is not None else []), header, *main, id="body-user" if uid else "body-login"
    )
    body.set("data-themes", request.query_params.get("theme", "default"))
    lang = s.users[uid].language if uid and uid in s.users else "en"
    root = E.HTML(head, body, lang=lang)
    root.set("data-locale", lang)
    return render(root, status)


def not_found(request: Request, s: State, uid: str | None) -> Response:
    """The 404 HTML page (anonymous_get_via_proxy, proxy_unknown_exapp, browser_open_top_menu_unknown)."""
    main = [E.DIV(E.H2("Page not found"), E.P("The page could not be found on the server."), id="content")]
    return page(request, s, uid, "Nextcloud", main, 404)


def browser_user(request: Request, s: State) -> str | None:
    who = caller(request, s, s.app_id, s.app_secret)  # type: ignore[attr-defined]
    return who.user


def initial_state_value(stored_json: str) -> str:
    """IInitialState: base64 of json_encode(<the JSON string AppAPI stored>)."""
    return base64.b64encode(php_json(stored_json).encode()).decode()


async def embedded(request: Request) -> Response:
    """GET /embedded/{appId}/{name}[/…]: TopMenuController::viewExAppPage (browser_open_top_menu_page)."""
    s = request.app.state.standin
    uid = browser_user(request, s)
    app_id, name = request.path_params["app_id"], request.path_params["name"]
    entry = s.ui["top_menu"].get(name)
    usable = app_id == s.app_id and s.exapp.enabled and entry is not None
    if not uid or not usable or (entry["admin_required"] and not s.is_admin(uid)):
        return not_found(request, s, uid)
    states = [
        E.INPUT(
            type="hidden", id=f"initial-state-app_api-{rec['key']}", value=initial_state_value(rec["value"])
        )
        for (kind, menu, _), rec in s.ui["initial_states"].items()
        if kind == "top_menu" and menu == name
    ]
    container = E.DIV(*states, id="initial-state-container", style="display: none;")
    main = [E.DIV(E.DIV(id="content"), {"class": "app-app_api"}, id="content")]
    response = page(request, s, uid, entry["display_name"], main, states=container)
    return _with_assets(response, s, name)


def _with_assets(response: Response, s: State, name: str) -> Response:
    """Adds the ExApp's styles and scripts via the proxy (ScriptsService, StylesService, ExAppUiMiddleware).

    Order: by path, not by registration (appapi_embedded_scripts.json: the mappers select without ORDER BY
    and SQLite answers from the unique index (appid, type, name, path); styles have the same kind of index,
    ui_style__idx, so they are sorted the same way [inferred]). Every script is ``defer``, none a module.
    """
    root = html.fromstring(bytes(response.body).decode("utf-8"))  # bytes would be read as Latin-1
    head = root.find("head")
    version = "v=" + secrets.token_hex(4) + "-0"
    for path in sorted(p for (kind, menu, p) in s.ui["styles"] if kind == "top_menu" and menu == name):
        head.append(E.LINK(rel="stylesheet", href=f"{PROXY}/{s.app_id}/{path}.css?{version}"))  # type: ignore[attr-defined]
    scripts = sorted(p for (kind, menu, p) in s.ui["scripts"] if kind == "top_menu" and menu == name)
    if len(scripts) > MAX_JS_FILES:  # applyExAppScripts throws a LengthException, uncaught [inferred: 500]
        return Response("Internal Server Error", 500, media_type="text/plain")
    head.append(E.SCRIPT(BOOT_JS))
    for path in scripts:
        head.append(E.SCRIPT(defer="defer", src=f"{PROXY}/{s.app_id}/{path}.js?{version}"))  # type: ignore[attr-defined]
    return render(root, response.status_code)


def level_allows(s: Any, level: int, uid: str | None) -> bool:
    """ExAppProxyController::passesExAppProxyRouteAccessLevelCheck: 0 anyone, 1 a user, 2 an admin."""
    return level == 0 or (level == 1 and uid is not None) or (level == 2 and s.is_admin(uid))


def proxy_allowed(s: Any, path: str, method: str, uid: str | None) -> bool:
    """ExAppProxyController::passesExAppProxyRoutesChecks of the stand-in's app_api version."""
    route = find_route(s.app_api, s.proxy_routes, path, method, lambda level: level_allows(s, level, uid))
    return route is not None


def appapi_headers(s: Any, uid: str | None, request_id: str, language: str) -> dict[str, str]:
    """AppAPICommonService::buildAppAPIAuthHeaders plus Accept-Language."""
    token = base64.b64encode(f"{uid or ''}:{s.app_secret}".encode()).decode()
    return {
        "aa-version": APPAPI_VERSION,
        "ex-app-id": s.app_id,
        "ex-app-version": s.app_version,
        "authorization-app-api": token,
        "aa-request-id": request_id,
        "accept-language": language,
    }


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


def _redirected(request: httpx.Request, answer: httpx.Response) -> httpx.Request:
    """The next request, as Guzzle's RedirectMiddleware::modifyRequest builds it (strict off, no referer).

    Location is resolved against the ExApp URL just requested (so ``/index.php/...`` goes to the ExApp);
    303, and 301/302 alike, turn anything but GET/HEAD/OPTIONS into a GET without a body; Referer is
    dropped; Authorization and Cookie only when the target is another origin; Host follows the new URL.
    """
    target = request.url.join(answer.headers["location"])
    if target.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"redirect to {target.scheme!r} refused", request=request)
    dropped = {"host", "referer"}
    method, content = request.method, request.content
    if answer.status_code == 303 or answer.status_code <= 302:
        method = method if method in SAFE_METHODS else "GET"
        content = b""
        dropped |= {"content-length", "transfer-encoding"}
    if _origin(target) != _origin(request.url):
        dropped |= {"authorization", "cookie"}
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in dropped]
    return httpx.Request(method, target, headers=headers, content=content)


async def _send(client: httpx.AsyncClient, request: httpx.Request) -> tuple[httpx.Response, bytes]:
    """Send to the ExApp and follow its redirects server-side, at most MAX_REDIRECTS of them.

    appapi_proxy_redirects.json: AppAPIService::prepareRequestToExApp2 sets no ``allow_redirects``, so
    Guzzle follows; a sixth redirect raises TooManyRedirectsException, which requestToExAppInternal turns
    into an error, and the proxy into a 500.
    """
    for hop in range(MAX_REDIRECTS + 1):
        answer = await client.send(request, stream=True)
        body = b"".join([chunk async for chunk in answer.aiter_raw()])
        await answer.aclose()
        if not (300 <= answer.status_code < 400) or "location" not in answer.headers:
            return answer, body
        if hop == MAX_REDIRECTS:
            raise httpx.TooManyRedirects(
                f"Will not follow more than {MAX_REDIRECTS} redirects", request=request
            )
        request = _redirected(request, answer)
    raise AssertionError("unreachable")


async def proxy(request: Request) -> Response:
    """/proxy/{appId}/{path} (browser_*_via_proxy): forwards to the ExApp with the session user."""
    s = request.app.state.standin
    uid = browser_user(request, s)
    app_id, path = request.path_params["app_id"], request.path_params.get("path", "")
    known = app_id == s.app_id and s.exapp.enabled and s.exapp_url
    if not known or ".." in path.split("/") or not proxy_allowed(s, path, request.method, uid):
        return not_found(request, s, uid)
    headers = [
        (k, v) for k, v in request.headers.items() if k not in DROPPED_HEADERS and k != "accept-language"
    ]
    headers.append(("x-origin-ip", request.client.host if request.client else "127.0.0.1"))
    language = request.headers.get("accept-language", "en")
    headers += appapi_headers(s, uid, secrets.token_urlsafe(15)[:20], language).items()
    url = s.exapp_url.rstrip("/") + "/" + path
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            upstream = client.build_request(
                request.method, url, params=request.url.query, headers=headers, content=await request.body()
            )
            answer, body = await _send(client, upstream)
    except httpx.HTTPError as exc:
        logger.warning("Error during request to ExApp %s: %s", s.app_id, exc)
        return Response("ExApp unreachable", 500, media_type="text/plain")
    out = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_HEADERS]
    ctype = answer.headers.get("content-type", "")
    if "cache-control" not in answer.headers and "html" not in ctype and "json" not in ctype:
        out.append(("cache-control", "private, max-age=3600, must-revalidate"))
    response = Response(body, answer.status_code)
    response.raw_headers = [(k.lower().encode(), v.encode()) for k, v in out]
    return response


async def login(request: Request) -> Response:
    """/standin/login?user=<uid>&next=<path>: a session (cookies nc_session_id, nc_username, nc_token)."""
    s = request.app.state.standin
    uid = request.query_params.get("user", "")
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if uid not in s.users:
        return Response("Unknown user", 403, media_type="text/plain")
    if request.query_params.get("lang") in ("en", "fr"):  # as if the user changed it in their settings
        s.users[uid].language = request.query_params["lang"]
    session, token = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
    s.sessions[session] = (uid, token)
    response = RedirectResponse(target, 303)
    response.set_cookie("nc_session_id", session, httponly=True, samesite="lax")
    response.set_cookie("nc_username", uid, httponly=True, samesite="lax")
    response.set_cookie("nc_token", secrets.token_urlsafe(16), httponly=True, samesite="lax")
    return response


async def logout(request: Request) -> Response:
    s = request.app.state.standin
    s.sessions.pop(request.cookies.get("nc_session_id", ""), None)
    response = RedirectResponse("/", 303)
    for name in ("nc_session_id", "nc_username", "nc_token"):
        response.delete_cookie(name)
    return response


def rich(text: str, params: dict[str, Any]) -> Any:
    """A rich string as the notifications UI shows it: parameters with a link become <a href>."""
    span = E.SPAN()
    last: Any = None
    for index, piece in enumerate(re.split(r"\{([A-Za-z0-9_-]+)\}", text)):
        if index % 2 == 0:
            if last is None:
                span.text = (span.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
            continue
        param = params.get(piece, {})
        link = param.get("link")
        last = E.A(str(param.get("name", "")), href=link) if link else E.STRONG(str(param.get("name", "")))
        span.append(last)
    return span


def notification_item(note: Notification) -> Any:
    subject = rich(note.rich_subject, note.rich_subject_params)
    has_links = any(p.get("link") for p in note.rich_subject_params.values())
    if note.link and not has_links:
        subject = E.A(subject, href=note.link)
    dismiss = E.FORM(E.BUTTON("Dismiss", type="submit"), action=f"/standin/dismiss/{note.id}", method="post")
    item = E.LI(E.DIV(subject, {"class": "subject"}), {"class": "notification"})
    if note.rich_message:
        item.append(E.DIV(rich(note.rich_message, note.rich_message_params), {"class": "message"}))
    item.append(E.TIME(note.datetime))
    item.append(dismiss)
    item.set("data-id", str(note.id))
    return item


async def notifications_ui(request: Request) -> Response:
    """The logged-in user's notifications, newest first, links clickable (NotificationItem.vue)."""
    s = request.app.state.standin
    uid = browser_user(request, s)
    if not uid:
        return not_found(request, s, uid)
    notes = [notification_item(n) for n in reversed(s.notifications) if n.user == uid]
    content = E.DIV(
        E.H2("Notifications"), E.UL(*notes, id="notifications") if notes else E.P("No notifications")
    )
    content.set("id", "content")
    return page(request, s, uid, "Notifications", [content])


async def dismiss(request: Request) -> Response:
    s = request.app.state.standin
    uid = browser_user(request, s)
    note = s.notification(request.path_params["id"])
    if uid and note is not None and note.user == uid:
        s.notifications.remove(note)
    return RedirectResponse(NOTIFICATIONS_UI, 303)


async def index(request: Request) -> Response:
    """A start page for ``make run``: who is logged in, the app menu, the user switcher."""
    s = request.app.state.standin
    uid = browser_user(request, s)
    content = E.DIV(E.H2("Nextcloud stand-in"), E.P(f"Logged in as {uid}" if uid else "Choose a user above."))
    content.set("id", "content")
    return page(request, s, uid, "Nextcloud", [content])


async def html_not_found(request: Request, exc: Exception) -> Response:
    s = request.app.state.standin
    return not_found(request, s, browser_user(request, s))


def routes() -> list[Route]:
    verbs = ["GET", "POST", "PUT", "DELETE"]
    return [
        Route("/", index),
        Route("/standin/login", login),
        Route("/standin/logout", logout),
        Route("/standin/dismiss/{id:int}", dismiss, methods=["POST"]),
        Route(NOTIFICATIONS_UI, notifications_ui),
        Route(EMBEDDED + "/{app_id}/{name}", embedded),
        Route(EMBEDDED + "/{app_id}/{name}/{other:path}", embedded),
        Route(PROXY + "/{app_id}/{path:path}", proxy, methods=verbs),
        Route(PROXY + "/{app_id}", proxy, methods=verbs),
    ]
