"""What Nextcloud holds (or should hold): groups, memberships, group folders, ACLs.

The same type describes the *desired* state (compiled from an Organisation) and the
*actual* state (read from Nextcloud), so that a plan is just their difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class AclRule:
    """One groupfolders ACL rule on a path (lib/ACL/Rule.php): mask selects bits, permissions set them."""

    mapping_type: str  # "group" | "user" | "circle"
    mapping_id: str
    mask: int
    permissions: int


@dataclass(frozen=True, order=True)
class AclManager:
    """A user or group allowed to manage a folder's ACLs (groupfolders ``manage`` list)."""

    mapping_type: str  # "group" | "user"
    mapping_id: str


@dataclass
class FolderState:
    """One group folder, keyed by mount point (its id is Nextcloud's business)."""

    mount_point: str
    groups: dict[str, int] = field(default_factory=dict)  # gid -> permission bitmask
    acl: bool = False
    managers: set[AclManager] = field(default_factory=set)
    rules: dict[str, set[AclRule]] = field(default_factory=dict)  # sub-path -> rules on it
    folder_id: int | None = None  # known for actual state only
    # Actual state only. False when nobody who sees every rule of the folder could read them
    # (``rules`` is then empty for want of knowing, not "no rules"): plans leave its ACL alone.
    rules_readable: bool = True
    rules_problem: str = ""  # why not: "no_reader" (nobody who manages it has it mounted) | "read_failed"
    rules_reader: str = ""  # whose WebDAV view the rules come from ("" when not read)
    mounted_for_app: bool = False  # the app's account has the folder in its WebDAV tree (NEXTCLOUD.md §5.4)
    # Desired state only: the working group's role groups. A folder holding one of them under another
    # mount point is this folder before the group was renamed (lib/core/plan.py renames it).
    owners: frozenset[str] = frozenset()


@dataclass
class NextcloudState:
    """Groups with their members, and group folders by mount point."""

    groups: dict[str, set[str]] = field(default_factory=dict)  # gid -> user ids
    folders: dict[str, FolderState] = field(default_factory=dict)
    users: set[str] = field(default_factory=set)  # existing accounts (actual state only)
    display_names: dict[str, str] = field(default_factory=dict)  # gid -> display name
    # Desired state only: the app's own group and account (lib/core/compile.py). Plans attach that
    # group to a folder only when they must write its rules and the account cannot see it.
    app_group: str = ""
    app_account: str = ""
