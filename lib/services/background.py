"""Periodic work inside the ExApp process (AppAPI offers no cron to ExApps: NEXTCLOUD.md §7).

Several processes may share one database: a lease row in ``locks`` lets only one of them run a task
at a time (lib/store/requests_repo.RequestRepository.try_lock). Resuming interrupted runs needs no
lease: each run is taken over atomically once its holder is silent (lib/store/journal.py), so every
process looks every ``RESUME_INTERVAL`` seconds and a dead worker's run is resumed within
STALE_AFTER + RESUME_INTERVAL seconds (issue 13: it took ten minutes under the expiry lease).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lib.core.changes import Change
from lib.core.faults import NextcloudError
from lib.core.still_wanted import still_wanted

if TYPE_CHECKING:
    from .apply import ApplyResult
    from .governance import Governance

log = logging.getLogger(__name__)
EXPIRY_INTERVAL = 300.0  # seconds
CHAIN_INTERVAL = 3600.0
RESUME_INTERVAL = 10.0  # one indexed query when nothing is left to resume


def start(gov: Governance) -> list[asyncio.Task[None]]:
    """Tasks this process runs: expiry and the reading of Nextcloud once across processes; each
    process looks for runs to resume."""
    return [
        asyncio.create_task(_every(gov, "", RESUME_INTERVAL, resume_and_settle)),
        asyncio.create_task(_every(gov, "expiry", EXPIRY_INTERVAL, _expiry)),
        asyncio.create_task(_every(gov, "", gov.settings.governance_read_interval, _read, first=False)),
        asyncio.create_task(_every(gov, "", CHAIN_INTERVAL, _check_chain, first=False)),
    ]


async def _check_chain(gov: Governance) -> None:
    """Re-hash the whole audit chain (pages check only what was appended since: SqlAuditLog.chain_status)."""
    await asyncio.to_thread(gov.audit.verify_whole_chain)


READING_LEASE = "reading"


async def _read(gov: Governance, now: datetime | None = None) -> bool:
    """Read Nextcloud for every worker's pages (the reading is shared in the database:
    lib/services/readings.py), if this process holds the reading lease: N workers cost one reading
    per interval (issue 16). The holder renews it each interval; it lasts two, so a dead holder's
    place is taken within three. True when this process read."""
    ttl = timedelta(seconds=gov.settings.governance_read_interval * 2)
    if not gov.requests.repo.try_lock(READING_LEASE, gov.journal.holder, ttl, now or datetime.now(UTC)):
        return False
    await gov.sync.snapshot()
    return True


async def resume_and_settle(gov: Governance) -> list[ApplyResult]:
    """Resume the runs whose holder died, with what the organisation still wants of them, then
    settle the requests they leave "applying" (applied, or failed and retryable)."""
    from .apply import resume_unfinished

    results: list[ApplyResult] = []
    if gov.journal.unfinished_runs():
        try:
            await gov.sync.snapshot()  # tells the gateway which groups the app owns before it resumes
            results = await resume_unfinished(
                gov.gateway, gov.journal, gov.audit, wanted=lambda: still_wanted_now(gov), unit=gov.unit
            )
        except NextcloudError as exc:  # unreachable: the runs stay resumable, the next look tries again
            log.warning("resuming interrupted runs failed: %s", exc)
        finally:
            gov.sync.readings.forget()  # that reading is from before the resumed changes
    await gov.requests.settle_interrupted()
    return results


def still_wanted_now(gov: Governance) -> Callable[[Change], bool]:
    """The current organisation's filter of journalled changes (lib/core/still_wanted.py)."""
    desired = gov.sync.desired(gov.org())
    return lambda change: still_wanted(change, desired)


async def _expiry(gov: Governance) -> None:
    from .expiry import run_expiry
    from .invitations import complete_invitations

    await run_expiry(gov, gov.today())
    await complete_invitations(gov)


async def _every(gov: Governance, name: str, interval: float, job, first: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Run ``job`` every ``interval`` seconds (``first``: at once too); with a ``name``, under its lease."""
    holder = uuid.uuid4().hex
    if not first:  # the pages read Nextcloud on demand until then
        await asyncio.sleep(interval)
    while True:
        try:
            now = datetime.now(UTC)
            if not name or gov.requests.repo.try_lock(name, holder, timedelta(seconds=interval * 2), now):
                await job(gov)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s failed; it runs again in %ss", name, interval)
        await asyncio.sleep(interval)
