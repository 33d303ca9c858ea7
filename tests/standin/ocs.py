"""OCS envelopes (JSON and XML), and who is calling (basic auth, AppAPI headers, browser session).

Semantics as recorded in /work/shared/fixtures (README "OCS envelope, formats, status codes"), from
nextcloud/server lib/private/AppFramework/OCS/V1Response.php, V2Response.php and BaseResponse.php
(toXML: lists and integer keys become <element>, keys starting with "@" become attributes).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.standin.state import State

XML_HEAD = b'<?xml version="1.0"?>\n'
UNAUTHORISED = 997  # OCSController::RESPOND_UNAUTHORISED
NOT_FOUND = 998  # OCSController::RESPOND_NOT_FOUND
SERVER_ERROR = 996  # OCSController::RESPOND_SERVER_ERROR


class OcsError(Exception):
    """An OCSException: rendered with the route's envelope (v1 or v2)."""

    def __init__(self, statuscode: int, message: str = "", data: Any = ()) -> None:
        super().__init__(message)
        self.statuscode = statuscode
        self.message = message
        self.data = [] if data == () else data


class PlainError(Exception):
    """An error that Nextcloud answers as plain JSON ``{"message": ...}`` (groupfolders, CSRF)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def wants_json(request: Request) -> bool:
    """``format=json`` or ``Accept: application/json`` (list_users_accept_json); default XML."""
    fmt = request.query_params.get("format")
    if fmt:
        return fmt == "json"
    return "application/json" in request.headers.get("accept", "")


def is_v2(request: Request) -> bool:
    return request.url.path.startswith("/ocs/v2.php")


def http_status(statuscode: int, v2: bool) -> int:
    """V1Response/V2Response::getStatus: v1 keeps 200 except 997; v2 maps the OCS code."""
    if statuscode == UNAUTHORISED:
        return 401
    if not v2:
        return 200
    if statuscode in (100, 200):
        return 200
    if statuscode == NOT_FOUND:
        return 404
    if statuscode == SERVER_ERROR or statuscode > 600:
        return 500
    if statuscode < 200:
        return 400
    return statuscode


def ocs(request: Request, data: Any = (), statuscode: int | None = None, message: str = "") -> Response:
    """Build the OCS envelope for this request's version and format."""
    v2 = is_v2(request)
    ok = statuscode is None
    code = (200 if v2 else 100) if ok else statuscode
    meta: dict[str, Any] = {
        "status": "ok" if ok else "failure",
        "statuscode": code,
        "message": "OK" if ok else message,
    }
    if not v2:
        meta.update(totalitems="", itemsperpage="")
    body = {"ocs": {"meta": meta, "data": [] if data == () else data}}
    status = http_status(code, v2)  # type: ignore[arg-type]
    headers = {"WWW-Authenticate": 'Basic realm="Authorisation Required"'} if status == 401 else None
    if wants_json(request):
        return JSONResponse(body, status, headers=headers, media_type="application/json; charset=utf-8")
    return Response(to_xml(body), status, headers=headers, media_type="application/xml; charset=utf-8")


def to_xml(body: dict[str, Any]) -> bytes:
    root = etree.Element("ocs")
    _fill(root, body["ocs"])
    etree.indent(root, space=" ")
    return XML_HEAD + etree.tostring(root, encoding="utf-8") + b"\n"


def _fill(parent: etree._Element, value: Any) -> None:
    items = enumerate(value) if isinstance(value, list) else value.items()
    for key, item in items:
        if isinstance(key, str) and key.startswith("@"):
            parent.set(key[1:], _scalar(item))
            continue
        tag = "element" if isinstance(key, int) or str(key).isdigit() else str(key)
        child = etree.SubElement(parent, tag)
        if isinstance(item, dict | list):
            _fill(child, item)
        elif item is not None:
            child.text = _scalar(item)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def plain_error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status, media_type="application/json; charset=utf-8")


@dataclass(frozen=True)
class Caller:
    """Who the request runs as. ``failed`` means credentials were sent and refused."""

    user: str | None = None
    via: str = ""  # "basic" | "app_api" | "session" | ""
    failed: str = ""  # "" | "basic" | "app_api"


def appapi_user(request: Request, state: State, app_id: str, secret: str) -> tuple[bool, str | None]:
    """AppAPIService::validateExAppRequestToNC: (valid, user or None for an empty user id)."""
    raw = request.headers.get("authorization-app-api", "")
    try:
        decoded = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False, None
    uid, sep, given = decoded.partition(":")
    valid = (
        bool(sep)
        and given == secret
        and request.headers.get("ex-app-id") == app_id
        and bool(request.headers.get("ex-app-version"))
        and (state.exapp.enabled or request.url.path.endswith("/ex-app/status"))
    )
    if not valid or (uid and uid not in state.users):
        return False, None
    return True, uid or None


def basic_user(request: Request, state: State) -> str | None | bool:
    """The basic-auth user, None without basic auth, False for a wrong password or unknown user."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        uid, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user = state.users.get(uid)
    return uid if user and password == user.password else False


def session_user(request: Request, state: State) -> str | None:
    session = state.sessions.get(request.cookies.get("nc_session_id", ""))
    return session[0] if session else None


def caller(request: Request, state: State, app_id: str, secret: str) -> Caller:
    """base.php handleLogin order: AppAPI headers, then basic auth, then the session cookie."""
    if "authorization-app-api" in request.headers:
        valid, uid = appapi_user(request, state, app_id, secret)
        return Caller(uid, "app_api") if valid else Caller(None, "app_api", "app_api")
    basic = basic_user(request, state)
    if basic is False:
        return Caller(None, "basic", "basic")
    if isinstance(basic, str):
        return Caller(basic, "basic")
    uid = session_user(request, state)
    return Caller(uid, "session") if uid else Caller()


def passes_csrf(request: Request, state: State) -> bool:
    """SecurityMiddleware: OCS-APIRequest header, or the session's requesttoken (Request.php)."""
    if request.headers.get("ocs-apirequest", "").lower() == "true":
        return True
    session = state.sessions.get(request.cookies.get("nc_session_id", ""))
    return bool(session) and request.headers.get("requesttoken") == session[1]  # type: ignore[index]


def require_user(request: Request, who: Caller, state: State) -> str:
    """A normal (non-public) OCS route: CSRF first, then a logged-in user (else 401/997)."""
    if who.failed == "basic":
        raise OcsError(UNAUTHORISED, "Unauthorised")
    if who.user is None:
        raise OcsError(UNAUTHORISED, "Current user is not logged in")
    if not passes_csrf(request, state):
        raise PlainError(412, "CSRF check failed")
    return who.user


async def params(request: Request) -> dict[str, Any]:
    """Request parameters as AppFramework merges them: query, then form or JSON body."""
    merged: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    ctype = request.headers.get("content-type", "")
    if body and "json" in ctype:
        try:
            loaded = json.loads(body)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            merged.update(loaded)
    elif body and "x-www-form-urlencoded" in ctype:
        merged.update((await request.form()).items())
    return merged


def route(kind: str = "user"):  # type: ignore[no-untyped-def]
    """Wrap an OCS handler: authenticate as the route's attribute says, render OCS/plain errors.

    kind "user": a normal route (CSRF + logged-in user; handler gets the uid);
    "appapi": ``#[AppAPIAuth]`` (app_api lib/Middleware/AppAPIAuthMiddleware.php; handler gets the Caller);
    "public": ``#[PublicPage]`` (handler gets the Caller).
    """

    def wrap(handler):  # type: ignore[no-untyped-def]
        async def endpoint(request: Request) -> Response:
            s = request.app.state.standin
            try:
                who = caller(request, s, s.app_id, s.app_secret)
                if kind == "appapi":
                    if who.via != "app_api" or who.failed:
                        raise OcsError(UNAUTHORISED, "AppAPI authentication failed")
                    return await handler(request, s, who)
                if kind == "public":
                    return await handler(request, s, who)
                return await handler(request, s, require_user(request, who, s))
            except OcsError as err:
                return ocs(request, err.data, err.statuscode, err.message)
            except PlainError as err:
                return plain_error(err.status, err.message)

        endpoint.__doc__ = handler.__doc__
        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


def paginate(items: list[Any], query: dict[str, Any]) -> list[Any]:
    """``offset``/``limit`` as the provisioning and groupfolders controllers apply them."""
    offset = int(query.get("offset") or 0)
    limit = query.get("limit")
    end = offset + int(limit) if limit not in (None, "") and int(limit) > 0 else None
    return items[offset:end]
