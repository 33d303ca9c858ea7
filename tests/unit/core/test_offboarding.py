"""Someone leaving the association: one request takes them out of every group, and only them (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from lib.core import requests as machine
from lib.core.changes import RemoveMember
from lib.core.compile import compile_org
from lib.core.effect import request_plan, touched
from lib.core.errors import InvalidRequest
from lib.core.model import Grant, Membership, Organisation, OrgGroup, Right, Role, WorkingGroup
from lib.core.outcome import organisation_after
from lib.core.plan import apply_to_state, plan
from lib.core.policy import Actor, can_decide, can_request
from lib.core.request_checks import not_duplicate
from lib.core.request_kinds import EVERY_GROUP, RequestKind, RequestLine, RequestState
from lib.core.state import NextcloudState

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
ADMIN = "gov-admin"

COM = WorkingGroup("com", "Com", grants=(Grant("com/reader", Right.NONE, "RH"),))
SPORT = WorkingGroup("sport", "Sport")
ORG = Organisation(
    "Coop",
    (COM, SPORT),
    (
        Membership("com", "alice", Role.FACILITATOR),
        Membership("com", "dave", Role.CONTRIBUTOR),
        Membership("com", "dave", Role.STEERING, until=date(2026, 12, 31)),
        Membership("com", "erin", Role.CONTRIBUTOR),
        Membership("com", "erin", Role.STEERING),
        Membership("sport", "bob", Role.FACILITATOR),
        Membership("sport", "dave", Role.READER, until=date(2026, 1, 1)),  # ended: goes too
        Membership("sport", "bob", Role.READER),
        Membership(OrgGroup.BOARD, "dave"),
        Membership(OrgGroup.MEMBERS, "dave"),
        Membership(OrgGroup.MEMBERS, "alice"),
        Membership(OrgGroup.OPERATIONS, "claire"),
        Membership(OrgGroup.OPERATIONS, "malik"),
    ),
)


def offboarding(who: str = "dave", rid: int | None = None) -> machine.AccessRequest:
    return machine.submit(
        kind=RequestKind.OFFBOARD, requester="claire", group=EVERY_GROUP, justification="leaves", now=NOW,
        lines=[RequestLine(user=who)], request_id=rid,
    )  # fmt: skip


def managed(gid: str) -> bool:
    return gid.startswith("gt-") or gid in {"ca", "operations", "membres", "tous", "governance-admins"}


def test_every_membership_of_the_person_goes_and_nobody_elses() -> None:
    after = organisation_after(ORG, offboarding())
    assert after.memberships_of("dave") == ()
    assert set(after.memberships) == {m for m in ORG.memberships if m.user != "dave"}
    assert after.working_groups == ORG.working_groups


def test_its_plan_removes_that_person_from_each_of_their_groups_and_changes_nothing_else() -> None:
    before, after = (
        compile_org(ORG, ADMIN, TODAY),
        compile_org(organisation_after(ORG, offboarding()), ADMIN, TODAY),
    )
    actual = apply_to_state(NextcloudState(), plan(before, NextcloudState(), managed))
    actual.groups["gt-com-membres"].add("mallory")  # drift beside the person: stays drift
    scope = touched(before, after)
    assert scope.users == {"dave"} and not scope.folders and not scope.new_groups
    changes = request_plan(before, after, actual, managed, scope).changes
    assert set(changes) == {
        RemoveMember("gt-com-membres", "dave"),
        RemoveMember("gt-com-copil", "dave"),
        RemoveMember("ca", "dave"),
        RemoveMember("membres", "dave"),
    }


def test_a_person_in_no_group_has_nothing_to_remove() -> None:
    with pytest.raises(InvalidRequest) as caught:
        organisation_after(ORG, offboarding("zoe"))
    assert caught.value.code == "request.in_no_group" and caught.value.params == {"user": "zoe"}


def test_the_last_member_of_the_operations_team_cannot_leave() -> None:
    alone = replace(ORG, memberships=tuple(m for m in ORG.memberships if m.user != "malik"))
    with pytest.raises(InvalidRequest) as caught:
        organisation_after(alone, offboarding("claire"))
    assert caught.value.code == "request.last_operator"
    assert organisation_after(ORG, offboarding("claire")).memberships_of("claire") == ()


def test_an_offboarding_names_exactly_one_person_and_no_group_role_or_end_date() -> None:
    req = offboarding()
    assert req.group == EVERY_GROUP and req.lines == (RequestLine(user="dave"),)
    assert req.state is RequestState.PENDING and not req.is_destructive  # operations review it at once
    bad = [
        {"lines": []},
        {"lines": [RequestLine(user="dave"), RequestLine(user="erin")]},
        {"lines": [RequestLine(email="dave@example.org")]},
        {"lines": [RequestLine(user="dave", role=Role.READER)]},
        {"lines": [RequestLine(user="dave", until=date(2027, 1, 1))]},
        {"lines": [RequestLine(user="dave")], "group": "com"},
    ]
    for fields in bad:
        with pytest.raises(InvalidRequest):
            machine.submit(
                **{"kind": "offboard", "requester": "claire", "group": "", "justification": "x", "now": NOW,
                   **fields},  # type: ignore[arg-type]
            )  # fmt: skip


def test_only_operations_may_ask_and_nobody_decides_their_own() -> None:
    assert can_request(Actor("claire", is_operations=True), RequestKind.OFFBOARD, EVERY_GROUP)
    assert can_request(Actor("admin", is_admin=True), RequestKind.OFFBOARD, EVERY_GROUP)
    facilitator = Actor("alice", facilitates=frozenset({"com"}), member_of=frozenset({"com"}))
    assert can_request(facilitator, RequestKind.OFFBOARD, EVERY_GROUP).code == "policy.not_operations"
    assert not can_request(Actor("sophie", is_board=True), RequestKind.OFFBOARD, EVERY_GROUP)
    req = offboarding("malik")
    assert can_decide(Actor("claire", is_operations=True), req).code == "policy.own_request"
    assert can_decide(Actor("malik", is_operations=True), req).code == "policy.own_access"
    assert can_decide(Actor("ines", is_operations=True), req)


def test_an_open_offboarding_blocks_another_and_any_request_about_that_person() -> None:
    first = offboarding(rid=4)
    with pytest.raises(InvalidRequest) as caught:
        not_duplicate(offboarding(), [first])
    assert caught.value.code == "request.duplicate_offboard" and caught.value.params == {
        "id": "4",
        "user": "dave",
    }
    join = machine.submit(kind="join", requester="dave", group="sport", justification="x", now=NOW)
    with pytest.raises(InvalidRequest):
        not_duplicate(join, [first])
    not_duplicate(offboarding("erin"), [first])  # someone else: fine
    not_duplicate(offboarding(), [replace(first, state=RequestState.REJECTED)])  # finished: fine


def test_the_last_holder_of_a_role_leaving_plans_what_removing_them_from_it_would() -> None:
    """Without Erin, Dave is Com's only steering member: that role's group loses the folder, exactly as
    the removal of its last member would have it (compile.py keeps no group for a role nobody holds),
    and the plan says so to the approver, who confirms it (lib/core/safety.py)."""
    org = replace(
        ORG, memberships=tuple(m for m in ORG.memberships if m != Membership("com", "erin", Role.STEERING))
    )
    removal = machine.submit(
        kind="remove_member", requester="alice", group="com", justification="x", now=NOW,
        lines=[RequestLine(user="dave", role=Role.STEERING)],
    )  # fmt: skip
    before = compile_org(org, ADMIN, TODAY)

    def detached(after: Organisation) -> set[str]:
        return set(before.folders["Com"].groups) - set(compile_org(after, ADMIN, TODAY).folders["Com"].groups)

    assert detached(organisation_after(org, offboarding())) == {"gt-com-copil"}
    assert detached(organisation_after(org, removal)) == {"gt-com-copil"}
