"""End dates, and the organisation an approved request leaves behind."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from lib.core import requests as rq
from lib.core.errors import InvalidRequest
from lib.core.expiry import expired_memberships, expiring_soon, org_without
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.outcome import organisation_after
from lib.core.requests import AccessRequest, RequestLine

TODAY = date(2025, 3, 3)
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
FANNY = Membership("comm", "fanny", Role.FACILITATOR)
CARL = Membership("comm", "carl", Role.CONTRIBUTOR, until=date(2025, 3, 10))
ORG = Organisation(
    "Coop",
    working_groups=(WorkingGroup("comm", "Communication"), WorkingGroup("old", "Old", archived=True)),
    memberships=(
        FANNY,
        CARL,
        Membership("comm", "carl", Role.STEERING),
        Membership("board", "bea", until=date(2025, 3, 2)),
        Membership("comm", "dora", Role.READER, until=date(2025, 3, 3)),
        Membership("comm", "eli", Role.READER, until=date(2025, 3, 11)),
    ),
)


def request(kind: str, *lines: RequestLine, group: str = "comm", **kw: object) -> AccessRequest:
    fields: dict[str, object] = {
        "kind": kind,
        "requester": "fanny",
        "group": group,
        "justification": "why",
        "now": NOW,
        "lines": lines,
    }
    fields.update(kw)
    return rq.submit(**fields)  # type: ignore[arg-type]


def people(org: Organisation, group: str = "comm") -> set[tuple[str, Role | None, date | None]]:
    return {(m.user, m.role, m.until) for m in org.members_of(group)}


def test_memberships_expire_the_day_after_their_last_day() -> None:
    assert expired_memberships(ORG, TODAY) == [Membership("board", "bea", until=date(2025, 3, 2))]


def test_expiring_soon_covers_today_to_the_horizon() -> None:
    assert [m.user for m in expiring_soon(ORG, TODAY)] == ["carl", "dora"]
    assert [m.user for m in expiring_soon(ORG, TODAY, days=8)] == ["carl", "dora", "eli"]


def test_org_without_removes_exactly_the_given_memberships() -> None:
    after = org_without(ORG, expired_memberships(ORG, TODAY))
    assert after.members_of("board") == ()
    assert after.members_of("comm") == ORG.members_of("comm")


def test_adding_people_gives_them_their_role_and_end_date() -> None:
    until = date(2025, 6, 30)
    after = organisation_after(ORG, request("add_member", RequestLine("bob", role=Role.READER, until=until)))
    assert ("bob", Role.READER, until) in people(after)
    assert len(after.memberships) == len(ORG.memberships) + 1


def test_bulk_add_adds_every_line_and_skips_people_still_invited() -> None:
    lines = (
        RequestLine("bob", role=Role.READER),
        RequestLine("zoe", role=Role.CONTRIBUTOR),
        RequestLine(email="new@example.org", role=Role.READER),
    )
    added = people(organisation_after(ORG, request("add_member", *lines))) - people(ORG)
    assert added == {("bob", Role.READER, None), ("zoe", Role.CONTRIBUTOR, None)}


def test_an_invited_person_is_added_once_their_account_exists() -> None:
    invite = request("add_member", RequestLine(email="new@example.org", role=Role.READER))
    ready = rq.account_ready(rq.approve(invite, "olga", NOW, "s"), "new@example.org", "newbie", NOW)
    assert ("newbie", Role.READER, None) in people(organisation_after(ORG, ready))


def test_a_joiner_becomes_contributor_unless_a_role_is_given() -> None:
    assert ("nina", Role.CONTRIBUTOR, None) in people(
        organisation_after(ORG, request("join", requester="nina"))
    )
    reader = request("join", RequestLine(role=Role.READER), requester="nina")
    assert ("nina", Role.READER, None) in people(organisation_after(ORG, reader))


def test_changing_a_role_replaces_every_role_the_person_had_in_the_group() -> None:
    after = organisation_after(ORG, request("change_role", RequestLine("carl", role=Role.READER)))
    assert {p for p in people(after) if p[0] == "carl"} == {("carl", Role.READER, date(2025, 3, 10))}


def test_removing_a_member_takes_every_role_or_just_the_one_named() -> None:
    everything = organisation_after(ORG, request("remove_member", RequestLine("carl")))
    assert not any(user == "carl" for user, _, _ in people(everything))
    steering = organisation_after(ORG, request("remove_member", RequestLine("carl", role=Role.STEERING)))
    assert {p for p in people(steering) if p[0] == "carl"} == {("carl", Role.CONTRIBUTOR, date(2025, 3, 10))}


def test_creating_a_group_makes_the_requester_its_facilitator() -> None:
    ask = request("create_group", group="jardin", new_group_name="Jardin", purpose="Potager")
    after = organisation_after(ORG, ask)
    assert after.group("jardin") == WorkingGroup("jardin", "Jardin", "Potager")
    assert people(after, "jardin") == {("fanny", Role.FACILITATOR, None)}


def test_archiving_a_group_keeps_its_members() -> None:
    after = organisation_after(ORG, request("archive_group"))
    group = after.group("comm")
    assert group is not None and group.archived
    assert after.memberships == ORG.memberships


def test_a_request_leaves_the_original_organisation_alone() -> None:
    before = replace(ORG)
    organisation_after(ORG, request("remove_member", RequestLine("carl")))
    assert ORG == before


MISFITS = [
    ("request.unknown_group", request("add_member", RequestLine("bob", role=Role.READER), group="nope")),
    ("request.group_archived", request("add_member", RequestLine("bob", role=Role.READER), group="old")),
    ("request.group_archived", request("archive_group", group="old")),
    ("request.unknown_group", request("archive_group", group="nope")),
    ("request.already_member", request("add_member", RequestLine("fanny", role=Role.FACILITATOR))),
    (
        "request.already_member",
        request("join", requester="fanny", lines=(RequestLine(role=Role.FACILITATOR),)),
    ),
    ("request.already_member", request("change_role", RequestLine("dora", role=Role.READER))),
    ("request.not_member", request("change_role", RequestLine("bob", role=Role.READER))),
    ("request.not_member", request("remove_member", RequestLine("bob"))),
    ("request.not_member", request("remove_member", RequestLine("dora", role=Role.FACILITATOR))),
    ("request.unknown_group", request("remove_member", RequestLine("carl"), group="nope")),
    ("request.group_exists", request("create_group", group="comm", new_group_name="Communication")),
]


@pytest.mark.parametrize(("code", "misfit"), MISFITS)
def test_a_request_that_does_not_fit_the_organisation_is_refused(code: str, misfit: AccessRequest) -> None:
    with pytest.raises(InvalidRequest) as refused:
        organisation_after(ORG, misfit)
    assert refused.value.code == code
