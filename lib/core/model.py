"""The organisation as the association describes it (DOMAIN.md): working groups, roles, rights.

Pure values: no framework, no I/O. Everything else (desired Nextcloud state, plans,
requests) is computed from these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum
from functools import cached_property


class Right(IntEnum):
    """A right on a folder or sub-path, as its groupfolders permission bitmask.

    read=1, update=2, create=4, delete=8, share=16 (nextcloud/server lib/public/Constants.php).
    """

    NONE = 0  # *Aucun*: the path is hidden (an ACL deny)
    CONSULT = 1  # *Consultation*
    MODIFY = 15  # *Modification*: read+update+create+delete
    MANAGE = 31  # *Gestion*: everything, and may manage the folder's ACLs


class Role(StrEnum):
    """A person's role inside one working group."""

    FACILITATOR = "facilitator"  # *animateur·ice*
    CONTRIBUTOR = "contributor"  # *contributeur·ice* (the group's members)
    READER = "reader"  # *lecteur·ice*
    STEERING = "steering"  # *comité de pilotage*: same files as contributors, own group


ROLE_RIGHT: dict[Role, Right] = {
    Role.FACILITATOR: Right.MANAGE,
    Role.CONTRIBUTOR: Right.MODIFY,
    Role.READER: Right.CONSULT,
    Role.STEERING: Right.MODIFY,
}


class OrgGroup(StrEnum):
    """Organisation-wide groups (DOMAIN.md access levels)."""

    BOARD = "board"  # *CA*: consult every working group's folder
    OPERATIONS = "operations"  # *équipe opérationnelle*: modify everywhere, manage ACLs
    MEMBERS = "members"  # *membres de l'association*
    ALL = "all"  # every account


def role_ref(slug: str, role: Role) -> str:
    """The reference of a working-group role group, e.g. ``communication/facilitator``."""
    return f"{slug}/{role.value}"


@dataclass(frozen=True, order=True)
class Grant:
    """A right given on a folder or a sub-path to a group reference.

    ``group`` is an :class:`OrgGroup` value or a :func:`role_ref`; ``path`` is ``""`` for
    the whole folder, else a sub-path relative to the folder root (``Interne/RH``).
    """

    group: str
    right: Right
    path: str = ""


@dataclass(frozen=True)
class WorkingGroup:
    """A *groupe de travail*: one group folder, one Nextcloud group per role."""

    slug: str
    name: str
    purpose: str = ""
    mount_point: str = ""  # defaults to ``name``
    grants: tuple[Grant, ...] = ()  # beyond the defaults: other groups' access, sub-path rules
    archived: bool = False

    @property
    def folder(self) -> str:
        return self.mount_point or self.name


@dataclass(frozen=True, order=True)
class Membership:
    """A person in a group: a working group (with a role) or an organisation-wide group."""

    group: str  # working-group slug, or an OrgGroup value
    user: str
    role: Role | None = None  # None for organisation-wide groups
    until: date | None = None  # access ends after this day


@dataclass(frozen=True)
class Naming:
    """How group references become Nextcloud group ids (configurable per organisation)."""

    role_pattern: str = "gt-{slug}-{role}"
    role_names: dict[str, str] = field(
        default_factory=lambda: {
            "facilitator": "animateurs",
            "contributor": "membres",
            "reader": "lecteurs",
            "steering": "copil",
        }
    )
    org_groups: dict[str, str] = field(
        default_factory=lambda: {
            "board": "ca",
            "operations": "operations",
            "members": "membres",
            "all": "tous",
            "app": "governance-admins",  # the app's admin account: mounts every folder to set its ACLs
        }
    )

    def gid(self, ref: str) -> str:
        """Nextcloud group id for a group reference."""
        if "/" in ref:
            slug, role = ref.split("/", 1)
            return self.role_pattern.format(slug=slug, role=self.role_names.get(role, role))
        return self.org_groups.get(ref, ref)


APP = "app"  # the group reference of the app's admin account (Naming.org_groups)
ADMIN_GROUP = "admin"  # Nextcloud's administrators: never the app's to change, whatever the naming says


def is_admin_group(gid: str) -> bool:
    """Whether ``gid`` is Nextcloud's ``admin`` group, in any case (``Admin`` is refused as well)."""
    return gid.lower() == ADMIN_GROUP


@dataclass(frozen=True)
class Organisation:
    """The whole desired organisation: the single source of truth the app enforces."""

    name: str
    working_groups: tuple[WorkingGroup, ...] = ()
    memberships: tuple[Membership, ...] = ()
    naming: Naming = field(default_factory=Naming)

    def group(self, slug: str) -> WorkingGroup | None:
        return self._groups.get(slug)

    def members_of(self, group: str) -> tuple[Membership, ...]:
        return self._by_group.get(group, ())

    def memberships_of(self, user: str) -> tuple[Membership, ...]:
        return self._by_user.get(user, ())

    @cached_property
    def group_refs(self) -> dict[str, str]:
        """Nextcloud group id -> group reference, for every org group and every working group's roles."""
        naming = self.naming
        refs = {
            naming.gid(role_ref(wg.slug, r)): role_ref(wg.slug, r) for wg in self.working_groups for r in Role
        }
        refs.update({naming.gid(ref): ref for ref in ORG_REFS})
        return refs

    # Indexes built once per Organisation (it is immutable): pages ask these on every request.
    @cached_property
    def group_names(self) -> dict[str, str]:
        """Working-group slug -> name (archived ones too): pages name groups, never show slugs."""
        return {wg.slug: wg.name for wg in self.working_groups}

    @cached_property
    def _groups(self) -> dict[str, WorkingGroup]:
        found: dict[str, WorkingGroup] = {}
        for wg in self.working_groups:
            found.setdefault(wg.slug, wg)  # the first wins, as a scan would find it
        return found

    @cached_property
    def _by_group(self) -> dict[str, tuple[Membership, ...]]:
        return _index(self.memberships, lambda m: m.group)

    @cached_property
    def _by_user(self) -> dict[str, tuple[Membership, ...]]:
        return _index(self.memberships, lambda m: m.user)


def _index(
    memberships: Iterable[Membership], key: Callable[[Membership], str]
) -> dict[str, tuple[Membership, ...]]:
    found: dict[str, list[Membership]] = {}
    for m in memberships:
        found.setdefault(key(m), []).append(m)
    return {k: tuple(v) for k, v in found.items()}


ORG_REFS: tuple[str, ...] = (*(g.value for g in OrgGroup), APP)
