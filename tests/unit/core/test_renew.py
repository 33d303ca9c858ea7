"""A renewal changes members' end dates and nothing else (issue 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lib.core import requests as machine
from lib.core.errors import InvalidRequest
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.outcome import organisation_after
from lib.core.request_kinds import RequestKind, RequestLine

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SOON, LATER = date(2026, 12, 5), date(2027, 3, 31)
ORG = Organisation(
    "Coop",
    (WorkingGroup("com", "Com"),),
    (
        Membership("com", "alice", Role.FACILITATOR),
        Membership("com", "emma", Role.CONTRIBUTOR, SOON),
        Membership("com", "emma", Role.STEERING, SOON),
    ),
)


def _renewal(until: date | None, who: str = "emma") -> machine.AccessRequest:
    return machine.submit(
        kind=RequestKind.RENEW, requester="alice", group="com", justification="still needed", now=NOW,
        lines=[RequestLine(user=who, until=until)],
    )  # fmt: skip


def test_a_renewal_needs_no_role_and_sets_every_end_date_of_the_person_in_the_group() -> None:
    after = organisation_after(ORG, _renewal(LATER))
    assert [(m.role, m.until) for m in after.members_of("com") if m.user == "emma"] == [
        (Role.CONTRIBUTOR, LATER),
        (Role.STEERING, LATER),
    ]
    assert [m for m in after.memberships if m.user != "emma"] == [
        m for m in ORG.memberships if m.user != "emma"
    ]


def test_a_renewal_can_shorten_or_remove_an_end_date() -> None:
    shorter = date(2026, 12, 1)
    assert {m.until for m in organisation_after(ORG, _renewal(shorter)).memberships if m.user == "emma"} == {
        shorter
    }
    assert {m.until for m in organisation_after(ORG, _renewal(None)).memberships if m.user == "emma"} == {
        None
    }


def test_a_renewal_to_the_same_day_is_refused_on_the_date() -> None:
    with pytest.raises(InvalidRequest) as caught:
        organisation_after(ORG, _renewal(SOON))
    assert caught.value.field == "until" and caught.value.code == "request.same_end_date"


def test_a_renewal_of_someone_outside_the_group_is_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        organisation_after(ORG, _renewal(LATER, who="nora"))
    assert caught.value.code == "request.not_member"


def test_a_renewal_to_a_past_day_is_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        _renewal(date(2026, 1, 1))
    assert caught.value.field == "until"
