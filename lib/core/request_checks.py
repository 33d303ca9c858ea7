"""Input checks for a new request: what a person typed, before any state exists.

Each check returns the cleaned value or raises :class:`InvalidRequest` naming the field, with a
sentence for the person who typed it (shown next to that field): an English message id marked with
``_`` for extraction, its names as parameters, translated by ``lib.i18n.error_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from . import codes
from .errors import InvalidRequest
from .request_kinds import EVERY_GROUP, FINAL_STATES, AccessRequest, RequestKind, RequestLine
from .slugs import is_slug

MAX_JUSTIFICATION = 2000
MAX_GROUP_NAME = 100
MAX_LINES = 200
# A slug becomes part of Nextcloud group ids ("gt-<slug>-animateurs"), which are at most 64 chars.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _(message: str) -> str:
    """Marks a message id for extraction (``make i18n-extract``); the page translates it."""
    return message


def kind(value: RequestKind | str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        raise InvalidRequest("kind", _("This kind of request does not exist.")) from None


def text(field: str, value: str, limit: int, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidRequest(field, _("Fill in this field."))
    if len(cleaned) > limit:
        raise InvalidRequest(
            field, _("This is too long: at most %(limit)s characters."), params={"limit": str(limit)}
        )
    return cleaned


def slug(field: str, value: str) -> str:
    if not is_slug(value):
        raise InvalidRequest(field, _("Use 1 to 40 lowercase letters, digits or hyphens."))
    return value


def group_for(kind: RequestKind, value: str) -> str:
    """The request's group: a new slug to create, :data:`EVERY_GROUP` for an offboarding (it
    concerns every group, so it names none), else the working group it is about."""
    if kind is RequestKind.CREATE_GROUP:
        return slug("group", value)
    if kind is RequestKind.OFFBOARD:
        if value.strip():
            raise InvalidRequest("group", _("Removing a person from every group names no working group."))
        return EVERY_GROUP
    return text("group", value, 64)


def lines_for(
    kind: RequestKind, requester: str, lines: tuple[RequestLine, ...], today: date
) -> tuple[RequestLine, ...]:
    """The request's lines, checked for its kind (a join always has exactly its joiner's line)."""
    if kind in (RequestKind.CREATE_GROUP, RequestKind.ARCHIVE_GROUP):
        if lines:
            raise InvalidRequest("lines", _("This kind of request names no people."))
        return ()
    if kind is RequestKind.JOIN:
        return (_join_line(requester, lines),)
    if kind is RequestKind.OFFBOARD:
        return (_offboard_line(lines),)
    if not lines:
        raise InvalidRequest("lines", _("Name at least one person."))
    if len(lines) > MAX_LINES:
        raise InvalidRequest(
            "lines", _("Name at most %(limit)s people per request."), params={"limit": str(MAX_LINES)}
        )
    seen: set[str] = set()
    for line in lines:
        _check_line(kind, line, today)
        if line.who in seen:
            raise InvalidRequest("lines", _("%(person)s is named twice."), params={"person": line.who})
        seen.add(line.who)
    return tuple(RequestLine(line.user.strip(), line.email.strip(), line.role, line.until) for line in lines)


def _join_line(requester: str, lines: tuple[RequestLine, ...]) -> RequestLine:
    if len(lines) > 1:
        raise InvalidRequest("lines", _("A person joins a group for themselves only."))
    line = lines[0] if lines else RequestLine()
    if line.user not in ("", requester) or line.email:
        raise InvalidRequest("lines", _("A person joins a group for themselves only."))
    return RequestLine(user=requester, role=line.role, until=line.until)


def _offboard_line(lines: tuple[RequestLine, ...]) -> RequestLine:
    """Exactly one person with an account; no role nor end date: they leave every group, now."""
    if len(lines) != 1 or not lines[0].user.strip():
        raise InvalidRequest("lines", _("Name the one person who leaves the association."))
    line = lines[0]
    if line.email.strip() or line.role is not None or line.until is not None:
        raise InvalidRequest("lines", _("Removing a person from every group has no role nor end date."))
    return RequestLine(user=text("lines", line.user, 64))  # a Nextcloud user id has at most 64


def _check_line(kind: RequestKind, line: RequestLine, today: date) -> None:
    if line.is_invitation:
        if kind is not RequestKind.ADD_MEMBER:
            raise InvalidRequest("lines", _("Name a person who has an account."))
        if not EMAIL.match(line.email.strip()):
            raise InvalidRequest(
                "email", _("“%(email)s” is not an e-mail address."), params={"email": line.email.strip()}
            )
    if line.role is None and kind not in (RequestKind.REMOVE_MEMBER, RequestKind.RENEW):
        raise InvalidRequest("role", _("Choose a role for %(person)s."), params={"person": line.who})
    if line.until is not None:
        if kind is RequestKind.REMOVE_MEMBER:
            raise InvalidRequest("until", _("A removal has no end date."))
        if line.until < today:
            raise InvalidRequest(
                "until", _("The end date for %(person)s is already past."), params={"person": line.who}
            )


def not_duplicate(new: AccessRequest, others: Iterable[AccessRequest]) -> None:
    """Refuse ``new`` while an unfinished request of the same group names one of its people (or,
    naming nobody, is of the same kind): two approvals would each apply, one over the other (issue
    15). An unfinished offboarding blocks any request naming its person, whatever the group: it
    would take them out of it again. The error carries the other request's ``id`` so the page can
    link to it."""
    who = {line.who.lower() for line in new.lines}
    for other in others:
        if other.state in FINAL_STATES or other.id == new.id:
            continue
        leaving = other.kind is RequestKind.OFFBOARD
        if other.group != new.group and not leaving:
            continue
        shared = sorted(who & {line.who.lower() for line in other.lines})
        if shared:
            person = next(ln.who for ln in new.lines if ln.who.lower() == shared[0])
            if leaving:
                message = "request #%(id)s removing %(user)s from every group is not finished"
                params = {"id": str(other.id), "user": person}
                raise InvalidRequest("lines", message, codes.REQUEST_DUPLICATE_OFFBOARD, params)
            message = "request #%(id)s about %(user)s in %(group)s is not finished"
            params = {"id": str(other.id), "user": person, "group": new.group}
            raise InvalidRequest("lines", message, codes.REQUEST_DUPLICATE, params)
        if not who and not other.lines and other.kind is new.kind:
            message = "request #%(id)s about %(group)s is not finished"
            params = {"id": str(other.id), "group": new.group}
            raise InvalidRequest("group", message, codes.REQUEST_DUPLICATE_GROUP, params)
