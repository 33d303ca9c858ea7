"""Plans in words: what a volunteer reads before approving, in their own language.

An approver saw "add paul to gt-communication-membres (15)" or a count; they must read "Add Paul
Martin to Communication (contributors)" and "Give Communication (readers) access to the folder
Communication: Consultation". The core says which sentence and with what (a :class:`Phrase`, an
English message id and its parameters, themselves phrases where they need translating); the
reader's language is applied by ``lib.i18n.say`` at the last moment, so one plan can be told to an
operator in French and to another in English.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from .explain import BITS
from .model import Organisation, Right, Role
from .safety import Concern, Impact


def _(message: str) -> str:
    """Marks a message id for extraction (``make i18n-extract``); translated by ``lib.i18n.say``."""
    return message


@dataclass(frozen=True)
class Phrase:
    """A message id and its parameters; a parameter is plain text (a name) or another phrase."""

    message: str
    params: dict[str, str | Phrase] = field(default_factory=dict)


RIGHT_WORDS = {
    int(Right.NONE): _("None"),
    int(Right.CONSULT): _("Consultation"),
    int(Right.MODIFY): _("Modification"),
    int(Right.MANAGE): _("Management"),
}
BIT_WORDS = {
    "read": _("read"),
    "update": _("change"),
    "create": _("add"),
    "delete": _("delete"),
    "share": _("share"),
}
ROLE_WORDS = {
    Role.FACILITATOR: _("facilitators"),
    Role.CONTRIBUTOR: _("contributors"),
    Role.READER: _("readers"),
    Role.STEERING: _("steering committee"),
}
ORG_GROUP_WORDS = {
    "board": _("the board"),
    "operations": _("the operations team"),
    "members": _("the members of the association"),
    "all": _("everyone"),
    "app": _("Governance's own account"),
}


def right_phrase(bits: int) -> Phrase:
    """``15`` -> Modification; bits that are no named right -> "read, share"."""
    if bits in RIGHT_WORDS:
        return Phrase(RIGHT_WORDS[bits])
    parts = [Phrase(BIT_WORDS[name]) for name, bit in BITS if bits & bit]
    return Phrase(
        ", ".join(f"%(b{i})s" for i in range(len(parts))), {f"b{i}": p for i, p in enumerate(parts)}
    )


class Words:
    """Names for the groups and people of one organisation."""

    def __init__(self, org: Organisation, people: dict[str, str] | None = None) -> None:
        self.people = people or {}
        self._org = org  # its group index is computed once per organisation (Organisation.group_refs)

    def group(self, gid: str) -> str | Phrase:
        """``gt-com-animateurs`` -> "Communication (facilitators)"; a group the organisation does not
        name keeps its id. Looked up when asked: a page names a few groups of hundreds."""
        ref = self._org.group_refs.get(gid)
        if ref is None:
            return gid
        slug, _sep, role = ref.partition("/")
        if not role:
            return Phrase(ORG_GROUP_WORDS.get(ref, ref))
        wg = self._org.group(slug)
        return Phrase(
            _("%(group)s (%(role)s)"),
            {"group": wg.name if wg else slug, "role": Phrase(ROLE_WORDS[Role(role)])},
        )

    def person(self, uid: str) -> str:
        """The display name (the account id only where Nextcloud gave none)."""
        return self.people.get(uid) or uid

    def mapping(self, kind: str, mid: str) -> str | Phrase:
        return self.person(mid) if kind == "user" else self.group(mid)

    def change(self, c: Change) -> Phrase:
        """One change as a sentence."""
        match c:
            case CreateGroup(gid=gid):
                return Phrase(_("Create the Nextcloud group for %(group)s"), {"group": self.group(gid)})
            case AddMember(gid=gid, uid=uid):
                return Phrase(
                    _("Add %(person)s to %(group)s"), {"person": self.person(uid), "group": self.group(gid)}
                )
            case RemoveMember(gid=gid, uid=uid):
                return Phrase(
                    _("Remove %(person)s from %(group)s"),
                    {"person": self.person(uid), "group": self.group(gid)},
                )
            case CreateFolder(mount_point=mount):
                return Phrase(_("Create the Team folder “%(folder)s”"), {"folder": mount})
            case RenameFolder(mount_point=mount, previous=previous):
                return Phrase(
                    _("Rename the Team folder “%(before)s” to “%(folder)s”: its files and rights stay"),
                    {"before": previous, "folder": mount},
                )
            case RenameGroup(gid=gid, display_name=name):
                return Phrase(
                    _("Rename the Nextcloud group of %(group)s to “%(name)s”"),
                    {"group": self.group(gid), "name": name},
                )
            case SetAcl(mount_point=mount, enabled=True):
                return Phrase(_("Turn on rights per sub-folder in “%(folder)s”"), {"folder": mount})
            case SetAcl(mount_point=mount, enabled=False):
                return Phrase(
                    _(
                        "Turn off rights per sub-folder in “%(folder)s”: everyone with access to the"
                        " folder then reaches every sub-folder"
                    ),
                    {"folder": mount},
                )
            case AttachGroup(mount_point=mount, gid=gid, permissions=bits):
                return Phrase(
                    _("Give %(group)s access to “%(folder)s”: %(right)s"),
                    {"group": self.group(gid), "folder": mount, "right": right_phrase(bits)},
                )
            case SetGroupPermissions(mount_point=mount, gid=gid, permissions=bits, previous=before):
                return Phrase(
                    _("Change the access of %(group)s to “%(folder)s” from %(before)s to %(right)s"),
                    {
                        "group": self.group(gid),
                        "folder": mount,
                        "before": right_phrase(before),
                        "right": right_phrase(bits),
                    },
                )
            case SetAclManager(mount_point=mount, mapping_type=kind, mapping_id=mid, manage=manage):
                message = (
                    _("Let %(who)s manage the rights of “%(folder)s”")
                    if manage
                    else _("Stop letting %(who)s manage the rights of “%(folder)s”")
                )
                return Phrase(message, {"who": self.mapping(kind, mid), "folder": mount})
            case SetAclRules(mount_point=mount, path=path, rules=rules):
                parts: dict[str, str | Phrase] = {}
                for i, r in enumerate(rules):
                    parts[f"r{i}"] = Phrase(
                        _("%(who)s: %(right)s"),
                        {
                            "who": self.mapping(r.mapping_type, r.mapping_id),
                            "right": right_phrase(r.permissions),
                        },
                    )
                listed = Phrase("; ".join(f"%(r{i})s" for i in range(len(rules))), parts)
                if not rules:
                    return Phrase(
                        _("Remove the rights set on “%(folder)s/%(path)s”"), {"folder": mount, "path": path}
                    )
                return Phrase(
                    _("Set the rights on “%(folder)s/%(path)s”: %(rules)s"),
                    {"folder": mount, "path": path, "rules": listed},
                )
            case DetachGroup(mount_point=mount, gid=gid):
                return Phrase(
                    _("Take away the access of %(group)s to “%(folder)s”"),
                    {"group": self.group(gid), "folder": mount},
                )
        return Phrase(str(c))

    def concern(self, c: Concern) -> Phrase:
        """Why an operator must confirm."""
        if c.kind == "people_removed":
            return Phrase(_("%(n)s people lose access"), {"n": str(c.count)})
        if c.kind == "acl_disabled":
            return Phrase(_("Rights per sub-folder are turned off in “%(folder)s”"), {"folder": c.folder})
        if c.kind == "deny_dropped":
            return Phrase(
                _("A restriction for %(group)s on “%(folder)s/%(path)s” is lifted"),
                {"group": self.group(c.group), "folder": c.folder, "path": c.path},
            )
        return Phrase(
            _("%(group)s loses its access to “%(folder)s”"),
            {"group": self.group(c.group), "folder": c.folder},
        )

    def impact(self, i: Impact) -> Phrase:
        """Who gains or loses what."""
        who = self.group(i.who[1:]) if i.who.startswith("@") else self.person(i.who)
        where: str | Phrase = (
            Phrase(_("“%(folder)s”"), {"folder": i.folder}) if i.folder else self.group(i.group)
        )
        message = (
            _("%(who)s gains access to %(where)s") if i.gains else _("%(who)s loses access to %(where)s")
        )
        return Phrase(message, {"who": who, "where": where})
