"""Apply a plan to Nextcloud through a write-ahead journal, one change at a time.

Each change is marked running before Nextcloud is called and done after it answered, so a crash
leaves at most one change in doubt; the gateway's writes are idempotent, so replaying it is safe.
The run stops at the first failure: later changes may rely on earlier ones (changes.py PHASE).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from lib.core.changes import Change
from lib.nextcloud.errors import NextcloudError, NextcloudUnavailable
from lib.services.ports import AuditLog, Gateway, Journal

log = logging.getLogger(__name__)

RESUME_ACTOR = "system"


@dataclass(frozen=True)
class ApplyResult:
    run_id: str
    applied: list[str] = field(default_factory=list)
    failed: str | None = None  # the change that stopped the run, as people read it
    error: str | None = None  # why, naming Nextcloud's operation and reason

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
) -> ApplyResult:
    """Apply what the journal still holds for ``run_id``; calling again resumes a failed run.

    ``unit`` opens one database transaction (lib/store/unit.py): a change marked done and its audit
    entry are written together, so a journal step costs two transactions (running, done).
    """
    journal.begin(run_id, plan_changes, actor, request_id)
    applied: list[str] = []
    for change in journal.pending(run_id):
        journal.mark_running(run_id, change)
        try:
            answer = await gateway.apply(change)
        except NextcloudError as exc:
            error = _describe(change, exc)
            _record_failure(journal, audit, actor, run_id, request_id, change, error)
            return ApplyResult(run_id, applied, str(change), error)
        except Exception as exc:
            _record_failure(journal, audit, actor, run_id, request_id, change, f"{change}: {exc!r}")
            raise
        detail = {"change": change.data, "answer": answer, "run_id": run_id, "request_id": request_id}
        with unit():
            journal.mark_done(run_id, change, answer)
            audit.append(actor, "nextcloud.apply", str(change), detail)
        applied.append(str(change))
    return ApplyResult(run_id, applied)


async def resume_unfinished(gateway: Gateway, journal: Journal, audit: AuditLog) -> list[ApplyResult]:
    """At start-up: finish every run a crash or an outage left behind, in the order they were begun.

    The journal keeps each run's changes, so the plan passed on is only what is still pending;
    the audit names the system as the actor of the resumed part.
    """
    results = []
    for run_id in journal.unfinished_runs():
        log.info("Resuming plan run %s", run_id)
        pending = journal.pending(run_id)
        results.append(await apply_plan(pending, gateway, journal, audit, actor=RESUME_ACTOR, run_id=run_id))
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
