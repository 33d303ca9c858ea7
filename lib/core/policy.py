"""Who may do what: the one place access to the app's own actions is decided.

Every check returns a :class:`Decision`, truthy when allowed, carrying a stable ``code`` and an
English reason, so a route can both test it and explain a refusal; :func:`require` turns a
refusal into :class:`Forbidden`. These functions say *who*; whether a request's state allows a
step is the state machine's business (:mod:`lib.core.requests`).

Roles (DOMAIN.md): facilitators ask, operations decide and edit, the board reads everything and
changes nothing, the IT lead (a Nextcloud admin, ``is_admin``) has the operations team's powers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from . import codes
from .errors import Forbidden
from .model import Organisation, OrgGroup, Role
from .request_kinds import AccessRequest, RequestKind
from .requests import STEP_STATES


@dataclass(frozen=True)
class Actor:
    """The person using the app, with what the organisation says about them."""

    uid: str
    is_operations: bool = False
    is_board: bool = False
    facilitates: frozenset[str] = frozenset()  # working-group slugs
    member_of: frozenset[str] = frozenset()  # working-group slugs, any role (facilitator included)
    is_admin: bool = False  # the IT lead (*DSI*)

    @property
    def operates(self) -> bool:
        return self.is_operations or self.is_admin

    @property
    def reads_all(self) -> bool:
        return self.is_board or self.operates


Viewer = Actor


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True, codes.POLICY_ALLOWED, codes.MESSAGES[codes.POLICY_ALLOWED])


def deny(code: str) -> Decision:
    return Decision(False, code, codes.MESSAGES[code])


def require(decision: Decision) -> None:
    """Raise :class:`Forbidden` unless the decision allows."""
    if not decision:
        raise Forbidden(decision.code, decision.reason)


def actor_for(org: Organisation, uid: str, is_admin: bool = False, today: date | None = None) -> Actor:
    """The actor ``uid`` is in ``org``; with ``today``, memberships past their end date count for nothing."""
    mine = [m for m in org.memberships_of(uid) if today is None or m.until is None or m.until >= today]
    slugs = {m.group for m in mine if org.group(m.group) is not None}
    return Actor(
        uid=uid,
        is_operations=any(m.group == OrgGroup.OPERATIONS for m in mine),
        is_board=any(m.group == OrgGroup.BOARD for m in mine),
        facilitates=frozenset(m.group for m in mine if m.group in slugs and m.role is Role.FACILITATOR),
        member_of=frozenset(m.group for m in mine if m.group in slugs),
        is_admin=is_admin,
    )


def can_request(actor: Actor, kind: RequestKind, group: str) -> Decision:
    """Facilitators ask for their group (any facilitator may propose a new one); anyone may ask to join.
    Taking a person out of every group (they leave the association) is the operations team's to ask:
    a facilitator removes people from their own group only, and the board changes nothing."""
    if not actor.uid:
        return deny(codes.POLICY_NO_ACCOUNT)
    if kind is RequestKind.JOIN:
        return deny(codes.POLICY_ALREADY_MEMBER) if group in actor.member_of else ALLOWED
    if kind is RequestKind.OFFBOARD:  # every group: more than any facilitator may ask for
        return ALLOWED if actor.operates else deny(codes.POLICY_NOT_OPERATIONS)
    if actor.operates:
        return ALLOWED
    if kind is RequestKind.CREATE_GROUP:
        return ALLOWED if actor.facilitates else deny(codes.POLICY_NOT_FACILITATOR)
    return ALLOWED if group in actor.facilitates else deny(codes.POLICY_NOT_FACILITATOR)


def can_decide(actor: Actor, request: AccessRequest) -> Decision:
    """Operations decide, never on a request they made nor on one that changes their own access."""
    if not actor.operates:
        return deny(codes.POLICY_NOT_OPERATIONS)
    if actor.uid == request.requester:
        return deny(codes.POLICY_OWN_REQUEST)
    if actor.uid in request.people:
        return deny(codes.POLICY_OWN_ACCESS)
    return ALLOWED


def can_cancel(actor: Actor, request: AccessRequest) -> Decision:
    return ALLOWED if actor.uid == request.requester else deny(codes.POLICY_NOT_REQUESTER)


def can_object(actor: Actor, request: AccessRequest, now: datetime) -> Decision:
    """Members of the group, while its objection window is open (not the requester: they cancel)."""
    if not request.objection_open(now):
        return deny(codes.POLICY_NO_OBJECTION_WINDOW)
    if request.group not in actor.member_of:
        return deny(codes.POLICY_NOT_GROUP_MEMBER)
    if actor.uid == request.requester:
        return deny(codes.REQUEST_OWN_OBJECTION)
    return ALLOWED


def can_accept_join(actor: Actor, request: AccessRequest) -> Decision:
    """A facilitator of the group accepts (or declines) a join; never the joiner."""
    if request.kind is not RequestKind.JOIN:
        return deny(codes.POLICY_NOT_A_JOIN)
    if actor.uid == request.requester:
        return deny(codes.POLICY_OWN_REQUEST)
    return ALLOWED if request.group in actor.facilitates else deny(codes.POLICY_NOT_FACILITATOR)


def can_withdraw_invitation(actor: Actor, request: AccessRequest) -> Decision:
    """The person who asked, or the operations team, may take an invited person out of a request."""
    return ALLOWED if actor.uid == request.requester or actor.operates else deny(codes.POLICY_NOT_REQUESTER)


def steps(actor: Actor, request: AccessRequest, now: datetime) -> dict[str, bool]:
    """What a request's page offers ``actor`` now: who may take each step (this module) and whether
    the request's state still allows it (the state machine's ``STEP_STATES``). No Cancel on an
    applied request, no Accept or Reject on a decided join (issue 15)."""
    state = request.state
    decides = bool(can_decide(actor, request))
    accepts = bool(can_accept_join(actor, request)) and state in STEP_STATES["facilitator_accept"]
    return {
        "decide": decides and state in STEP_STATES["approve"],
        "reject": (decides or accepts) and state in STEP_STATES["reject"],
        "retry": decides and state in STEP_STATES["retry"],
        "cancel": bool(can_cancel(actor, request)) and state in STEP_STATES["cancel"],
        "object": bool(can_object(actor, request, now)) and state in STEP_STATES["object"],
        "accept": accepts,
        "withdraw": bool(request.invitations)
        and bool(can_withdraw_invitation(actor, request))
        and state in STEP_STATES["withdraw_invitation"],
    }


def can_view_request(actor: Actor, request: AccessRequest) -> Decision:
    """Those who decide or oversee, the requester, the people concerned, the group's facilitators,
    and the group's members when the request is open to their objection."""
    concerned = actor.uid == request.requester or actor.uid in request.people
    facilitator = request.group in actor.facilitates
    may_object = request.is_destructive and request.group in actor.member_of
    return (
        ALLOWED
        if actor.reads_all or concerned or facilitator or may_object
        else deny(codes.POLICY_NOT_CONCERNED)
    )


def can_view_person(actor: Actor, uid: str) -> Decision:
    """Everything a person reaches: for the board and the operations team, and for the person."""
    return ALLOWED if actor.reads_all or actor.uid == uid else deny(codes.POLICY_BOARD_OR_OPERATIONS)


def can_view_matrix(actor: Actor) -> Decision:
    return ALLOWED if actor.reads_all else deny(codes.POLICY_BOARD_OR_OPERATIONS)


def can_view_audit(actor: Actor) -> Decision:
    return ALLOWED if actor.reads_all else deny(codes.POLICY_BOARD_OR_OPERATIONS)


def can_view_stats(actor: Actor) -> Decision:
    return ALLOWED if actor.reads_all else deny(codes.POLICY_BOARD_OR_OPERATIONS)


def can_edit_org(actor: Actor) -> Decision:
    return ALLOWED if actor.operates else deny(codes.POLICY_NOT_OPERATIONS)


def can_see_decisions(actor: Actor) -> Decision:
    """The list of requests waiting for a decision: for those who decide (:func:`can_decide`), the
    IT lead included (found by tests/http/test_route_policy.py: the admin could decide but not see)."""
    return ALLOWED if actor.operates else deny(codes.POLICY_NOT_OPERATIONS)


def can_repair_drift(actor: Actor) -> Decision:
    return ALLOWED if actor.operates else deny(codes.POLICY_NOT_OPERATIONS)


def can_set_up(actor: Actor) -> Decision:
    """Setting Governance up (first run, the operations team) is the IT lead's: a Nextcloud
    administrator, as Nextcloud says (``Actor.is_admin``), never the organisation's own roles, which
    do not exist yet on a fresh install."""
    return ALLOWED if actor.is_admin else deny(codes.POLICY_NOT_ADMIN)


def can_view_settings(actor: Actor) -> Decision:
    """The app's settings and the checks of the installation: administrators only."""
    return ALLOWED if actor.is_admin else deny(codes.POLICY_NOT_ADMIN)


def can_search_people(actor: Actor) -> Decision:
    """Searching Nextcloud's accounts is for those who may ask to add someone (facilitators, the
    operations team, the IT lead); the board searches only the organisation's people (the access
    explanation). The search runs as the app's administrator account, so this is the only gate."""
    return ALLOWED if actor.facilitates or actor.reads_all else deny(codes.POLICY_NOT_FACILITATOR)


def sees_emails(actor: Actor) -> bool:
    """E-mail addresses in people search: for the operations team and the IT lead only."""
    return actor.operates
