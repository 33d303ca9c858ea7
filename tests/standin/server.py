"""StandIn: the Nextcloud stand-in server (Starlette app run by uvicorn in a background thread).

Lifecycle calls to the ExApp follow nextcloud/app_api lib/Service/AppAPIService.php (heartbeatExApp,
dispatchExAppInitInternal, enableExApp/disableExApp) as recorded in fixtures/exapp_incoming.json.
The proxy's routes are the ones the ExApp registers (its appinfo/info.xml, read as AppAPI reads it,
tests/standin/routes.py), matched the way the chosen app_api version matches them.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response

from tests.standin import appapi, browser, dav, groupfolders, provisioning
from tests.standin.routes import MATCHERS, Route, routes_from_info_xml
from tests.standin.state import State

logger = logging.getLogger(__name__)
CRAWLER = "Nextcloud Server Crawler"
# The app under test: its routes are what the stand-in's AppAPI has registered.
APP_INFO_XML = Path(__file__).resolve().parents[2] / "appinfo" / "info.xml"


class StandInError(RuntimeError):
    """The ExApp answered a lifecycle call with an error (AppAPI would disable it)."""


FAULT_MODES = ("500", "503", "timeout", "drop", "malformed", "ocs_error")
BODIES = {
    # The start of a recorded OCS answer (fixtures/groupfolders_api.json add_group_json), cut short.
    "malformed": '{"ocs":{"meta":{"status":"ok","statuscode":100,"message":"OK","totalitems":"","ite',
    # Nextcloud failing inside an OCS call answered 200 (fixtures/notifications.json
    # appapi_create_notification_no_user_json; groupfolders answers its errors in 200 too:
    # fixtures/groupfolders_api.json create_folder_non_admin_json).
    "ocs_error": '{"ocs":{"meta":{"status":"failure","statuscode":996,"message":"Internal Server Error\\n",'
    '"totalitems":"","itemsperpage":""},"data":[]}}',
}


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    mode: str
    times: int


class StandIn(State):
    """A Nextcloud 32.0.1 + AppAPI + groupfolders + notifications stand-in for tests and ``make run``."""

    def __init__(
        self,
        app_id: str = "governance",
        app_secret: str = "standin-secret",
        app_version: str = "1.0.0",
        exapp_url: str | None = None,
        menu_name: str = "main",
        app_api: str = "32.0.0",
        info_xml: Path | None = APP_INFO_XML,
    ) -> None:
        """``app_api`` picks the proxy route matcher: "32.0.0" (what a stock Nextcloud 32.0.1 ships) or
        "32.0.10" (v32.0.10+, v33.0.4+, 34, main). ``info_xml``: the ExApp's appinfo/info.xml, whose routes
        AppAPI registers (None: no routes, so the proxy answers 404 until a test sets ``proxy_routes``)."""
        super().__init__()
        if app_api not in MATCHERS:
            raise ValueError(f"unknown app_api {app_api!r}; choose one of {MATCHERS}")
        self.app_id, self.app_secret, self.app_version = app_id, app_secret, app_version
        self.exapp_url, self.menu_name = exapp_url, menu_name
        self.app_api, self.info_xml = app_api, info_xml
        # Without an ExApp to register, behave as an installation where the app is already enabled.
        self.exapp.enabled = exapp_url is None
        self.proxy_routes: list[Route] = routes_from_info_xml(info_xml) if info_xml else []
        self.calls: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.timeout_sleep = 5.0
        self.latency = 0.0  # seconds each call waits before its answer (make bench: a real server's 40 ms)
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # seeding
    def add_user(  # type: ignore[override]
        self, uid: str, display_name: str | None = None, email: str | None = None, admin: bool = False
    ) -> Any:
        user = super().add_user(uid, display_name, email)
        if admin:
            self.add_group("admin", uid)
        return user

    def add_group(self, gid: str, *members: str, display_name: str | None = None) -> None:  # type: ignore[override]
        super().add_group(gid, tuple(members), display_name)

    # call counting and fault injection
    def reset_calls(self) -> None:
        self.calls.clear()

    def fail(self, method: str, path_regex: str, mode: str = "500", times: int = 1) -> None:
        """Make the next ``times`` matching requests fail before Nextcloud handles them: "500", "503",
        "timeout", "drop", "malformed" (a 200 whose JSON body is cut short) or "ocs_error" (a 200
        carrying an OCS failure, as fixtures/notifications.json appapi_create_notification_no_user_json)."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        self.faults.append(Fault(method.upper(), re.compile(path_regex), mode, times))

    def _take_fault(self, method: str, path: str) -> str | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method in (method, "*") and fault.pattern.search(path):
                fault.times -= 1
                return fault.mode
        return None

    # the ASGI application
    def _build_app(self) -> Starlette:
        routes = [*provisioning.routes(), *appapi.routes(), *groupfolders.routes(), *dav.routes()]
        app = Starlette(routes=[*routes, *browser.routes()], exception_handlers={404: browser.html_not_found})
        app.state.standin = self
        return app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:  # type: ignore[type-arg]
        """Outermost ASGI layer: record the call, inject faults, then run the routes."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.calls.append((scope["method"], scope["path"]))
        if self.latency:
            await asyncio.sleep(self.latency)
        mode = self._take_fault(scope["method"], scope["path"])
        if mode is None:
            return await self.app(scope, receive, send)
        logger.info("stand-in fault %s on %s %s", mode, scope["method"], scope["path"])
        if mode == "drop":
            return _drop(send)
        if mode == "timeout":
            await asyncio.sleep(self.timeout_sleep)
            mode = "504"
        if mode in BODIES:
            body = BODIES[mode]
            return await Response(body, 200, media_type="application/json; charset=utf-8")(
                scope, receive, send
            )
        response = PlainTextResponse(f"stand-in fault {mode}", int(mode))
        return await response(scope, receive, send)

    # running
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        config = uvicorn.Config(self, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the stand-in did not start")
            time.sleep(0.01)
        self.url = f"http://{host}:{sock.getsockname()[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    # AppAPI → ExApp lifecycle
    def _lifecycle_headers(self, language: bool) -> dict[str, str]:
        token = base64.b64encode(f":{self.app_secret}".encode()).decode()
        headers = {
            "aa-version": appapi.APPAPI_VERSION,
            "ex-app-id": self.app_id,
            "ex-app-version": self.app_version,
            "authorization-app-api": token,
            "aa-request-id": "CLI",
            "user-agent": CRAWLER,
        }
        if language:
            headers["accept-language"] = "en"
        return headers

    async def _heartbeat(self, client: httpx.AsyncClient) -> None:
        headers = {"accept": "application/json", "content-type": "application/json", "user-agent": CRAWLER}
        answer = await client.get("/heartbeat", headers=headers, timeout=3)
        if answer.status_code != 200 or answer.json().get("status") != "ok":
            raise StandInError(f"heartbeat failed: {answer.status_code} {answer.text}")

    async def _set_enabled(self, client: httpx.AsyncClient, enabled: bool) -> None:
        answer = await client.put(
            "/enabled",
            params={"enabled": "1" if enabled else "0"},
            headers=self._lifecycle_headers(language=True),
            content=b"",
            timeout=60,
        )
        error = answer.json().get("error", "") if answer.status_code == 200 else answer.text
        if error:
            raise StandInError(f"/enabled?enabled={int(enabled)} failed: {error}")

    async def register_exapp(self, init_timeout: float = 30.0) -> None:
        """heartbeat → POST /init → wait for progress 100 → heartbeat → PUT /enabled?enabled=1."""
        if not self.exapp_url:
            raise StandInError("no exapp_url to register")
        if self.info_xml:  # ExAppService::registerExApp stores the routes of the info.xml registered
            self.proxy_routes = routes_from_info_xml(self.info_xml)
        self.exapp.enabled, self.exapp.progress, self.exapp.error = False, 0, ""
        async with httpx.AsyncClient(base_url=self.exapp_url) as client:
            await self._heartbeat(client)
            init = await client.post("/init", headers=self._lifecycle_headers(False), content=b"", timeout=3)
            if init.status_code in (404, 501):
                self.exapp.progress = 100  # dispatchExAppInitInternal: no /init means "done"
            elif init.status_code >= 400:
                raise StandInError(f"/init failed: {init.status_code} {init.text}")
            await self._wait_for_init(init_timeout)
            await self._heartbeat(client)
            self.exapp.enabled = True
            try:
                await self._set_enabled(client, True)
            except StandInError:
                self.exapp.enabled = False
                raise

    async def _wait_for_init(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.exapp.progress < 100:
            if self.exapp.error:
                raise StandInError(f"init failed: {self.exapp.error}")
            if time.monotonic() > deadline:
                raise StandInError(f"init stuck at {self.exapp.progress}%")
            await asyncio.sleep(0.02)
        if self.exapp.error:
            raise StandInError(f"init failed: {self.exapp.error}")

    async def enable_exapp(self) -> None:
        """``occ app_api:app:enable``: heartbeat + PUT /enabled?enabled=1 (incoming_13, incoming_14)."""
        async with httpx.AsyncClient(base_url=str(self.exapp_url)) as client:
            await self._heartbeat(client)
            self.exapp.enabled = True
            await self._set_enabled(client, True)

    async def disable_exapp(self) -> None:
        """``occ app_api:app:disable``: PUT /enabled?enabled=0, then the app counts as disabled."""
        async with httpx.AsyncClient(base_url=str(self.exapp_url)) as client:
            try:
                await self._set_enabled(client, False)
            finally:
                self.exapp.enabled = False


def _drop(send: Any) -> str:
    """Close the connection without a response (uvicorn's cycle object owns the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.close()
        cycle.disconnected = True  # type: ignore[union-attr]
        return None  # type: ignore[return-value]
    return "drop"  # uvicorn closes the transport when the app returns a value
