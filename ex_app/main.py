"""The ExApp process: FastAPI app built on nc_py_api's lifecycle (set_handlers) and AppAPI auth."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from nc_py_api.ex_app import set_handlers
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from lib.core.errors import GovernanceError
from lib.core.ports import Gateway
from lib.i18n import error_text, gettext, pick_language
from lib.nextcloud.factory import gateway_from_settings
from lib.services.context import Context
from lib.services.governance import Governance
from lib.settings import Settings
from lib.store.audit_repo import SqlAuditLog
from lib.store.db import make_engine, migrate
from lib.store.journal import SqlJournal
from lib.store.org_repo import OrgRepository
from lib.store.readings_repo import SqlReadings
from lib.store.requests_repo import RequestRepository
from lib.store.unit import unit_of_work

from .auth import AppAPIAuth
from .deps import Caller, CallerDep, get_caller
from .errors import status_for
from .lifecycle import make_enabled_handler
from .log_filters import redact_server_logs
from .render import render
from .routes import audit, matrix, organisation, pages, requests, setup, stats

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
STATIC = ("js", "l10n", "css", "img")  # nc_py_api integration_fastapi.__map_app_static_folders


def export_for_nc_py_api(settings: Settings) -> None:
    """nc_py_api reads its configuration from the environment (nc_py_api/_session.py BasicConfig)."""
    os.environ.update(
        {
            "APP_ID": settings.app_id,
            "APP_SECRET": settings.app_secret,
            "APP_VERSION": settings.app_version,
            "NEXTCLOUD_URL": settings.nextcloud_url,
        }
    )


def default_gateway(settings: Settings) -> Gateway:
    return gateway_from_settings(settings)


def build(
    settings: Settings,
    gateway_factory: Callable[[Settings], Gateway] = default_gateway,
    engine: Engine | None = None,
    today: Callable[[], date] = date.today,
) -> Governance:
    """The container: the concrete stores on one engine and the Nextcloud gateway, handed to the
    services (lib/services/context.py); nothing else in the app makes a store or a gateway."""
    engine = engine or make_engine(settings.db_url)
    orgs = OrgRepository(engine)
    ctx = Context(
        settings=settings,
        orgs=orgs,
        audit=SqlAuditLog(engine),
        journal=SqlJournal(engine),
        request_store=RequestRepository(engine),
        reading_store=SqlReadings(engine),
        gateway_factory=gateway_factory,
        unit=lambda: unit_of_work(engine),
        version_and_waiting=lambda states: orgs.version_and(RequestRepository.count_query(states)),
        migrate=lambda: migrate(engine),
        today=today,
    )
    return Governance(ctx, engine)


def create_app(
    settings: Settings,
    gateway_factory: Callable[[Settings], Gateway] = default_gateway,
    governance: Governance | None = None,
    migrated: bool = False,
) -> FastAPI:
    """Build the ASGI app; nothing touches the database or Nextcloud until start-up.

    ``migrated``: the parent process of several workers ran the migrations already (two workers
    migrating one database at once would race).
    """
    export_for_nc_py_api(settings)
    redact_server_logs()  # decision-link tokens never reach the access log
    gov = governance or build(settings, gateway_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not migrated:
            gov.migrate()
        await gov.start_background()
        yield
        await gov.stop_background()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.gov = gov
    app.add_middleware(AppAPIAuth)
    set_handlers(app, make_enabled_handler(gov), map_app_static=False)
    for folder in STATIC:  # what set_handlers would mount from the working directory, from ours
        app.mount(f"/{folder}", StaticFiles(directory=ROOT / folder), name=folder)
    app.include_router(pages.router)
    app.include_router(requests.router)
    for module in (matrix, audit, organisation, stats, setup):
        app.include_router(module.router)
    _serve_api_schema(app)
    _install_error_handlers(app)
    return app


API_SCHEMA_PATH = "/api/openapi.json"


def api_schema(app: FastAPI) -> dict[str, Any]:
    """OpenAPI of the JSON/CSV API (``/api/*``) only: the pages are htmx fragments, not an API."""
    routes = [r for r in iter_route_contexts(app.routes) if (r.path or "").startswith("/api/")]
    version = app.state.gov.settings.app_version
    return get_openapi(title="Governance API", version=version, routes=routes)


def _serve_api_schema(app: FastAPI) -> None:
    """Served behind AppAPI auth (the middleware) to a logged-in Nextcloud user only, never on a
    public route: FastAPI's own ``openapi_url`` stays off (issue 13, "served to authenticated users")."""
    cached: list[dict[str, Any]] = []

    @app.get(API_SCHEMA_PATH, include_in_schema=False)
    async def openapi_schema(caller: CallerDep) -> JSONResponse:
        if not cached:
            cached.append(api_schema(app))
        return JSONResponse(cached[0])


def _lang(request: Request) -> str:
    return pick_language(request.headers.get("x-governance-lang"), request.headers.get("accept-language"))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GovernanceError)
    async def domain_error(request: Request, exc: GovernanceError) -> Response:
        status = status_for(exc)
        page = await _message_page(request, status, lambda caller: error_text(caller.lang, exc))
        return page or JSONResponse({"error": error_text(_lang(request), exc)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        page = await _message_page(request, exc.status_code, lambda caller: _http_message(caller, exc))
        if page is not None:
            return page
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> PlainTextResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return PlainTextResponse(gettext(_lang(request), "Something went wrong; nothing was changed."), 500)


def _http_message(caller: Caller, exc: StarletteHTTPException) -> str:
    """The route's own sentence (routes raise translated details), else one for the status."""
    if exc.status_code == 404 and exc.detail in ("Not Found", None, ""):
        return caller._("This page does not exist.")
    if exc.status_code == 405:
        return caller._("This page does not exist.")
    return str(exc.detail)


async def _message_page(
    request: Request, status: int, message: Callable[[Caller], str]
) -> HTMLResponse | None:
    """A refusal on a page of the app (``/ui/...``, htmx): a page in the app's frame that says what
    happened and links back to the working groups, in the reader's language. ``None`` where there
    is no page to show (JSON callers, no Nextcloud user, the notification landing pages)."""
    if status not in (403, 404, 405, 409, 422) or not request.url.path.startswith("/ui/"):
        return None
    if "application/json" in request.headers.get("accept", ""):
        return None
    try:
        caller = await get_caller(request, request.app.state.gov)
    except StarletteHTTPException:
        return None
    return render(caller, "message.html", "", status=status, message=message(caller), refusal=status)


def worker_app() -> FastAPI:
    """What each uvicorn worker process serves (``run`` migrated the database before starting them)."""
    _quiet_logs()
    return create_app(Settings(), migrated=True)


def _quiet_logs() -> None:
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run() -> None:
    """Migrate once, then serve with ``APP_WORKERS`` processes (default: one per core, at most 4).

    Each worker keeps its own caches and reading of Nextcloud; what must happen once (expiry,
    resuming an interrupted apply) takes a lease in the database (lib/services/background.py).
    """
    import uvicorn

    _quiet_logs()
    settings = Settings()
    parent = build(settings)
    parent.migrate()
    parent.engine.dispose()
    host, port = settings.app_host, settings.app_port
    if settings.app_workers == 1:
        uvicorn.run(create_app(settings, migrated=True), host=host, port=port, log_level="info")
    else:
        # A worker still importing on a busy machine missed uvicorn's 5 s health check and was
        # killed at every start (seen on a real Nextcloud at load 7-13; the proxy answered 500).
        uvicorn.run("ex_app.main:worker_app", factory=True, workers=settings.app_workers,
                    host=host, port=port, log_level="info", timeout_worker_healthcheck=30)  # fmt: skip


if __name__ == "__main__":  # pragma: no cover
    run()
