"""Input checks for a new request: what a person typed, before any state exists.

Each check returns the cleaned value or raises :class:`InvalidRequest` naming the field.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import InvalidRequest
from .request_kinds import RequestKind, RequestLine

MAX_JUSTIFICATION = 2000
MAX_GROUP_NAME = 100
MAX_LINES = 200
# A slug becomes part of Nextcloud group ids ("gt-<slug>-animateurs"), which are at most 64 chars.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def kind(value: RequestKind | str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        raise InvalidRequest("kind", f"unknown kind of request {value!r}") from None


def text(field: str, value: str, limit: int, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidRequest(field, "is required")
    if len(cleaned) > limit:
        raise InvalidRequest(field, f"is longer than {limit} characters")
    return cleaned


def slug(field: str, value: str) -> str:
    if not SLUG.match(value):
        raise InvalidRequest(field, "use 1 to 40 lowercase letters, digits or hyphens")
    return value


def lines_for(
    kind: RequestKind, requester: str, lines: tuple[RequestLine, ...], today: date
) -> tuple[RequestLine, ...]:
    """The request's lines, checked for its kind (a join always has exactly its joiner's line)."""
    if kind in (RequestKind.CREATE_GROUP, RequestKind.ARCHIVE_GROUP):
        if lines:
            raise InvalidRequest("lines", "this kind of request names no people")
        return ()
    if kind is RequestKind.JOIN:
        return (_join_line(requester, lines),)
    if not lines:
        raise InvalidRequest("lines", "name at least one person")
    if len(lines) > MAX_LINES:
        raise InvalidRequest("lines", f"name at most {MAX_LINES} people per request")
    seen: set[str] = set()
    for line in lines:
        _check_line(kind, line, today)
        if line.who in seen:
            raise InvalidRequest("lines", f"{line.who} is named twice")
        seen.add(line.who)
    return tuple(RequestLine(line.user.strip(), line.email.strip(), line.role, line.until) for line in lines)


def _join_line(requester: str, lines: tuple[RequestLine, ...]) -> RequestLine:
    if len(lines) > 1:
        raise InvalidRequest("lines", "a person joins a group for themselves only")
    line = lines[0] if lines else RequestLine()
    if line.user not in ("", requester) or line.email:
        raise InvalidRequest("lines", "a person joins a group for themselves only")
    return RequestLine(user=requester, role=line.role, until=line.until)


def _check_line(kind: RequestKind, line: RequestLine, today: date) -> None:
    if line.is_invitation:
        if kind is not RequestKind.ADD_MEMBER:
            raise InvalidRequest("lines", "name an existing account")
        if not EMAIL.match(line.email.strip()):
            raise InvalidRequest("email", f"{line.email!r} is not an e-mail address")
    if line.role is None and kind is not RequestKind.REMOVE_MEMBER:
        raise InvalidRequest("role", f"choose a role for {line.who}")
    if line.until is not None:
        if kind is RequestKind.REMOVE_MEMBER:
            raise InvalidRequest("until", "a removal has no end date")
        if line.until < today:
            raise InvalidRequest("until", f"the end date for {line.who} is already past")
