"""The difference between the desired and the actual Nextcloud state, as an ordered plan.

Gather, decide, apply (cosmicpython ``sync.py``): this module only decides. The plan is
the smallest set of changes that makes the actual state match the desired one on what
the app owns, and nothing else:

* groups: only desired groups for which ``managed(gid)`` holds ('admin' and foreign
  groups are never touched; managed groups absent from the desired state are left to
  drift);
* folders: only desired mount points; inside them only attachments, ACL managers and
  ACL rules that belong to the app (:func:`rule_owner`): a managed group, or a user
  among the desired folders' user ACL managers.

What a plan leaves as it found it (so that adopting a Nextcloud, then planning, plans nothing):

* a folder whose rules could not be read (``FolderState.rules_readable`` false: nobody who
  sees all its rules has it mounted, lib/nextcloud/gateway.py): no rule is written, ACL is
  neither switched on nor off, no manager is removed; only managers may be added, and where
  the organisation sets rules on it, the app's group is attached so that the next reading
  sees them (then the rules are planned). Writing rules one cannot see would replace them
  blindly, and enabling ACL would bring unseen stored rules into force;
* ACL is never switched off: a folder with ACL on and no rules gives the same access as
  one with ACL off, while switching it off silently lifts every rule the app does not own
  (issue 11: the first apply after adoption widened access that way). The flag and the
  managers are the app's only on folders where the organisation sets sub-path rules;
* rules on a path are the app's when the organisation sets rules there, or when the path
  carries the app group's rule (the mark every rule list the app writes has, compile.py);
  other paths keep whatever rules they have, even for the app's groups;
* the app's group (``desired.app_group``) is created, given the app's account and attached
  to a folder only when the plan must write that folder's rules and the account does not
  see the folder (:func:`_app_access`); it is never detached, nor its members changed;
* a group the organisation has, that nobody is in and Nextcloud does not have yet, is neither
  created nor attached nor given rules (it would give nobody anything): its first member
  brings it, its attachments and rules (an adopted folder without a facilitator group stays
  as it is).

A desired folder Nextcloud lacks is created, unless a folder at a mount point the organisation no
longer uses holds one of its working group's role groups (``FolderState.owners``): the group was
renamed, and that folder is renamed (its id, files and rules stay), with the group's Nextcloud
groups' display names.

Changes sort by phase (lib/core/changes.py): every grant comes before every revocation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .changes import (
    AddMember,
    AttachGroup,
    Change,
    CreateFolder,
    CreateGroup,
    DetachGroup,
    RemoveMember,
    RenameFolder,
    RenameGroup,
    SetAcl,
    SetAclManager,
    SetAclRules,
    SetGroupPermissions,
)
from .model import is_admin_group
from .state import AclManager, AclRule, FolderState, NextcloudState

Managed = Callable[[str], bool]
FULL_PERMISSIONS = 31  # read+update+create+delete+share (nextcloud/server lib/public/Constants.php)
REVOCATION_PHASE = 80  # changes at or after this phase take a right away (changes.py phases)


def is_revocation(change: Change) -> bool:
    """Whether ``change`` takes a right away."""
    return change.phase >= REVOCATION_PHASE


@dataclass(frozen=True)
class Plan:
    """Sorted changes, counted and checksummed: approvals apply exactly the plan shown."""

    changes: tuple[Change, ...] = ()
    keys: tuple[str, ...] = field(default=(), repr=False, compare=False)  # change keys, computed once

    @classmethod
    def of(cls, changes: Iterable[Change]) -> Plan:
        """Sort by ``Change.sort_key``, building each (costly) key once."""
        keyed = sorted(((c.phase, c.key), c) for c in changes)
        return cls(tuple(c for _, c in keyed), tuple(k for (_, k), _ in keyed))

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.kind for c in self.changes))

    @property
    def removals(self) -> int:
        return sum(1 for c in self.changes if is_revocation(c))

    @cached_property
    def checksum(self) -> str:
        """sha256 of the change keys in plan order: any different plan has another checksum."""
        keys = self.keys or tuple(c.key for c in self.changes)
        return hashlib.sha256("\n".join(keys).encode()).hexdigest()

    @property
    def data(self) -> list[dict[str, Any]]:
        return [c.data for c in self.changes]


def plan(desired: NextcloudState, actual: NextcloudState, managed: Managed) -> Plan:
    """The changes that bring ``actual`` to ``desired`` on what the app manages (module docstring)."""
    app = desired.app_group
    unborn = _unborn(desired, actual)
    owned = _without(rule_owner(managed, app_users(desired)), unborn)
    changes: list[Change] = list(_group_changes(desired, actual, _without(managed, unborn)))
    written: list[str] = []  # folders whose rules the plan writes, or must first be able to read
    seen: dict[str, FolderState] = {}  # desired mount point -> the folder Nextcloud has for it
    formers = _formers(desired, actual)
    for mount, want in desired.folders.items():
        have = actual.folders.get(mount) or formers.get(mount)
        if have is None:
            changes.append(CreateFolder(mount))
            have = FolderState(mount)
        elif have.mount_point != mount:
            changes.extend(_renames(want, have, desired, actual))
        seen[mount] = have
        changes.extend(_attachments(want, have, _without(managed, unborn | {app})))
        if not have.rules_readable:  # unknown rules: add managers at most, and get to see them
            changes.extend(c for c in _managers(want, have, owned) if c.manage)
            if want.rules:  # the organisation rules it: with its group attached the app reads it next time
                written.append(mount)
            continue
        if want.rules:
            if not have.acl:
                changes.append(SetAcl(mount, True))
            changes.extend(_managers(want, have, owned))
        rules = list(_rules(want, have, owned, app))
        changes.extend(rules)
        if rules:
            written.append(mount)
    changes.extend(_app_access(desired, actual, written, seen))
    return Plan.of(changes)


def _formers(desired: NextcloudState, actual: NextcloudState) -> dict[str, FolderState]:
    """Desired mount point Nextcloud lacks -> the folder its renamed working group had: at a mount
    point the organisation no longer uses, holding the group's role groups (``owners``). Renaming it
    keeps its files and rights; creating another would leave them behind, unmanaged (issue 15).
    Each folder goes to one group at most, the one with most of its role groups attached there."""
    missing = [(m, f) for m, f in desired.folders.items() if m not in actual.folders and f.owners]
    spare = [(m, f) for m, f in actual.folders.items() if m not in desired.folders]
    pairs = sorted(
        (-len(want.owners & have.groups.keys()), new, old)
        for new, want in missing
        for old, have in spare
        if want.owners & have.groups.keys()
    )
    found: dict[str, FolderState] = {}
    taken: set[str] = set()
    for _score, new, old in pairs:
        if new not in found and old not in taken:
            found[new] = actual.folders[old]
            taken.add(old)
    return found


def _renames(
    want: FolderState, have: FolderState, desired: NextcloudState, actual: NextcloudState
) -> Iterator[Change]:
    """The folder's new mount point, and the working group's new name on its existing groups."""
    yield RenameFolder(want.mount_point, have.mount_point)
    for gid in sorted(want.owners & actual.groups.keys()):
        name = desired.display_names.get(gid, "")
        if name and actual.display_names.get(gid, name) != name:
            yield RenameGroup(gid, name)


def _unborn(desired: NextcloudState, actual: NextcloudState) -> frozenset[str]:
    """Desired groups nobody is in that Nextcloud does not have (module docstring)."""
    return frozenset(
        gid
        for gid, members in desired.groups.items()
        if not members and gid not in actual.groups and gid != desired.app_group
    )


Owns = Callable[[Any], bool]  # over group ids, or rule and manager mappings


def _without(owns: Owns, gids: frozenset[str] | set[str]) -> Owns:
    """``owns`` minus the groups ``gids`` (as ids, rule or manager mappings)."""

    def still(item: str | AclRule | AclManager) -> bool:
        gid = item if isinstance(item, str) else item.mapping_id if item.mapping_type == "group" else ""
        return gid not in gids and owns(item)

    return still


def _app_access(
    desired: NextcloudState, actual: NextcloudState, written: list[str], seen: dict[str, FolderState]
) -> Iterator[Change]:
    """What writing rules on ``written`` folders needs: the app's group holding its account (the
    rule list keeps the account's own read, NEXTCLOUD.md §5.4), attached with 31 to each folder
    the account does not see (the WebDAV ACL API only answers users who have it mounted)."""
    app, account = desired.app_group, desired.app_account
    if not (app and account and written):
        return
    members = actual.groups.get(app)
    if members is None:
        yield CreateGroup(app, desired.display_names.get(app, ""))
    if account not in (members or set()):
        yield AddMember(app, account)
    for mount in written:
        have = seen.get(mount)
        if have is None or not (have.mounted_for_app or app in have.groups):
            yield AttachGroup(mount, app, FULL_PERMISSIONS)


def app_users(desired: NextcloudState) -> frozenset[str]:
    """Users the app makes ACL managers (its admin account): their rules are app-owned too."""
    return frozenset(
        m.mapping_id for f in desired.folders.values() for m in f.managers if m.mapping_type == "user"
    )


def rule_owner(managed: Managed, users: frozenset[str]) -> Callable[[AclRule | AclManager], bool]:
    """Whether the app owns a rule or manager mapping; the adapter keeps every other one."""

    def owned(item: AclRule | AclManager) -> bool:
        if item.mapping_type == "group":
            return managed(item.mapping_id) and not is_admin_group(item.mapping_id)
        return item.mapping_type == "user" and item.mapping_id in users

    return owned


def _group_changes(desired: NextcloudState, actual: NextcloudState, managed: Managed) -> Iterator[Change]:
    for gid, members in desired.groups.items():
        if not managed(gid) or is_admin_group(gid):  # never, whatever ``managed`` says
            continue
        if gid == desired.app_group:  # see _app_access
            continue
        current = actual.groups.get(gid)
        if current is None:
            yield CreateGroup(gid, desired.display_names.get(gid, ""))
            current = set()
        yield from (AddMember(gid, uid) for uid in members - current)
        yield from (RemoveMember(gid, uid) for uid in current - members)


def _attachments(want: FolderState, have: FolderState, managed: Managed) -> Iterator[Change]:
    mount = want.mount_point
    managed = _not_admin(managed)
    for gid, bits in want.groups.items():
        previous = have.groups.get(gid)
        if not managed(gid) or previous == bits:
            continue
        if previous is None:
            yield AttachGroup(mount, gid, bits)
        else:
            yield SetGroupPermissions(mount, gid, bits, previous)
    yield from (DetachGroup(mount, g) for g in have.groups.keys() - want.groups.keys() if managed(g))


def _not_admin(managed: Managed) -> Managed:
    """``managed`` minus Nextcloud's admin group, which no plan ever touches."""
    return lambda gid: managed(gid) and not is_admin_group(gid)


def _managers(
    want: FolderState, have: FolderState, owned: Callable[[AclManager], bool]
) -> Iterator[SetAclManager]:
    mount = want.mount_point
    for m in want.managers ^ have.managers:
        if owned(m):
            yield SetAclManager(mount, m.mapping_type, m.mapping_id, m in want.managers)


def _rules(
    want: FolderState, have: FolderState, owned: Callable[[AclRule], bool], app: str = ""
) -> Iterator[Change]:
    """Paths the organisation rules, and paths the app wrote (they carry the app group's rule)."""
    marked = {p for p, rules in have.rules.items() if not app or any(_is_app(r, app) for r in rules)}
    for path in want.rules.keys() | marked:
        target = {r for r in want.rules.get(path, ()) if owned(r)}
        if target != {r for r in have.rules.get(path, ()) if owned(r)}:
            yield SetAclRules(want.mount_point, path, tuple(sorted(target)))


def _is_app(rule: AclRule, app: str) -> bool:
    return rule.mapping_type == "group" and rule.mapping_id == app


def apply_to_state(
    state: NextcloudState,
    changes: Iterable[Change],
    is_foreign: Callable[[AclRule], bool] = lambda rule: False,
) -> NextcloudState:
    """Simulate ``changes`` on a copy of ``state``; SetAclRules keeps the ``is_foreign`` rules."""
    result = copy_state(state)
    for change in changes:
        _apply(result, change, is_foreign)
    return result


def copy_state(state: NextcloudState) -> NextcloudState:
    folders = {
        mount: FolderState(
            f.mount_point,
            dict(f.groups),
            f.acl,
            set(f.managers),
            {p: set(r) for p, r in f.rules.items()},
            f.folder_id,
            f.rules_readable,
            f.rules_problem,
            f.rules_reader,
            f.mounted_for_app,
            f.owners,
        )
        for mount, f in state.folders.items()
    }
    groups = {gid: set(members) for gid, members in state.groups.items()}
    return NextcloudState(
        groups, folders, set(state.users), dict(state.display_names), state.app_group, state.app_account
    )


def _apply(state: NextcloudState, change: Change, is_foreign: Callable[[AclRule], bool]) -> None:
    match change:
        case CreateGroup(gid=gid, display_name=name):
            state.groups.setdefault(gid, set())
            if name:
                state.display_names[gid] = name
        case AddMember(gid=gid, uid=uid):
            state.groups.setdefault(gid, set()).add(uid)
        case RemoveMember(gid=gid, uid=uid):
            state.groups.get(gid, set()).discard(uid)
        case CreateFolder(mount_point=mount):
            state.folders.setdefault(mount, FolderState(mount))
        case RenameFolder(mount_point=mount, previous=previous):
            folder = state.folders.pop(previous, None) or FolderState(mount)
            folder.mount_point = mount
            state.folders[mount] = folder
        case RenameGroup(gid=gid, display_name=name):
            state.display_names[gid] = name
        case (
            AttachGroup(mount_point=mount)
            | SetGroupPermissions(mount_point=mount)
            | DetachGroup(mount_point=mount)
            | SetAcl(mount_point=mount)
            | SetAclManager(mount_point=mount)
            | SetAclRules(mount_point=mount)
        ):
            _apply_to_folder(state.folders[mount], change, is_foreign)
        case _:
            raise TypeError(f"unknown change {change!r}")


def _apply_to_folder(folder: FolderState, change: Change, is_foreign: Callable[[AclRule], bool]) -> None:
    match change:
        case AttachGroup(gid=gid, permissions=bits) | SetGroupPermissions(gid=gid, permissions=bits):
            folder.groups[gid] = bits
        case DetachGroup(gid=gid):
            folder.groups.pop(gid, None)
        case SetAcl(enabled=enabled):
            folder.acl = enabled
        case SetAclManager(mapping_type=kind, mapping_id=mid, manage=manage):
            (folder.managers.add if manage else folder.managers.discard)(AclManager(kind, mid))
        case SetAclRules(path=path, rules=rules):
            kept = {r for r in folder.rules.get(path, ()) if is_foreign(r)} | set(rules)
            if kept:
                folder.rules[path] = kept
            else:
                folder.rules.pop(path, None)
