"""AppAPI authentication of every request: nc_py_api's middleware, without its per-request client.

``nc_py_api.ex_app.integration_fastapi.AppAPIAuthMiddleware`` builds a new ``AsyncNextcloudApp``
(configuration, two HTTP sessions) for every request only to call ``sign_check``, which reads
nothing but the configuration (nc_py_api/_session.py ``NcSessionAppBasic.sign_check``: app id and
secret against the EX-APP-ID and AUTHORIZATION-APP-API headers). That costs about 1.2 ms a
request; this subclass builds one for the process and keeps nc_py_api's checks and answers.
"""

from __future__ import annotations

from functools import cached_property

from nc_py_api import AsyncNextcloudApp
from nc_py_api.ex_app import AppAPIAuthMiddleware
from nc_py_api.ex_app.integration_fastapi import _request_sign_check
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send


class AppAPIAuth(AppAPIAuthMiddleware):  # type: ignore[misc]  # nc_py_api ships no stubs
    @cached_property
    def _nc(self) -> AsyncNextcloudApp:
        return AsyncNextcloudApp()  # after create_app exported the settings to the environment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").lstrip("/") != "heartbeat":  # as nc_py_api: the only open route
            try:
                scope["username"] = _request_sign_check(HTTPConnection(scope), self._nc)
            except HTTPException as exc:
                await self._on_error(exc.status_code, exc.detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)
