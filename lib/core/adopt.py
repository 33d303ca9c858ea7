"""Adoption: propose an Organisation that describes an existing Nextcloud, for a person to review.

Each group folder becomes a working group. Groups named by the naming pattern keep their
slug and role; other groups attached to a folder become a role of the folder where they
have the most rights, the role read from their permissions (31 facilitator, read+update+
create+delete contributor, read reader), and a whole-folder Grant on every other folder
they are attached to. Organisation-wide groups (``Naming.org_groups``) become org-wide
memberships. ACL rules with a full mask on known groups become sub-path Grants. What
cannot be mapped exactly is said in ``notes``; nothing here reads or writes anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .compile import APP, FOLDER_DEFAULTS, FULL_MASK, ORG_REFS
from .model import ROLE_RIGHT, Grant, Membership, Naming, Organisation, Right, Role, WorkingGroup, role_ref
from .state import FolderState, NextcloudState

ROLE_OF_RIGHT = {Right.MANAGE: Role.FACILITATOR, Right.MODIFY: Role.CONTRIBUTOR, Right.CONSULT: Role.READER}


@dataclass(frozen=True)
class Adoption:
    organisation: Organisation
    notes: tuple[str, ...] = ()


def right_for(bits: int) -> Right:
    """The highest named right contained in ``bits`` (17 -> CONSULT, 31 -> MANAGE)."""
    return next(r for r in sorted(Right, reverse=True) if bits & r == r)


def slugify(text: str) -> str:
    """``Administratif & Gestion`` -> ``administratif-gestion`` (``^[a-z0-9][a-z0-9-]{0,40}$``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:41].strip("-")
    return slug or "groupe"


def role_group_pattern(naming: Naming) -> re.Pattern[str]:
    """A regex that reads ``slug`` and ``role`` (a Role value) back from a role group id."""
    names = {naming.role_names.get(r.value, r.value): r.value for r in Role}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.escape(naming.role_pattern)
    pattern = pattern.replace(r"\{slug\}", r"(?P<slug>[a-z0-9][a-z0-9-]*?)")
    return re.compile(pattern.replace(r"\{role\}", f"(?P<role>{alternatives})"))


def propose_org(actual: NextcloudState, naming: Naming, name: str) -> Adoption:
    """An Organisation describing ``actual``, with notes on what it could not describe."""
    return _Adopter(actual, naming).run(name)


class _Adopter:
    """One adoption run: the decisions in order, the notes as they come."""

    def __init__(self, actual: NextcloudState, naming: Naming) -> None:
        self.actual = actual
        self.naming = naming
        self.notes: list[str] = []
        self.org_refs = {naming.gid(ref): ref for ref in ORG_REFS}
        self.parse = role_group_pattern(naming)
        names = {naming.role_names.get(r.value, r.value): r for r in Role}
        self.parsed: dict[str, tuple[str, Role]] = {}
        for gid in actual.groups.keys() | {g for f in actual.folders.values() for g in f.groups}:
            match = self.parse.fullmatch(gid)
            if match:
                self.parsed[gid] = (match["slug"], names[match["role"]])

    def run(self, name: str) -> Adoption:
        folders = sorted(self.actual.folders.values(), key=lambda f: f.mount_point)
        slugs = self._slugs(folders)
        refs = self._role_refs(folders, slugs)
        groups = tuple(self._working_group(f, slugs[f.mount_point], refs) for f in folders)
        memberships = self._memberships(refs)
        for gid in sorted(self.actual.groups.keys() - refs.keys() - self.org_refs.keys() - {"admin"}):
            self.notes.append(f"Group {gid} is on no folder: left out.")
        org = Organisation(name, groups, memberships, self.naming)
        return Adoption(org, tuple(self.notes))

    def _slugs(self, folders: list[FolderState]) -> dict[str, str]:
        """Mount point -> slug: the one its role groups name, else the slugified mount point."""
        slugs: dict[str, str] = {}
        for folder in folders:
            named = Counter(self.parsed[g][0] for g in folder.groups if g in self.parsed)
            slug = named.most_common(1)[0][0] if named else slugify(folder.mount_point)
            base, n = slug, 2
            while slug in slugs.values():
                slug, n = f"{base[:38]}-{n}", n + 1
            slugs[folder.mount_point] = slug
        return slugs

    def _role_refs(self, folders: list[FolderState], slugs: dict[str, str]) -> dict[str, str]:
        """Group id -> role reference, for every non-org group attached to some folder."""
        refs: dict[str, str] = {}
        for gid, (slug, role) in self.parsed.items():
            if slug in slugs.values():
                refs[gid] = role_ref(slug, role)
        attached = {g for f in folders for g in f.groups} - refs.keys() - self.org_refs.keys()
        for gid in sorted(attached):
            home = min(folders, key=lambda f: (-f.groups.get(gid, -1), f.mount_point))
            found = ROLE_OF_RIGHT.get(right_for(home.groups[gid]))
            if found is None:
                self.notes.append(f"Group {gid} has no read on {home.mount_point}: left out.")
                continue
            refs[gid] = role_ref(slugs[home.mount_point], found)
            self.notes.append(f"Group {gid} becomes {refs[gid]}: its members get that role.")
        return refs

    def _working_group(self, folder: FolderState, slug: str, refs: dict[str, str]) -> WorkingGroup:
        grants: list[Grant] = []
        for gid, bits in sorted(folder.groups.items()):
            ref = refs.get(gid) or self.org_refs.get(gid)
            if ref is None or ref == APP:
                continue
            default = self._default(ref, slug)
            if bits != default:
                grants.extend(self._folder_grant(folder, gid, ref, bits, default))
        grants.extend(self._rule_grants(folder, refs))
        return WorkingGroup(slug, folder.mount_point, grants=tuple(grants))

    def _default(self, ref: str, slug: str) -> int:
        ref_slug, _, role = ref.partition("/")
        if role:
            return int(ROLE_RIGHT[Role(role)]) if ref_slug == slug else 0
        return int(FOLDER_DEFAULTS.get(ref, Right.NONE))

    def _folder_grant(self, folder: FolderState, gid: str, ref: str, bits: int, default: int) -> list[Grant]:
        right = right_for(bits)
        if int(right) | default != bits:
            self.notes.append(f"{gid} has {bits} on {folder.mount_point}: will get {int(right) | default}.")
        return [Grant(ref, right)] if int(right) & ~default else []

    def _rule_grants(self, folder: FolderState, refs: dict[str, str]) -> list[Grant]:
        grants: list[Grant] = []
        for path, rules in sorted(folder.rules.items()):
            for rule in sorted(rules):
                ref = refs.get(rule.mapping_id) or self.org_refs.get(rule.mapping_id)
                exact = rule.mapping_type == "group" and rule.mask == FULL_MASK and ref is not None
                if exact and ref is not None and ref != APP:
                    grants.append(Grant(ref, right_for(rule.permissions), path))
                elif not exact:
                    self.notes.append(
                        f"ACL rule on {folder.mount_point}/{path} for {rule.mapping_type} {rule.mapping_id} "
                        f"(mask {rule.mask}) is not mapped."
                    )
        return grants

    def _memberships(self, refs: dict[str, str]) -> tuple[Membership, ...]:
        found: set[Membership] = set()
        for gid, members in self.actual.groups.items():
            ref = refs.get(gid) or self.org_refs.get(gid)
            if ref is None or ref == APP:
                continue
            group, _, role = ref.partition("/")
            found.update(Membership(group, uid, Role(role) if role else None) for uid in members)
        return tuple(sorted(found, key=lambda m: (m.group, m.user, m.role or "")))
