"""The request state machine: every step, every refusal, and the rules it keeps whatever the caller did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lib.core import requests as rq
from lib.core.errors import GovernanceError, IllegalTransition, InvalidRequest
from lib.core.model import Role
from lib.core.requests import AccessRequest, RequestLine, RequestState

S = RequestState
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
AFTER_WINDOW = NOW + timedelta(days=5, seconds=1)
BOB = RequestLine("bob", role=Role.CONTRIBUTOR)
INVITEE = RequestLine(email="new@example.org", role=Role.READER)


def submit(kind: str = "add_member", **kw: object) -> AccessRequest:
    fields: dict[str, object] = {
        "kind": kind,
        "requester": "fanny",
        "group": "comm",
        "justification": "needs the press kit",
        "now": NOW,
        "lines": (BOB,),
        "request_id": 7,
    }
    fields.update(kw)
    return rq.submit(**fields)  # type: ignore[arg-type]


def join() -> AccessRequest:
    return submit("join", requester="jo", lines=())


def in_state(state: RequestState) -> AccessRequest:
    """A request reached in ``state`` through the ordinary path."""
    pending = submit()
    approved = rq.approve(pending, "olga", LATER, "sum-1")
    applying = rq.start_applying(approved, "olga", LATER)
    return {
        S.PENDING: pending,
        S.AWAITING_FACILITATOR: join(),
        S.APPROVED: approved,
        S.APPLYING: applying,
        S.APPLIED: rq.mark_applied(applying, "olga", LATER),
        S.FAILED: rq.mark_failed(applying, "olga", LATER, "Nextcloud said 500"),
        S.REJECTED: rq.reject(pending, "olga", LATER, "not needed"),
        S.CANCELLED: rq.cancel(pending, "fanny", LATER),
        S.EXPIRED: rq.expire(pending, LATER),
        S.AWAITING_ACCOUNT: rq.approve(submit(lines=(INVITEE,)), "olga", LATER, "sum-1"),
    }[state]


Step = Callable[[AccessRequest], AccessRequest]
STEPS: dict[str, tuple[Step, set[RequestState]]] = {
    "facilitator_accept": (lambda r: rq.facilitator_accept(r, "fred", LATER), {S.AWAITING_FACILITATOR}),
    "approve": (lambda r: rq.approve(r, "olga", LATER, "sum-1"), {S.PENDING}),
    "reject": (lambda r: rq.reject(r, "olga", LATER, "no"), {S.PENDING, S.AWAITING_FACILITATOR}),
    "cancel": (lambda r: rq.cancel(r, r.requester, LATER), {S.PENDING, S.AWAITING_FACILITATOR}),
    "object": (lambda r: rq.object_to(r, "carl", LATER, "we still use it"), {S.PENDING}),
    "start_applying": (lambda r: rq.start_applying(r, "olga", LATER), {S.APPROVED}),
    "mark_applied": (lambda r: rq.mark_applied(r, "olga", LATER), {S.APPLYING}),
    "mark_failed": (lambda r: rq.mark_failed(r, "olga", LATER, "boom"), {S.APPLYING}),
    "retry": (lambda r: rq.retry(r, "olga", LATER), {S.FAILED}),
    "expire": (lambda r: rq.expire(r, LATER), {S.PENDING, S.AWAITING_FACILITATOR, S.AWAITING_ACCOUNT}),
    "account_ready": (
        lambda r: rq.account_ready(r, "new@example.org", "newbie", LATER),
        {S.AWAITING_ACCOUNT},
    ),
}

REFUSALS = [(action, state) for action, (_, allowed) in STEPS.items() for state in S if state not in allowed]


@pytest.mark.parametrize(("action", "state"), REFUSALS)
def test_every_step_is_refused_outside_its_states(action: str, state: RequestState) -> None:
    step, _ = STEPS[action]
    with pytest.raises(IllegalTransition) as refused:
        step(in_state(state))
    assert refused.value.code.startswith("request.now.")  # what became of it (lib/core/codes.py)
    assert (refused.value.request_id, refused.value.from_state, refused.value.action) == (7, state, action)
    assert str(refused.value).startswith("Request #7 cannot be ")


MOVES = [
    ("facilitator_accept", S.AWAITING_FACILITATOR, S.PENDING),
    ("approve", S.PENDING, S.APPROVED),
    ("reject", S.PENDING, S.REJECTED),
    ("reject", S.AWAITING_FACILITATOR, S.REJECTED),
    ("cancel", S.PENDING, S.CANCELLED),
    ("cancel", S.AWAITING_FACILITATOR, S.CANCELLED),
    ("start_applying", S.APPROVED, S.APPLYING),
    ("mark_applied", S.APPLYING, S.APPLIED),
    ("mark_failed", S.APPLYING, S.FAILED),
    ("retry", S.FAILED, S.APPROVED),
    ("expire", S.PENDING, S.EXPIRED),
    ("expire", S.AWAITING_FACILITATOR, S.EXPIRED),
    ("expire", S.AWAITING_ACCOUNT, S.EXPIRED),
    ("account_ready", S.AWAITING_ACCOUNT, S.APPROVED),
]


@pytest.mark.parametrize(("action", "start", "end"), MOVES)
def test_every_allowed_step_moves_on_and_leaves_the_old_request_alone(
    action: str, start: RequestState, end: RequestState
) -> None:
    before = in_state(start)
    after = STEPS[action][0](before)
    assert after.state is end
    assert after.version == before.version + 1
    assert after.history[:-1] == before.history
    last = after.history[-1]
    assert (last.from_state, last.to_state, last.at) == (start, end, LATER)
    assert before.state is start  # a new request, never a mutated one


def test_illegal_transition_message_is_readable() -> None:
    with pytest.raises(IllegalTransition, match=r"^Request #7 cannot be approved: it is already applied\.$"):
        rq.approve(in_state(S.APPLIED), "olga", LATER, "sum-1")


def test_submitted_request_is_pending_at_version_one_with_its_submission_in_history() -> None:
    request = submit()
    assert (request.state, request.version, request.objection_until) == (S.PENDING, 1, None)
    assert request.history == (rq.Transition(None, S.PENDING, "fanny", NOW, "submitted"),)
    assert request.submitted_at == NOW


def test_join_waits_for_a_facilitator_and_names_the_joiner() -> None:
    request = submit("join", requester="jo", lines=(RequestLine(role=Role.READER),))
    assert request.state is S.AWAITING_FACILITATOR
    assert request.lines == (RequestLine("jo", role=Role.READER),)


def test_nobody_joins_a_group_on_someone_elses_behalf() -> None:
    with pytest.raises(InvalidRequest) as refused:
        submit("join", requester="jo", lines=(RequestLine("bob"),))
    assert refused.value.field == "lines"


def test_joiner_cannot_accept_their_own_join() -> None:
    with pytest.raises(IllegalTransition) as refused:
        rq.facilitator_accept(join(), "jo", LATER)
    assert refused.value.code == "request.self_acceptance"


@pytest.mark.parametrize(
    "decide", [lambda r: rq.approve(r, "fanny", LATER, "s"), lambda r: rq.reject(r, "fanny", LATER, "x")]
)
def test_nobody_decides_their_own_request(decide: Step) -> None:
    with pytest.raises(IllegalTransition) as refused:
        decide(submit())
    assert refused.value.code == "request.self_approval"


def test_only_the_requester_may_cancel() -> None:
    with pytest.raises(IllegalTransition) as refused:
        rq.cancel(submit(), "olga", LATER)
    assert refused.value.code == "request.not_requester"


def test_approval_records_who_when_and_the_plan_shown() -> None:
    approved = rq.approve(submit(), "olga", LATER, "sum-1")
    assert (approved.decided_by, approved.decided_at, approved.plan_checksum) == ("olga", LATER, "sum-1")


def test_approval_needs_the_checksum_of_the_plan_shown() -> None:
    with pytest.raises(InvalidRequest) as refused:
        rq.approve(submit(), "olga", LATER, " ")
    assert refused.value.field == "plan_checksum"


def test_rejection_needs_a_reason_and_keeps_it() -> None:
    with pytest.raises(InvalidRequest) as refused:
        rq.reject(submit(), "olga", LATER, "  ")
    assert refused.value.field == "reason"
    assert rq.reject(submit(), "olga", LATER, " not now ").reason == "not now"


def test_failure_keeps_the_error_and_retry_clears_it() -> None:
    failed = in_state(S.FAILED)
    assert failed.error == "Nextcloud said 500"
    assert rq.retry(failed, "olga", LATER).error == ""


def test_steps_taken_by_the_app_are_recorded_as_system() -> None:
    assert rq.expire(submit(), LATER).history[-1].actor == rq.SYSTEM_ACTOR


# --- invitations -------------------------------------------------------------------------


def test_invitation_waits_for_the_account_after_approval() -> None:
    request = submit(lines=(INVITEE, BOB))
    assert request.state is S.PENDING
    waiting = rq.approve(request, "olga", LATER, "sum-1")
    assert waiting.state is S.AWAITING_ACCOUNT
    ready = rq.account_ready(waiting, "NEW@example.org", "newbie", LATER)
    assert ready.state is S.APPROVED
    assert ready.lines[0] == RequestLine("newbie", "new@example.org", Role.READER)


def test_bulk_invitation_stays_waiting_until_every_account_exists() -> None:
    other = RequestLine(email="other@example.org", role=Role.READER)
    waiting = rq.approve(submit(lines=(INVITEE, other)), "olga", LATER, "sum-1")
    first = rq.account_ready(waiting, "new@example.org", "newbie", LATER)
    assert first.state is S.AWAITING_ACCOUNT
    assert rq.account_ready(first, "other@example.org", "other", LATER).state is S.APPROVED


def test_account_for_someone_not_invited_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        rq.account_ready(in_state(S.AWAITING_ACCOUNT), "stranger@example.org", "x", LATER)
    assert refused.value.code == "request.unknown_invitation"


# --- objection window ----------------------------------------------------------------------


def archive() -> AccessRequest:
    return submit("archive_group", lines=())


def test_archiving_a_group_opens_an_objection_window() -> None:
    assert archive().objection_until == NOW + timedelta(days=5)
    assert submit("archive_group", lines=(), objection_days=2).objection_until == NOW + timedelta(days=2)


def test_removing_someone_from_their_last_group_opens_an_objection_window() -> None:
    line = RequestLine("bob")
    assert submit("remove_member", lines=(line,), last_group=True).is_destructive
    assert not submit("remove_member", lines=(line,), last_group=False).is_destructive


def test_operations_cannot_approve_before_the_objection_window_ends() -> None:
    with pytest.raises(IllegalTransition) as refused:
        rq.approve(archive(), "olga", LATER, "sum-1")
    assert refused.value.code == "request.objection_window_open"
    assert "2025-03-08 09:00" in str(refused.value)
    assert rq.approve(archive(), "olga", AFTER_WINDOW, "sum-1").state is S.APPROVED


def test_operations_may_reject_during_the_objection_window() -> None:
    assert rq.reject(archive(), "olga", LATER, "keep it").state is S.REJECTED


def test_objection_closes_the_window_and_sends_it_back_to_operations() -> None:
    objected = rq.object_to(archive(), "carl", LATER, " we still use it ")
    assert objected.state is S.PENDING
    assert objected.objections == (rq.Objection("carl", LATER, "we still use it"),)
    assert objected.objection_until == LATER
    assert not objected.objection_open(LATER)
    assert rq.approve(objected, "olga", LATER + timedelta(minutes=1), "sum-1").state is S.APPROVED


def test_no_objection_once_the_window_is_closed() -> None:
    objected = rq.object_to(archive(), "carl", LATER, "no")
    for request, when in ((objected, LATER), (archive(), AFTER_WINDOW), (submit(), LATER)):
        with pytest.raises(IllegalTransition) as refused:
            rq.object_to(request, "mia", when, "no")
        assert refused.value.code == "request.objection_window_closed"


def test_requester_cannot_object_to_their_own_request() -> None:
    with pytest.raises(IllegalTransition) as refused:
        rq.object_to(archive(), "fanny", LATER, "changed my mind")
    assert refused.value.code == "request.own_objection"


def test_an_objection_needs_a_reason() -> None:
    with pytest.raises(InvalidRequest):
        rq.object_to(archive(), "carl", LATER, "")


def test_object_is_the_briefs_name_for_object_to() -> None:
    assert rq.object is rq.object_to


# --- input checks ----------------------------------------------------------------------------

INVALID = [
    ("justification", {"justification": "   "}),
    ("justification", {"justification": "x" * 2001}),
    ("kind", {"kind": "promote"}),
    ("requester", {"requester": ""}),
    ("group", {"group": " "}),
    ("lines", {"lines": ()}),
    ("role", {"lines": (RequestLine("bob"),)}),
    ("email", {"lines": (RequestLine(email="not-an-address", role=Role.READER),)}),
    ("lines", {"lines": (BOB, BOB)}),
    ("until", {"lines": (RequestLine("bob", role=Role.READER, until=date(2025, 3, 2)),)}),
    ("lines", {"kind": "change_role", "lines": (INVITEE,)}),
    ("until", {"kind": "remove_member", "lines": (RequestLine("bob", until=date(2026, 1, 1)),)}),
    ("lines", {"kind": "archive_group", "lines": (BOB,)}),
    ("group", {"kind": "create_group", "lines": (), "group": "Big Group!", "new_group_name": "Big"}),
    ("new_group_name", {"kind": "create_group", "lines": (), "group": "big", "new_group_name": " "}),
]


@pytest.mark.parametrize(("field", "changes"), INVALID)
def test_invalid_input_is_refused_naming_the_field(field: str, changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest) as refused:
        submit(**changes)
    assert refused.value.field == field
    assert isinstance(refused.value, GovernanceError)
    assert refused.value.code == "request.invalid"


def test_justification_of_2000_characters_is_accepted_and_trimmed() -> None:
    assert submit(justification=" " + "x" * 2000 + " ").justification == "x" * 2000


def test_end_date_today_is_accepted() -> None:
    line = RequestLine("bob", role=Role.READER, until=NOW.date())
    assert submit(lines=(line,)).lines == (line,)


def test_create_group_keeps_its_name_and_purpose() -> None:
    request = submit("create_group", lines=(), group="jardin", new_group_name="Jardin", purpose="Potager")
    assert (request.group, request.new_group_name, request.purpose) == ("jardin", "Jardin", "Potager")
