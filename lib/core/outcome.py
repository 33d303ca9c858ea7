"""What an approved request does to the organisation: the desired state once it is applied.

The service layer compiles the resulting Organisation and plans the difference with Nextcloud;
here everything is a pure function of values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import NoReturn

from . import codes
from .errors import InvalidRequest
from .expiry import org_without
from .model import Membership, Organisation, OrgGroup, Role, WorkingGroup
from .request_kinds import AccessRequest, RequestKind, RequestLine


def organisation_after(org: Organisation, request: AccessRequest) -> Organisation:
    """The organisation once ``request`` is applied; InvalidRequest when it does not fit ``org``.

    Lines of people still invited (no account yet) are left out: there is nobody to add until
    the account exists (:func:`lib.core.requests.account_ready`), and the plan is computed again then.
    """
    return _APPLY[request.kind](org, request)


def _add(org: Organisation, request: AccessRequest) -> Organisation:
    _open_group(org, request.group)
    added = tuple(_new_membership(org, request.group, line) for line in request.lines if line.user)
    return replace(org, memberships=org.memberships + added)


def _join(org: Organisation, request: AccessRequest) -> Organisation:
    line = request.lines[0]
    return _add(org, replace(request, lines=(replace(line, role=line.role or Role.CONTRIBUTOR),)))


def _change_role(org: Organisation, request: AccessRequest) -> Organisation:
    _known_group(org, request.group)
    for line in request.lines:
        current = _memberships(org, request.group, line.user)
        if {m.role for m in current} == {line.role}:
            _fail(
                "lines",
                codes.REQUEST_ALREADY_MEMBER,
                f"{line.user} already is {line.role} in {request.group}",
                user=line.user,
                group=request.group,
            )
        until = line.until or current[0].until
        kept = tuple(m for m in org.memberships if m not in current)
        org = replace(org, memberships=(*kept, Membership(request.group, line.user, line.role, until)))
    return org


def _remove(org: Organisation, request: AccessRequest) -> Organisation:
    _known_group(org, request.group)
    for line in request.lines:
        current = _memberships(org, request.group, line.user)
        gone = [m for m in current if line.role is None or m.role is line.role]
        if not gone:
            _fail(
                "lines",
                codes.REQUEST_NOT_MEMBER,
                f"{line.user} is not {line.role or 'a member'} in {request.group}",
                user=line.user,
                group=request.group,
            )
        org = org_without(org, gone)
    return org


def _renew(org: Organisation, request: AccessRequest) -> Organisation:
    """Each named member's end date becomes the line's (``None``: no end), in every role they hold
    there; their roles and everything else stay."""
    _open_group(org, request.group)
    for line in request.lines:
        current = set(_memberships(org, request.group, line.user))
        if all(m.until == line.until for m in current):
            _fail(
                "until",
                codes.REQUEST_SAME_END_DATE,
                f"{line.user}'s access to {request.group} already ends on {line.until}",
                user=line.user,
                group=request.group,
            )
        renewed = tuple(replace(m, until=line.until) if m in current else m for m in org.memberships)
        org = replace(org, memberships=renewed)
    return org


def _create_group(org: Organisation, request: AccessRequest) -> Organisation:
    if org.group(request.group):
        _fail(
            "group",
            codes.REQUEST_GROUP_EXISTS,
            f"a working group {request.group} already exists",
            group=request.group,
        )
    group = WorkingGroup(request.group, request.new_group_name, request.purpose)
    facilitator = Membership(request.group, request.requester, Role.FACILITATOR)
    return replace(
        org, working_groups=(*org.working_groups, group), memberships=(*org.memberships, facilitator)
    )


def _archive_group(org: Organisation, request: AccessRequest) -> Organisation:
    group = _open_group(org, request.group)
    groups = tuple(replace(wg, archived=True) if wg is group else wg for wg in org.working_groups)
    return replace(org, working_groups=groups)


def _offboard(org: Organisation, request: AccessRequest) -> Organisation:
    """The person leaves the association: every membership of theirs goes (working-group roles,
    organisation-wide groups, ended ones too), nobody else's; the working groups stay as they are. They
    keep their Nextcloud account (SSO manages accounts, DOMAIN.md); folder access follows from groups
    (a role nobody holds any more loses its group's folder access, as when its last member is removed).
    The last member of the operations team cannot go: nobody could decide on requests after them.
    It opens no objection window (lib/core/requests.py): members object to what happens to their group,
    while a person leaving the association is the operations team's to review, like any request."""
    user = request.lines[0].user
    mine = org.memberships_of(user)
    if not mine:
        _fail("lines", codes.REQUEST_IN_NO_GROUP, f"{user} is in no group", user=user)
    operators = {m.user for m in org.members_of(OrgGroup.OPERATIONS.value)}
    if operators == {user}:
        _fail("lines", codes.REQUEST_LAST_OPERATOR, f"{user} is the last operator", user=user)
    return org_without(org, mine)


_APPLY: dict[RequestKind, Callable[[Organisation, AccessRequest], Organisation]] = {
    RequestKind.ADD_MEMBER: _add,
    RequestKind.JOIN: _join,
    RequestKind.CHANGE_ROLE: _change_role,
    RequestKind.REMOVE_MEMBER: _remove,
    RequestKind.RENEW: _renew,
    RequestKind.CREATE_GROUP: _create_group,
    RequestKind.ARCHIVE_GROUP: _archive_group,
    RequestKind.OFFBOARD: _offboard,
}


def _new_membership(org: Organisation, group: str, line: RequestLine) -> Membership:
    if any(m.role is line.role for m in _memberships(org, group, line.user, required=False)):
        _fail(
            "lines",
            codes.REQUEST_ALREADY_MEMBER,
            f"{line.user} already is {line.role} in {group}",
            user=line.user,
            group=group,
        )
    return Membership(group, line.user, line.role, line.until)


def _memberships(org: Organisation, group: str, user: str, required: bool = True) -> list[Membership]:
    found = [m for m in org.members_of(group) if m.user == user]
    if required and not found:
        _fail("lines", codes.REQUEST_NOT_MEMBER, f"{user} is not a member of {group}", user=user, group=group)
    return found


def _known_group(org: Organisation, slug: str) -> WorkingGroup:
    group = org.group(slug)
    if group is None:
        _fail("group", codes.REQUEST_UNKNOWN_GROUP, f"there is no working group {slug}", group=slug)
    return group


def _open_group(org: Organisation, slug: str) -> WorkingGroup:
    group = _known_group(org, slug)
    if group.archived:
        _fail("group", codes.REQUEST_GROUP_ARCHIVED, f"the working group {slug} is archived", group=slug)
    return group


def _fail(field: str, code: str, message: str, **params: str) -> NoReturn:
    """``message`` is for logs; a page says the code's sentence (lib/core/codes.py) with ``params``."""
    raise InvalidRequest(field, message.replace("%", "%%"), code, params)
