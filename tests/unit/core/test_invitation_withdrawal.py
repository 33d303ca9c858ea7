"""Withdrawing an invited person from a request that has not been applied (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from lib.core import requests as machine
from lib.core.errors import IllegalTransition, InvalidRequest
from lib.core.model import Role
from lib.core.policy import Actor, steps
from lib.core.request_kinds import RequestKind, RequestLine, RequestState

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _invite(*emails: str, user: str = "") -> machine.AccessRequest:
    lines = [RequestLine(email=e, role=Role.READER) for e in emails]
    lines += [RequestLine(user=user, role=Role.READER)] if user else []
    req = machine.submit(
        kind=RequestKind.ADD_MEMBER, requester="alice", group="com", justification="why", now=NOW,
        lines=lines, request_id=3,
    )  # fmt: skip
    return machine.approve(req, "claire", NOW, "sum")


def test_withdrawing_the_last_invitation_cancels_the_request() -> None:
    req = _invite("zoe@example.org")
    assert req.state is RequestState.AWAITING_ACCOUNT
    assert machine.withdraw_invitation(req, "ZOE@example.org", "alice", NOW).state is RequestState.CANCELLED


def test_withdrawing_one_of_several_keeps_the_others_waiting() -> None:
    after = machine.withdraw_invitation(_invite("a@x.org", "b@x.org"), "a@x.org", "alice", NOW)
    assert after.state is RequestState.AWAITING_ACCOUNT and [ln.email for ln in after.lines] == ["b@x.org"]


def test_an_approved_request_left_with_accounts_only_is_ready_to_apply() -> None:
    after = machine.withdraw_invitation(_invite("a@x.org", user="nora"), "a@x.org", "claire", NOW)
    assert after.state is RequestState.APPROVED and after.people == {"nora"}


def test_an_unknown_address_or_an_applied_request_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        machine.withdraw_invitation(_invite("a@x.org"), "b@x.org", "alice", NOW)
    with pytest.raises(IllegalTransition):
        machine.withdraw_invitation(
            replace(_invite("a@x.org"), state=RequestState.APPLIED), "a@x.org", "alice", NOW
        )


def test_the_page_offers_withdrawal_to_the_requester_and_operations_only() -> None:
    req = _invite("a@x.org")
    assert steps(Actor("alice"), req, NOW)["withdraw"]
    assert steps(Actor("claire", is_operations=True), req, NOW)["withdraw"]
    assert not steps(Actor("dave"), req, NOW)["withdraw"]
