"""What a click on a notification's Approve or Reject link came to: the outcome its page shows.

A click is a plain browser GET through AppAPI's proxy (NEXTCLOUD.md §3.3); the proxy follows
redirects itself (§2.3), so the action route answers a small page saying what happened. The rules:
a link is for one operator, one request and one decision; it is consumed only when the decision is
taken, so a click that came too early (objection window, a facilitator's acceptance pending) or that
was refused leaves it usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lib.core import codes
from lib.core.errors import Forbidden, GovernanceError, IllegalTransition, InvalidToken, UnsafePlan
from lib.core.policy import Actor, can_accept_join, can_decide
from lib.core.request_kinds import UNDECIDED_STATES, AccessRequest, RequestState
from lib.core.tokens import DecisionClaim

from .sync import StalePlan


class LinkResult(StrEnum):
    APPROVED = "approved"  # decided now; the request's state says whether it was applied
    REJECTED = "rejected"  # decided now; the requester was told
    REASON_NEEDED = "reason_needed"  # a Reject click: the page asks why (nothing decided yet)
    DECIDED = "decided"  # someone (or something) decided before this click
    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"  # altered, incomplete, or for another request or decision
    STALE = "stale"  # the changes are no longer those in the notification
    NOT_YOURS = "not_yours"  # sent to another operator, or the policy refuses this one
    WAITING = "waiting"  # cannot be approved yet: members may object, or a facilitator must accept
    CONFIRM = "confirm"  # the changes need a confirmation on the request's page
    REFUSED = "refused"  # any other reason, in ``error``


@dataclass(frozen=True)
class LinkOutcome:
    result: LinkResult
    request: AccessRequest | None = None  # as it is after the click
    error: GovernanceError | None = None  # why, when it says more than ``result``
    until: datetime | None = None  # WAITING for objections: when the request can be approved
    link_expires: datetime | None = None  # WAITING: whether the link outlives the wait
    reason: str = ""  # REASON_NEEDED after a refused reason: what the operator typed


_TOKEN_RESULTS = {
    codes.TOKEN_EXPIRED: LinkResult.EXPIRED,
    codes.TOKEN_FOREIGN: LinkResult.NOT_YOURS,
    codes.TOKEN_STALE: LinkResult.STALE,
    codes.TOKEN_USED: LinkResult.USED,
}


def token_refusal(exc: InvalidToken, req: AccessRequest | None) -> LinkOutcome:
    return LinkOutcome(_TOKEN_RESULTS.get(exc.code, LinkResult.INVALID), req, exc)


def precheck(
    claim: DecisionClaim,
    actor: Actor,
    decision: str,
    rid: int,
    req: AccessRequest | None,
    used: bool,
    now: datetime,
) -> LinkOutcome | None:
    """Why this authentic, unexpired link cannot take its decision now, if it cannot (no I/O)."""
    if claim.operator != actor.uid:
        return token_refusal(InvalidToken(codes.TOKEN_FOREIGN), req)
    if req is None or claim.request_id != rid or claim.decision != decision:
        return LinkOutcome(LinkResult.INVALID, req)
    if used:
        return LinkOutcome(LinkResult.USED, req)
    if req.state not in UNDECIDED_STATES:
        return LinkOutcome(LinkResult.DECIDED, req)
    joining = req.state is RequestState.AWAITING_FACILITATOR
    allowed = can_accept_join(actor, req) if joining and decision == "reject" else can_decide(actor, req)
    if not allowed:
        return LinkOutcome(LinkResult.NOT_YOURS, req, Forbidden(allowed.code, allowed.reason))
    if decision == "approve" and (joining or req.objection_open(now)):
        expires = datetime.fromtimestamp(claim.expires_at, now.tzinfo)
        return LinkOutcome(LinkResult.WAITING, req, until=req.objection_until, link_expires=expires)
    return None


def refusal(exc: GovernanceError, req: AccessRequest | None) -> LinkOutcome:
    """The outcome of a decision the service refused; ``req`` is the request read again after it."""
    if isinstance(exc, InvalidToken):
        return token_refusal(exc, req)
    if isinstance(exc, UnsafePlan):
        return LinkOutcome(LinkResult.CONFIRM, req, exc)
    if isinstance(exc, StalePlan):
        return LinkOutcome(LinkResult.STALE, req, exc)
    if isinstance(exc, Forbidden):
        return LinkOutcome(LinkResult.NOT_YOURS, req, exc)
    if req is not None and req.state not in UNDECIDED_STATES:
        return LinkOutcome(LinkResult.DECIDED, req)
    if isinstance(exc, IllegalTransition) and exc.code == codes.REQUEST_OBJECTION_WINDOW_OPEN and req:
        return LinkOutcome(LinkResult.WAITING, req, exc, until=req.objection_until)
    return LinkOutcome(LinkResult.REFUSED, req, exc)
