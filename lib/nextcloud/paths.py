"""Nextcloud URL paths the adapter calls, built in one place with every user-given segment quoted.

Routes: provisioning_api (NEXTCLOUD.md §4.2), groupfolders (§5.1), WebDAV files (§5.4, §6),
AppAPI and notifications (§3).
"""

from __future__ import annotations

from urllib.parse import quote

CLOUD = "/ocs/v2.php/cloud"
FOLDERS = "/index.php/apps/groupfolders/folders"
NOTIFY = "/ocs/v1.php/apps/app_api/api/v1/notification"
NOTIFICATIONS = "/ocs/v2.php/apps/notifications/api/v2/notifications"
CAPABILITIES = "/ocs/v1.php/cloud/capabilities"


def seg(value: str | int) -> str:
    """One path segment, slashes included, percent-encoded."""
    return quote(str(value), safe="")


def group_members(gid: str) -> str:
    return f"{CLOUD}/groups/{seg(gid)}/users"


def user(uid: str) -> str:
    return f"{CLOUD}/users/{seg(uid)}"


def user_groups(uid: str) -> str:
    return f"{CLOUD}/users/{seg(uid)}/groups"


def folder(folder_id: int, *rest: str) -> str:
    return "/".join([f"{FOLDERS}/{folder_id}", *(seg(r) for r in rest)])


def dav_file(uid: str, mount_point: str, path: str = "") -> str:
    """``/remote.php/dav/files/<uid>/<mount>/<path>/`` (groupfolders src/services/acl.ts defaultRootPath)."""
    parts = [p for p in f"{mount_point}/{path}".split("/") if p]
    return f"/remote.php/dav/files/{seg(uid)}/" + "".join(f"{seg(p)}/" for p in parts)


def norm_path(path: str) -> str:
    """Sub-path of a folder as the state names it: no leading/trailing slash, root is ``""``."""
    return "/".join(p for p in path.split("/") if p)
