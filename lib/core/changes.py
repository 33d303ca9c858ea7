"""The operations a plan is made of: tiny typed values, sortable, serialisable, readable.

Ordering (``PHASE``) is what keeps people's access continuous during a change:
groups and folders are created and rights granted before anything is revoked
(octodns record/change.py is the model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .state import AclRule


def _rule_data(rule: AclRule) -> dict[str, Any]:
    return {
        "mapping_type": rule.mapping_type,
        "mapping_id": rule.mapping_id,
        "mask": rule.mask,
        "permissions": rule.permissions,
    }


@dataclass(frozen=True, order=True)
class Change:
    """Base of every change. ``phase`` orders a plan; ``key`` identifies it in a journal."""

    PHASE: ClassVar[int] = 0

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def phase(self) -> int:
        return self.PHASE

    @property
    def data(self) -> dict[str, Any]:
        """JSON-ready form: ``{"kind": ..., **fields}`` (rules as dicts).

        Same result as ``dataclasses.asdict`` without its deep copies: plans hold tens of
        thousands of changes and sort by ``key`` (bench/engine.py).
        """
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = tuple(_rule_data(r) for r in value) if isinstance(value, tuple) else value
        return out

    @property
    def key(self) -> str:
        """Stable identity, used by the journal to never apply one change twice."""
        return json.dumps(self.data, sort_keys=True, default=str)

    def sort_key(self) -> tuple[int, str]:
        return (self.phase, self.key)


@dataclass(frozen=True, order=True)
class CreateGroup(Change):
    PHASE: ClassVar[int] = 10
    gid: str
    display_name: str = ""

    def __str__(self) -> str:
        return f"create group {self.gid}"


@dataclass(frozen=True, order=True)
class RenameGroup(Change):
    """A working group's new name on its Nextcloud group (``PUT /cloud/groups/{gid}``): id kept."""

    PHASE: ClassVar[int] = 12
    gid: str
    display_name: str

    def __str__(self) -> str:
        return f"rename group {self.gid} to {self.display_name!r}"


@dataclass(frozen=True, order=True)
class AddMember(Change):
    PHASE: ClassVar[int] = 20
    gid: str
    uid: str

    def __str__(self) -> str:
        return f"add {self.uid} to {self.gid}"


@dataclass(frozen=True, order=True)
class CreateFolder(Change):
    PHASE: ClassVar[int] = 30
    mount_point: str

    def __str__(self) -> str:
        return f"create folder {self.mount_point}"


@dataclass(frozen=True, order=True)
class RenameFolder(Change):
    """A renamed working group's folder moves to its new mount point (``POST /folders/{id}/mountpoint``,
    NEXTCLOUD.md §5.1): the same folder, files, groups and rules; before anything else touches it."""

    PHASE: ClassVar[int] = 25
    mount_point: str  # the new one
    previous: str

    def __str__(self) -> str:
        return f"rename folder {self.previous} to {self.mount_point}"


@dataclass(frozen=True, order=True)
class SetAcl(Change):
    """Enable (phase 40) or disable (phase 95) advanced permissions on a folder."""

    mount_point: str
    enabled: bool

    @property
    def phase(self) -> int:
        return 40 if self.enabled else 95

    def __str__(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} ACL on {self.mount_point}"


@dataclass(frozen=True, order=True)
class AttachGroup(Change):
    """Give a group access to a folder with a permission mask (attach, then set the mask)."""

    PHASE: ClassVar[int] = 50
    mount_point: str
    gid: str
    permissions: int

    def __str__(self) -> str:
        return f"give {self.gid} access to {self.mount_point} ({self.permissions})"


@dataclass(frozen=True, order=True)
class SetGroupPermissions(Change):
    """Change a group's mask: raising runs with the grants (55), lowering with revocations (85)."""

    mount_point: str
    gid: str
    permissions: int
    previous: int = 0

    @property
    def phase(self) -> int:
        return 55 if self.permissions & ~self.previous else 85

    def __str__(self) -> str:
        return f"set {self.gid} on {self.mount_point} to {self.permissions} (was {self.previous})"


@dataclass(frozen=True, order=True)
class SetAclManager(Change):
    """Add (60) or remove (88) an ACL manager of a folder."""

    mount_point: str
    mapping_type: str
    mapping_id: str
    manage: bool

    @property
    def phase(self) -> int:
        return 60 if self.manage else 88

    def __str__(self) -> str:
        verb = "let" if self.manage else "stop letting"
        return f"{verb} {self.mapping_type} {self.mapping_id} manage ACLs of {self.mount_point}"


@dataclass(frozen=True, order=True)
class SetAclRules(Change):
    """Set the app-owned ACL rules of one sub-path (the adapter keeps rules it does not own)."""

    PHASE: ClassVar[int] = 70
    mount_point: str
    path: str
    rules: tuple[AclRule, ...]

    def __str__(self) -> str:
        return f"set {len(self.rules)} ACL rule(s) on {self.mount_point}/{self.path}"


@dataclass(frozen=True, order=True)
class DetachGroup(Change):
    PHASE: ClassVar[int] = 90
    mount_point: str
    gid: str

    def __str__(self) -> str:
        return f"remove {self.gid}'s access to {self.mount_point}"


@dataclass(frozen=True, order=True)
class RemoveMember(Change):
    PHASE: ClassVar[int] = 92
    gid: str
    uid: str

    def __str__(self) -> str:
        return f"remove {self.uid} from {self.gid}"


CHANGE_TYPES: dict[str, type[Change]] = {
    t.__name__: t
    for t in (
        CreateGroup,
        RenameGroup,
        AddMember,
        RenameFolder,
        CreateFolder,
        SetAcl,
        AttachGroup,
        SetGroupPermissions,
        SetAclManager,
        SetAclRules,
        DetachGroup,
        RemoveMember,
    )
}


def change_from_data(data: dict[str, Any]) -> Change:
    """Rebuild a change from its ``.data`` (journal rows, plan JSON)."""
    fields = {k: v for k, v in data.items() if k != "kind"}
    if "rules" in fields:
        fields["rules"] = tuple(AclRule(**r) for r in fields["rules"])
    return CHANGE_TYPES[data["kind"]](**fields)
