"""The last reading of Nextcloud, kept so pages show drift without reading Nextcloud on each view.

Reading a big Nextcloud takes one call per managed group and per ACL folder (bench: 3,069 calls,
about 15 s), far too slow for a page. The matrix and ``/api/plan`` show the last reading with its
time; the background loop and any fresh read (approving, repairing) replace it. Applying never
trusts it: ``SyncService.apply`` reads Nextcloud again and refuses a plan that changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.core.state import NextcloudState

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(seconds=60)  # after a failed read, pages wait this long before reading again


@dataclass(frozen=True)
class Scope:
    """What a reading covered: the folders asked for, their rule paths, the groups the app owns."""

    folders: frozenset[str]
    rule_paths: frozenset[tuple[str, str]]
    groups: frozenset[str]

    @classmethod
    def of(
        cls, folders: Collection[str], rule_paths: Mapping[str, Collection[str]], groups: Collection[str]
    ) -> Scope:
        paths = frozenset((m, p) for m, ps in rule_paths.items() for p in ps)
        return cls(frozenset(folders), paths, frozenset(groups))

    def covers(self, other: Scope) -> bool:
        """Whether a reading of this scope says all ``other`` needs (else it would show false drift)."""
        return (
            other.folders <= self.folders
            and other.rule_paths <= self.rule_paths
            and other.groups <= self.groups
        )


@dataclass(frozen=True)
class Reading:
    actual: NextcloudState
    scope: Scope
    read_at: datetime


class Readings:
    """This process's last reading, and at most one background read at a time."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self.last: Reading | None = None
        self.error: str = ""  # why the last background read failed, shown on the page
        self._failed_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def keep(self, actual: NextcloudState, scope: Scope, read_at: datetime | None = None) -> None:
        """Keep a reading unless a newer one is kept already (a slow read must not undo an apply)."""
        reading = Reading(actual, scope, read_at or self.clock())
        if self.last is None or self.last.read_at <= reading.read_at:
            self.last = reading
            self.error, self._failed_at = "", None

    def forget(self) -> None:
        self.last = None

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
