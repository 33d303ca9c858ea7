"""What a person can do on a folder or sub-path, and why: groupfolders' arithmetic, replayed.

Follows NEXTCLOUD.md §5.3 and nextcloud/groupfolders:

* folder level: the OR of the permissions of the person's groups attached to the folder
  (lib/Folder/FolderManager.php ``getFolderPermissionsForUser``); no such group, no mount;
* ACL (only when the folder's ``acl`` is on): start from 31 (``ACLManager::getBasePermission``;
  ``acl_default_no_permission`` is not modelled), walk the path parent first
  (``ACLManager::getRelevantPaths``, the folder root itself carries no rule), merge the
  rules of one path that apply to the person allow-wins (``Rule::mergeRules``: masks and
  permissions OR-ed, permissions cut to the mask in ``Rule::__construct``) and apply the
  merged rule over the running value (``Rule::applyPermissions``: masked bits replaced);
  a result without read is 0 (lib/ACL/ACLStorageWrapper.php ``getACLPermissionsForPath``);
* effective = ACL result AND folder level (``ACLStorageWrapper::getPermissions``).

The ``acl-inherit-per-user`` app setting (merge per mapping first) is not modelled.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .compile import parent_paths
from .model import Organisation, Right
from .state import AclManager, AclRule, FolderState, NextcloudState

ALL = 31
READ = 1
BITS: tuple[tuple[str, int], ...] = (("read", 1), ("update", 2), ("create", 4), ("delete", 8), ("share", 16))


def labels(bits: int) -> tuple[str, ...]:
    """``15`` -> ``("read", "update", "create", "delete")``."""
    return tuple(name for name, bit in BITS if bits & bit)


@dataclass(frozen=True)
class FolderSource:
    """One of the person's groups attached to the folder, with the permissions it gives."""

    gid: str
    ref: str  # the organisation's name for it ("communication/facilitator", "board"), "" if foreign
    permissions: int


@dataclass(frozen=True)
class AclStep:
    """The rules of one path that apply to the person, merged, and their effect."""

    path: str
    rules: tuple[AclRule, ...]
    mask: int
    permissions: int
    before: int
    after: int


@dataclass(frozen=True)
class Explanation:
    user: str
    mount_point: str
    path: str
    sources: tuple[FolderSource, ...]
    acl: bool
    steps: tuple[AclStep, ...]
    acl_permissions: int  # ALL when the folder has no ACL
    can_manage_acl: bool

    @property
    def mounted(self) -> bool:
        return bool(self.sources)

    @property
    def folder_permissions(self) -> int:
        bits = 0
        for source in self.sources:
            bits |= source.permissions
        return bits

    @property
    def effective(self) -> int:
        return self.folder_permissions & self.acl_permissions

    @property
    def labels(self) -> tuple[str, ...]:
        return labels(self.effective)

    def shown_steps(self) -> tuple[tuple[AclStep, int, int], ...]:
        """Each ACL step with what the person could do before and after it: the rule's arithmetic
        starts from 31, but nobody gets more than their folder permission (issue 15: "change
        Management into None" was said to someone who only ever consulted)."""
        cap = self.folder_permissions
        return tuple((step, step.before & cap, step.after & cap) for step in self.steps)

    @property
    def right(self) -> Right | None:
        """The named right the effective bits equal, if any (None for e.g. read+share)."""
        return next((r for r in Right if r == self.effective), None)

    def lines(self) -> list[str]:
        """The reasons, one short English sentence each (the UI translates its own)."""
        where = f"{self.mount_point}/{self.path}".rstrip("/")
        if not self.mounted:
            return [f"{self.user} is in no group attached to {self.mount_point}: no access."]
        out = [
            f"{s.gid}{f' ({s.ref})' if s.ref else ''} gives {_text(s.permissions)} on {self.mount_point}."
            for s in self.sources
        ]
        for step, before, after in self.shown_steps():
            mappings = ", ".join(f"{r.mapping_type} {r.mapping_id}" for r in step.rules)
            out.append(f"ACL on {step.path} ({mappings}): {_text(before)} -> {_text(after)}.")
        if self.acl and self.acl_permissions == 0 and self.steps:
            out.append("Without read, nothing is allowed: the path is hidden.")
        out.append(f"{self.user} can {_text(self.effective)} on {where}.")
        return out


def _text(bits: int) -> str:
    return ", ".join(labels(bits)) or "nothing"


def explain(org: Organisation, state: NextcloudState, user: str, mount_point: str, path: str) -> Explanation:
    """Why ``user`` has the permissions they have on ``path`` of folder ``mount_point``."""
    folder = state.folders.get(mount_point)
    if folder is None:
        return Explanation(user, mount_point, path, (), False, (), 0, False)
    mine = {gid for gid, members in state.groups.items() if user in members}
    refs = org.group_refs
    attached = sorted((gid, bits) for gid, bits in folder.groups.items() if gid in mine)
    sources = tuple(FolderSource(gid, refs.get(gid, ""), bits) for gid, bits in attached)
    steps = _acl_steps(folder, path, user, mine) if folder.acl else ()
    bits = steps[-1].after if steps else ALL
    if folder.acl and not bits & READ:
        bits = 0
    can_manage = folder.acl and any(_applies(m, user, mine) for m in folder.managers)
    return Explanation(user, mount_point, path, sources, folder.acl, steps, bits, can_manage)


def _acl_steps(folder: FolderState, path: str, user: str, mine: set[str]) -> tuple[AclStep, ...]:
    """Parent first, each path's applicable rules merged and applied over the running value."""
    steps: list[AclStep] = []
    for parent in parent_paths(path):
        rules = tuple(sorted(r for r in folder.rules.get(parent, ()) if _applies(r, user, mine)))
        if rules:
            steps.append(_step(parent, rules, steps[-1].after if steps else ALL))
    return tuple(steps)


def _applies(mapping: AclRule | AclManager, user: str, groups: set[str]) -> bool:
    """Whether a rule or manager mapping names the user or one of their groups (circles: no)."""
    if mapping.mapping_type == "user":
        return mapping.mapping_id == user
    return mapping.mapping_type == "group" and mapping.mapping_id in groups


def _step(path: str, rules: tuple[AclRule, ...], before: int) -> AclStep:
    """``Rule::mergeRules`` then ``Rule::applyPermissions`` (lib/ACL/Rule.php)."""
    mask = permissions = 0
    for rule in rules:
        mask |= rule.mask
        permissions |= rule.permissions & rule.mask
    after = (before & (~mask | permissions) | (mask & permissions)) & ALL
    return AclStep(path, rules, mask, permissions, before, after)


@dataclass(frozen=True)
class Person:
    """An account as Nextcloud's user search gives it."""

    uid: str
    display_name: str = ""
    email: str = ""


def find_person(typed: str, candidates: Iterable[Person]) -> tuple[Person, ...]:
    """The accounts ``typed`` names: the one whose id it is; else every one whose display name or
    e-mail address it is, case and accents aside ("sophie lefevre" is Sophie Lefèvre); else none.
    Several means the person must choose; none means there is no such person (issue 15: an unknown
    name was explained as someone with no access)."""
    wanted = _folded(typed)
    people = list(candidates)
    by_id = [p for p in people if p.uid == typed.strip()] or [p for p in people if _folded(p.uid) == wanted]
    if by_id:
        return (by_id[0],)
    found = {p.uid: p for p in people if wanted and wanted in (_folded(p.display_name), _folded(p.email))}
    return tuple(found[uid] for uid in sorted(found))


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Reach:
    """What a person can do on one folder or ruled sub-path (``path`` "" for the whole folder)."""

    mount_point: str
    path: str
    effective: int
    why: Explanation


def reach(org: Organisation, state: NextcloudState, user: str) -> tuple[Reach, ...]:
    """Every folder and ruled sub-path ``user`` can reach in ``state``, with why (the person view:
    issue 15). A ruled sub-path is listed when its right differs from its folder's."""
    found: list[Reach] = []
    for mount in sorted(state.folders):
        whole = explain(org, state, user, mount, "")
        if not whole.mounted:
            continue
        found.append(Reach(mount, "", whole.effective, whole))
        for path in sorted(state.folders[mount].rules):
            there = explain(org, state, user, mount, path)
            if there.effective != whole.effective:
                found.append(Reach(mount, path, there.effective, there))
    return tuple(found)
