"""Who may do what: facilitators ask, operations decide, the board reads, nobody decides for themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lib.core import requests as rq
from lib.core.errors import Forbidden, IllegalTransition
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.policy import (
    Actor,
    Decision,
    actor_for,
    can_accept_join,
    can_cancel,
    can_decide,
    can_edit_org,
    can_object,
    can_repair_drift,
    can_request,
    can_view_audit,
    can_view_matrix,
    can_view_request,
    can_view_stats,
    require,
)
from lib.core.requests import AccessRequest, RequestKind, RequestLine

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
K = RequestKind
ORG = Organisation(
    "Coop des Communs",
    working_groups=(WorkingGroup("comm", "Communication"), WorkingGroup("sport", "Sport")),
    memberships=(
        Membership("comm", "fanny", Role.FACILITATOR),
        Membership("comm", "carl", Role.CONTRIBUTOR),
        Membership("comm", "oscar", Role.FACILITATOR),
        Membership("operations", "oscar"),
        Membership("operations", "olga"),
        Membership("board", "bea"),
        Membership("sport", "sam", Role.FACILITATOR, until=date(2025, 1, 31)),
    ),
)


def who(uid: str, is_admin: bool = False) -> Actor:
    return actor_for(ORG, uid, is_admin=is_admin, today=NOW.date())


def request_by(requester: str, kind: str = "add_member", **kw: object) -> AccessRequest:
    fields: dict[str, object] = {
        "kind": kind,
        "requester": requester,
        "group": "comm",
        "justification": "why",
        "now": NOW,
        "lines": (RequestLine("bob", role=Role.CONTRIBUTOR),),
    }
    fields.update(kw)
    return rq.submit(**fields)  # type: ignore[arg-type]


def test_actor_is_built_from_the_organisation() -> None:
    assert who("fanny") == Actor("fanny", facilitates=frozenset({"comm"}), member_of=frozenset({"comm"}))
    assert who("oscar").is_operations and who("oscar").facilitates == {"comm"}
    assert who("bea").is_board and not who("bea").is_operations
    assert who("ivan", is_admin=True).is_admin


def test_memberships_past_their_end_date_give_nothing() -> None:
    assert who("sam").facilitates == frozenset()
    assert actor_for(ORG, "sam").facilitates == {"sport"}


def test_decision_is_truthy_only_when_allowed_and_explains_refusals() -> None:
    refused = can_edit_org(who("carl"))
    assert not refused and isinstance(refused, Decision)
    assert (refused.code, refused.reason) == (
        "policy.not_operations",
        "Only the operations team may do this.",
    )
    assert can_edit_org(who("olga"))


def test_require_raises_forbidden_with_the_refusals_code() -> None:
    require(can_edit_org(who("olga")))
    with pytest.raises(Forbidden) as refused:
        require(can_edit_org(who("carl")))
    assert refused.value.code == "policy.not_operations"


@pytest.mark.parametrize("kind", [K.ADD_MEMBER, K.CHANGE_ROLE, K.REMOVE_MEMBER, K.ARCHIVE_GROUP])
def test_facilitators_ask_for_their_own_group_only(kind: RequestKind) -> None:
    assert can_request(who("fanny"), kind, "comm")
    assert can_request(who("fanny"), kind, "sport").code == "policy.not_facilitator"
    assert can_request(who("carl"), kind, "comm").code == "policy.not_facilitator"
    assert can_request(who("olga"), kind, "sport")


def test_facilitators_and_operations_may_propose_a_new_group() -> None:
    assert can_request(who("fanny"), K.CREATE_GROUP, "jardin")
    assert can_request(who("olga"), K.CREATE_GROUP, "jardin")
    assert not can_request(who("carl"), K.CREATE_GROUP, "jardin")


def test_anyone_with_an_account_may_ask_to_join_a_group_they_are_not_in() -> None:
    assert can_request(who("nobody"), K.JOIN, "comm")
    assert can_request(who("carl"), K.JOIN, "comm").code == "policy.already_member"
    assert can_request(Actor(""), K.JOIN, "comm").code == "policy.no_account"


def test_facilitator_cannot_approve_own_request() -> None:
    mine = request_by("fanny")
    assert can_decide(who("fanny"), mine).code == "policy.not_operations"
    with pytest.raises(IllegalTransition):  # and the state machine refuses it anyway
        rq.approve(mine, "fanny", NOW, "sum")


def test_operator_who_is_facilitator_cannot_approve_own_request() -> None:
    mine = request_by("oscar")
    assert can_decide(who("oscar"), mine).code == "policy.own_request"
    assert can_decide(who("olga"), mine)


def test_operator_cannot_decide_on_a_request_about_their_own_access() -> None:
    about_olga = request_by("fanny", lines=(RequestLine("olga", role=Role.READER),))
    assert can_decide(who("olga"), about_olga).code == "policy.own_access"
    assert can_decide(who("oscar"), about_olga)


def test_it_lead_decides_like_operations() -> None:
    assert can_decide(who("ivan", is_admin=True), request_by("fanny"))
    assert can_edit_org(who("ivan", is_admin=True))


def test_board_reads_but_cannot_change() -> None:
    bea, request = who("bea"), request_by("fanny")
    assert can_view_matrix(bea) and can_view_audit(bea) and can_view_stats(bea)
    assert can_view_request(bea, request)
    assert not can_decide(bea, request)
    assert not can_edit_org(bea)
    assert not can_repair_drift(bea)
    assert not can_request(bea, K.ADD_MEMBER, "comm")
    assert not can_request(bea, K.ARCHIVE_GROUP, "comm")


@pytest.mark.parametrize("check", [can_view_matrix, can_view_audit, can_view_stats])
def test_only_board_and_operations_see_the_matrix_audit_and_stats(check: object) -> None:
    assert callable(check)
    assert check(who("olga")) and check(who("bea"))
    assert check(who("fanny")).code == "policy.board_or_operations"


@pytest.mark.parametrize("check", [can_edit_org, can_repair_drift])
def test_only_operations_edit_the_organisation_and_repair_drift(check: object) -> None:
    assert callable(check)
    assert check(who("olga"))
    assert not check(who("fanny")) and not check(who("bea"))


def test_only_the_requester_may_cancel() -> None:
    request = request_by("fanny")
    assert can_cancel(who("fanny"), request)
    assert can_cancel(who("olga"), request).code == "policy.not_requester"


def test_members_of_the_group_may_object_during_the_window() -> None:
    archive = request_by("fanny", "archive_group", lines=())
    assert can_object(who("carl"), archive, NOW + timedelta(days=1))
    assert can_object(who("carl"), archive, NOW + timedelta(days=6)).code == "policy.no_objection_window"
    assert can_object(who("bea"), archive, NOW).code == "policy.not_group_member"
    assert can_object(who("fanny"), archive, NOW).code == "request.own_objection"
    assert can_object(who("carl"), request_by("fanny"), NOW).code == "policy.no_objection_window"


def test_facilitators_of_the_group_accept_joins_but_not_their_own() -> None:
    joining = request_by("nina", "join", lines=())
    assert can_accept_join(who("fanny"), joining)
    assert can_accept_join(who("olga"), joining).code == "policy.not_facilitator"
    assert can_accept_join(who("carl"), joining).code == "policy.not_facilitator"
    own = request_by("joe", "join", lines=())
    assert can_accept_join(Actor("joe", facilitates=frozenset({"comm"})), own).code == "policy.own_request"
    assert can_accept_join(who("fanny"), request_by("oscar")).code == "policy.not_a_join"


def test_requests_are_seen_by_those_they_concern() -> None:
    request = request_by("fanny")  # adds bob to comm
    for uid in ("fanny", "bob", "olga", "bea", "oscar"):
        assert can_view_request(who(uid), request), uid
    assert can_view_request(who("carl"), request).code == "policy.not_concerned"
    assert can_view_request(who("sam"), request).code == "policy.not_concerned"


def test_group_members_see_requests_they_may_object_to() -> None:
    archive = request_by("fanny", "archive_group", lines=())
    assert can_view_request(who("carl"), archive)
