"""Compile an Organisation into the Nextcloud state it implies (the *desired* state).

Groups
    One group per working-group role that is used (by a membership, even an expired
    one, or by a grant; the facilitator group always: it manages the folder's ACLs),
    plus the organisation-wide groups board, operations, members, all and ``app`` (the
    app's admin account; see "The app's group" below). Expired
    memberships (``until`` before today) are dropped. An archived working group keeps
    its groups, empty: nobody keeps access through it, and its folder is left alone
    (it is not in the desired state; drift reports it as ``unmanaged_folder``).

Folder permissions
    Each role group gets ``ROLE_RIGHT``, board CONSULT, operations MODIFY. Grants on the
    whole folder (``path == ""``) are OR-ed in, as groupfolders combines a user's groups
    (NEXTCLOUD.md §5.3); a whole-folder ``NONE`` grant takes a group's default away there,
    its other grants still add (how an adopted folder says board is not attached, or that
    operations only reads). A group whose permissions stay 0 is not attached.

The app's group
    The WebDAV ACL API only answers a user who has the folder mounted (NEXTCLOUD.md §5.4),
    and a Nextcloud admin may manage the ACLs of every folder it sees. The app's group
    (holding the app's account) is therefore *not* attached to folders here: the plan
    attaches it to a folder only when it must write that folder's rules and the account
    does not already see it (lib/core/plan.py ``_app_access``), and never takes it away.
    So adopting a Nextcloud the app never touched plans nothing, and a new working group
    with sub-path grants still gets what writing its rules needs. ``app_group`` and
    ``app_account`` on the desired state tell the plan which group and account these are.
    The account is not made an ACL manager by name: admins manage every folder they see.

Sub-path rules (see :func:`path_rules`)
    A grant on a sub-path sets *that group's* right on the path and below. Every group
    attached to the folder gets a rule (mask 31) on every ruled path, so a person's right
    there is exactly the union of their groups' rights: groupfolders merges the rules of
    one path allow-wins and lets them overwrite the parent (lib/ACL/Rule.php
    ``mergeRules``, lib/ACL/ACLManager.php ``calculatePermissionsForPath``); a group
    without a rule would silently take a co-member's stricter rule instead of its own.
    A grant to ``all`` is the baseline for the groups not named on that path ("give the
    least to everyone, then allow", groupfolders README): ``all: NONE`` plus
    ``x/contributor: MODIFY`` hides the path from everybody but x's contributors.
    Two groups keep their right whatever the baseline: ``app`` (always 31, attached or not:
    the ACL API refuses rules that remove the acting user's own read, NEXTCLOUD.md §5.4; the
    rule also marks the paths the app wrote, see lib/core/plan.py) and operations ("read and
    write on all content", DOMAIN.md), unless a grant names them. Rule permissions are
    capped at the group's folder permissions (a rule cannot give more than the folder,
    groupfolders README), so a grant to a group without folder access compiles to a deny.
    ACL is enabled iff a folder has sub-path rules; its ACL managers are then the
    facilitator group and operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .model import APP as APP
from .model import ORG_REFS as ORG_REFS
from .model import (
    ROLE_RIGHT,
    Grant,
    Membership,
    Organisation,
    OrgGroup,
    Right,
    Role,
    WorkingGroup,
    role_ref,
)
from .state import AclManager, AclRule, FolderState, NextcloudState

FOLDER_DEFAULTS: dict[str, Right] = {
    OrgGroup.BOARD.value: Right.CONSULT,
    OrgGroup.OPERATIONS.value: Right.MODIFY,
}
FULL_MASK = 31
ROLE_VALUES = frozenset(r.value for r in Role)


def compile_org(org: Organisation, admin_user: str, today: date) -> NextcloudState:
    """The desired Nextcloud state of ``org``, with ``admin_user`` as the app's account."""
    roles = used_roles(org)
    groups, names = _groups(org, roles)
    groups[org.naming.gid(APP)].add(admin_user)
    for membership in _active(org, today):
        groups[_membership_gid(org, membership)].add(membership.user)
    folders = {wg.folder: _folder(org, wg, roles[wg.slug]) for wg in org.working_groups if not wg.archived}
    app = org.naming.gid(APP)
    return NextcloudState(
        groups=groups, folders=folders, display_names=names, app_group=app, app_account=admin_user
    )


def used_roles(org: Organisation) -> dict[str, set[Role]]:
    """Slug -> roles that get a Nextcloud group: facilitator, and any role in use."""
    roles = {wg.slug: {Role.FACILITATOR} for wg in org.working_groups}
    for m in org.memberships:
        if m.role is not None and m.group in roles:
            roles[m.group].add(m.role)
    for wg in org.working_groups:
        for grant in wg.grants:
            slug, _, role = grant.group.partition("/")
            if slug in roles and role in ROLE_VALUES:
                roles[slug].add(Role(role))
    return roles


def _groups(org: Organisation, roles: dict[str, set[Role]]) -> tuple[dict[str, set[str]], dict[str, str]]:
    naming = org.naming
    groups: dict[str, set[str]] = {naming.gid(ref): set() for ref in ORG_REFS}
    names = {gid: gid for gid in groups}
    for wg in org.working_groups:
        for role in roles[wg.slug]:
            gid = naming.gid(role_ref(wg.slug, role))
            groups[gid] = set()
            names[gid] = f"{wg.name} – {naming.role_names.get(role.value, role.value)}"
    return groups, names


def _active(org: Organisation, today: date) -> Iterable[Membership]:
    """Memberships in force today, in known groups of non-archived working groups."""
    live = {wg.slug for wg in org.working_groups if not wg.archived}
    for m in org.memberships:
        if m.until is not None and m.until < today:
            continue
        if (m.role is not None and m.group in live) or (m.role is None and m.group in ORG_REFS):
            yield m


def _membership_gid(org: Organisation, m: Membership) -> str:
    return org.naming.gid(role_ref(m.group, m.role) if m.role is not None else m.group)


def folder_rights(org: Organisation, wg: WorkingGroup, roles: Iterable[Role]) -> dict[str, int]:
    """Group id -> folder permission bitmask: role defaults OR whole-folder grants."""
    gid = org.naming.gid
    whole = [g for g in wg.grants if normalize_path(g.path) == ""]
    no_default = {gid(g.group) for g in whole if g.right == Right.NONE}
    rights = {gid(role_ref(wg.slug, r)): int(ROLE_RIGHT[r]) for r in roles}
    for ref, right in FOLDER_DEFAULTS.items():
        rights[gid(ref)] = int(right)
    rights = {g: bits for g, bits in rights.items() if g not in no_default}
    for grant in whole:
        rights[gid(grant.group)] = rights.get(gid(grant.group), 0) | int(grant.right)
    return {g: bits for g, bits in rights.items() if bits}


def _folder(org: Organisation, wg: WorkingGroup, roles: set[Role]) -> FolderState:
    rights = folder_rights(org, wg, roles)
    rules = path_rules(org, wg, rights)
    owners = frozenset(org.naming.gid(role_ref(wg.slug, r)) for r in Role)  # finds it after a rename
    folder = FolderState(mount_point=wg.folder, groups=rights, acl=bool(rules), rules=rules, owners=owners)
    if rules:
        gid = org.naming.gid
        folder.managers = {
            AclManager("group", gid(role_ref(wg.slug, Role.FACILITATOR))),
            AclManager("group", gid(OrgGroup.OPERATIONS.value)),
        }
    return folder


def path_rules(org: Organisation, wg: WorkingGroup, rights: dict[str, int]) -> dict[str, set[AclRule]]:
    """Sub-path -> ACL rules giving each attached group its right there (module docstring)."""
    by_path = _sub_path_grants(wg.grants)
    gid = org.naming.gid
    keepers = {gid(APP), gid(OrgGroup.OPERATIONS.value)}
    all_gid = gid(OrgGroup.ALL.value)
    resolved: dict[str, dict[str, int]] = {}
    for path in sorted(by_path, key=lambda p: (p.count("/"), p)):
        explicit: dict[str, int] = {}
        for grant in by_path[path]:
            explicit[gid(grant.group)] = explicit.get(gid(grant.group), 0) | int(grant.right)
        inherited = _nearest(resolved, path) or rights
        current: dict[str, int] = {}
        for g in rights.keys() | explicit.keys():
            if g in explicit:
                bits = explicit[g]
            elif all_gid in explicit and g not in keepers:
                bits = explicit[all_gid]
            else:
                bits = inherited.get(g, 0)
            current[g] = bits & rights.get(g, 0)
        current[gid(APP)] = FULL_MASK
        resolved[path] = current
    return {p: {AclRule("group", g, FULL_MASK, bits) for g, bits in r.items()} for p, r in resolved.items()}


def _sub_path_grants(grants: Iterable[Grant]) -> dict[str, list[Grant]]:
    by_path: dict[str, list[Grant]] = {}
    for grant in grants:
        path = normalize_path(grant.path)
        if path:
            by_path.setdefault(path, []).append(grant)
    return by_path


def _nearest(resolved: dict[str, dict[str, int]], path: str) -> dict[str, int] | None:
    """The rights computed for the closest ruled ancestor of ``path``, if any."""
    for parent in reversed(parent_paths(path)[:-1]):
        if parent in resolved:
            return resolved[parent]
    return None


def normalize_path(path: str) -> str:
    """``/Interne//RH/`` -> ``Interne/RH``: the form groupfolders stores (no leading slash)."""
    return "/".join(part for part in path.split("/") if part)


def parent_paths(path: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b", "a/b/c"]``: parent first, as ACLManager applies them."""
    parts = normalize_path(path).split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts)) if parts[0]]
