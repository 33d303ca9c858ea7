"""The request workflow as a service, with Nextcloud faked in memory: what an approval applies,
what it reads, how many transactions it takes, and what it refuses."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ex_app.main import build
from lib.core.errors import InvalidRequest, UnsafePlan
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.plan import apply_to_state, plan
from lib.core.policy import actor_for
from lib.core.request_kinds import RequestLine, RequestState
from lib.core.state import NextcloudState
from lib.services.governance import Governance
from lib.services.sync import StalePlan, managed_by
from lib.settings import Settings
from lib.store.counting import count_transactions
from tests.conftest import SECRET
from tests.fakes import FakeGateway

TODAY = date(2026, 11, 30)
ORG = Organisation(
    "Coop",
    (WorkingGroup("com", "Communication"), WorkingGroup("sport", "Sport")),
    (
        Membership("com", "alice", Role.FACILITATOR),
        Membership("com", "dave", Role.CONTRIBUTOR),
        Membership("sport", "bob", Role.FACILITATOR),
        Membership("operations", "claire"),
        Membership("operations", "olga"),
    ),
)
PEOPLE = {
    u: u.title() for u in ("admin", "alice", "bob", "claire", "dave", "erin", "olga", "f1", "f2", "f3", "f4")
}


@pytest.fixture
def gov(tmp_path: Path) -> Governance:
    settings = Settings(
        app_secret=SECRET,
        nextcloud_url="http://nextcloud.invalid",
        app_persistent_storage=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gov.sqlite3'}",
        governance_admin_user="admin",
        governance_objection_days=0,
    )
    g = build(settings, lambda s: None, today=lambda: TODAY)  # type: ignore[arg-type,return-value]
    g.migrate()
    g.orgs.save(ORG)
    desired = g.sync.desired(ORG)
    synced = apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed_by(ORG, desired)))
    g.ctx._gateway = FakeGateway(synced, PEOPLE)
    return g


def fake(gov: Governance) -> FakeGateway:
    assert isinstance(gov.gateway, FakeGateway)
    return gov.gateway


def ask_to_add(gov: Governance, uid: str = "erin", group: str = "com") -> int:
    alice = actor_for(gov.org(), {"com": "alice", "sport": "bob"}[group], today=TODAY)
    line = RequestLine(user=uid, role=Role.CONTRIBUTOR)
    req = asyncio.run(
        gov.requests.submit(alice, kind="add_member", group=group, justification="Helps", lines=[line])
    )
    assert req.id is not None
    return req.id


def approve(gov: Governance, rid: int, operator: str = "claire", confirmed: bool = False):  # type: ignore[no-untyped-def]
    svc = gov.requests
    actor = actor_for(gov.org(), operator, today=TODAY)
    checksum = asyncio.run(svc.preview(svc.get(rid))).checksum
    return asyncio.run(svc.approve(actor, rid, checksum, confirmed=confirmed))


def test_approving_an_addition_adds_that_person_and_repairs_no_drift(gov: Governance) -> None:
    nc = fake(gov)
    nc.state.groups["gt-sport-animateurs"].add("mallory")  # drift elsewhere stays drift
    nc.state.folders["Sport"].groups["gt-sport-animateurs"] = 1
    rid = ask_to_add(gov)
    nc.calls.clear()
    final = approve(gov, rid)
    assert final.state is RequestState.APPLIED
    assert "erin" in nc.state.groups["gt-com-membres"]
    assert "mallory" in nc.state.groups["gt-sport-animateurs"]
    assert nc.state.folders["Sport"].groups["gt-sport-animateurs"] == 1
    applied = [c for c in nc.calls if c.startswith("apply:")]
    assert applied == ["apply:AddMember"]


def test_an_approval_reads_only_the_person_it_adds(gov: Governance) -> None:
    nc = fake(gov)
    rid = ask_to_add(gov)
    svc = gov.requests
    checksum = asyncio.run(svc.preview(svc.get(rid))).checksum
    nc.calls.clear()
    asyncio.run(svc.approve(actor_for(gov.org(), "claire", today=TODAY), rid, checksum))
    assert nc.calls == ["groups_of:erin", "group_search", "apply:AddMember"]


def test_the_decision_is_one_transaction(gov: Governance) -> None:
    rid = ask_to_add(gov)
    svc = gov.requests
    checksum = asyncio.run(svc.preview(svc.get(rid))).checksum
    actor = actor_for(gov.org(), "claire", today=TODAY)
    with count_transactions(gov.engine) as counted:
        asyncio.run(svc.approve(actor, rid, checksum))
    # the decision (state, organisation, journal with its first change marked running, audit), one
    # per change (done with its audit entry, the next marked running), the final state, and the
    # operators' notifications marked withdrawn
    assert counted.writes == 1 + 1 + 1 + 1


def test_a_plan_that_changed_since_it_was_shown_applies_nothing(gov: Governance) -> None:
    nc = fake(gov)
    rid = ask_to_add(gov)
    svc = gov.requests
    shown = asyncio.run(svc.preview(svc.get(rid))).checksum
    nc.state.groups["gt-com-membres"].add("erin")  # someone added her by hand meanwhile
    with pytest.raises(StalePlan):
        asyncio.run(svc.approve(actor_for(gov.org(), "claire", today=TODAY), rid, shown))
    assert svc.get(rid).state is RequestState.PENDING
    assert not [c for c in nc.calls if c.startswith("apply:")]


def test_removing_many_people_waits_for_a_confirmation(gov: Governance) -> None:
    org = gov.org()
    extra = tuple(Membership("com", f"f{i}", Role.CONTRIBUTOR) for i in range(1, 5))
    gov.orgs.save(replace(org, memberships=org.memberships + extra), expected_version=gov.orgs.version())
    nc = fake(gov)
    nc.state.groups["gt-com-membres"] |= {"f1", "f2", "f3", "f4"}
    alice = actor_for(gov.org(), "alice", today=TODAY)
    lines = [RequestLine(user=f"f{i}") for i in range(1, 5)]
    req = asyncio.run(
        gov.requests.submit(alice, kind="remove_member", group="com", justification="Left", lines=lines)
    )
    assert req.id is not None
    with pytest.raises(UnsafePlan):
        approve(gov, req.id)
    assert gov.requests.get(req.id).state is RequestState.PENDING
    assert {"f1", "f2", "f3", "f4"} <= nc.state.groups["gt-com-membres"]
    assert approve(gov, req.id, confirmed=True).state is RequestState.APPLIED
    assert not {"f1", "f2", "f3", "f4"} & nc.state.groups["gt-com-membres"]


def test_nextcloud_refusing_leaves_a_failed_request_that_a_retry_finishes(gov: Governance) -> None:
    nc = fake(gov)
    rid = ask_to_add(gov)
    nc.fail_on.add("AddMember")
    assert approve(gov, rid).state is RequestState.FAILED
    assert "erin" not in nc.state.groups["gt-com-membres"]
    nc.fail_on.clear()
    again = asyncio.run(gov.requests.retry(actor_for(gov.org(), "olga", today=TODAY), rid))
    assert again.state is RequestState.APPLIED and "erin" in nc.state.groups["gt-com-membres"]


def test_an_unknown_account_is_refused_with_a_sentence_not_a_code(gov: Governance) -> None:
    alice = actor_for(gov.org(), "alice", today=TODAY)
    with pytest.raises(InvalidRequest) as caught:
        asyncio.run(
            gov.requests.submit(
                alice, kind="add_member", group="com", justification="x", lines=[RequestLine(user="nobody")]
            )
        )
    assert caught.value.field == "lines" and "nobody" in caught.value.message
    assert caught.value.code == "request.unknown_user"


def test_operators_are_told_every_change_in_words(gov: Governance) -> None:
    nc = fake(gov)
    ask_to_add(gov)
    told = {user: message for user, _subject, _params, message in nc.notes}
    assert set(told) == {"claire", "olga"}
    assert "Add Erin to Communication (contributors)" in told["claire"]
    assert "Helps" in told["claire"]


def test_a_request_left_applying_by_a_crash_ends_applied_once_its_journal_is_finished(
    gov: Governance,
) -> None:
    from lib.services.apply import resume_unfinished
    from lib.store.journal import SqlJournal

    nc = fake(gov)
    rid = ask_to_add(gov)
    svc = gov.requests

    async def crash(run_id: str, actor: str, request_id: int | None = None, **_: object) -> None:
        raise SystemExit("the worker died after the decision was committed")

    gov.sync.run = crash  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        approve(gov, rid)
    assert svc.get(rid).state is RequestState.APPLYING and "erin" not in nc.state.groups["gt-com-membres"]
    # the next start (another process, which finds the run's holder silent): the journal is
    # resumed, then the request settled
    gov.journal = SqlJournal(gov.engine, stale_after=0)
    asyncio.run(resume_unfinished(nc, gov.journal, gov.audit))
    [settled] = asyncio.run(svc.settle_interrupted())
    assert settled.state is RequestState.APPLIED and "erin" in nc.state.groups["gt-com-membres"]


def test_two_approvals_at_once_both_land_in_the_organisation_and_in_nextcloud(gov: Governance) -> None:
    nc = fake(gov)
    first, second = ask_to_add(gov, "erin"), ask_to_add(gov, "f1", group="sport")
    svc = gov.requests
    sums = {rid: asyncio.run(svc.preview(svc.get(rid))).checksum for rid in (first, second)}

    async def both() -> list[RequestState]:
        claire, olga = (actor_for(gov.org(), uid, today=TODAY) for uid in ("claire", "olga"))
        done = await asyncio.gather(
            svc.approve(claire, first, sums[first]), svc.approve(olga, second, sums[second])
        )
        return [r.state for r in done]

    assert asyncio.run(both()) == [RequestState.APPLIED, RequestState.APPLIED]
    org = gov.org()  # this thread never pinned a version: the database's newest
    assert {("com", "erin"), ("sport", "f1")} <= {(m.group, m.user) for m in org.memberships}
    assert "erin" in nc.state.groups["gt-com-membres"] and "f1" in nc.state.groups["gt-sport-membres"]
