"""The last reading of Nextcloud, kept so pages show drift without reading Nextcloud on each view.

Reading a big Nextcloud takes hundreds of calls (bench: ``read_state_calls``), far too slow for a
page. The matrix and ``/api/plan`` show the last reading with its time; the background loop and
any fresh read (approving, repairing) replace it. Applying never trusts it: ``SyncService.apply``
reads Nextcloud again and refuses a plan that changed.

With a ``ReadingStore`` (lib/store/readings_repo.py) the reading is the deployment's, not the
process's: every worker shows the same one, and one worker reads for all (issue 16).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from lib.core.ports import Reading, ReadingStore, Scope
from lib.core.state import NextcloudState

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(seconds=60)  # after a failed read, pages wait this long before reading again


class Readings:
    """The last reading (this process's, or the deployment's with a ``store``), and at most one
    background read at a time in this process."""

    def __init__(
        self, clock: Callable[[], datetime] = lambda: datetime.now(UTC), store: ReadingStore | None = None
    ) -> None:
        self.clock = clock
        self._store = store
        self._last: Reading | None = None  # with a store: the stored one, loaded once per reading
        self.error: str = ""  # why the last background read failed, shown on the page
        self._failed_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def last(self) -> Reading | None:
        """The newest reading kept by any worker sharing the store (loaded again only when another
        worker stored a new one)."""
        if self._store is None:
            return self._last
        at = self._store.read_at()
        if at is None:
            self._last = None
        elif self._last is None or self._last.read_at != at:
            self._last = self._store.load()
        return self._last

    def keep(self, actual: NextcloudState, scope: Scope, read_at: datetime | None = None) -> None:
        """Keep a reading unless a newer one is kept already (a slow read must not undo an apply)."""
        reading = Reading(actual, scope, read_at or self.clock())
        if self._store is not None:
            newest = self._store.save(reading)
        else:
            newest = self._last is None or self._last.read_at <= reading.read_at
        if newest:
            self._last = reading
            self.error, self._failed_at = "", None

    def forget(self) -> None:
        """Nextcloud changed in a way the reading does not show: nobody shows it any more."""
        self._last = None
        if self._store is not None:
            self._store.clear()

    @property
    def refreshing(self) -> bool:
        return self._task is not None and not self._task.done()

    def refresh_soon(self, read: Callable[[], Awaitable[object]], force: bool = False) -> None:
        """Start ``read`` in the background unless one runs (many viewers, one read) or one just
        failed (a page polling a broken Nextcloud must not hammer it): ``force`` is a person asking."""
        recent = self._failed_at is not None and self.clock() - self._failed_at < RETRY_AFTER
        if self.refreshing or (recent and not force):
            return
        self._task = asyncio.get_running_loop().create_task(self._run(read))

    async def _run(self, read: Callable[[], Awaitable[object]]) -> None:
        try:
            await read()
        except Exception as exc:  # shown on the page; the next view or the loop tries again
            log.warning("reading Nextcloud in the background failed: %s", exc)
            self.error = str(exc) or type(exc).__name__
            self._failed_at = self.clock()

    async def wait(self, timeout: float | None = None) -> None:
        """Wait up to ``timeout`` seconds for the background read, if any; it goes on after that."""
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=timeout)
