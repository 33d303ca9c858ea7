"""Apply a plan to Nextcloud through a write-ahead journal, one change at a time.

Each change is marked running before Nextcloud is called and done after it answered, so a crash
leaves at most one change in doubt; the gateway's writes are idempotent, so replaying it is safe.
The run stops at the first failure: later changes may rely on earlier ones (changes.py PHASE).

One process applies a run at a time: it claims the run, says it is alive at each step and every
``HEARTBEAT_EVERY`` seconds while a Nextcloud call runs (lib/store/journal.py), and a run whose
holder went silent is resumed by another (lib/services/background.py) with only the changes the
organisation still wants (lib/core/still_wanted.py): the others are skipped, and audited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from lib.core.changes import Change
from lib.core.faults import NextcloudError, NextcloudUnavailable
from lib.core.ports import AuditLog, Gateway, Journal

log = logging.getLogger(__name__)

RESUME_ACTOR = "system"
HEARTBEAT_EVERY = 5.0  # seconds; a third of lib/store/journal.STALE_AFTER
SKIP_REASON = "no longer wanted by the organisation"
Wanted = Callable[[Change], bool]


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
    plan_changes: Sequence[Change],
    gateway: Gateway,
    journal: Journal,
    audit: AuditLog,
    *,
    actor: str,
    run_id: str,
    request_id: int | None = None,
    unit: Callable[[], AbstractContextManager[object]] = nullcontext,
    wanted: Callable[[], Wanted] | None = None,
    heartbeat_every: float = HEARTBEAT_EVERY,
) -> ApplyResult:
    """Apply what the journal still holds for ``run_id``; calling again resumes a failed run.

    ``unit`` opens one database transaction (lib/store/unit.py): a change marked done and its audit
    entry are written together, so a journal step costs two transactions (running, done).
    ``wanted``: when resuming or retrying, gives the organisation's filter once the run is held (not
    before: a save in between would be missed); changes it refuses are skipped, the organisation
    changed meanwhile (a person whose access was revoked after the run stopped is not added back).
    Raises RunBusy when another process applies the run, RunTakenOver when one took it over.
    """
    journal.begin(run_id, plan_changes, actor, request_id)
    if not journal.claim(run_id):
        if journal.run_status(run_id) == "done":
            return ApplyResult(run_id)
        raise RunBusy(run_id)
    beating = asyncio.create_task(_keep_beating(journal, run_id, heartbeat_every))
    try:
        skipped = _skip_unwanted(journal, audit, actor, run_id, request_id, unit, wanted and wanted())
        doubt = None if wanted is None else set(journal.pending(run_id))
        return await _apply_held(gateway, journal, audit, actor, run_id, request_id, unit, skipped, doubt)
    finally:
        beating.cancel()
        journal.release(run_id)


async def _apply_held(
    gateway: Gateway,
    journal: Journal,
    audit: AuditLog,
    actor: str,
    run_id: str,
    request_id: int | None,
    unit: Callable[[], AbstractContextManager[object]],
    skipped: list[str],
    doubt: set[Change] | None = None,
) -> ApplyResult:
    """``doubt``: changes of a resumed run, all checked first (other runs may have applied them
    while this one waited for its holder to be declared dead, e.g. an edit of the organisation)."""
    applied: list[str] = []
    started = journal.started(run_id)  # began before and never finished: their outcome is unknown
    for change in journal.pending(run_id):
        journal.mark_running(run_id, change)
        try:
            in_doubt = change.key in started or (doubt is not None and change in doubt)
            answer = await gateway.apply(change, in_doubt=in_doubt)
        except NextcloudError as exc:
            error = _describe(change, exc)
            _record_failure(journal, audit, actor, run_id, request_id, change, error)
            return ApplyResult(run_id, applied, str(change), error, skipped)
        except Exception as exc:
            _record_failure(journal, audit, actor, run_id, request_id, change, f"{change}: {exc!r}")
            raise
        detail = {"change": change.data, "answer": answer, "run_id": run_id, "request_id": request_id}
        with unit():
            journal.mark_done(run_id, change, answer)
            audit.append(actor, "nextcloud.apply", str(change), detail)
        applied.append(str(change))
    return ApplyResult(run_id, applied, skipped=skipped)


def _skip_unwanted(
    journal: Journal,
    audit: AuditLog,
    actor: str,
    run_id: str,
    request_id: int | None,
    unit: Callable[[], AbstractContextManager[object]],
    wanted: Wanted | None,
) -> list[str]:
    """Mark "skipped" (and audit) the pending changes the organisation no longer wants."""
    if wanted is None:
        return []
    skipped = []
    for change in journal.pending(run_id):
        if wanted(change):
            continue
        detail = {"change": change.data, "reason": SKIP_REASON, "run_id": run_id, "request_id": request_id}
        with unit():
            journal.mark_skipped(run_id, change, SKIP_REASON)
            audit.append(actor, "nextcloud.skip", str(change), detail)
        skipped.append(str(change))
    if skipped:
        log.info("Plan run %s: %d change(s) no longer wanted, skipped", run_id, len(skipped))
    return skipped


async def _keep_beating(journal: Journal, run_id: str, every: float) -> None:
    """While a long Nextcloud call runs, tell other processes this one still applies the run."""
    while True:
        await asyncio.sleep(every)
        try:
            if not journal.beat(run_id):
                return  # taken over: the next journal step raises RunTakenOver
        except Exception:  # the database hiccuped: the next step or beat says it again
            log.warning("could not refresh the heartbeat of run %s", run_id, exc_info=True)


async def resume_unfinished(
    gateway: Gateway,
    journal: Journal,
    audit: AuditLog,
    *,
    wanted: Callable[[], Wanted] | None = None,
    unit: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> list[ApplyResult]:
    """Finish every run whose holder died, in the order they were begun.

    The journal keeps each run's changes, so the plan passed on is only what is still pending;
    ``wanted`` gives the current organisation's filter (built again for each run once it is held:
    the organisation may change while an earlier run is resumed). The audit names the system as the
    actor of the resumed part. A run another process took first is left to it.
    """
    results = []
    for run_id in journal.unfinished_runs():
        log.info("Resuming plan run %s", run_id)
        pending = journal.pending(run_id)
        try:
            results.append(
                await apply_plan(
                    pending,
                    gateway,
                    journal,
                    audit,
                    actor=RESUME_ACTOR,
                    run_id=run_id,
                    unit=unit,
                    wanted=wanted,
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


def _record_failure(
    journal: Journal,
    audit: AuditLog,
    actor: str,
    run_id: str,
    request_id: int | None,
    change: Change,
    error: str,
) -> None:
    log.warning("Plan run %s stopped: %s", run_id, error)
    journal.mark_failed(run_id, change, error)
    detail = {"change": change.data, "error": error, "run_id": run_id, "request_id": request_id}
    audit.append(actor, "nextcloud.apply_failed", str(change), detail)
