"""Periodic work inside the ExApp process (AppAPI offers no cron to ExApps: NEXTCLOUD.md §7).

Several processes may share one database: a lease row in ``locks`` lets only one of them run a task
at a time (lib/store/requests_repo.RequestRepository.try_lock).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .governance import Governance

log = logging.getLogger(__name__)
EXPIRY_INTERVAL = 300.0  # seconds


def start(gov: Governance) -> list[asyncio.Task[None]]:
    """Tasks this process runs."""
    return [asyncio.create_task(_every(gov, "expiry", EXPIRY_INTERVAL, _expiry))]


async def _expiry(gov: Governance) -> None:
    from .apply import resume_unfinished
    from .expiry import run_expiry
    from .invitations import complete_invitations

    if gov.journal.unfinished_runs():
        await gov.sync.snapshot()  # tells the gateway which groups the app owns before it resumes a run
        await resume_unfinished(gov.gateway, gov.journal, gov.audit)
    await run_expiry(gov, gov.today())
    await complete_invitations(gov)


async def _every(gov: Governance, name: str, interval: float, job) -> None:  # type: ignore[no-untyped-def]
    holder = uuid.uuid4().hex
    while True:
        try:
            now = datetime.now(UTC)
            if gov.requests.repo.try_lock(name, holder, timedelta(seconds=interval * 2), now):
                await job(gov)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s failed; it runs again in %ss", name, interval)
        await asyncio.sleep(interval)
