"""Where an organisation file is wrong, in words: "membership 3 (end date)", not ``memberships[2].until``.

lib/core/orgfile.py names the place of an error by its path in the data, which a person editing the
file should not have to decode (issue 14). :func:`place` turns that path into a
:class:`~lib.core.wording.Phrase` the page says in the reader's language (``lib.i18n.say``); numbers
count from 1, as people count, and the phrase starts in lower case so it can stand anywhere in a
sentence (``lib.i18n.organisation_error`` capitalises it at the start of one).
"""

from __future__ import annotations

import re

from .model import Role
from .wording import ORG_GROUP_WORDS, ROLE_WORDS, Phrase, _

SECTIONS = {
    "organisation": _("the whole file"),
    "name": _("organisation name"),
    "naming": _("naming"),
    "working_groups": _("working groups"),
    "memberships": _("memberships"),
}
NAMING = {
    "role_pattern": _("role pattern"),
    "role_names": _("role names"),
    "org_groups": _("organisation-wide groups"),
}
WORKING_GROUP = {
    "slug": _("identifier"),
    "name": _("name"),
    "purpose": _("purpose"),
    "mount_point": _("folder"),
    "archived": _("archived"),
    "grants": _("folder access"),
}
GRANT = {"group": _("group"), "right": _("right"), "path": _("subfolder")}
MEMBERSHIP = {"group": _("group"), "user": _("person"), "role": _("role"), "until": _("end date")}

# The sentence of an error (lib.i18n.organisation_error): where, on which line when known, and what.
AT = _("%(place)s: %(error)s.")
AT_LINE = _("%(place)s, line %(line)s: %(error)s.")

# naming.org_groups.board | working_groups[0].grants[1].path | memberships[2].until | ... (contributor)
PATH = re.compile(
    r"^(?P<section>\w+)(?:\[(?P<i>\d+)\])?"
    r"(?:\.(?P<field>\w+)(?:\[(?P<j>\d+)\])?(?:\.(?P<sub>\w+))?)?"
    r"(?: \((?P<role>\w+)\))?$"
)


def place(field: str) -> Phrase:
    """The place ``field`` names, in words; a path of another shape is said as it is."""
    m = PATH.match(field)
    if m is None:
        return Phrase(field)
    section, i, what, j, sub, role = m.group("section", "i", "field", "j", "sub", "role")
    if section == "naming" and i is None and j is None:
        return _naming(what, sub) or Phrase(field)
    if section == "working_groups" and i is not None:
        return _working_group(int(i) + 1, what, j, sub, role) or Phrase(field)
    if section == "memberships" and i is not None and j is None and sub is None and not role:
        return _membership(int(i) + 1, what) or Phrase(field)
    if section in SECTIONS and i is None and what is None and not role:
        return Phrase(SECTIONS[section])
    return Phrase(field)


def _naming(what: str | None, key: str | None) -> Phrase | None:
    if what is None:
        return Phrase(SECTIONS["naming"])
    if what not in NAMING:
        return None
    if key is None:
        return Phrase(_("naming (%(what)s)"), {"what": Phrase(NAMING[what])})
    if what == "role_names" and key in {r.value for r in Role}:
        return Phrase(_("naming (name given to %(whom)s)"), {"whom": Phrase(ROLE_WORDS[Role(key)])})
    if what == "org_groups" and key in ORG_GROUP_WORDS:
        return Phrase(_("naming (the group of %(whom)s)"), {"whom": Phrase(ORG_GROUP_WORDS[key])})
    return None


def _working_group(
    n: int, what: str | None, j: str | None, sub: str | None, role: str | None
) -> Phrase | None:
    number: dict[str, str | Phrase] = {"n": str(n)}
    if role:
        if what != "slug" or j is not None or sub is not None or role not in {r.value for r in Role}:
            return None
        words = Phrase(ROLE_WORDS[Role(role)])
        return Phrase(_("working group %(n)s (the group of its %(role)s)"), {**number, "role": words})
    if what is None:
        return Phrase(_("working group %(n)s"), number)
    if what == "grants" and j is not None:
        access: dict[str, str | Phrase] = {**number, "m": str(int(j) + 1)}
        if sub is None:
            return Phrase(_("working group %(n)s, folder access %(m)s"), access)
        if sub in GRANT:
            words = Phrase(GRANT[sub])
            return Phrase(_("working group %(n)s, folder access %(m)s (%(what)s)"), {**access, "what": words})
        return None
    if what in WORKING_GROUP and j is None and sub is None:
        return Phrase(_("working group %(n)s (%(what)s)"), {**number, "what": Phrase(WORKING_GROUP[what])})
    return None


def _membership(n: int, what: str | None) -> Phrase | None:
    if what is None:
        return Phrase(_("membership %(n)s"), {"n": str(n)})
    if what in MEMBERSHIP:
        return Phrase(_("membership %(n)s (%(what)s)"), {"n": str(n), "what": Phrase(MEMBERSHIP[what])})
    return None
