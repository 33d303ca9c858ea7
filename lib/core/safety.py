"""The one safety check every apply passes: plans that take access away wholesale wait for a person.

A plan may be exactly what somebody approved and still be the wrong one (a mistyped import, a
drifted folder "repaired" back, an adopted folder whose rules were not read). octodns refuses such
plans (``Plan.raise_if_unsafe``), organization_folders answers "too many permission changes": here a
plan that removes more than a few people, disables ACLs, drops a deny rule or detaches a group from
a folder is refused unless an operator confirms it, after seeing who gains and who loses access.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .changes import AddMember, AttachGroup, Change, DetachGroup, RemoveMember, SetAcl, SetAclRules
from .errors import UnsafePlan
from .state import AclRule, NextcloudState

MAX_PEOPLE_REMOVED = 3  # "a few": removing one member, or a couple, needs no second look


@dataclass(frozen=True, order=True)
class Concern:
    """Why a plan needs an operator's confirmation; ``kind`` names it, the rest says where."""

    kind: str  # "people_removed" | "acl_disabled" | "deny_dropped" | "group_detached"
    folder: str = ""
    group: str = ""
    path: str = ""
    count: int = 0


@dataclass(frozen=True, order=True)
class Impact:
    """One person (or, where members are unknown, a group) gaining or losing access somewhere."""

    who: str
    gains: bool
    group: str = ""  # through this Nextcloud group
    folder: str = ""  # on this folder (and ``path`` below it), when the change is a folder's


def concerns(
    changes: Iterable[Change], actual: NextcloudState, owned: Callable[[str], bool] = lambda gid: True
) -> tuple[Concern, ...]:
    """What in ``changes`` needs a confirmation, judged against what Nextcloud holds (``actual``).

    ``owned`` tells the app's groups: a rule of another group is kept when the app sets a path's
    rules (lib/nextcloud/gateway.py ``_set_acl_rules``), so lifting it is not a concern.
    """
    changes = tuple(changes)
    found: list[Concern] = []
    removed = {c.uid for c in changes if isinstance(c, RemoveMember)}
    if len(removed) > MAX_PEOPLE_REMOVED:
        found.append(Concern("people_removed", count=len(removed)))
    for c in changes:
        if isinstance(c, SetAcl) and not c.enabled:
            found.append(Concern("acl_disabled", folder=c.mount_point))
        elif isinstance(c, DetachGroup):
            found.append(Concern("group_detached", folder=c.mount_point, group=c.gid))
        elif isinstance(c, SetAclRules):
            found.extend(_dropped_denies(c, actual, owned))
    return tuple(sorted(set(found)))


def _denies(rule: AclRule) -> int:
    return rule.mask & ~rule.permissions


def _dropped_denies(
    change: SetAclRules, actual: NextcloudState, owned: Callable[[str], bool]
) -> Iterable[Concern]:
    folder = actual.folders.get(change.mount_point)
    if folder is None:
        return
    new = {(r.mapping_type, r.mapping_id): r for r in change.rules}
    for rule in folder.rules.get(change.path, ()):
        after = new.get((rule.mapping_type, rule.mapping_id))
        if not _denies(rule) or (
            after is None and rule.mapping_type == "group" and not owned(rule.mapping_id)
        ):
            continue  # no restriction, or another group's rule, which the app keeps
        if after is None or _denies(rule) & ~_denies(after):
            yield Concern("deny_dropped", folder=change.mount_point, group=rule.mapping_id, path=change.path)


def check(
    changes: Iterable[Change],
    actual: NextcloudState,
    confirmed: bool,
    owned: Callable[[str], bool] = lambda gid: True,
) -> None:
    """Raise :class:`UnsafePlan` unless the plan is safe or an operator confirmed it."""
    found = concerns(changes, actual, owned)
    if found and not confirmed:
        raise UnsafePlan(found)


def impacts(changes: Iterable[Change], actual: NextcloudState) -> tuple[Impact, ...]:
    """Who gains and who loses access, person by person where Nextcloud's members are known."""
    out: set[Impact] = set()

    def members(gid: str) -> set[str]:
        return actual.groups.get(gid) or {f"@{gid}"}  # "@gid": the group, members unknown

    for c in changes:
        match c:
            case AddMember(gid=gid, uid=uid):
                out.add(Impact(uid, True, gid))
            case RemoveMember(gid=gid, uid=uid):
                out.add(Impact(uid, False, gid))
            case AttachGroup(mount_point=mount, gid=gid):
                out.update(Impact(u, True, gid, mount) for u in members(gid))
            case DetachGroup(mount_point=mount, gid=gid):
                out.update(Impact(u, False, gid, mount) for u in members(gid))
            case SetAcl(mount_point=mount, enabled=False):
                attached = actual.folders.get(mount)
                for gid in attached.groups if attached else ():
                    out.update(Impact(u, True, gid, mount) for u in members(gid))
    return tuple(sorted(out))
