"""Why a decision link cannot decide now (lib/services/decision_links.py), with plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lib.core import codes
from lib.core.errors import IllegalTransition, InvalidToken
from lib.core.policy import Actor
from lib.core.request_kinds import AccessRequest, RequestKind, RequestLine, RequestState
from lib.core.tokens import DecisionClaim
from lib.services.decision_links import LinkResult, precheck, refusal

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLAIRE = Actor("claire", is_operations=True)
REQ = AccessRequest(
    id=7, kind=RequestKind.ADD_MEMBER, requester="alice", group="communication",
    lines=(RequestLine(user="nora"),), justification="Joins the newsletter team",
)  # fmt: skip


def _claim(decision: str = "approve", operator: str = "claire", rid: int = 7) -> DecisionClaim:
    expires = int((NOW + timedelta(days=7)).timestamp())
    return DecisionClaim(operator, rid, decision, "sum", expires, "nonce")  # type: ignore[arg-type]


def _check(claim: DecisionClaim, req: AccessRequest | None = REQ, used: bool = False, actor: Actor = CLAIRE):
    return precheck(claim, actor, claim.decision, 7, req, used, NOW)


def test_a_usable_link_on_a_pending_request_passes() -> None:
    assert _check(_claim()) is None
    assert _check(_claim("reject")) is None


def test_another_operators_link_is_not_yours() -> None:
    outcome = _check(_claim(operator="malik"))
    assert outcome is not None and outcome.result is LinkResult.NOT_YOURS


def test_a_link_for_another_request_or_decision_is_invalid() -> None:
    assert precheck(_claim(rid=8), CLAIRE, "approve", 7, REQ, False, NOW).result is LinkResult.INVALID  # type: ignore[union-attr]
    assert precheck(_claim(), CLAIRE, "reject", 7, REQ, False, NOW).result is LinkResult.INVALID  # type: ignore[union-attr]


def test_a_used_link_says_so_before_saying_the_request_was_decided() -> None:
    decided = replace(REQ, state=RequestState.APPLIED, decided_by="claire")
    assert _check(_claim(), decided, used=True).result is LinkResult.USED  # type: ignore[union-attr]
    assert _check(_claim(), decided).result is LinkResult.DECIDED  # type: ignore[union-attr]


def test_an_operator_who_left_operations_may_not_decide() -> None:
    outcome = _check(_claim(), actor=Actor("claire"))
    assert outcome is not None and outcome.result is LinkResult.NOT_YOURS
    assert outcome.error is not None and outcome.error.code == codes.POLICY_NOT_OPERATIONS


def test_approving_during_the_objection_window_waits_until_it_closes_but_rejecting_does_not() -> None:
    window = replace(REQ, objection_until=NOW + timedelta(days=3))
    outcome = _check(_claim(), window)
    assert outcome is not None and outcome.result is LinkResult.WAITING
    assert outcome.until == NOW + timedelta(days=3) and outcome.link_expires == NOW + timedelta(days=7)
    assert _check(_claim("reject"), window) is None


def test_refusals_after_trying_say_what_the_operator_can_do() -> None:
    stale = refusal(InvalidToken(codes.TOKEN_STALE), REQ)
    assert stale.result is LinkResult.STALE
    early = IllegalTransition(7, "pending", "approve", code=codes.REQUEST_OBJECTION_WINDOW_OPEN)
    assert refusal(early, replace(REQ, objection_until=NOW)).result is LinkResult.WAITING
    lost_race = refusal(IllegalTransition(7, "pending", "approve"), replace(REQ, state=RequestState.REJECTED))
    assert lost_race.result is LinkResult.DECIDED
