"""Team folders REST API under /index.php/apps/groupfolders (OCS v1 envelope, plain-JSON errors).

Shapes from fixtures/groupfolders_api.json; upstream nextcloud/groupfolders v20.1.18
lib/Controller/FolderController.php (folderDataForXML), lib/AuthorizedAdminSettingMiddleware.php
(controller exceptions become ``{"message": ...}``; non-admins get OCS 403 with HTTP 200).
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.standin.dav import can_manage
from tests.standin.ocs import OcsError, PlainError, ocs, paginate, params, route, wants_json
from tests.standin.state import ALL_PERMISSIONS, Folder, State

BASE = "/index.php/apps/groupfolders"
NOT_ADMIN = "Logged in user must be an admin, a sub admin or gotten special right to access this setting"
ORDER_KEYS = {
    "mount_point": lambda f: f.mount_point.lower(),
    "quota": lambda f: f.quota,
    "groups": lambda f: len(f.groups),
    "acl": lambda f: f.acl,
}


def folder_data(request: Request, s: State, folder: Folder, groups: dict[str, int] | None = None) -> dict:  # type: ignore[type-arg]
    """One folder, JSON or XML flavour (FolderController::formatFolder / folderDataForXML)."""
    groups = dict(sorted((folder.groups if groups is None else groups).items()))
    manage = [
        {"type": kind, "id": mid, "displayname": s.display_name(kind, mid)}
        for kind, mid in (folder.manage if folder.acl else [])
    ]
    data: dict[str, Any] = {
        "id": folder.id,
        "mount_point": folder.mount_point,
        "quota": folder.quota,
        "acl": folder.acl,
        "size": folder.size,
    }
    if not wants_json(request):
        data["groups"] = [
            {"@group_id": g, "@permissions": p, "@display-name": s.group_display(g), "@type": "group"}
            for g, p in groups.items()
        ]
        data["manage"] = manage
        return data
    data["groups"] = groups or []
    data["group_details"] = {
        g: {"displayName": s.group_display(g), "permissions": p, "type": "group"} for g, p in groups.items()
    } or []
    data["manage"] = manage
    return data


def applicable(s: State, folder: Folder, uid: str) -> dict[str, int]:
    """The folder's groups that contain the user (filterNonAdminFolder)."""
    return {g: p for g, p in folder.groups.items() if uid in s.groups.get(g, ())}


def require_admin(s: State, uid: str) -> None:
    """#[RequireGroupFolderAdmin]: admins only here (no delegation in the stand-in)."""
    if not s.is_admin(uid):
        raise OcsError(403, NOT_ADMIN)


def existing(request: Request, s: State) -> Folder:
    folder = s.folders.get(int(request.path_params["id"]))
    if folder is None:
        raise PlainError(404, "Groupfolder not found")
    return folder


def changed(request: Request, s: State, folder: Folder) -> Response:
    return ocs(request, {"success": True, "folder": folder_data(request, s, folder)})


def check_mount_point(s: State, mount: str) -> str:
    mount = mount.strip()
    if not mount:
        raise PlainError(400, "Mount point can not be empty")  # [inferred]
    if s.folder_by_mount(mount) is not None:
        raise PlainError(400, "Mount point already exists")
    return mount


@route()
async def list_folders(request: Request, s: State, uid: str) -> Response:
    """GET /folders (list_folders_*): admins see all; others (or ``applicable=1``) their own."""
    query = dict(request.query_params)
    own = query.get("applicable") in ("1", "true") or not s.is_admin(uid)
    chosen = [(f, applicable(s, f, uid) if own else None) for f in s.folders.values()]
    chosen = [(f, g) for f, g in chosen if g is None or g]
    key = ORDER_KEYS.get(query.get("orderBy", "mount_point"), ORDER_KEYS["mount_point"])
    chosen.sort(key=lambda pair: key(pair[0]), reverse=query.get("order") == "desc")
    data = {}
    for index, (folder, groups) in enumerate(paginate(chosen, query)):
        data[str(folder.id)] = {**folder_data(request, s, folder, groups), "sortIndex": index}
    return ocs(request, data or [])


@route()
async def get_folder(request: Request, s: State, uid: str) -> Response:
    """GET /folders/{id} (get_folder_*, get_folder_unknown_*: plain 404)."""
    folder = existing(request, s)
    if s.is_admin(uid):
        return ocs(request, folder_data(request, s, folder))
    groups = applicable(s, folder, uid)
    if not groups:
        raise PlainError(404, "Groupfolder not found")
    return ocs(request, folder_data(request, s, folder, groups))


@route()
async def create_folder(request: Request, s: State, uid: str) -> Response:
    """POST /folders ``mountpoint`` (create_folder_*): returns the bare folder."""
    require_admin(s, uid)
    mount = check_mount_point(s, str((await params(request)).get("mountpoint", "")))
    return ocs(request, folder_data(request, s, s.new_folder(mount)))


@route()
async def delete_folder(request: Request, s: State, uid: str) -> Response:
    """DELETE /folders/{id} (delete_folder_*)."""
    require_admin(s, uid)
    del s.folders[existing(request, s).id]
    return ocs(request, {"success": True})


@route()
async def add_group(request: Request, s: State, uid: str) -> Response:
    """POST /folders/{id}/groups ``group``: no check that the group exists (add_group_unknown_group_json)."""
    require_admin(s, uid)
    folder = existing(request, s)
    gid = str((await params(request)).get("group", ""))
    if gid in folder.groups:
        raise PlainError(400, "Group already assigned")  # NEXTCLOUD.md §5.1
    folder.groups[gid] = ALL_PERMISSIONS
    return changed(request, s, folder)


@route()
async def set_permissions(request: Request, s: State, uid: str) -> Response:
    """POST /folders/{id}/groups/{group} ``permissions``: a no-op for unattached groups."""
    require_admin(s, uid)
    folder = existing(request, s)
    gid = request.path_params["group"]
    if gid in folder.groups:
        folder.groups[gid] = int((await params(request)).get("permissions", 0))
    return changed(request, s, folder)


@route()
async def remove_group(request: Request, s: State, uid: str) -> Response:
    """DELETE /folders/{id}/groups/{group} (remove_group_*): success even if not attached."""
    require_admin(s, uid)
    folder = existing(request, s)
    folder.groups.pop(request.path_params["group"], None)
    return changed(request, s, folder)


@route()
async def set_acl(request: Request, s: State, uid: str) -> Response:
    """POST /folders/{id}/acl ``acl`` 0/1 (enable_acl_json, disable_acl_json).

    Disabling deletes every ACL-manager mapping of the folder (groupfolders lib/Folder/FolderManager.php
    ``setFolderACL``: ``if ($acl === false) delete from group_folders_manage where folder_id``; seen live
    on 20.1.18: re-enabling gives ``manage: []``); the rules stay (group_folders_acl is not touched).
    """
    require_admin(s, uid)
    folder = existing(request, s)
    folder.acl = str((await params(request)).get("acl", "0")).lower() in ("1", "true")
    if not folder.acl:
        folder.manage = []
    return changed(request, s, folder)


@route()
async def manage_acl(request: Request, s: State, uid: str) -> Response:
    """POST /folders/{id}/manageACL (set_manage_acl_*): insert or delete, no duplicate check."""
    require_admin(s, uid)
    folder = existing(request, s)
    body = await params(request)
    mapping = (str(body.get("mappingType", "")), str(body.get("mappingId", "")))
    if str(body.get("manageAcl", "0")).lower() in ("1", "true"):
        folder.manage.append(mapping)
    else:
        folder.manage = [m for m in folder.manage if m != mapping]
    return changed(request, s, folder)


@route()
async def set_quota(request: Request, s: State, uid: str) -> Response:
    """POST /folders/{id}/quota ``quota`` bytes, -3 unlimited (set_quota_json)."""
    require_admin(s, uid)
    folder = existing(request, s)
    folder.quota = int((await params(request)).get("quota", -3))
    return changed(request, s, folder)


@route()
async def rename(request: Request, s: State, uid: str) -> Response:
    """POST /folders/{id}/mountpoint ``mountpoint`` or PUT /folders/{id} ``mountPoint`` (rename_folder_*)."""
    require_admin(s, uid)
    folder = existing(request, s)
    body = await params(request)
    folder.mount_point = check_mount_point(s, str(body.get("mountpoint", body.get("mountPoint", ""))))
    return changed(request, s, folder)


@route()
async def search(request: Request, s: State, uid: str) -> Response:
    """GET /folders/{id}/search ``search`` (acl_mapping_search_json, groupfolders_acl_mapping_search_*):
    nothing unless the caller can manage the folder's ACL, else the folder's groups and their members
    matching the term (groupfolders v20.1.18 FolderController::aclMappingSearch, FolderManager
    searchGroups/searchUsers: id or display name, case-insensitive)."""
    folder = existing(request, s)
    term = request.query_params.get("search", "").lower()
    users: dict[str, dict[str, str]] = {}
    groups = []
    if can_manage(s, folder, uid):
        for gid in folder.groups:
            if term in gid.lower() or term in s.group_display(gid).lower():
                groups.append({"gid": gid, "displayname": s.group_display(gid)})
            for member in sorted(s.groups.get(gid, ())):
                user = s.users.get(member)
                name = user.display_name if user else member
                if member not in users and (term in member.lower() or term in name.lower()):
                    users[member] = {"uid": member, "displayname": name}
    return ocs(request, {"users": list(users.values()), "groups": groups, "circles": []})


@route()
async def authorized_groups(request: Request, s: State, uid: str) -> Response:
    """GET /delegation/authorized-groups (delegation_authorized_groups_json): none delegated."""
    require_admin(s, uid)
    return ocs(request, [])


def enabled(handler: Any) -> Any:
    """A disabled groupfolders has no routes: Nextcloud answers its 404 page (server
    lib/private/Route/Router.php ``getRoutingFiles``/``loadRoutes``: routes of enabled apps only)."""

    async def endpoint(request: Request) -> Response:
        if "groupfolders" in request.app.state.standin.disabled_apps:
            raise HTTPException(404)  # the stand-in's 404 handler renders Nextcloud's page
        response: Response = await handler(request)
        return response

    return endpoint


def routes() -> list[Route]:
    table = [
        ("/folders", list_folders, ["GET"]),
        ("/folders", create_folder, ["POST"]),
        ("/folders/{id:int}", get_folder, ["GET"]),
        ("/folders/{id:int}", delete_folder, ["DELETE"]),
        ("/folders/{id:int}", rename, ["PUT"]),
        ("/folders/{id:int}/groups", add_group, ["POST"]),
        ("/folders/{id:int}/groups/{group}", set_permissions, ["POST"]),
        ("/folders/{id:int}/groups/{group}", remove_group, ["DELETE"]),
        ("/folders/{id:int}/acl", set_acl, ["POST"]),
        ("/folders/{id:int}/manageACL", manage_acl, ["POST"]),
        ("/folders/{id:int}/quota", set_quota, ["POST"]),
        ("/folders/{id:int}/mountpoint", rename, ["POST"]),
        ("/folders/{id:int}/search", search, ["GET"]),
        ("/delegation/authorized-groups", authorized_groups, ["GET"]),
    ]
    return [Route(BASE + path, enabled(fn), methods=methods) for path, fn, methods in table]
