"""Provisioning API: users and groups under /ocs/v1.php and /ocs/v2.php.

Shapes and codes from fixtures/provisioning_api.json; upstream nextcloud/server
apps/provisioning_api/lib/Controller/UsersController.php, GroupsController.php and
lib/Middleware/ProvisioningApiMiddleware.php (non-admin, non-subadmin → 403 before the controller).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.standin.ocs import NOT_FOUND, UNAUTHORISED, OcsError, ocs, paginate, params, route
from tests.standin.state import State

NOT_SUBADMIN = "Logged in account must be at least a sub admin"
LOGIN_TS = 1795403190  # a fixed, plausible timestamp: values differ per install anyway
PUBLIC_FIELDS = ("phone", "address", "website", "twitter", "bluesky", "fediverse", "organisation", "role")
PROFILE_FIELDS = ("headline", "biography")


def require_admin(s: State, uid: str) -> None:
    """ProvisioningApiMiddleware: the stand-in has no sub-admins, so only admins pass."""
    if not s.is_admin(uid):
        raise OcsError(403, NOT_SUBADMIN)


def matches(s: State, uid: str, term: str) -> bool:
    user = s.users[uid]
    term = term.lower()
    return term in uid.lower() or term in user.display_name.lower() or term in (user.email or "").lower()


def user_details(
    s: State, uid: str, scopes: bool = False, groups: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """UsersController::getUserData; ``scopes`` adds the *Scope keys of GET /cloud/user;
    ``groups``: every user's groups, worked out once for a whole page."""
    user = s.users[uid]
    data: dict[str, Any] = {"enabled": True}
    if not scopes:
        data["storageLocation"] = f"/var/www/html/data/{uid}"
    data.update(
        id=uid,
        firstLoginTimestamp=LOGIN_TS,
        lastLoginTimestamp=LOGIN_TS,
        lastLogin=LOGIN_TS * 1000,
        backend="Database",
        subadmin=[],
        quota={"free": -3, "used": 0, "total": -3, "relative": 0, "quota": -3},
        manager="",
    )
    if scopes:
        data["avatarScope"] = "v2-federated"
    name = user.display_name
    profile: list[tuple[str, Any, str, Any]] = [
        ("email", user.email, "emailScope", "v2-federated"),
        ("additional_mail", [], "additional_mailScope", []),
        ("displayname", name, "", None),
        ("display-name", name, "displaynameScope", "v2-federated"),
        *[(key, "", f"{key}Scope", "v2-local") for key in (*PUBLIC_FIELDS, *PROFILE_FIELDS)],
        ("profile_enabled", "1", "profile_enabledScope", "v2-local"),
        ("pronouns", "", "pronounsScope", "v2-federated"),
    ]
    for key, value, scope_key, scope in profile:
        data[key] = value
        if scopes and scope_key:
            data[scope_key] = scope
    data.update(
        groups=s.user_groups(uid) if groups is None else groups.get(uid, []),
        language=user.language,
        locale="",
        timezone="",
        notify_email=None,
        backendCapabilities={"setDisplayName": True, "setPassword": True},
    )
    return data


def group_details(s: State, gid: str) -> dict[str, Any]:
    return {
        "id": gid,
        "displayname": s.group_display(gid),
        "usercount": len(s.groups[gid]),
        "disabled": 0,
        "canAdd": True,
        "canRemove": True,
    }


def search_users(s: State, query: dict[str, Any], pool: Any = None) -> list[str]:
    """Users matching ``search``, one ``limit``/``offset`` page, sorted by uid.

    Of all users (``pool`` None), a page is cut in the order of the Database backend
    (nextcloud/server lib/private/User/Database.php ``getDisplayNames``: ``ORDER BY
    LOWER(displayname), uid_lower``), then sorted by uid (``getUsers``; user Manager ``search``):
    provisioning_bulk_reads.json ``users_details_limit2_*`` gives ``admin`` on the first page. A
    display name equal to the uid is one never set (``State.add_user``'s default), NULL in that
    column, first in the recording's SQLite order.
    """
    term = query.get("search", "")
    if pool is not None:
        uids = sorted(pool, key=str.lower)
        return paginate([u for u in uids if u in s.users and (not term or matches(s, u, term))], query)
    found = [u for u in s.users if not term or matches(s, u, term)]
    page = paginate(sorted(found, key=lambda u: _backend_order(s, u)), query)
    return sorted(page, key=str.lower)


def _backend_order(s: State, uid: str) -> tuple[bool, str, str]:
    name = s.users[uid].display_name
    unset = name == uid
    return (not unset, "" if unset else name.lower(), uid.lower())


@route()
async def list_users(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/users (list_users_json, search_users_json, list_users_as_non_admin_json)."""
    require_admin(s, uid)
    return ocs(request, {"users": search_users(s, dict(request.query_params))})


@route()
async def list_users_details(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/users/details (search_users_details_json; provisioning_bulk_reads.json
    ``users_details_*``): objects keyed by uid, each with its groups; ``limit``/``offset`` page
    over users sorted by uid; a page past the last user is empty (PHP's ``[]``)."""
    require_admin(s, uid)
    found = search_users(s, dict(request.query_params))
    groups = groups_of_users(s, set(found))
    details = {u: user_details(s, u, groups=groups) for u in found}
    return ocs(request, {"users": details or []})  # UsersController::getUsersDetails: an empty PHP array


def groups_of_users(s: State, uids: set[str]) -> dict[str, list[str]]:
    """Each user's groups in the order of ``State.user_groups``, in one pass over the groups."""
    found: dict[str, list[str]] = {}
    for gid, members in s.groups.items():
        for uid in members & uids:
            found.setdefault(uid, []).append(gid)
    return found


@route()
async def get_user(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/users/{uid} (get_user_json, get_user_unknown_*): admin or self get everything."""
    target = request.path_params["uid"]
    if target not in s.users:
        raise OcsError(404, "User does not exist")
    data = user_details(s, target)
    if not (s.is_admin(uid) or uid == target):  # others see the public profile only [inferred]
        keep = {"id", "displayname", "display-name", "email", *PUBLIC_FIELDS, *PROFILE_FIELDS}
        data = {k: v for k, v in data.items() if k in keep}
    return ocs(request, data)


@route()
async def current_user(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/user (get_current_user_json, appapi_current_user_json)."""
    return ocs(request, user_details(s, uid, scopes=True))


@route()
async def list_groups(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/groups (list_groups_json, search_groups_json): sorted ids."""
    require_admin(s, uid)
    return ocs(request, {"groups": _search_groups(s, dict(request.query_params))})


@route()
async def list_groups_details(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/groups/details (list_groups_details_json)."""
    require_admin(s, uid)
    gids = _search_groups(s, dict(request.query_params))
    return ocs(request, {"groups": [group_details(s, g) for g in gids]})


def _search_groups(s: State, query: dict[str, Any]) -> list[str]:
    term = query.get("search", "").lower()
    gids = sorted(g for g in s.groups if not term or term in g.lower() or term in s.group_display(g).lower())
    return paginate(gids, query)


@route()
async def create_group(request: Request, s: State, uid: str) -> Response:
    """POST /cloud/groups (create_group_*): 101 empty id, 102 ``group exists``."""
    require_admin(s, uid)
    body = await params(request)
    gid = str(body.get("groupid", "")).strip()
    if not gid:
        raise OcsError(101, "Invalid group name")
    if gid in s.groups:
        raise OcsError(102, "group exists")
    s.add_group(gid, display_name=body.get("displayname") or None)
    return ocs(request)


@route()
async def delete_group(request: Request, s: State, uid: str) -> Response:
    """DELETE /cloud/groups/{gid} (delete_group_json, delete_group_unknown_json: 101)."""
    require_admin(s, uid)
    gid = request.path_params["gid"]
    if gid not in s.groups:
        raise OcsError(101)
    if gid == "admin":
        raise OcsError(102)
    s.delete_group(gid)
    return ocs(request)


@route()
async def update_group(request: Request, s: State, uid: str) -> Response:
    """PUT /cloud/groups/{gid} ``key=displayname&value=`` (no recording: upstream GroupsController
    ::updateGroup and NEXTCLOUD.md §4.3: 998 group missing, 999 a key other than displayname)."""
    require_admin(s, uid)
    gid = request.path_params["gid"]
    if gid not in s.groups:
        raise OcsError(NOT_FOUND, "Group does not exist")
    body = await params(request)
    if body.get("key") != "displayname":
        raise OcsError(999)
    s.group_names[gid] = str(body.get("value", "")) or gid
    return ocs(request)


def _members(request: Request, s: State, uid: str) -> list[str]:
    require_admin(s, uid)
    gid = request.path_params["gid"]
    if gid not in s.groups:
        raise OcsError(404, "The requested group could not be found")
    return search_users(s, dict(request.query_params), s.groups[gid])


@route()
async def group_members(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/groups/{gid}/users and legacy GET /cloud/groups/{gid} (group_members_*)."""
    return ocs(request, {"users": _members(request, s, uid)})


@route()
async def group_members_details(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/groups/{gid}/users/details (group_members_details_json)."""
    return ocs(request, {"users": {u: user_details(s, u) for u in _members(request, s, uid)}})


@route()
async def user_groups(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/users/{uid}/groups (user_groups_*): unknown user → 998."""
    return ocs(request, {"groups": _user_groups(request, s, uid)})


@route()
async def user_groups_details(request: Request, s: State, uid: str) -> Response:
    """GET /cloud/users/{uid}/groups/details (user_groups_details_json)."""
    return ocs(request, {"groups": [group_details(s, g) for g in _user_groups(request, s, uid)]})


def _user_groups(request: Request, s: State, uid: str) -> list[str]:
    target = request.path_params["uid"]
    if target not in s.users:
        raise OcsError(NOT_FOUND)
    if not (s.is_admin(uid) or uid == target):
        raise OcsError(UNAUTHORISED)  # getUsersGroups for a stranger [inferred]
    return s.user_groups(target)


async def _membership_target(request: Request, s: State, uid: str) -> tuple[str, str]:
    """Checks of UsersController::addToGroup/removeFromGroup, in their order (101, 102, 103)."""
    require_admin(s, uid)
    gid = str((await params(request)).get("groupid", ""))
    target = request.path_params["uid"]
    if not gid:
        raise OcsError(101)
    if gid not in s.groups:
        raise OcsError(102)
    if target not in s.users:
        raise OcsError(103)
    return target, gid


@route()
async def add_to_group(request: Request, s: State, uid: str) -> Response:
    """POST /cloud/users/{uid}/groups (add_user_to_group_*): idempotent."""
    target, gid = await _membership_target(request, s, uid)
    s.groups[gid].add(target)
    return ocs(request)


@route()
async def remove_from_group(request: Request, s: State, uid: str) -> Response:
    """DELETE /cloud/users/{uid}/groups, groupid in query or body (remove_user_from_group_*)."""
    target, gid = await _membership_target(request, s, uid)
    if gid == "admin" and target == uid:
        raise OcsError(105, "Cannot remove yourself from the admin group")
    s.groups[gid].discard(target)
    return ocs(request)


def routes() -> list[Route]:
    table = [
        ("/cloud/users", list_users, ["GET"]),
        ("/cloud/users/details", list_users_details, ["GET"]),
        ("/cloud/user", current_user, ["GET"]),
        ("/cloud/users/{uid}", get_user, ["GET"]),
        ("/cloud/users/{uid}/groups", user_groups, ["GET"]),
        ("/cloud/users/{uid}/groups", add_to_group, ["POST"]),
        ("/cloud/users/{uid}/groups", remove_from_group, ["DELETE"]),
        ("/cloud/users/{uid}/groups/details", user_groups_details, ["GET"]),
        ("/cloud/groups", list_groups, ["GET"]),
        ("/cloud/groups", create_group, ["POST"]),
        ("/cloud/groups/details", list_groups_details, ["GET"]),
        ("/cloud/groups/{gid}", group_members, ["GET"]),
        ("/cloud/groups/{gid}", delete_group, ["DELETE"]),
        ("/cloud/groups/{gid}", update_group, ["PUT"]),
        ("/cloud/groups/{gid}/users", group_members, ["GET"]),
        ("/cloud/groups/{gid}/users/details", group_members_details, ["GET"]),
    ]
    return [
        Route(prefix + path, fn, methods=methods)
        for prefix in ("/ocs/v1.php", "/ocs/v2.php")
        for path, fn, methods in table
    ]
