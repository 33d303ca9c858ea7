"""An Organisation as plain data (dict, list, str, bool) and back, for YAML export and import.

Reading validates everything a hand-edited file can get wrong and raises
:class:`InvalidOrganisation` naming the field (``working_groups[2].grants[0].group``), which
lib/core/orgfile_places.py says in words for the reader ("working group 3, folder access 1 (group)").
Rights are written by name (``consult``), dates as ISO strings; default values are left out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .compile import normalize_path
from .errors import InvalidOrganisation
from .model import (
    ADMIN_GROUP,
    Grant,
    Membership,
    Naming,
    Organisation,
    OrgGroup,
    Right,
    Role,
    WorkingGroup,
    is_admin_group,
)
from .slugs import is_slug

RIGHTS = {r.name.lower(): r for r in Right}
ROLES = {r.value: r for r in Role}
ORG_GROUPS = {g.value for g in OrgGroup}
Data = dict[str, Any]


def org_to_data(org: Organisation) -> Data:
    naming = org.naming
    return {
        "name": org.name,
        "naming": {
            "role_pattern": naming.role_pattern,
            "role_names": dict(naming.role_names),
            "org_groups": dict(naming.org_groups),
        },
        "working_groups": [_wg_to_data(wg) for wg in org.working_groups],
        "memberships": [_membership_to_data(m) for m in org.memberships],
    }


def _wg_to_data(wg: WorkingGroup) -> Data:
    data: Data = {"slug": wg.slug, "name": wg.name}
    optional = {"purpose": wg.purpose, "mount_point": wg.mount_point, "archived": wg.archived}
    data.update({k: v for k, v in optional.items() if v})
    if wg.grants:
        data["grants"] = [
            {"group": str(g.group), "right": g.right.name.lower(), **({"path": g.path} if g.path else {})}
            for g in wg.grants
        ]
    return data


def _membership_to_data(m: Membership) -> Data:
    data: Data = {"group": str(m.group), "user": m.user}  # plain text: OrgGroup values are StrEnums
    if m.role is not None:
        data["role"] = m.role.value
    if m.until is not None:
        data["until"] = m.until.isoformat()
    return data


def org_from_data(data: Any) -> Organisation:
    """The Organisation ``data`` describes; :class:`InvalidOrganisation` if it is not valid."""
    root = _mapping(data, "organisation", {"name", "naming", "working_groups", "memberships"})
    naming = _naming(root.get("naming", {}))
    groups = _working_groups(_list(root.get("working_groups", []), "working_groups"))
    check_group_ids(naming, groups)
    slugs = {wg.slug for wg in groups}
    for i, wg in enumerate(groups):
        for j, grant in enumerate(wg.grants):
            _check_ref(grant.group, slugs, f"working_groups[{i}].grants[{j}].group")
    memberships = tuple(
        _membership(m, slugs, f"memberships[{i}]")
        for i, m in enumerate(_list(root.get("memberships", []), "memberships"))
    )
    return Organisation(_text(root.get("name"), "name"), groups, memberships, naming)


def _naming(data: Any) -> Naming:
    raw = _mapping(data, "naming", {"role_pattern", "role_names", "org_groups"})
    default = Naming()
    pattern = _text(raw.get("role_pattern", default.role_pattern), "naming.role_pattern")
    if "{slug}" not in pattern or "{role}" not in pattern:
        raise InvalidOrganisation("naming.role_pattern", _("must contain {slug} and {role}"))
    prefix = pattern.split("{", 1)[0]
    if len(prefix) < 2 or not any(ch.isalnum() for ch in prefix) or pattern.count("{") != 2:
        # The app owns every group this pattern matches (lib/services/sync.py ``managed_by``): a
        # pattern like "{slug}{role}" would claim, and empty, most of Nextcloud's groups.
        raise InvalidOrganisation(
            "naming.role_pattern",
            _("must start with a fixed prefix of at least two characters, like gt-{slug}-{role}"),
        )
    role_names = {**default.role_names, **_names(raw.get("role_names", {}), "naming.role_names", set(ROLES))}
    org_groups = {
        **default.org_groups,
        **_names(raw.get("org_groups", {}), "naming.org_groups", set(default.org_groups)),
    }
    return Naming(pattern, role_names, org_groups)


def _(message: str) -> str:
    """Marks a message id for extraction (``make i18n-extract``); the page translates it."""
    return message


ADMIN_REFUSED = _("must not be Nextcloud's admin group: the app never changes who administers Nextcloud")
ROLE_ADMIN_REFUSED = _(
    "gives a role group the id of Nextcloud's admin group: the app never changes who administers Nextcloud"
)


def check_group_ids(naming: Naming, groups: tuple[WorkingGroup, ...]) -> None:
    """Every Nextcloud group the organisation names is its own, and none is ``admin``.

    The app adds and removes the members of every group its naming gives (lib/services/sync.py
    ``managed_by``): a file mapping ``org_groups.operations`` to ``admin`` would make it add
    operators to Nextcloud's administrators and remove the others; two references sharing one group
    would make each apply remove the other's members. Ids are compared in any case.
    """
    seen: dict[str, Any] = {}  # lowercase id -> the field that names it (or its index and role)
    for key, gid in naming.org_groups.items():
        _claim(seen, gid, f"naming.org_groups.{key}", ADMIN_REFUSED)
    roles = [(f" ({r.value})", naming.role_names.get(r.value, r.value)) for r in Role]  # as Naming.gid
    pattern = naming.role_pattern
    for i, wg in enumerate(groups):
        for detail, name in roles:
            gid = pattern.format(slug=wg.slug, role=name)
            key = gid.lower()  # the field's name is built only for a clash: 80,000 ids for 20,000 groups
            if key in seen or key == ADMIN_GROUP:
                _claim(seen, gid, f"working_groups[{i}].slug", ROLE_ADMIN_REFUSED, detail)
            seen[key] = i, detail


def _claim(seen: dict[str, Any], gid: str, field: str, admin_message: str, detail: str = "") -> None:
    if is_admin_group(gid):
        raise InvalidOrganisation(field, admin_message)
    other = seen.setdefault(gid.lower(), field + detail)
    if isinstance(other, tuple):
        other = f"working_groups[{other[0]}].slug{other[1]}"
    if other != field + detail:
        raise InvalidOrganisation(
            field,
            _("its Nextcloud group “%(gid)s” is already the one given in %(other)s"),
            {"gid": gid, "other": other},
        )


def _names(data: Any, field: str, allowed: set[str]) -> dict[str, str]:
    raw = _mapping(data, field, allowed)
    return {key: _text(value, f"{field}.{key}") for key, value in raw.items()}


def _working_groups(items: list[Any]) -> tuple[WorkingGroup, ...]:
    groups: list[WorkingGroup] = []
    for i, item in enumerate(items):
        field = f"working_groups[{i}]"
        raw = _mapping(item, field, {"slug", "name", "purpose", "mount_point", "grants", "archived"})
        slug = _text(raw.get("slug"), f"{field}.slug")
        if not is_slug(slug):
            raise InvalidOrganisation(f"{field}.slug", _("use 1 to 40 lowercase letters, digits or hyphens"))
        if any(wg.slug == slug for wg in groups):
            raise InvalidOrganisation(
                f"{field}.slug",
                _("another working group already has the identifier “%(slug)s”"),
                {"slug": slug},
            )
        wg = WorkingGroup(
            slug=slug,
            name=_text(raw.get("name"), f"{field}.name"),
            purpose=_text(raw.get("purpose", ""), f"{field}.purpose", required=False),
            mount_point=_path(raw.get("mount_point", ""), f"{field}.mount_point"),
            grants=tuple(
                _grant(g, f"{field}.grants[{j}]")
                for j, g in enumerate(_list(raw.get("grants", []), f"{field}.grants"))
            ),
            archived=_bool(raw.get("archived", False), f"{field}.archived"),
        )
        if any(other.folder == wg.folder for other in groups):
            raise InvalidOrganisation(
                f"{field}.mount_point",
                _("the folder “%(folder)s” already belongs to another working group"),
                {"folder": wg.folder},
            )
        groups.append(wg)
    return tuple(groups)


def _grant(data: Any, field: str) -> Grant:
    raw = _mapping(data, field, {"group", "right", "path"})
    right = raw.get("right")
    if right not in RIGHTS:
        raise InvalidOrganisation(
            f"{field}.right",
            _("there is no right “%(right)s”; use one of %(choices)s"),
            {"right": str(right), "choices": ", ".join(RIGHTS)},
        )
    return Grant(
        _text(raw.get("group"), f"{field}.group"), RIGHTS[right], _path(raw.get("path", ""), f"{field}.path")
    )


def _membership(data: Any, slugs: set[str], field: str) -> Membership:
    raw = _mapping(data, field, {"group", "user", "role", "until"})
    group = _text(raw.get("group"), f"{field}.group")
    role = raw.get("role")
    if group in slugs:
        if role not in ROLES:
            raise InvalidOrganisation(
                f"{field}.role",
                _("there is no role “%(role)s”; use one of %(choices)s"),
                {"role": str(role), "choices": ", ".join(ROLES)},
            )
    elif group not in ORG_GROUPS:
        raise InvalidOrganisation(
            f"{field}.group", _("there is no working group “%(group)s”"), {"group": str(group)}
        )
    elif role is not None:
        raise InvalidOrganisation(f"{field}.role", _("organisation-wide groups have no role"))
    until = _date(raw.get("until"), f"{field}.until")
    return Membership(group, _text(raw.get("user"), f"{field}.user"), ROLES[role] if role else None, until)


def _check_ref(ref: str, slugs: set[str], field: str) -> None:
    slug, slash, role = ref.partition("/")
    if slash and slug in slugs and role in ROLES:
        return
    if not slash and ref in ORG_GROUPS:
        return
    raise InvalidOrganisation(field, _("there is no group “%(group)s”"), {"group": str(ref)})


def _mapping(data: Any, field: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidOrganisation(field, _("must be written as names and values (name: value)"))
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise InvalidOrganisation(
            field, _("nothing called %(keys)s is expected here"), {"keys": ", ".join(unknown)}
        )
    return data


def _list(data: Any, field: str) -> list[Any]:
    if not isinstance(data, list):
        raise InvalidOrganisation(field, _("must be a list (one line per item, starting with “- ”)"))
    return data


def _text(data: Any, field: str, required: bool = True) -> str:
    if not isinstance(data, str) or (required and not data.strip()):
        raise InvalidOrganisation(field, _("must be a non-empty text") if required else _("must be a text"))
    return data.strip()


def _bool(data: Any, field: str) -> bool:
    if not isinstance(data, bool):
        raise InvalidOrganisation(field, _("must be true or false"))
    return data


def _path(data: Any, field: str) -> str:
    path = _text(data, field, required=False)
    if ".." in path.split("/") or "\\" in path:
        raise InvalidOrganisation(field, _("must not contain '..' or backslashes"))
    return normalize_path(path)


def _date(data: Any, field: str) -> date | None:
    """None, a date (YAML reads ``2025-06-30`` as one) or an ISO date string."""
    if data is None or (isinstance(data, date)):
        return data
    try:
        return date.fromisoformat(data)
    except (TypeError, ValueError):
        raise InvalidOrganisation(field, _("must be a date (YYYY-MM-DD)")) from None
