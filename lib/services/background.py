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
from datetime import UTC, datetime, timedelta

from lib.core.faults import NextcloudError

from .apply import ApplyResult, resume_unfinished
from .expiry import run_expiry
from .invitations import complete_invitations
from .requests import RequestService

log = logging.getLogger(__name__)
EXPIRY_INTERVAL = 300.0  # seconds
CHAIN_INTERVAL = 3600.0
RESUME_INTERVAL = 10.0  # one indexed query when nothing is left to resume


def start(requests: RequestService) -> list[asyncio.Task[None]]:
    """Tasks this process runs: expiry and the reading of Nextcloud once across processes; each
    process looks for runs to resume."""
    read_interval = requests.ctx.settings.governance_read_interval
    return [
        asyncio.create_task(_every(requests, "", RESUME_INTERVAL, resume_and_settle)),
        asyncio.create_task(_every(requests, "expiry", EXPIRY_INTERVAL, _expiry)),
        asyncio.create_task(_every(requests, "", read_interval, _read, first=False)),
        asyncio.create_task(_every(requests, "", CHAIN_INTERVAL, _check_chain, first=False)),
    ]


async def _check_chain(requests: RequestService) -> None:
    """Re-hash the whole audit chain (pages check only what was appended since: SqlAuditLog.chain_status)."""
    await asyncio.to_thread(requests.ctx.audit.verify_whole_chain)


READING_LEASE = "reading"


async def _read(requests: RequestService, now: datetime | None = None) -> bool:
    """Read Nextcloud for every worker's pages (the reading is shared in the database:
    lib/services/readings.py), if this process holds the reading lease: N workers cost one reading
    per interval (issue 16). The holder renews it each interval; it lasts two, so a dead holder's
    place is taken within three. True when this process read."""
    ctx = requests.ctx
    ttl = timedelta(seconds=ctx.settings.governance_read_interval * 2)
    held = await asyncio.to_thread(  # the database, off the event loop
        requests.repo.try_lock, READING_LEASE, ctx.journal.holder, ttl, now or datetime.now(UTC)
    )
    if not held:
        return False
    await requests.sync.snapshot()
    return True


async def resume_and_settle(requests: RequestService) -> list[ApplyResult]:
    """Resume the runs whose holder died, with what the organisation still wants of them, then
    settle the requests they leave "applying" (applied, or failed and retryable)."""
    ctx, sync = requests.ctx, requests.sync
    results: list[ApplyResult] = []
    if await asyncio.to_thread(ctx.journal.unfinished_runs):
        try:
            await sync.snapshot()  # tells the gateway which groups the app owns before it resumes
            results = await resume_unfinished(
                ctx.gateway, ctx.journal, ctx.audit, watch=sync.watch(), unit=ctx.unit
            )
        except NextcloudError as exc:  # unreachable: the runs stay resumable, the next look tries again
            log.warning("resuming interrupted runs failed: %s", exc)
        finally:
            sync.readings.forget()  # that reading is from before the resumed changes
    await requests.settle_interrupted()
    return results


async def _expiry(requests: RequestService) -> None:
    await run_expiry(requests, requests.ctx.today())
    await complete_invitations(requests)


async def _every(requests: RequestService, name: str, interval: float, job, first: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Run ``job`` every ``interval`` seconds (``first``: at once too); with a ``name``, under its lease."""
    holder = uuid.uuid4().hex
    if not first:  # the pages read Nextcloud on demand until then
        await asyncio.sleep(interval)
    while True:
        try:
            lease, now = timedelta(seconds=interval * 2), datetime.now(UTC)
            if not name or await asyncio.to_thread(requests.repo.try_lock, name, holder, lease, now):
                await job(requests)  # the lease taken in a worker thread, off the event loop
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s failed; it runs again in %ss", name, interval)
        await asyncio.sleep(interval)
