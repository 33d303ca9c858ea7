"""Access requests and their state machine: facilitators ask, operations decide (DOMAIN.md).

Every transition is a pure function returning a NEW request with ``version`` bumped (the
store's optimistic lock: two operators deciding at once, only one write wins) and one more
:class:`Transition` in ``history``. The state machine says *when* a step is possible; who may
take it is :mod:`lib.core.policy`. Two rules are enforced here as well, because they must hold
whatever the caller checked: nobody decides their own request, only the requester cancels.

Objection window (Communecter: 5 days). A destructive request (archiving a group, removing a
person from their last group) opens a window at submission. **Choice:** operations may not
approve it while the window is open; an objection closes the window at once (``objection_until``
becomes the objection's time) and the request stays pending for operations to review with the
objection in view, so approving despite an objection is possible but never happens silently.
Rejecting is possible at any time: it takes nobody's access away.

Invitations: a line with no ``user`` is someone invited by e-mail. Approval then leads to
``awaiting_account``; :func:`account_ready` fills in each uid, and once none is missing the
request is ``approved`` and can be applied. Datetimes are expected timezone-aware (UTC).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from . import codes
from . import request_checks as check
from .errors import IllegalTransition, InvalidRequest
from .request_kinds import (
    FINAL_STATES,
    SYSTEM_ACTOR,
    UNDECIDED_STATES,
    AccessRequest,
    Objection,
    RequestKind,
    RequestLine,
    RequestState,
    Transition,
)

__all__ = [
    "FINAL_STATES",
    "SYSTEM_ACTOR",
    "AccessRequest",
    "Objection",
    "RequestKind",
    "RequestLine",
    "RequestState",
    "Transition",
    "account_ready",
    "approve",
    "cancel",
    "expire",
    "facilitator_accept",
    "mark_applied",
    "mark_failed",
    "object_to",
    "reject",
    "retry",
    "start_applying",
    "submit",
    "withdraw_invitation",
]

S = RequestState

# The states in which each step is possible (each step's ``_require`` below says the same): pages
# offer a step only then (lib/core/policy.py ``steps``).
STEP_STATES: dict[str, frozenset[RequestState]] = {
    "facilitator_accept": frozenset({S.AWAITING_FACILITATOR}),
    "approve": frozenset({S.PENDING}),
    "reject": UNDECIDED_STATES,
    "cancel": UNDECIDED_STATES,
    "object": frozenset({S.PENDING}),
    "retry": frozenset({S.FAILED}),
    "withdraw_invitation": UNDECIDED_STATES | {S.AWAITING_ACCOUNT},
}


def submit(
    *,
    kind: RequestKind | str,
    requester: str,
    group: str,
    justification: str,
    now: datetime,
    lines: Iterable[RequestLine] = (),
    new_group_name: str = "",
    purpose: str = "",
    last_group: bool = False,
    objection_days: int = 5,
    request_id: int | None = None,
) -> AccessRequest:
    """A new request, checked, in its first state (a join first waits for a facilitator).

    ``last_group``: for remove_member, whether the group is the person's last one, which
    makes the removal destructive (it ends their access to the organisation's files).
    """
    kind = check.kind(kind)
    requester = check.text("requester", requester, 64)
    is_create = kind is RequestKind.CREATE_GROUP
    group = check.group_for(kind, group)
    first = S.AWAITING_FACILITATOR if kind is RequestKind.JOIN else S.PENDING
    destructive = kind is RequestKind.ARCHIVE_GROUP or (kind is RequestKind.REMOVE_MEMBER and last_group)
    window = now + timedelta(days=objection_days) if destructive and objection_days > 0 else None
    return AccessRequest(
        id=request_id,
        kind=kind,
        requester=requester,
        group=group,
        lines=check.lines_for(kind, requester, tuple(lines), now.date()),
        justification=check.text("justification", justification, check.MAX_JUSTIFICATION),
        new_group_name=check.text("new_group_name", new_group_name, check.MAX_GROUP_NAME)
        if is_create
        else "",
        purpose=check.text("purpose", purpose, check.MAX_JUSTIFICATION, required=False) if is_create else "",
        state=first,
        objection_until=window,
        history=(Transition(None, first, requester, now, "submitted"),),
    )


def facilitator_accept(request: AccessRequest, actor: str, now: datetime) -> AccessRequest:
    """A facilitator of the group accepts a join; operations decide next."""
    _require(request, "facilitator_accept", *STEP_STATES["facilitator_accept"])
    if actor == request.requester:
        raise _refused(request, "facilitator_accept", codes.REQUEST_SELF_ACCEPTANCE, "you asked to join")
    return _move(request, S.PENDING, actor, now, "accepted by a facilitator")


def approve(request: AccessRequest, actor: str, now: datetime, plan_checksum: str) -> AccessRequest:
    """Operations approve exactly the plan they were shown (its checksum)."""
    _require(request, "approve", *STEP_STATES["approve"])
    _not_own(request, actor, "approve")
    if request.objection_open(now):
        assert request.objection_until is not None
        until = f"{request.objection_until:%Y-%m-%d %H:%M}"
        reason = f"members may still object until {until}"
        raise IllegalTransition(
            request.id,
            request.state,
            "approve",
            code=codes.REQUEST_OBJECTION_WINDOW_OPEN,
            reason=reason,
            params={"until": request.objection_until},
        )
    checksum = check.text("plan_checksum", plan_checksum, 128)
    to = S.AWAITING_ACCOUNT if request.invitations else S.APPROVED
    return _move(
        request, to, actor, now, "approved", decided_by=actor, decided_at=now, plan_checksum=checksum
    )


def reject(request: AccessRequest, actor: str, now: datetime, reason: str) -> AccessRequest:
    """Operations (or, for a join, a facilitator) refuse the request, saying why."""
    _require(request, "reject", *STEP_STATES["reject"])
    _not_own(request, actor, "reject")
    why = check.text("reason", reason, check.MAX_JUSTIFICATION)
    return _move(request, S.REJECTED, actor, now, why, decided_by=actor, decided_at=now, reason=why)


def cancel(request: AccessRequest, actor: str, now: datetime) -> AccessRequest:
    """The requester withdraws the request before anyone decided."""
    _require(request, "cancel", *STEP_STATES["cancel"])
    if actor != request.requester:
        raise _refused(
            request, "cancel", codes.REQUEST_NOT_REQUESTER, "only the person who asked may cancel it"
        )
    return _move(request, S.CANCELLED, actor, now, "cancelled")


def object_to(request: AccessRequest, member: str, now: datetime, reason: str) -> AccessRequest:
    """A member objects during the window: the window closes, operations review (see module doc)."""
    _require(request, "object", *STEP_STATES["object"])
    if not request.objection_open(now):
        reason_closed = (
            "it is not open to objections" if request.objection_until is None else "the time is over"
        )
        raise _refused(request, "object", codes.REQUEST_OBJECTION_WINDOW_CLOSED, reason_closed)
    if member == request.requester:
        raise _refused(request, "object", codes.REQUEST_OWN_OBJECTION, "you asked for it; cancel it instead")
    why = check.text("reason", reason, check.MAX_JUSTIFICATION)
    objection = Objection(member, now, why)
    changes: dict[str, Any] = {"objections": (*request.objections, objection), "objection_until": now}
    return _move(request, S.PENDING, member, now, f"objection: {why}", **changes)


def account_ready(request: AccessRequest, email: str, user: str, now: datetime) -> AccessRequest:
    """An invited person now has an account: fill in their uid; approved once nobody is missing."""
    _require(request, "account_ready", S.AWAITING_ACCOUNT)
    wanted = email.strip().lower()
    index = next(
        (i for i, ln in enumerate(request.lines) if ln.is_invitation and ln.email.lower() == wanted), None
    )
    if index is None:
        raise InvalidRequest(
            "email", "no pending invitation for %(email)s", codes.REQUEST_UNKNOWN_INVITATION, {"email": email}
        )
    uid = check.text("user", user, 64)
    lines = tuple(replace(ln, user=uid) if i == index else ln for i, ln in enumerate(request.lines))
    to = S.AWAITING_ACCOUNT if any(ln.is_invitation for ln in lines) else S.APPROVED
    return _move(request, to, SYSTEM_ACTOR, now, f"account {uid} for {email}", lines=lines)


def withdraw_invitation(request: AccessRequest, email: str, actor: str, now: datetime) -> AccessRequest:
    """Take one invited person out of a request that has not been applied. The last person gone, the
    request is cancelled; an approved request left with nobody to wait for is ``approved`` (to apply)."""
    _require(request, "withdraw_invitation", *STEP_STATES["withdraw_invitation"])
    wanted = email.strip().lower()
    lines = tuple(ln for ln in request.lines if not (ln.is_invitation and ln.email.lower() == wanted))
    if len(lines) == len(request.lines):
        raise InvalidRequest(
            "email", "no pending invitation for %(email)s", codes.REQUEST_UNKNOWN_INVITATION, {"email": email}
        )
    note = f"invitation of {email.strip()} withdrawn"
    if not lines:
        return _move(request, S.CANCELLED, actor, now, note)
    waiting = request.state is S.AWAITING_ACCOUNT and any(ln.is_invitation for ln in lines)
    to = S.APPROVED if request.state is S.AWAITING_ACCOUNT and not waiting else request.state
    return _move(request, to, actor, now, note, lines=lines)


def start_applying(request: AccessRequest, actor: str, now: datetime) -> AccessRequest:
    _require(request, "start_applying", S.APPROVED)
    return _move(request, S.APPLYING, actor, now, "applying")


def mark_applied(request: AccessRequest, actor: str, now: datetime) -> AccessRequest:
    _require(request, "mark_applied", S.APPLYING)
    return _move(request, S.APPLIED, actor, now, "applied")


def mark_failed(request: AccessRequest, actor: str, now: datetime, error: str) -> AccessRequest:
    _require(request, "mark_failed", S.APPLYING)
    message = error.strip() or "unknown error"
    return _move(request, S.FAILED, actor, now, message, error=message)


def retry(request: AccessRequest, actor: str, now: datetime) -> AccessRequest:
    """A failed request goes back to approved, to be applied again (applying is idempotent)."""
    _require(request, "retry", *STEP_STATES["retry"])
    return _move(request, S.APPROVED, actor, now, "retry", error="")


def expire(request: AccessRequest, now: datetime) -> AccessRequest:
    """Nobody acted in time (or the invited person never came): the request lapses."""
    _require(request, "expire", *UNDECIDED_STATES, S.AWAITING_ACCOUNT)
    return _move(request, S.EXPIRED, SYSTEM_ACTOR, now, "expired")


# The brief's name; ``object_to`` is the canonical one (``object`` shadows a builtin).
object = object_to  # noqa: A001


def _require(request: AccessRequest, action: str, *states: RequestState) -> None:
    if request.state not in states:
        raise IllegalTransition(request.id, request.state, action, by=_taken_there_by(request))


def _taken_there_by(request: AccessRequest) -> str:
    """Who brought the request to its state, for "already approved by Malik Benali": the person who
    cancelled it, else whoever decided it; nobody for the app's own steps (expiry)."""
    last = request.history[-1] if request.history else None
    if request.state is S.CANCELLED:
        return last.actor if last and last.actor != SYSTEM_ACTOR else ""
    return request.decided_by


def _not_own(request: AccessRequest, actor: str, action: str) -> None:
    if actor == request.requester:
        raise _refused(request, action, codes.REQUEST_SELF_APPROVAL, "nobody decides on their own request")


def _refused(request: AccessRequest, action: str, code: str, reason: str) -> IllegalTransition:
    return IllegalTransition(request.id, request.state, action, code=code, reason=reason)


def _move(
    request: AccessRequest, to: RequestState, actor: str, now: datetime, note: str, **changes: Any
) -> AccessRequest:
    step = Transition(request.state, to, actor, now, note)
    return replace(
        request, state=to, version=request.version + 1, history=(*request.history, step), **changes
    )
