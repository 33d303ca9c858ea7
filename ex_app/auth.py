"""AppAPI authentication of every request, checked here so that nothing secret is ever printed or logged.

nc_py_api's ``AppAPIAuthMiddleware`` calls ``NcSessionAppBasic.sign_check`` (nc_py_api/_session.py),
whose refusal reads ``Invalid App secret:<sent> != <the real secret>`` and which
``_request_sign_check`` (nc_py_api/ex_app/integration_fastapi.py) prints to stdout: anyone reaching
the port could write the app secret into the logs (issue 13.3). The checks are the same as
``sign_check``'s, the answers the same as the middleware's (401 ``Unauthorized``, /heartbeat open):

* ``EX-APP-ID``, ``EX-APP-VERSION`` and ``AUTHORIZATION-APP-API`` are present;
* ``EX-APP-ID`` is this app's id;
* ``AUTHORIZATION-APP-API`` is base64 of ``<user>:<app secret>`` (nc_py_api/_misc.py
  ``get_username_secret_from_headers``; the user is empty for calls made by AppAPI itself), the
  secret compared in constant time.

A refusal is logged with its reason only, never a header's value.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"heartbeat"})  # as nc_py_api: AppAPI's health check carries no signature
# AppAPI's own calls: always with an empty user (app_api AppAPIService::enableExApp
# ``requestToExApp($exApp, '/enabled?enabled=1', null, 'PUT')``; exapp_incoming.json incoming_01, 03, 12, 14).
# A Nextcloud user there did not come from AppAPI: refused (tests/http/test_route_policy.py).
APPAPI_ONLY_PATHS = frozenset({"init", "enabled"})


class Refused(Exception):
    """Why a request is not AppAPI's: a reason safe to log (no header value in it)."""


def authenticated_user(headers: Headers, app_id: str, app_secret: str) -> str:
    """The Nextcloud user AppAPI calls for ("" for AppAPI itself); :class:`Refused` if not AppAPI."""
    sent_id = headers.get("ex-app-id", "")
    authorization = headers.get("authorization-app-api", "")
    if not sent_id or not headers.get("ex-app-version") or not authorization:
        raise Refused("missing AppAPI headers")
    if not hmac.compare_digest(sent_id.encode(), app_id.encode()):
        raise Refused("another app id")
    try:
        user, colon, secret = base64.b64decode(authorization, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Refused("malformed AUTHORIZATION-APP-API") from None
    if not colon or not app_secret or not hmac.compare_digest(secret.encode(), app_secret.encode()):
        raise Refused("wrong app secret")
    return user


class AppAPIAuth:
    """Pure ASGI middleware: sets ``scope["username"]`` or answers 401, as nc_py_api's does.

    The app id and secret come from the app's Settings (``app.state.gov.settings``, built once).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].lstrip("/") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.gov.settings
        try:
            scope["username"] = authenticated_user(Headers(scope=scope), settings.app_id, settings.app_secret)
        except Refused as why:
            log.info("refused a request to %s: %s", scope["path"], why)
            await PlainTextResponse("Unauthorized", status_code=401)(scope, receive, send)
            return
        if scope["username"] and scope["path"].strip("/") in APPAPI_ONLY_PATHS:
            log.info("refused a request to %s: a user on a call of AppAPI's own", scope["path"])
            await PlainTextResponse("Forbidden", status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
