"""Apply a plan to Nextcloud through a write-ahead journal, one change at a time.

Each change is marked running before Nextcloud is called and done after it answered, so a crash
leaves at most one change in doubt; the gateway's writes are idempotent, so replaying it is safe.
The run stops at the first failure: later changes may rely on earlier ones (changes.py PHASE).

One process applies a run at a time: it claims the run, says it is alive at each step and every
``HEARTBEAT_EVERY`` seconds while a Nextcloud call runs (lib/store/journal.py), and a run whose
holder went silent is resumed by another (lib/services/background.py) with only the changes the
organisation still wants (lib/core/still_wanted.py): the others are skipped, and audited.

The journal and the audit log are written in worker threads (issue 17), so the event loop answers
other requests and AppAPI's heartbeat while the database commits. One transaction, and one trip to
a thread, per Nextcloud call: a change marked done with its audit entry and the next one marked
running. A run begun in the caller's transaction (a decision, an edit) has its first change marked
running there and is held with no trip (``_Run.fresh``); another is taken in one trip (``_Run.take``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ParamSpec, TypeVar

from lib.core.changes import Change
from lib.core.faults import NextcloudError, NextcloudUnavailable
from lib.core.ports import AuditLog, Gateway, Journal

log = logging.getLogger(__name__)

RESUME_ACTOR = "system"
HEARTBEAT_EVERY = 5.0  # seconds; a third of lib/store/journal.STALE_AFTER
SKIP_REASON = "no longer wanted by the organisation"
Wanted = Callable[[Change], bool]
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Watch:
    """The organisation while a run is applied: its version now (read afresh) and, when it moved,
    its filter now. A run checks it at each step, so a change an operator's edit no longer wants is
    skipped, not applied after the edit read Nextcloud (only the change in flight can slip by)."""

    version: Callable[[], int]
    wanted: Callable[[], Wanted]
    since: int | None = None  # the version the run was planned on, when the caller knows it


class RunBusy(Exception):
    """Another process (or task) is applying this run now."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"the changes of {run_id} are being applied by another worker")
        self.run_id = run_id


@dataclass(frozen=True)
class ApplyResult:
    run_id: str
    applied: list[str] = field(default_factory=list)
    failed: str | None = None  # the change that stopped the run, as people read it
    error: str | None = None  # why, naming Nextcloud's operation and reason
    skipped: list[str] = field(default_factory=list)  # no longer wanted when the run was resumed

    @property
    def ok(self) -> bool:
        return self.failed is None


async def apply_plan(
    plan_changes: Sequence[Change] | None,
    gateway: Gateway,
    journal: Journal,
    audit: AuditLog,
    *,
    actor: str,
    run_id: str,
    request_id: int | None = None,
    unit: Callable[[], AbstractContextManager[object]] = nullcontext,
    watch: Watch | None = None,
    again: bool = False,
    heartbeat_every: float = HEARTBEAT_EVERY,
) -> ApplyResult:
    """Apply what the journal still holds for ``run_id``; calling again resumes a failed run.

    ``plan_changes``: the run's changes, journalled first unless the run exists; None when the
    caller knows it does (begun in the caller's transaction, or resumed).
    ``unit`` opens one database transaction (lib/store/unit.py): a change marked done, its audit
    entry and the next change marked running are written together, in one trip to a worker thread.
    ``watch``: at each step, the changes left that an edit saved meanwhile no longer wants are
    skipped (:class:`Watch`). ``again`` (a run resumed or retried): with a watch, every pending change
    is checked once the run is held (not before: a save in between would be missed), the
    organisation may have changed since it stopped (a person whose access was revoked meanwhile is
    not added back).
    Raises RunBusy when another process applies the run, RunTakenOver when one took it over.
    """
    run = _Run(journal, audit, unit, actor, run_id, request_id, watch, seen=watch.since if watch else None)
    try:
        fresh = run.fresh() if plan_changes is None else None  # begun in the caller's transaction
        held = fresh if fresh is not None else await _off_loop(run.take, plan_changes, again)
        if not run.held:  # the run is done: nothing left to apply
            return ApplyResult(run_id)
        beating = asyncio.create_task(_keep_beating(journal, run_id, heartbeat_every))
        try:
            return await _apply_held(gateway, run, held)
        finally:
            beating.cancel()
            await _outlast(beating)  # no beat lands after the release
    finally:
        if run.held:  # in memory (SqlJournal.release): on the loop, even while the task is cancelled
            journal.release(run_id)


@dataclass
class _Held:
    """What a run holds once taken: its changes still pending, in plan order, and which are in doubt."""

    pending: list[Change] = field(default_factory=list)
    started: set[str] = field(default_factory=set)  # begun and never finished: their outcome is unknown
    doubt: set[Change] | None = None  # a resumed run's: other runs may have applied them meanwhile


@dataclass
class _Run:
    """A run's journal steps, grouped as they run together in one worker thread (``_off_loop``)."""

    journal: Journal
    audit: AuditLog
    unit: Callable[[], AbstractContextManager[object]]
    actor: str
    run_id: str
    request_id: int | None
    watch: Watch | None = None
    held: bool = False  # claimed by this task: released at the end, whatever happens
    seen: int | None = None  # the organisation's version the changes left were last checked against
    skipped: list[str] = field(default_factory=list)  # no longer wanted, marked and audited

    def take(self, changes: Sequence[Change] | None, again: bool) -> _Held:
        """Journal the run (unless it exists) and claim it; skip what is no longer wanted; mark the
        first change running (write-ahead: committed before Nextcloud is called)."""
        journal, run_id = self.journal, self.run_id
        if changes is not None:
            journal.begin(run_id, changes, self.actor, self.request_id)
            if (fresh := self.fresh()) is not None:
                return fresh
        if not journal.claim(run_id):
            if journal.run_status(run_id) == "done":
                return _Held()
            raise RunBusy(run_id)
        self.held = True
        watch = self.watch if again else None  # a run taken up again: every change checked first
        if watch is not None:
            self.seen = watch.version()
            self._skip(journal.pending(run_id), watch.wanted())
        started = journal.started(run_id)
        pending = journal.pending(run_id)
        if pending:
            journal.mark_running(run_id, pending[0])
        return _Held(pending, started, None if watch is None else set(pending))

    def fresh(self) -> _Held | None:
        """A run this process began and nobody applied yet: held with no database trip, its first
        change already marked running by ``begin`` (lib/store/journal.py), none of them in doubt."""
        changes = self.journal.fresh(self.run_id)
        if changes is None:
            return None
        self.held = True
        return _Held(changes)

    def _skip(self, changes: list[Change], wanted: Wanted) -> list[Change]:
        """Mark "skipped" (and audit) those of ``changes`` the organisation no longer wants; the others."""
        kept = []
        for change in changes:
            if wanted(change):
                kept.append(change)
                continue
            with self.unit():
                self.journal.mark_skipped(self.run_id, change, SKIP_REASON)
                self._audit("nextcloud.skip", change, reason=SKIP_REASON)
            self.skipped.append(str(change))
            log.info("Plan run %s: %s no longer wanted, skipped", self.run_id, change)
        return kept

    def _still_wanted(self, rest: list[Change]) -> list[Change]:
        """``rest`` without what an edit saved since the last look no longer wants (``watch``)."""
        if self.watch is None or not rest:
            return rest
        now = self.watch.version()
        moved = self.seen is not None and now != self.seen
        self.seen = now  # the first look: the version the run is applied against
        return self._skip(rest, self.watch.wanted()) if moved else rest

    def done(self, change: Change, answer: str, rest: list[Change]) -> list[Change]:
        """``change`` done and audited, and the first of ``rest`` still wanted marked running, in one
        transaction (its call comes after the commit: write-ahead still); returns what is left."""
        rest = self._still_wanted(rest)
        with self.unit():
            self.journal.mark_done(self.run_id, change, answer)
            self._audit("nextcloud.apply", change, answer=answer)
            if rest:
                self.journal.mark_running(self.run_id, rest[0])
        return rest

    def failed(self, change: Change, error: str) -> None:
        log.warning("Plan run %s stopped: %s", self.run_id, error)
        self.journal.mark_failed(self.run_id, change, error)
        self._audit("nextcloud.apply_failed", change, error=error)

    def _audit(self, action: str, change: Change, **said: str) -> None:
        detail = {"change": change.data, **said, "run_id": self.run_id, "request_id": self.request_id}
        self.audit.append(self.actor, action, str(change), detail)


async def _apply_held(gateway: Gateway, run: _Run, held: _Held) -> ApplyResult:
    """Call Nextcloud for each pending change, already marked running (by ``begin`` or ``take`` for
    the first, by the step that marked the one before it done for the others); stop at the first
    failure."""
    applied: list[str] = []
    rest = list(held.pending)
    while rest:
        change, rest = rest[0], rest[1:]
        try:
            in_doubt = change.key in held.started or (held.doubt is not None and change in held.doubt)
            answer = await gateway.apply(change, in_doubt=in_doubt)
        except NextcloudError as exc:
            error = _describe(change, exc)
            await _off_loop(run.failed, change, error)
            return ApplyResult(run.run_id, applied, str(change), error, run.skipped)
        except Exception as exc:
            await _off_loop(run.failed, change, f"{change}: {exc!r}")
            raise
        rest = await _off_loop(run.done, change, answer, rest)
        applied.append(str(change))
    return ApplyResult(run.run_id, applied, skipped=run.skipped)


async def _keep_beating(journal: Journal, run_id: str, every: float) -> None:
    """While a long Nextcloud call runs, tell other processes this one still applies the run."""
    while True:
        await asyncio.sleep(every)
        try:
            if not await _off_loop(journal.beat, run_id):
                return  # taken over: the next journal step raises RunTakenOver
        except Exception:  # the database hiccuped: the next step or beat says it again
            log.warning("could not refresh the heartbeat of run %s", run_id, exc_info=True)


async def _off_loop(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work`` (journal steps, audit entries) in a worker thread, in a copy of this context (a unit
    of work opened there belongs to that thread: lib/store/unit.py), as ``asyncio.to_thread``.

    Cancelled meanwhile (a process stopping, a client gone), the task still waits for the thread
    before the cancellation goes on: the step commits anyway, and the release that follows must
    come after it, or another task of this process could claim the run and mark a change again.
    """
    loop = asyncio.get_running_loop()
    step = loop.run_in_executor(None, partial(contextvars.copy_context().run, work, *args, **kwargs))
    try:
        await _outlast(step)
    except asyncio.CancelledError:
        if not step.cancelled():
            step.exception()  # heard: the caller hears the cancellation
        raise
    return step.result()


async def _outlast(fut: asyncio.Future[Any]) -> None:
    """Wait until ``fut`` has finished, even if this task is cancelled meanwhile: the cancellation
    is raised once it has."""
    cancelled: asyncio.CancelledError | None = None
    while not fut.done():
        try:
            await asyncio.wait({fut})
        except asyncio.CancelledError as exc:
            cancelled = exc
    if cancelled is not None:
        raise cancelled


async def resume_unfinished(
    gateway: Gateway,
    journal: Journal,
    audit: AuditLog,
    *,
    watch: Watch | None = None,
    unit: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> list[ApplyResult]:
    """Finish every run whose holder died, in the order they were begun.

    The journal keeps each run's changes, so nothing is passed on but the run;
    ``watch`` gives the current organisation's filter (built again for each run once it is held:
    the organisation may change while an earlier run is resumed). The audit names the system as the
    actor of the resumed part. A run another process took first is left to it.
    """
    results = []
    for run_id in await _off_loop(journal.unfinished_runs):
        log.info("Resuming plan run %s", run_id)
        try:
            results.append(
                await apply_plan(
                    None,
                    gateway,
                    journal,
                    audit,
                    actor=RESUME_ACTOR,
                    run_id=run_id,
                    unit=unit,
                    watch=watch,
                    again=True,
                )
            )
        except RunBusy:
            log.info("Plan run %s is being resumed by another worker", run_id)
        except NextcloudError as exc:  # raised outside a change (the run stays resumable)
            log.warning("Resuming plan run %s failed: %s", run_id, exc)
    return results


def _describe(change: Change, exc: NextcloudError) -> str:
    if isinstance(exc, NextcloudUnavailable):
        return f"{change}: Nextcloud did not answer ({exc}); the run can be resumed"
    return f"{change}: Nextcloud refused {exc}"
