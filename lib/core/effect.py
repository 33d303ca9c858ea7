"""A request's effect on Nextcloud: what changes between the organisation before and after it.

Approving "add erin to Communication" must change Erin's memberships and nothing else, whatever
drift Nextcloud holds elsewhere (issue 12: one approval applied nine unrelated changes). So a
request is not planned against the whole of Nextcloud: the two compiled organisations (before and
after the request) say which objects the request touches, Nextcloud is read for those objects
only (a person's groups, one folder), and the plan is the ordinary plan restricted to them.

Memberships are compared per (group, person) pair the request touches: a member of the group
whom the request does not name is not in the restricted states, so their drift stays drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import Managed, Plan, plan
from .state import FolderState, NextcloudState


@dataclass(frozen=True)
class Touched:
    """The Nextcloud objects a change of the organisation touches."""

    users: frozenset[str] = frozenset()  # people whose memberships change
    groups: frozenset[str] = frozenset()  # groups whose members change, or that appear or go
    new_groups: frozenset[str] = frozenset()  # groups the organisation did not have before
    folders: frozenset[str] = frozenset()  # mount points whose folder settings change

    @property
    def is_empty(self) -> bool:
        return not (self.users or self.groups or self.folders)


def touched(before: NextcloudState, after: NextcloudState) -> Touched:
    """What differs between two desired states (compiled before and after a request)."""
    users: set[str] = set()
    groups: set[str] = set()
    for gid in before.groups.keys() | after.groups.keys():
        was, will = before.groups.get(gid, set()), after.groups.get(gid, set())
        if len(was) == len(will) and was == will and ((gid in before.groups) == (gid in after.groups)):
            continue
        delta = was ^ will
        if delta or (gid in before.groups) != (gid in after.groups):
            users |= delta
            groups.add(gid)
    folders = {
        mount
        for mount in before.folders.keys() | after.folders.keys()
        if _folder_key(before.folders.get(mount)) != _folder_key(after.folders.get(mount))
    }
    if folders and after.app_group and after.app_account:
        # writing a folder's rules may need the app's group holding its account (lib/core/plan.py
        # ``_app_access``): read whether it does, so as not to create or fill it again
        groups.add(after.app_group)
        users.add(after.app_account)
    return Touched(
        frozenset(users),
        frozenset(groups),
        frozenset(after.groups.keys() - before.groups.keys()),
        frozenset(folders),
    )


def _folder_key(f: FolderState | None) -> object:
    if f is None:
        return None
    return (f.groups, f.acl, f.managers, f.rules)


def request_plan(
    before: NextcloudState,
    after: NextcloudState,
    actual: NextcloudState,
    managed: Managed,
    scope: Touched | None = None,
) -> Plan:
    """The changes that give Nextcloud the request's effect, and nothing else.

    ``actual`` is Nextcloud read for ``touched(before, after)`` only: for each touched group that
    exists, the touched people in it (an absent group is created); the touched folders. Inside a
    folder only what differs between ``before`` and ``after`` is planned, applied to what Nextcloud
    holds: a drifted attachment, manager or rule next to it stays as it is. ``scope``: the caller's
    ``touched(before, after)``, when it has it already.
    """
    scope = scope or touched(before, after)
    want = NextcloudState(
        groups={
            gid: after.groups.get(gid, set()) & scope.users
            for gid in scope.groups
            if gid in after.groups or gid in actual.groups  # gone from both: nothing to do
        },
        display_names={g: n for g, n in after.display_names.items() if g in scope.groups},
        app_group=after.app_group,  # attached by the plan where it must write rules it cannot see
        app_account=after.app_account,
    )
    have = NextcloudState(
        groups={gid: actual.groups[gid] & scope.users for gid in scope.groups if gid in actual.groups}
    )
    for mount in scope.folders:
        if mount not in after.folders:
            continue  # an archived group's folder is left alone (compile.py)
        old = before.folders.get(mount) or FolderState(mount)
        found = actual.folders.get(mount)
        want.folders[mount] = _folder_delta(old, after.folders[mount], found or FolderState(mount))
        if found is not None:
            have.folders[mount] = found
    return plan(want, have, managed)


def _folder_delta(before: FolderState, after: FolderState, actual: FolderState) -> FolderState:
    """What ``actual`` becomes when only the differences between ``before`` and ``after`` apply."""
    changed_groups = {
        g for g in before.groups.keys() | after.groups.keys() if before.groups.get(g) != after.groups.get(g)
    }
    groups = {g: b for g, b in actual.groups.items() if g not in changed_groups}
    groups.update({g: after.groups[g] for g in changed_groups if g in after.groups})
    changed_managers = before.managers ^ after.managers
    managers = (actual.managers - changed_managers) | (after.managers & changed_managers)
    rules = {p: set(r) for p, r in actual.rules.items()}
    for path in before.rules.keys() | after.rules.keys():
        old, new = before.rules.get(path, set()), after.rules.get(path, set())
        if old == new:
            continue
        added = new - old
        replaced = {(r.mapping_type, r.mapping_id) for r in added}
        kept = {
            r
            for r in actual.rules.get(path, set())
            if r not in old - new and (r.mapping_type, r.mapping_id) not in replaced
        }
        if kept | added:
            rules[path] = kept | added
        else:
            rules.pop(path, None)
    return FolderState(
        mount_point=after.mount_point,
        groups=groups,
        acl=after.acl if before.acl != after.acl else actual.acl,
        managers=managers,
        rules=rules,
        folder_id=actual.folder_id,
    )
