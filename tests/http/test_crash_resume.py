"""A worker dying while it applies (issue 13, item 4): another takes its run over within seconds,
never while it lives, applies only what the organisation still wants, and every request ends
applied or failed. Against the stand-in, two Governance instances on one database.

The bench's fault runs (bench/faults.py) run here in small: the same seeded kills and faults.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bench import faults
from lib.core.changes import AddMember, Change
from lib.core.model import Role, role_ref
from lib.core.policy import actor_for
from lib.core.ports import RunTakenOver
from lib.core.request_kinds import RequestLine, RequestState
from lib.services.apply import RunBusy, apply_plan
from lib.services.background import resume_and_settle
from lib.services.governance import Governance
from lib.settings import Settings
from lib.store.journal import SqlJournal
from tests.fakes import FakeAudit
from tests.standin import StandIn

STALE = 0.3  # seconds of silence before another worker takes a run over (the server: 15)
CHANGES = [AddMember("gt-x", "nora"), AddMember("gt-x", "omar")]


@dataclass
class Setup:
    standin: StandIn
    settings: Settings

    def worker(self, stale_after: float | None = STALE) -> Governance:
        return faults.process(self.settings, stale_after)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    standin, _handled = faults.start_standin([*faults.people(), *faults.staff()])
    settings = faults.settings_for(standin, f"sqlite:///{tmp_path / 'gov.sqlite3'}", tmp_path)
    gov = faults.process(settings)
    gov.migrate()
    gov.orgs.save(faults.base_org())
    faults.seed(standin, faults.base_org())
    gov.engine.dispose()
    yield Setup(standin, settings)
    standin.stop()


@pytest.fixture
async def workers(setup: Setup) -> AsyncIterator[list[Governance]]:
    started: list[Governance] = []
    yield started
    for gov in started:
        await faults.stop(gov)


async def submit_addition(gov: Governance, uids: list[str]) -> tuple[int, str]:
    org = gov.org()
    lines = [RequestLine(user=u, role=Role.CONTRIBUTOR) for u in uids]
    fac = actor_for(org, "fac0", today=faults.TODAY)
    req = await gov.requests.submit(fac, kind="add_member", group=faults.WG, justification="x", lines=lines)
    assert req.id is not None
    return req.id, (await gov.requests.preview(req)).checksum


def contributors(s: StandIn) -> set[str]:
    return s.groups.get(faults.base_org().naming.gid(role_ref(faults.WG, Role.CONTRIBUTOR)), set())


# ---- liveness of journal runs -------------------------------------------------------------------


def test_a_live_workers_run_is_never_taken_over_and_a_silent_ones_is_taken_over_by_one(setup: Setup) -> None:
    live, other, third = (
        SqlJournal(faults.process(setup.settings).engine, stale_after=STALE) for _ in range(3)
    )
    live.begin("run-1", CHANGES, "claire", None)
    assert live.claim("run-1")
    live.mark_running("run-1", CHANGES[0])

    assert other.unfinished_runs() == [] and not other.claim("run-1")  # it beats: alive

    time.sleep(STALE + 0.1)  # it went silent (died)
    assert other.unfinished_runs() == ["run-1"] == third.unfinished_runs()
    assert other.claim("run-1")
    assert not third.claim("run-1")  # taken over once, atomically
    with pytest.raises(RunTakenOver):  # the old holder, were it alive after all, stops at its next step
        live.mark_done("run-1", CHANGES[0], "ok")
    other.mark_done("run-1", CHANGES[0], "ok")
    assert other.pending("run-1") == CHANGES[1:]


async def test_a_long_nextcloud_call_keeps_the_run_held_by_its_worker(setup: Setup) -> None:
    journal, watcher = (
        SqlJournal(faults.process(setup.settings).engine, stale_after=STALE) for _ in range(2)
    )
    seen: list[list[str]] = []

    class SlowNextcloud:
        async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
            for _ in range(4):  # a call four times longer than the silence that counts as death
                await asyncio.sleep(STALE)
                seen.append(watcher.unfinished_runs())
            return "ok"

    result = await apply_plan(
        CHANGES[:1],
        SlowNextcloud(),  # type: ignore[arg-type]
        journal,
        FakeAudit(),
        actor="claire",
        run_id="run-1",
        heartbeat_every=STALE / 3,
    )

    assert result.ok and seen == [[]] * 4
    with pytest.raises(RunBusy):  # and a second task of the same worker cannot apply it at once
        journal.begin("run-2", CHANGES, "claire", None)
        assert journal.claim("run-2")
        await apply_plan(CHANGES, SlowNextcloud(), journal, FakeAudit(), actor="c", run_id="run-2")  # type: ignore[arg-type]


async def test_an_apply_with_nothing_to_change_leaves_no_run_to_resume(
    setup: Setup, workers: list[Governance]
) -> None:
    """Nextcloud already as the organisation says: the operator's apply writes a run of no change.
    It once stayed "running" for good (only a change's mark ended a run): every process "resumed"
    it every 10 s, and a request whose run it was could never be settled (bench/faults.py seed 12)."""
    live, other = setup.worker(), setup.worker()
    workers += [live, other]

    plan, result = await live.sync.apply("op1")

    assert len(plan) == 0 and result.ok
    assert live.journal.run_status(result.run_id) == "done"
    await asyncio.sleep(STALE + 0.1)
    assert other.journal.unfinished_runs() == [] == live.journal.unfinished_runs()


# ---- a killed approval --------------------------------------------------------------------------


async def kill_after_commit(gov: Governance, rid: int, checksum: str, adds: int) -> None:
    """Approve, and die once ``adds`` changes are done (the journal holds the rest)."""
    done = 0
    original = gov.journal.mark_done

    def mark_done(run_id: str, change: Change, answer: str) -> None:
        nonlocal done
        original(run_id, change, answer)
        done += 1
        if done == adds:
            raise faults.Killed

    gov.journal.mark_done = mark_done  # type: ignore[method-assign]
    operator = actor_for(gov.org(), "op0", today=faults.TODAY)
    with pytest.raises(faults.Killed):
        await gov.requests.approve(operator, rid, checksum)
    await faults.stop(gov)


async def test_a_killed_approval_is_resumed_by_another_worker_and_its_request_ends_applied(
    setup: Setup, workers: list[Governance]
) -> None:
    dying, survivor = setup.worker(), setup.worker()
    workers.append(survivor)
    uids = faults.people(6)
    rid, checksum = await submit_addition(dying, uids)
    await kill_after_commit(dying, rid, checksum, adds=3)
    assert survivor.requests.get(rid).state is RequestState.APPLYING

    # the dead worker's silence is not yet long enough
    assert await resume_and_settle(survivor.requests) == []
    assert survivor.requests.get(rid).state is RequestState.APPLYING
    await asyncio.sleep(STALE + 0.1)
    [resumed] = await resume_and_settle(survivor.requests)

    assert resumed.ok and resumed.skipped == []
    assert survivor.requests.get(rid).state is RequestState.APPLIED
    assert set(uids) <= contributors(setup.standin)
    assert survivor.journal.unfinished_runs() == []


async def test_a_resumed_run_does_not_add_back_someone_whose_access_was_revoked_meanwhile(
    setup: Setup, workers: list[Governance]
) -> None:
    dying, survivor = setup.worker(), setup.worker()
    workers.append(survivor)
    uids = faults.people(6)
    rid, checksum = await submit_addition(dying, uids)
    await kill_after_commit(dying, rid, checksum, adds=2)  # the group is created, p0000 added
    leaving = {"p0000", "p0004"}  # one already added, one still pending in the dead worker's journal
    version, org = survivor.orgs.version(), survivor.org()
    edited = replace(org, memberships=tuple(m for m in org.memberships if m.user not in leaving))
    await survivor.sync.apply("op1", org=edited, version=version, confirmed=True)
    await asyncio.sleep(STALE + 0.1)

    [resumed] = await resume_and_settle(survivor.requests)

    assert resumed.skipped == ["add p0004 to gt-atelier-membres"]
    assert not leaving & contributors(setup.standin)
    assert set(uids) - leaving <= contributors(setup.standin)
    assert survivor.requests.get(rid).state is RequestState.APPLIED
    skips = [e for e in survivor.audit.entries() if e.action == "nextcloud.skip"]
    assert [(e.actor, e.subject) for e in skips] == [("system", "add p0004 to gt-atelier-membres")]


async def test_a_resumed_run_that_nextcloud_refuses_ends_failed_and_a_retry_applies_it(
    setup: Setup, workers: list[Governance]
) -> None:
    dying, survivor = setup.worker(), setup.worker()
    workers.append(survivor)
    uids = faults.people(4)
    rid, checksum = await submit_addition(dying, uids)
    await kill_after_commit(dying, rid, checksum, adds=1)
    setup.standin.fail("POST", r"^/ocs/v2\.php/cloud/users/p0002/groups$", "503", times=8)  # > 4 attempts
    await asyncio.sleep(STALE + 0.1)

    [resumed] = await resume_and_settle(survivor.requests)

    assert not resumed.ok and "p0002" in (resumed.failed or "")
    failed = survivor.requests.get(rid)
    assert failed.state is RequestState.FAILED  # not left "applying"
    setup.standin.faults.clear()
    again = await survivor.requests.retry(actor_for(survivor.org(), "op1", today=faults.TODAY), rid)
    assert again.state is RequestState.APPLIED and set(uids) <= contributors(setup.standin)


async def test_a_retried_run_does_not_add_back_someone_whose_access_was_revoked_after_it_failed(
    setup: Setup, workers: list[Governance]
) -> None:
    gov = setup.worker()
    workers.append(gov)
    uids = faults.people(4)
    rid, checksum = await submit_addition(gov, uids)
    setup.standin.fail("POST", r"^/ocs/v2\.php/cloud/users/p0002/groups$", "503", times=8)  # > 4 attempts
    failed = await gov.requests.approve(actor_for(gov.org(), "op0", today=faults.TODAY), rid, checksum)
    assert failed.state is RequestState.FAILED and {"p0000", "p0001"} <= contributors(setup.standin)
    setup.standin.faults.clear()
    leaving = {"p0002", "p0003"}  # the change it stopped on, and one it never reached
    version, org = gov.orgs.version(), gov.org()
    edited = replace(org, memberships=tuple(m for m in org.memberships if m.user not in leaving))
    await gov.sync.apply("op1", org=edited, version=version, confirmed=True)

    again = await gov.requests.retry(actor_for(gov.org(), "op1", today=faults.TODAY), rid)

    assert again.state is RequestState.APPLIED
    assert not leaving & contributors(setup.standin)
    assert set(uids) - leaving <= contributors(setup.standin)
    skips = [e.subject for e in gov.audit.entries() if e.action == "nextcloud.skip"]
    assert sorted(skips) == ["add p0002 to gt-atelier-membres", "add p0003 to gt-atelier-membres"]


async def test_a_run_skips_the_additions_an_edit_saved_while_it_runs_no_longer_wants(
    setup: Setup, workers: list[Governance]
) -> None:
    """An operator's edit on another worker, saved during the approval's first Nextcloud call: the
    edit read Nextcloud before the run added p0003, so only the run can leave p0003 out."""
    gov, other = setup.worker(), setup.worker()
    workers.extend([gov, other])
    uids = faults.people(4)
    rid, checksum = await submit_addition(gov, uids)
    gateway = gov.ctx.gateway
    apply = gateway.apply
    edited: list[int] = []

    async def edit_during_the_first_call(change: Change, *, in_doubt: bool = False) -> str:
        if not edited:
            version, org = other.orgs.version(), other.org()
            leaving = replace(org, memberships=tuple(m for m in org.memberships if m.user != "p0003"))
            await other.sync.apply("op1", org=leaving, version=version, confirmed=True)
            edited.append(version)
        return await apply(change, in_doubt=in_doubt)

    gateway.apply = edit_during_the_first_call  # type: ignore[method-assign]
    final = await gov.requests.approve(actor_for(gov.org(), "op0", today=faults.TODAY), rid, checksum)

    assert edited and final.state is RequestState.APPLIED
    assert "p0003" not in contributors(setup.standin)
    assert set(uids) - {"p0003"} <= contributors(setup.standin)
    skips = [(e.actor, e.subject) for e in gov.audit.entries() if e.action == "nextcloud.skip"]
    assert skips == [("op0", "add p0003 to gt-atelier-membres")]


# ---- the bench in small -------------------------------------------------------------------------


async def test_seeded_runs_with_faults_and_kills_end_as_the_organisation_says_with_no_double_write() -> None:
    figures = await faults.fault_runs(10, contributors=6, people=6)

    assert figures["runs"] == 10 and figures["killed"] >= 5
    assert (figures["wrong"], figures["double"], figures["stuck"]) == (0, 0, 0), figures["why"]


async def test_concurrent_decisions_on_two_workers_lose_nothing_and_apply_nothing_twice() -> None:
    figures = await faults.concurrent_decisions(requests=30)

    assert figures["applied"] == 30
    assert (figures["lost"], figures["double"], figures["stuck"]) == (0, 0, 0)
