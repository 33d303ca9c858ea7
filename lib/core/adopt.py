"""Adoption: propose an Organisation that describes an existing Nextcloud, for a person to review.

The invariant (issue 11): saving the proposal changes nothing in Nextcloud, and the plan right
after it is empty. So the proposal says only what the organisation can say exactly, and leaves
the rest where the plan does not touch it (lib/core/plan.py):

* each group folder becomes a working group; groups named by the naming pattern keep their slug
  and role (their members become memberships); organisation-wide groups (``Naming.org_groups``)
  become organisation-wide memberships;
* groups not named like the organisation's are left out: the app does not manage them, so they
  stay attached, with their members and rules, exactly as they are (a note says so);
* a named group's folder permission is its default plus whole-folder grants; a whole-folder
  ``NONE`` grant takes the default away (board or operations not attached to a folder, a group
  with less than its default); permissions no named right gives exactly are noted;
* ACL rules become sub-path grants only on paths the app wrote (they carry the app group's rule,
  the mark lib/core/compile.py puts on every rule list); any other rule stays as it is, noted;
* a folder whose rules could not be read (``FolderState.rules_readable``) gets no sub-path grant:
  the plan leaves its ACL alone, and ``unreadable`` says which folders and why;
* given a ``planner`` (an organisation -> its plan against the same reading), what the plan
  would still do right after saving is returned as ``first_plan``, for the page to show: it is
  empty unless Nextcloud holds what the organisation cannot say (a permission no right gives,
  rules the app wrote then changed by hand: adopted as the app would write them). Dropping
  such grants instead would be worse: the plan would clear the app's rules on those paths.

Nothing here reads or writes anything.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from . import slugs
from .changes import Change
from .compile import APP, FOLDER_DEFAULTS, FULL_MASK, ORG_REFS
from .model import (
    ROLE_RIGHT,
    Grant,
    Membership,
    Naming,
    Organisation,
    Right,
    Role,
    WorkingGroup,
    is_admin_group,
    role_ref,
)
from .plan import Plan
from .state import FolderState, NextcloudState
from .wording import Phrase, right_phrase

ROLE_OF_RIGHT = {Right.MANAGE: Role.FACILITATOR, Right.MODIFY: Role.CONTRIBUTOR, Right.CONSULT: Role.READER}
Planner = Callable[[Organisation], Plan]


def _(message: str) -> str:
    """Marks a message id for extraction (``make i18n-extract``); the page translates it."""
    return message


def _english(value: str | Phrase) -> str:
    if isinstance(value, str):
        return value
    params = {k: _english(v) for k, v in value.params.items()}
    return value.message % params if params else value.message


class Note(str):
    """A note for the operator: its English text (logs, tests) and its :class:`Phrase`, which the page
    tells in the reader's language (``lib.i18n.say``)."""

    phrase: Phrase

    def __new__(cls, message: str, **params: str | Phrase) -> Note:
        note = super().__new__(cls, _english(Phrase(message, dict(params))))
        note.phrase = Phrase(message, dict(params))
        return note


@dataclass(frozen=True)
class Adoption:
    organisation: Organisation
    notes: tuple[str, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()  # (mount point, FolderState.rules_problem)
    first_plan: tuple[Change, ...] = ()  # what the plan would still do right after saving (checked only)


def right_for(bits: int) -> Right:
    """The highest named right contained in ``bits`` (17 -> CONSULT, 31 -> MANAGE)."""
    return next(r for r in sorted(Right, reverse=True) if bits & r == r)


def slugify(text: str) -> str:
    """``Administratif & Gestion`` -> ``administratif-gestion``; ``groupe`` when nothing is left."""
    return slugs.slugify(text) or "groupe"


def role_group_pattern(naming: Naming) -> re.Pattern[str]:
    """A regex that reads ``slug`` and ``role`` (a Role value) back from a role group id."""
    names = {naming.role_names.get(r.value, r.value): r.value for r in Role}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.escape(naming.role_pattern)
    pattern = pattern.replace(r"\{slug\}", r"(?P<slug>[a-z0-9][a-z0-9-]*?)")
    return re.compile(pattern.replace(r"\{role\}", f"(?P<role>{alternatives})"))


def propose_org(
    actual: NextcloudState, naming: Naming, name: str, planner: Planner | None = None
) -> Adoption:
    """An Organisation describing ``actual``, with notes on what it could not describe."""
    return _Adopter(actual, naming).run(name, planner)


class _Adopter:
    """One adoption run: the decisions in order, the notes as they come."""

    def __init__(self, actual: NextcloudState, naming: Naming) -> None:
        self.actual = actual
        self.naming = naming
        self.notes: list[str] = []
        self.org_refs = {naming.gid(ref): ref for ref in ORG_REFS}
        self.app_gid = naming.gid(APP)
        self.parse = role_group_pattern(naming)
        names = {naming.role_names.get(r.value, r.value): r for r in Role}
        self.parsed: dict[str, tuple[str, Role]] = {}
        for gid in actual.groups.keys() | {g for f in actual.folders.values() for g in f.groups}:
            match = self.parse.fullmatch(gid)
            if match and not is_admin_group(gid):
                self.parsed[gid] = (match["slug"], names[match["role"]])

    def run(self, name: str, planner: Planner | None) -> Adoption:
        folders = sorted(self.actual.folders.values(), key=lambda f: f.mount_point)
        slugs = self._slugs(folders)
        refs = {
            gid: role_ref(slug, role) for gid, (slug, role) in self.parsed.items() if slug in slugs.values()
        }
        attached = {g for f in folders for g in f.groups}
        for gid in sorted(attached - refs.keys() - self.org_refs.keys()):
            if not is_admin_group(gid):
                self.notes.append(
                    Note(
                        _(
                            "Group %(gid)s is not named like the organisation's groups: it stays as it is"
                            " in Nextcloud (members, folders, rules), outside the organisation."
                        ),
                        gid=gid,
                    )
                )
        groups = tuple(self._working_group(f, slugs[f.mount_point], refs) for f in folders)
        memberships = self._memberships(refs)
        for gid in sorted(self.actual.groups.keys() - attached - refs.keys() - self.org_refs.keys()):
            if not is_admin_group(gid):
                self.notes.append(Note(_("Group %(gid)s is on no folder: left out."), gid=gid))
        org = Organisation(name, groups, memberships, self.naming)
        unreadable = tuple((f.mount_point, f.rules_problem) for f in folders if not f.rules_readable)
        first_plan = planner(org).changes if planner is not None else ()
        return Adoption(org, tuple(self.notes), unreadable, first_plan)

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

    def _working_group(self, folder: FolderState, slug: str, refs: dict[str, str]) -> WorkingGroup:
        grants: list[Grant] = []
        for gid, bits in sorted(folder.groups.items()):
            ref = refs.get(gid) or self.org_refs.get(gid)
            if ref is None or ref == APP:
                continue
            default = self._default(ref, slug)
            if bits != default:
                grants.extend(self._folder_grants(folder, gid, ref, bits, default))
        absent = [ref for ref in FOLDER_DEFAULTS if self.naming.gid(ref) not in folder.groups]
        absent += [
            ref
            for gid, ref in refs.items()
            if ref.startswith(f"{slug}/") and gid in self.actual.groups and gid not in folder.groups
        ]
        grants.extend(Grant(ref, Right.NONE) for ref in sorted(absent))  # no default where not attached
        grants.extend(self._rule_grants(folder, refs))
        return WorkingGroup(slug, folder.mount_point, grants=tuple(grants))

    def _default(self, ref: str, slug: str) -> int:
        ref_slug, _, role = ref.partition("/")
        if role:
            return int(ROLE_RIGHT[Role(role)]) if ref_slug == slug else 0
        return int(FOLDER_DEFAULTS.get(ref, Right.NONE))

    def _folder_grants(self, folder: FolderState, gid: str, ref: str, bits: int, default: int) -> list[Grant]:
        """Grants giving ``bits`` exactly: default plus a right, or (NONE) a right instead of it."""
        for right in sorted(Right):
            if default | right == bits:
                return [Grant(ref, right)] if right & ~default else []
        if bits in {int(r) for r in Right}:
            return [Grant(ref, Right.NONE), Grant(ref, Right(bits))]
        right = right_for(bits)
        self.notes.append(
            Note(
                _("%(gid)s has the rights “%(bits)s” on “%(folder)s”: it will get %(right)s."),
                gid=gid,
                bits=right_phrase(bits),
                folder=folder.mount_point,
                right=right_phrase(int(right) | default),
            )
        )
        return [Grant(ref, right)] if right & ~default else []

    def _rule_grants(self, folder: FolderState, refs: dict[str, str]) -> list[Grant]:
        grants: list[Grant] = []
        if not folder.rules_readable:
            return grants
        for path, rules in sorted(folder.rules.items()):
            wrote = any(r.mapping_type == "group" and r.mapping_id == self.app_gid for r in rules)
            for rule in sorted(rules):
                ref = refs.get(rule.mapping_id) or self.org_refs.get(rule.mapping_id)
                exact = wrote and rule.mapping_type == "group" and rule.mask == FULL_MASK and ref is not None
                if exact and ref is not None and ref != APP:
                    grants.append(Grant(ref, right_for(rule.permissions), path))
                elif not exact:
                    self.notes.append(
                        Note(
                            _(
                                "The rule on “%(folder)s/%(path)s” for %(who)s sets only some rights"
                                " (%(mask)s): it stays as it is in Nextcloud; the organisation does not"
                                " say it."
                            ),
                            folder=folder.mount_point,
                            path=path,
                            who=rule.mapping_id,
                            mask=right_phrase(rule.mask),
                        )
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
