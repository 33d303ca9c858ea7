"""Drift: what was changed by hand in Nextcloud, and how to accept it into the organisation.

Drift is the plan read the other way round (every change the plan would make is a
difference someone may have made on purpose), plus what the plan leaves alone: folders
the app does not manage, managed groups the organisation no longer has, and folders whose
rules could not be read (``rules_unreadable``, ``actual`` says why: ``no_reader`` or
``read_failed``): their rules are unknown, so the plan leaves their ACL alone
(lib/core/plan.py) and the page says so instead of calling them "no rules".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

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
from .compile import FOLDER_DEFAULTS
from .model import ROLE_RIGHT, Grant, Membership, Organisation, Right, Role, WorkingGroup
from .plan import Managed, app_users, plan, rule_owner
from .state import AclRule, NextcloudState

DriftValue = int | bool | str | None
RIGHT_VALUES = frozenset(int(r) for r in Right)


@dataclass(frozen=True)
class Drift:
    """One difference; ``subject`` names it (gid and uid, mount point and gid or path...)."""

    kind: str
    subject: tuple[str, ...]
    expected: DriftValue = None
    actual: DriftValue = None

    def __str__(self) -> str:
        detail = f": expected {self.expected}, found {self.actual}" if self.expected != self.actual else ""
        return f"{self.kind.replace('_', ' ')} {' / '.join(self.subject)}{detail}"


def drift(desired: NextcloudState, actual: NextcloudState, managed: Managed) -> tuple[Drift, ...]:
    """Every difference between ``actual`` and ``desired`` on what the app manages, and around it."""
    owned = rule_owner(managed, app_users(desired))
    changes = plan(desired, actual, managed).changes
    found = [_from_change(c, actual, owned) for c in changes]
    renamed = {c.previous for c in changes if isinstance(c, RenameFolder)}  # said as folder_renamed
    unmanaged = [m for m in actual.folders if m not in desired.folders and m not in renamed]
    found += [Drift("unmanaged_folder", (m,)) for m in unmanaged]
    attached = {g for f in actual.folders.values() for g in f.groups}
    found += [
        Drift("extra_group", (g,))
        for g, members in actual.groups.items()
        if managed(g) and g not in desired.groups and (members or g in attached)
    ]  # an empty group on no folder gives nothing: the one a role's last member left (real Nextcloud)
    found += [
        Drift("rules_unreadable", (m,), None, f.rules_problem or "no_reader")
        for m, f in actual.folders.items()
        if m in desired.folders and not f.rules_readable
    ]
    return tuple(sorted(found, key=lambda d: (d.kind, d.subject)))


def _from_change(change: Change, actual: NextcloudState, owned: Callable[[AclRule], bool]) -> Drift:
    match change:
        case CreateGroup(gid=gid):
            return Drift("missing_group", (gid,), True, False)
        case AddMember(gid=gid, uid=uid):
            return Drift("missing_member", (gid, uid), True, False)
        case RemoveMember(gid=gid, uid=uid):
            return Drift("extra_member", (gid, uid), False, True)
        case CreateFolder(mount_point=mount):
            return Drift("missing_folder", (mount,), True, False)
        case RenameFolder(mount_point=mount, previous=previous):
            return Drift("folder_renamed", (mount,), mount, previous)
        case RenameGroup(gid=gid, display_name=name):
            return Drift("group_renamed", (gid,), name, actual.display_names.get(gid))
        case AttachGroup(mount_point=mount, gid=gid, permissions=bits):
            return Drift("permission_changed", (mount, gid), bits, None)
        case SetGroupPermissions(mount_point=mount, gid=gid, permissions=bits, previous=previous):
            return Drift("permission_changed", (mount, gid), bits, previous)
        case DetachGroup(mount_point=mount, gid=gid):
            return Drift("permission_changed", (mount, gid), None, actual.folders[mount].groups[gid])
        case SetAcl(mount_point=mount, enabled=enabled):
            return Drift("acl_flag_changed", (mount,), enabled, not enabled)
        case SetAclManager(mount_point=mount, mapping_type=kind, mapping_id=mid, manage=manage):
            return Drift("manager_changed", (mount, kind, mid), manage, not manage)
        case SetAclRules(mount_point=mount, path=path, rules=rules):
            folder = actual.folders.get(mount)
            current = folder.rules.get(path, set()) if folder else set()
            mine = (r for r in current if owned(r))
            return Drift("acl_rules_changed", (mount, path), _rules_text(rules), _rules_text(mine))
    raise TypeError(f"unknown change {change!r}")


def _rules_text(rules: Iterable[AclRule]) -> str:
    """``group gt-a-membres 31/15; ...``: readable and comparable."""
    return "; ".join(f"{r.mapping_type} {r.mapping_id} {r.mask}/{r.permissions}" for r in sorted(rules))


def adopt_changes(org: Organisation, drifts: tuple[Drift, ...]) -> Organisation:
    """``org`` updated to accept the actual state where the organisation can say it.

    Extra member of a role (or organisation-wide) group -> membership added; missing
    member -> memberships removed; a folder permission that differs -> the group's
    whole-folder Grant set so that defaults OR grant equals what Nextcloud has. Drift
    the organisation cannot express (permission below a group's default, bits that are
    no named right, ACL details) is left: it stays visible as drift.
    """
    refs = org.group_refs
    memberships = list(org.memberships)
    groups = {wg.folder: wg for wg in org.working_groups if not wg.archived}
    for d in drifts:
        ref = refs.get(d.subject[-1] if d.kind == "permission_changed" else d.subject[0])
        if ref is None or ref == "app":
            continue
        if d.kind in ("extra_member", "missing_member"):
            group, _, role = ref.partition("/")
            wanted = Membership(group, d.subject[1], Role(role) if role else None)
            same = [m for m in memberships if (m.group, m.user, m.role) == (group, wanted.user, wanted.role)]
            if d.kind == "extra_member" and not same:
                memberships.append(wanted)
            elif d.kind == "missing_member":
                memberships = [m for m in memberships if m not in same]
        elif d.kind == "permission_changed" and d.subject[0] in groups:
            wg = groups[d.subject[0]]
            groups[wg.folder] = _adopt_permission(wg, ref, d.actual)
    by_slug = {wg.slug: wg for wg in groups.values()}
    working_groups = tuple(by_slug.get(wg.slug, wg) for wg in org.working_groups)
    return replace(org, working_groups=working_groups, memberships=tuple(memberships))


def _adopt_permission(wg: WorkingGroup, ref: str, actual: DriftValue) -> WorkingGroup:
    default = _default_bits(wg, ref)
    others = tuple(g for g in wg.grants if g.path or g.group != ref)
    if actual is None or isinstance(actual, (bool, str)):
        return replace(wg, grants=others) if actual is None and not default else wg
    if actual & default != default or actual not in RIGHT_VALUES:
        return wg
    extra = () if actual == default else (Grant(ref, Right(actual)),)
    return replace(wg, grants=others + extra)


def _default_bits(wg: WorkingGroup, ref: str) -> int:
    slug, _, role = ref.partition("/")
    if role:
        return int(ROLE_RIGHT[Role(role)]) if slug == wg.slug else 0
    return int(FOLDER_DEFAULTS.get(ref, Right.NONE))
