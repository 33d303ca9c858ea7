"""An unfinished request about a person in a group blocks another about them there (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from lib.core import requests as machine
from lib.core.errors import InvalidRequest
from lib.core.model import Role
from lib.core.request_checks import not_duplicate
from lib.core.request_kinds import RequestKind, RequestLine, RequestState

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _req(kind: RequestKind, *who: str, group: str = "com", rid: int | None = None) -> machine.AccessRequest:
    lines = [
        RequestLine(user=u, role=Role.CONTRIBUTOR if kind is not RequestKind.REMOVE_MEMBER else None)
        for u in who
    ]
    return machine.submit(
        kind=kind, requester="alice", group=group, justification="why", now=NOW, lines=lines, request_id=rid
    )


def test_a_waiting_request_about_the_same_person_and_group_blocks_a_new_one() -> None:
    first = _req(RequestKind.ADD_MEMBER, "nora", "paul", rid=7)
    with pytest.raises(InvalidRequest) as caught:
        not_duplicate(_req(RequestKind.REMOVE_MEMBER, "paul"), [first])
    assert caught.value.code == "request.duplicate" and caught.value.params["id"] == "7"
    assert caught.value.params["user"] == "paul"


def test_another_group_or_a_finished_request_blocks_nothing() -> None:
    other_group = _req(RequestKind.ADD_MEMBER, "nora", group="jardins", rid=1)
    rejected = replace(_req(RequestKind.ADD_MEMBER, "nora", rid=2), state=RequestState.REJECTED)
    applied = replace(_req(RequestKind.ADD_MEMBER, "nora", rid=3), state=RequestState.APPLIED)
    not_duplicate(_req(RequestKind.ADD_MEMBER, "nora"), [other_group, rejected, applied])


def test_two_archive_requests_for_one_group_are_duplicates() -> None:
    first = _req(RequestKind.ARCHIVE_GROUP, rid=4)
    with pytest.raises(InvalidRequest) as caught:
        not_duplicate(_req(RequestKind.ARCHIVE_GROUP), [first])
    assert caught.value.code == "request.duplicate_group"


def test_invitations_by_the_same_address_are_duplicates_whatever_the_case() -> None:
    first = machine.submit(
        kind=RequestKind.ADD_MEMBER, requester="alice", group="com", justification="why", now=NOW,
        lines=[RequestLine(email="Zoe@example.org", role=Role.READER)], request_id=5,
    )  # fmt: skip
    again = machine.submit(
        kind=RequestKind.ADD_MEMBER, requester="alice", group="com", justification="why", now=NOW,
        lines=[RequestLine(email="zoe@example.org", role=Role.READER)],
    )  # fmt: skip
    with pytest.raises(InvalidRequest):
        not_duplicate(again, [first])
