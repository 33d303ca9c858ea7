"""apply_plan under faults: every call of a plan fails in turn, answers get lost, the process crashes.

Each run must end in the same Nextcloud state as a clean run, and no change may land twice. The
stand-in's own faults ("500", "timeout", "drop") fail a call before Nextcloud handles it; the
``lose_answer`` fault lets Nextcloud handle it and then loses the answer.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest

from bench import faults
from lib.core.changes import AddMember, Change, CreateFolder, SetAclManager
from lib.nextcloud.client import AppAPIClient
from lib.nextcloud.gateway import NextcloudGateway
from lib.services.apply import ApplyResult, apply_plan, resume_unfinished
from tests.conftest_standin import ADMIN, MOUNT, make_client, managed, sample_plan, snapshot
from tests.fakes import FakeAudit, FakeJournal
from tests.standin import StandIn
from tests.standin._extra_lost_answer import lose_answer

READS = ("GET", "PROPFIND")
# Nextcloud would duplicate these if sent again after they were handled (NEXTCLOUD.md §5.1).
ATTACH = re.compile(r"^/index\.php/apps/groupfolders/folders/\d+/groups$")
MANAGE = re.compile(r"^/index\.php/apps/groupfolders/folders/\d+/manageACL$")


def fresh_standin() -> StandIn:
    s = StandIn(app_secret="standin-secret")
    s.add_user(ADMIN, admin=True)
    for uid in ("alice", "bob", "carol"):
        s.add_user(uid, display_name=uid.title())
    s.timeout_sleep = 2.5  # longer than the client's timeout below
    s.start()
    return s


async def run(s: StandIn, plan: list[Change], run_id: str, journal: FakeJournal | None = None) -> ApplyResult:
    client = make_client(s, timeout=1.5)  # a slow answer on a busy machine is not a timeout
    try:
        gateway = NextcloudGateway(client, ADMIN, managed=managed)
        return await apply_plan(
            plan, gateway, journal or FakeJournal(), FakeAudit(), actor="op", run_id=run_id
        )
    finally:
        await client.aclose()


def writes(calls: list[tuple[str, str]]) -> Counter[tuple[str, str]]:
    return Counter(call for call in calls if call[0] not in READS)


def clean_run() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """State and calls of a clean run of the sample plan, computed once at collection (the
    parametrisation needs the calls)."""
    s = fresh_standin()
    try:
        asyncio.run(run(s, sample_plan(), "clean"))
        return snapshot(s), list(s.calls)
    finally:
        s.stop()


CLEAN_STATE, CLEAN_CALLS = clean_run()
CALLS = list(dict.fromkeys(CLEAN_CALLS))


@pytest.mark.parametrize("mode", ["500", "timeout", "drop"])
@pytest.mark.parametrize(("method", "path"), CALLS, ids=[f"{m} {p}" for m, p in CALLS])
async def test_a_failing_call_is_retried_and_the_plan_lands_once(
    method: str,
    path: str,
    mode: str,
) -> None:
    expected_state, clean_calls = CLEAN_STATE, CLEAN_CALLS
    s = fresh_standin()
    try:
        s.fail(method, f"^{path}$", mode=mode, times=1)

        result = await run(s, sample_plan(), "faulty")

        assert result.ok, result.error
        assert result.applied == [str(c) for c in sample_plan()]
        assert snapshot(s) == expected_state
        # Every write happened as often as in a clean run; the failed one once more (it never
        # reached Nextcloud's handler), so each write was handled exactly once after the fault.
        expected_writes = writes(clean_calls)
        if method not in READS:
            expected_writes[(method, path)] += 1
        assert writes(s.calls) == expected_writes
    finally:
        s.stop()


WRITES = [call for call in CALLS if call[0] not in READS]


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
async def test_a_lost_answer_never_makes_nextcloud_apply_a_change_twice(
    method: str,
    path: str,
) -> None:
    expected_state, clean_calls = CLEAN_STATE, CLEAN_CALLS
    s = fresh_standin()
    try:
        lose_answer(s, method, f"^{path}$")

        result = await run(s, sample_plan(), "lossy")

        assert result.ok, result.error
        assert snapshot(s) == expected_state
        replayed = writes(s.calls) - writes(clean_calls)
        if ATTACH.match(path):
            assert replayed == Counter()  # checked again instead of sent again
        else:  # a harmless idempotent replay (for manageACL: the revoke that precedes a grant)
            assert replayed == Counter({(method, path): 1})
    finally:
        s.stop()


class Crash(BaseException):
    """The process dies: nothing after it runs, not even the journal's failure mark."""


class CrashingGateway:
    """Applies the change in Nextcloud, then crashes before the journal hears it was done."""

    def __init__(self, inner: NextcloudGateway, crash_on: Change) -> None:
        self.inner, self.crash_on = inner, crash_on

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
        answer = await self.inner.apply(change, in_doubt=in_doubt)
        if change == self.crash_on:
            raise Crash
        return answer


@pytest.mark.parametrize("crash_at", range(len(sample_plan())), ids=[str(c) for c in sample_plan()])
async def test_a_run_interrupted_by_a_crash_is_resumed_without_duplicates(
    crash_at: int,
) -> None:
    expected_state, clean_calls = CLEAN_STATE, CLEAN_CALLS
    plan = sample_plan()
    journal, audit = FakeJournal(), FakeAudit()
    s = fresh_standin()
    client = make_client(s)
    try:
        gateway = NextcloudGateway(client, ADMIN, managed=managed)
        with pytest.raises(Crash):
            crashing = CrashingGateway(gateway, plan[crash_at])
            await apply_plan(plan, crashing, journal, audit, actor="op", run_id="r1")
        assert journal.statuses("r1")[crash_at] == "running"

        [resumed] = await resume_unfinished(NextcloudGateway(client, ADMIN, managed=managed), journal, audit)

        assert resumed.ok and resumed.applied == [str(c) for c in plan[crash_at:]]
        assert journal.statuses("r1") == ["done"] * len(plan)
        assert journal.unfinished_runs() == []
        assert snapshot(s) == expected_state
        attaches = [call for call in writes(s.calls) if ATTACH.match(call[1])]
        assert attaches and all(writes(s.calls)[c] == writes(clean_calls)[c] for c in attaches)
        assert Counter(e.subject for e in audit.entries if e.action == "nextcloud.apply") == Counter(
            map(str, plan)
        )
    finally:
        await client.aclose()
        s.stop()


async def test_a_refusal_stops_the_run_and_names_the_operation() -> None:
    plan = sorted([*sample_plan(), AddMember("gt-com", "nobody")], key=Change.sort_key)
    journal, audit = FakeJournal(), FakeAudit()
    s = fresh_standin()
    client = make_client(s)
    try:
        gateway = NextcloudGateway(client, ADMIN, managed=managed)

        result = await apply_plan(plan, gateway, journal, audit, actor="op", run_id="r1", request_id=7)

        assert result.failed == "add nobody to gt-com"
        assert "POST /ocs/v2.php/cloud/users/nobody/groups" in result.error
        assert "user nobody does not exist" in result.error
        failed_at = [str(c) for c in plan].index("add nobody to gt-com")
        assert result.applied == [str(c) for c in plan[:failed_at]]
        assert journal.statuses("r1") == ["done"] * failed_at + ["failed"] + ["pending"] * (
            len(plan) - failed_at - 1
        )
        assert s.folder_by_mount(MOUNT) is None  # later changes were not applied
        last = audit.entries[-1]
        assert (last.action, last.subject, last.detail["request_id"]) == (
            "nextcloud.apply_failed",
            "add nobody to gt-com",
            7,
        )
        assert s.calls.count(("POST", "/ocs/v2.php/cloud/users/nobody/groups")) == 1  # a 4xx is not retried
    finally:
        await client.aclose()
        s.stop()


async def test_an_outage_fails_the_run_and_the_same_run_resumes_where_it_stopped() -> None:
    expected_state = CLEAN_STATE
    plan = sample_plan()
    journal, audit = FakeJournal(), FakeAudit()
    s = fresh_standin()
    client: AppAPIClient = make_client(s)
    try:
        gateway = NextcloudGateway(client, ADMIN, managed=managed)
        s.fail("POST", r"^/index\.php/apps/groupfolders/folders$", mode="503", times=4)  # all 4 attempts

        first = await apply_plan(plan, gateway, journal, audit, actor="op", run_id="r1")

        assert first.failed == str(CreateFolder(MOUNT))
        assert "did not answer" in (first.error or "")
        assert journal.unfinished_runs() == ["r1"]

        second = await apply_plan(plan, gateway, journal, audit, actor="op", run_id="r1")

        assert second.ok
        assert first.applied + second.applied == [str(c) for c in plan]
        assert snapshot(s) == expected_state
        applied = [e.subject for e in audit.entries if e.action == "nextcloud.apply"]
        assert applied == [str(c) for c in plan]
    finally:
        await client.aclose()
        s.stop()


async def test_a_lost_grant_of_acl_management_is_checked_not_repeated() -> None:
    expected_state, clean_calls = CLEAN_STATE, CLEAN_CALLS
    s = fresh_standin()
    try:
        lose_answer(s, "POST", MANAGE.pattern, after=1)  # the grant that follows the revoke

        assert (await run(s, sample_plan(), "r1")).ok

        assert snapshot(s) == expected_state
        assert writes(s.calls) == writes(clean_calls)
    finally:
        s.stop()


async def test_a_lost_grant_while_acl_is_off_still_leaves_one_manager_row() -> None:
    s = fresh_standin()
    client = make_client(s)
    try:
        gateway = NextcloudGateway(client, ADMIN, managed=managed)
        await gateway.apply(CreateFolder(MOUNT))
        lose_answer(s, "POST", MANAGE.pattern, after=1)

        await gateway.apply(SetAclManager(MOUNT, "group", "gt-ops", True))

        assert s.folder_by_mount(MOUNT).manage == [("group", "gt-ops")]
        assert [c for c in s.calls if MANAGE.match(c[1])] == [
            ("POST", c[1]) for c in s.calls if MANAGE.match(c[1])
        ]
        assert len([c for c in s.calls if MANAGE.match(c[1])]) == 4  # revoke, lost grant, revoke, grant
    finally:
        await client.aclose()
        s.stop()


async def test_seed_618_a_worker_killed_after_creating_folders_leaves_their_acl_to_the_restart() -> None:
    """bench/faults.py seed 618: the worker applying the organisation's whole plan dies right after
    creating two of its folders (no group attached yet, ACL off), with faults on folder reads and rule
    writes. The restart takes that run over and finishes it (groups, ACL on, managers, rules; an
    operator applies again where a fault stopped it), and no repair from the matrix is left to do.

    It once ended with "enable ACL on Atelier 0" still planned after one repair: the bench judged
    Nextcloud before the restart had taken the dead run over (its silence was not yet long enough),
    and an operator's apply planned from those folders, whose rules nobody could read yet, attaches
    their groups first and switches ACL on only at the next apply (lib/core/plan.py). The bench now
    waits for every run to be finished, as the server's loop does (lib/services/background.py).
    """
    figures = await faults.fault_runs(1, first=618)

    assert figures["killed"] == 1
    assert (figures["wrong"], figures["double"], figures["stuck"]) == (0, 0, 0), figures["why"]
    assert figures["repaired"] == 0  # the resumed run alone brought the folders' ACL
