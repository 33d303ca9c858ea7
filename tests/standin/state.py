"""In-memory Nextcloud state of the stand-in: users, groups, team folders, notifications, AppAPI UI.

Plain mutable dataclasses: tests seed and inspect them directly. Every lookup is a dict/set access
(the benchmark drives thousands of groups and memberships through the stand-in).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

# (mapping_type, mapping_id, mask, permissions), as groupfolders stores a rule (lib/ACL/Rule.php).
Rule = tuple[str, str, int, int]
ALL_PERMISSIONS = 31  # nextcloud/server lib/public/Constants.php PERMISSION_ALL


@dataclass
class User:
    uid: str
    display_name: str
    email: str | None = None
    password: str = ""  # basic-auth password; demo convention: the uid itself
    language: str = "en"  # the user's Nextcloud language: <html lang> of pages, provisioning ``language``


@dataclass
class Folder:
    """A team folder (groupfolders lib/ResponseDefinitions.php GroupFoldersFolder)."""

    id: int
    mount_point: str
    groups: dict[str, int] = field(default_factory=dict)
    acl: bool = False
    manage: list[tuple[str, str]] = field(default_factory=list)  # (user|group|circle, id)
    quota: int = -3
    size: int = 0
    rules: dict[str, list[Rule]] = field(default_factory=dict)  # sub-path ("" = root) -> rules
    paths: set[str] = field(default_factory=set)  # existing sub-paths (folders and files)
    files: set[str] = field(default_factory=set)  # the sub-paths of ``paths`` that are files

    def add_path(self, path: str, is_file: bool = False) -> None:
        """Create a sub-path and its parents (a seeding helper, not a DAV semantics)."""
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self.paths.add("/".join(parts[:i]))
        if is_file:
            self.files.add(path.strip("/"))


@dataclass
class Notification:
    """One notification as the notifications app stores an AppAPI one (ExNotificationsManager)."""

    id: int
    user: str
    app: str
    object_type: str
    object_id: str
    subject_type: str
    subject_params: dict  # type: ignore[type-arg]
    datetime: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"))

    @property
    def link(self) -> str:
        return str(self.subject_params.get("link", ""))

    @property
    def rich_subject(self) -> str:
        return str(self.subject_params.get("rich_subject", ""))

    @property
    def rich_subject_params(self) -> dict:  # type: ignore[type-arg]
        return dict(self.subject_params.get("rich_subject_params") or {})

    @property
    def rich_message(self) -> str:
        return str(self.subject_params.get("rich_message", ""))

    @property
    def rich_message_params(self) -> dict:  # type: ignore[type-arg]
        return dict(self.subject_params.get("rich_message_params") or {})

    @property
    def subject(self) -> str:
        return render_rich(self.rich_subject, self.rich_subject_params)

    @property
    def message(self) -> str:
        return render_rich(self.rich_message, self.rich_message_params)


def render_rich(text: str, params: dict) -> str:  # type: ignore[type-arg]
    """Plain rendering of a rich string: ``{key}`` becomes the parameter's name (notifications.json)."""
    for key, value in params.items():
        text = text.replace("{" + key + "}", str(value.get("name", "")))
    return text


@dataclass
class ExAppStatus:
    """AppAPI's view of the one ExApp: enabled flag and init progress (AppAPIService)."""

    enabled: bool = True
    progress: int = 0
    error: str = ""


class State:
    """Everything the stand-in knows; the StandIn object exposes these attributes directly."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.groups: dict[str, set[str]] = {}
        self.group_names: dict[str, str] = {}
        self.folders: dict[int, Folder] = {}
        self.notifications: list[Notification] = []
        self.ui: dict[str, dict] = {  # type: ignore[type-arg]
            "top_menu": {},
            "scripts": {},
            "styles": {},
            "initial_states": {},
        }
        self.next_folder_id = 1
        self.next_notification_id = 1
        self.ui_ids = {kind: itertools.count(1) for kind in self.ui}  # one id sequence per AppAPI table
        self.fileids: dict[tuple[int, str], int] = {}
        self.next_fileid = 100
        self.sessions: dict[str, tuple[str, str]] = {}  # session id -> (uid, requesttoken)
        self.exapp = ExAppStatus()
        # Apps switched off ("notifications", "groupfolders"): their routes and capabilities are gone.
        self.disabled_apps: set[str] = set()

    # users and groups
    def add_user(self, uid: str, display_name: str | None = None, email: str | None = None) -> User:
        user = User(uid, display_name or uid, email, password=uid)
        self.users[uid] = user
        return user

    def add_group(self, gid: str, members: tuple[str, ...] = (), display_name: str | None = None) -> None:
        self.groups.setdefault(gid, set()).update(members)
        self.group_names[gid] = display_name or self.group_names.get(gid, gid)

    def delete_group(self, gid: str) -> None:
        self.groups.pop(gid, None)
        self.group_names.pop(gid, None)

    def group_display(self, gid: str) -> str:
        return self.group_names.get(gid, gid)

    def user_groups(self, uid: str) -> list[str]:
        """Groups of a user, in creation order (one pass over the groups dict)."""
        return [gid for gid, members in self.groups.items() if uid in members]

    def is_admin(self, uid: str | None) -> bool:
        return uid is not None and uid in self.groups.get("admin", ())

    def display_name(self, mapping_type: str, mapping_id: str) -> str:
        if mapping_type == "user":
            user = self.users.get(mapping_id)
            return user.display_name if user else mapping_id
        return self.group_display(mapping_id)

    # team folders
    def new_folder(self, mount_point: str) -> Folder:
        folder = Folder(self.next_folder_id, mount_point)
        self.folders[folder.id] = folder
        self.next_folder_id += 1
        return folder

    def folder_by_mount(self, mount: str) -> Folder | None:
        for folder in self.folders.values():
            if folder.mount_point == mount:
                return folder
        return None

    def fileid(self, folder_id: int, path: str) -> int:
        key = (folder_id, path)
        if key not in self.fileids:
            self.fileids[key] = self.next_fileid
            self.next_fileid += 1
        return self.fileids[key]

    # notifications
    def add_notification(self, **fields: object) -> Notification:
        note = Notification(id=self.next_notification_id, **fields)  # type: ignore[arg-type]
        self.next_notification_id += 1
        self.notifications.append(note)
        return note

    def notification(self, nid: int) -> Notification | None:
        return next((n for n in self.notifications if n.id == nid), None)
