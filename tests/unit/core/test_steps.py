"""What a request's page offers depends on who looks and on the request's state (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from lib.core import requests as machine
from lib.core.model import Role
from lib.core.policy import Actor, steps
from lib.core.request_kinds import RequestKind, RequestLine, RequestState

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ALICE = Actor("alice", facilitates=frozenset({"com"}), member_of=frozenset({"com"}))
CLAIRE = Actor("claire", is_operations=True)
ADD = machine.submit(
    kind=RequestKind.ADD_MEMBER, requester="alice", group="com", justification="why", now=NOW,
    lines=[RequestLine(user="nora", role=Role.CONTRIBUTOR)], request_id=1,
)  # fmt: skip
JOIN = machine.submit(
    kind=RequestKind.JOIN, requester="hugo", group="com", justification="why", now=NOW, request_id=2
)


def _offered(actor: Actor, req: machine.AccessRequest) -> set[str]:
    return {step for step, ok in steps(actor, req, NOW).items() if ok}


def test_a_pending_request_offers_cancel_to_its_requester_and_a_decision_to_operations() -> None:
    assert _offered(ALICE, ADD) == {"cancel"}
    assert _offered(CLAIRE, ADD) == {"decide", "reject"}


def test_an_applied_request_offers_nothing_to_anyone() -> None:
    applied = replace(ADD, state=RequestState.APPLIED)
    assert _offered(ALICE, applied) == set() and _offered(CLAIRE, applied) == set()


def test_a_failed_request_offers_operations_a_retry_only() -> None:
    assert _offered(CLAIRE, replace(ADD, state=RequestState.FAILED)) == {"retry"}


def test_a_join_offers_its_facilitator_accept_and_reject_until_they_decided() -> None:
    assert _offered(ALICE, JOIN) == {"accept", "reject"}
    accepted = machine.facilitator_accept(JOIN, "alice", NOW)
    assert _offered(ALICE, accepted) == set()
    assert _offered(Actor("hugo"), accepted) == {"cancel"}
