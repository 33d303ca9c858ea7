"""The journal of a run is written in worker threads, not on the event loop (issue 17): while the
database commits a step, the loop keeps answering other requests and AppAPI's heartbeat. A step held
open here until the loop has run something else would, on the loop, never see it run."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import pytest

from lib.core.changes import AddMember, Change
from lib.core.faults import NextcloudError
from lib.core.ports import Gateway
from lib.services.apply import Watch, apply_plan, resume_unfinished
from tests.fakes import FakeAudit, FakeJournal

CHANGES = [AddMember("gt-x", "nora"), AddMember("gt-x", "omar"), AddMember("gt-x", "paul")]
WAIT = 3.0  # seconds a held step waits for the loop before it gives up (the loop is blocked)


class Answering:
    """Nextcloud answering every change but the addition of ``refuse``, each after ``slow`` seconds."""

    def __init__(self, refuse: str, slow: float) -> None:
        self.refuse, self.slow = refuse, slow

    async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
        await asyncio.sleep(self.slow)
        if change.data.get("uid") == self.refuse:
            raise NextcloudError("add a member", 400, None, "refused")
        return "ok"


def nextcloud(refuse: str = "", slow: float = 0.0) -> Gateway:
    return cast(Gateway, Answering(refuse, slow))  # apply_plan calls only apply()


class HeldJournal(FakeJournal):
    """Marking a change done waits until the event loop has run something meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.marking, self.loop_ran = threading.Event(), threading.Event()

    def mark_done(self, run_id: str, change: Change, answer: str) -> None:
        self.marking.set()
        if not self.loop_ran.wait(timeout=WAIT):
            raise AssertionError("the event loop stood still while the journal was written")
        super().mark_done(run_id, change, answer)


async def until(event: threading.Event) -> None:
    for _ in range(int(WAIT / 0.001)):
        if event.is_set():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the journal was never written")


async def test_the_event_loop_answers_while_a_change_is_marked_done() -> None:
    journal = HeldJournal()

    async def meanwhile() -> None:  # another request, AppAPI's heartbeat
        await until(journal.marking)
        journal.loop_ran.set()

    other = asyncio.create_task(meanwhile())
    result = await apply_plan(CHANGES[:1], nextcloud(), journal, FakeAudit(), actor="claire", run_id="r1")

    assert result.ok and result.applied == ["add nora to gt-x"]
    assert other.done()


class Spying(FakeJournal):
    """Records which thread each journal call ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: dict[str, set[int]] = {}

    def __getattribute__(self, name: str) -> Any:
        found = super().__getattribute__(name)
        if name.startswith("_") or not callable(found) or name in ("statuses", "entry"):
            return found

        def spied(*args: Any) -> Any:
            self.threads.setdefault(name, set()).add(threading.get_ident())
            return found(*args)

        return spied


async def test_every_journal_step_of_a_run_and_its_resumption_is_written_off_the_event_loop() -> None:
    journal, audit = Spying(), FakeAudit()
    loop_thread = threading.get_ident()
    first = await apply_plan(
        CHANGES,
        nextcloud(refuse="omar", slow=0.03),
        journal,
        audit,
        actor="claire",
        run_id="r1",
        heartbeat_every=0.01,
    )
    still = Watch(version=lambda: 1, wanted=lambda: lambda c: c != CHANGES[2])
    [resumed] = await resume_unfinished(nextcloud(), journal, audit, watch=still)

    assert not first.ok and resumed.ok and resumed.skipped == ["add paul to gt-x"]
    assert audit.actions() == [
        "nextcloud.apply",
        "nextcloud.apply_failed",
        "nextcloud.skip",
        "nextcloud.apply",
    ]
    steps = set("begin claim pending started mark_running mark_done mark_failed mark_skipped".split())
    assert steps | {"beat", "unfinished_runs", "release"} <= set(journal.threads)  # each one was called
    on_loop = {name for name, threads in journal.threads.items() if loop_thread in threads}
    assert on_loop == {"release", "fresh"}  # in memory: they write nothing


async def test_a_run_cancelled_while_a_step_is_written_waits_for_it_and_marks_nothing_twice() -> None:
    """A process stopping (or a task cancelled) while a step commits: the step commits anyway, so the
    run is released only after it, and applying the run again does not mark that change again."""
    journal, audit = HeldJournal(), FakeAudit()
    applying = asyncio.create_task(
        apply_plan(CHANGES[:2], nextcloud(), journal, audit, actor="claire", run_id="r1")
    )
    await until(journal.marking)
    applying.cancel()
    await asyncio.sleep(0.05)

    assert not applying.done() and "r1" in journal.applying  # held while its step is written
    journal.loop_ran.set()
    with pytest.raises(asyncio.CancelledError):
        await applying

    assert "r1" not in journal.applying  # released
    assert journal.statuses("r1") == ["done", "running"]  # the next one marked before the cancellation
    again = await apply_plan(None, nextcloud(), journal, audit, actor="claire", run_id="r1")
    assert again.applied == ["add omar to gt-x"]
    assert [e.subject for e in audit.entries] == ["add nora to gt-x", "add omar to gt-x"]
