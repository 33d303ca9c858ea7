"""AppAPI OCS routes (UI registration, init status, notifications), the notifications app, capabilities.

Shapes from fixtures/appapi_ui_and_proxy.json, notifications.json, notifications_links_click.json and
exapp_incoming.json (outgoing_exapp_requests); upstream nextcloud/app_api appinfo/routes.php,
lib/Controller/OCSUiController.php, lib/Controller/NotificationsController.php,
lib/Notifications/ExAppNotifier.php; nextcloud/notifications lib/Controller/EndpointController.php;
capabilities: nextcloud/server core/Controller/OCSController.php getCapabilities,
app_api lib/Capabilities.php, notifications lib/Capabilities.php.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.standin.ocs import NOT_FOUND, SERVER_ERROR, Caller, OcsError, ocs, params, route
from tests.standin.state import Notification, State

APPAPI = "/apps/app_api"
VERSION = {"major": 32, "minor": 0, "micro": 1, "string": "32.0.1", "edition": "", "extendedSupport": False}
APPAPI_VERSION = "32.0.0"
NOTIFICATION_ENDPOINTS = [
    "list", "get", "delete", "delete-all", "icons", "rich-strings", "action-web",
    "user-status", "exists", "test-push", "list-filter", "snooze",
]  # fmt: skip
# Which stored record each UI kind is keyed by, and the fields of its OCS representation.
UI_KINDS = {
    "scripts": (("type", "name", "path"), "No such ExApp script"),
    "styles": (("type", "name", "path"), "No such ExApp style"),
    "initial_states": (("type", "name", "key"), "No such Initial State"),
}


def php_json(value: Any) -> str:
    """PHP json_encode: compact, ASCII, slashes escaped (how AppAPI stores initial states)."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


@route("public")
async def capabilities(request: Request, s: State, who: Caller) -> Response:
    """GET /cloud/capabilities: what nc_py_api requires before ``nc.ui``/``nc.notifications`` calls.

    A disabled app declares nothing: apps register their Capabilities class in their Application's
    ``register`` (notifications lib/AppInfo/Application.php), which the server runs for enabled apps
    only (server lib/private/AppFramework/Bootstrap/Coordinator.php ``runInitialRegistration``).
    """
    found = {
        "core": {
            "pollinterval": 60,
            "webdav-root": "remote.php/webdav",
            "mod-rewrite-working": False,
        },
        "app_api": {"loglevel": 2, "version": APPAPI_VERSION},
        "notifications": {
            "ocs-endpoints": NOTIFICATION_ENDPOINTS,
            "push": ["devices", "object-data", "delete"],
            "admin-notifications": ["ocs", "cli"],
        },
    }
    kept = {app: caps for app, caps in found.items() if app not in s.disabled_apps}
    return ocs(request, {"version": VERSION, "capabilities": kept})


@route("appapi")
async def init_status(request: Request, s: State, who: Caller) -> Response:
    """PUT /ex-app/status ``{"progress", "error"}`` (exapp_incoming.json outgoing_exapp_requests)."""
    body = await params(request)
    s.exapp.progress = int(body.get("progress", 0))
    s.exapp.error = str(body.get("error") or "")
    return ocs(request)


@route("appapi")
async def top_menu(request: Request, s: State, who: Caller) -> Response:
    """POST/GET/DELETE /api/v1/ui/top-menu (register_top_menu_json, get_top_menu_*)."""
    body = await params(request)
    name = str(body.get("name", ""))
    menus = s.ui["top_menu"]
    if request.method == "POST":
        old = menus.get(name, {})
        menus[name] = {
            "id": old.get("id") or next(s.ui_ids["top_menu"]),
            "appid": s.app_id,  # type: ignore[attr-defined]
            "name": name,
            "display_name": str(body.get("displayName", "")),
            "icon": str(body.get("icon", "")),
            "admin_required": int(body.get("adminRequired") or 0),
        }
        return ocs(request)
    if name not in menus:
        raise OcsError(404, "No such Top Menu entry")
    if request.method == "DELETE":
        del menus[name]
        return ocs(request)
    return ocs(request, menus[name])


def ui_resource(kind: str):  # type: ignore[no-untyped-def]
    """POST/GET/DELETE /api/v1/ui/{script,style,initial-state} (register_script_json, get_script_json...)."""
    fields, missing = UI_KINDS[kind]

    @route("appapi")
    async def handler(request: Request, s: State, who: Caller) -> Response:
        body = await params(request)
        key = tuple(str(body.get(f, "")) for f in fields)
        store = s.ui[kind]
        if request.method == "POST":
            record = {"id": store.get(key, {}).get("id") or next(s.ui_ids[kind]), "appid": s.app_id}  # type: ignore[attr-defined]
            record.update(zip(fields, key, strict=True))
            if kind == "scripts":
                record["after_app_id"] = str(body.get("afterAppId", ""))
            if kind == "initial_states":
                record["value"] = php_json(body.get("value"))
            store[key] = record
            return ocs(request)
        if key not in store:
            raise OcsError(404, missing)
        if request.method == "DELETE":
            del store[key]
            return ocs(request)
        return ocs(request, store[key])

    handler.__name__ = f"ui_{kind}"
    return handler


@route("appapi")
async def send_notification(request: Request, s: State, who: Caller) -> Response:
    """POST /api/v1/notification: the target is the AppAPI user; no user/params → 996 (notifications.json)."""
    body = await params(request)
    given = body.get("params") if isinstance(body.get("params"), dict) else {}
    if who.user is None or not all(given.get(k) for k in ("object", "object_id", "subject_type")):
        raise OcsError(SERVER_ERROR, "Internal Server Error\n")
    note = s.add_notification(  # type: ignore[attr-defined]
        user=who.user,
        app=s.app_id,  # type: ignore[attr-defined]
        object_type=str(given["object"]),
        object_id=str(given["object_id"]),
        subject_type=str(given["subject_type"]),
        subject_params=dict(given.get("subject_params") or {}),
    )
    data = {
        "app": note.app,
        "user": note.user,
        "datetime": note.datetime,
        "object_type": note.object_type,
        "object_id": note.object_id,
    }
    return ocs(request, {**data, "subject": "", "message": "", "link": "", "icon": ""})


def notification_data(request: Request, note: Notification) -> dict[str, Any]:
    """As the notifications app renders an ExApp notification (ExAppNotifier::prepare; actions always [])."""
    base = str(request.base_url).rstrip("/")
    return {
        "notification_id": note.id,
        "app": note.app,
        "user": note.user,
        "datetime": note.datetime,
        "object_type": note.object_type,
        "object_id": note.object_id,
        "subject": note.subject,
        "message": note.message,
        "link": note.link,
        "subjectRich": note.rich_subject,
        "subjectRichParameters": note.rich_subject_params or [],
        "messageRich": note.rich_message,
        "messageRichParameters": note.rich_message_params or [],
        "icon": f"{base}{APPAPI}/img/app-dark.svg",
        "shouldNotify": True,
        "actions": [],
    }


@route()
async def list_notifications(request: Request, s: State, uid: str) -> Response:
    """GET /api/v2/notifications (list_notifications_*): newest first."""
    mine = [n for n in reversed(s.notifications) if n.user == uid]
    if request.method == "DELETE":
        s.notifications[:] = [n for n in s.notifications if n.user != uid]
        return ocs(request)
    return ocs(request, [notification_data(request, n) for n in mine])


@route()
async def one_notification(request: Request, s: State, uid: str) -> Response:
    """GET/DELETE /api/v2/notifications/{id} (get_notification_*, delete_notification_*)."""
    note = s.notification(request.path_params["id"])  # type: ignore[attr-defined]
    if request.method == "DELETE":
        if note is not None and note.user == uid:
            s.notifications.remove(note)
        return ocs(request)
    if note is None or note.user != uid:
        raise OcsError(404, "", None)
    return ocs(request, notification_data(request, note))


def routes() -> list[Route]:
    table = [
        ("/cloud/capabilities", capabilities, ["GET"]),
        (APPAPI + "/ex-app/status", init_status, ["PUT"]),
        (APPAPI + "/api/v1/ui/top-menu", top_menu, ["GET", "POST", "DELETE"]),
        (APPAPI + "/api/v1/ui/script", ui_resource("scripts"), ["GET", "POST", "DELETE"]),
        (APPAPI + "/api/v1/ui/style", ui_resource("styles"), ["GET", "POST", "DELETE"]),
        (APPAPI + "/api/v1/ui/initial-state", ui_resource("initial_states"), ["GET", "POST", "DELETE"]),
        (APPAPI + "/api/v1/notification", send_notification, ["POST"]),
        ("/apps/notifications/api/v2/notifications", list_notifications, ["GET", "DELETE"]),
        ("/apps/notifications/api/v2/notifications/{id:int}", one_notification, ["GET", "DELETE"]),
    ]
    found = [
        Route(prefix + path, fn, methods=methods)
        for prefix in ("/ocs/v1.php", "/ocs/v2.php")
        for path, fn, methods in table
    ]
    return found + [Route("/ocs/{rest:path}", unknown_ocs, methods=["GET", "POST", "PUT", "DELETE"])]


async def unknown_ocs(request: Request) -> Response:
    """Any other OCS path: 998 ``Invalid query`` (list_folders_ocs_v2_prefix_json)."""
    text = (
        "Invalid query, please check the syntax. API specifications are here: "
        "http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.\n"
    )
    return ocs(request, [], NOT_FOUND, text)
