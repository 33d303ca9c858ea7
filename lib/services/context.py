"""What every service is given: the settings, the stores, Nextcloud, the clock and the names of people.

The container (ex_app/main.py ``build``) makes the concrete stores and hands them over here; a service
receives this context and the services it uses through its constructor, so no service reaches for
another through a locator and the import graph of lib/services has no cycle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date

from lib.core.model import Organisation
from lib.core.ports import AuditStore, Gateway, JournalStore, OrgStore, ReadingStore, RequestStore, UserInfo
from lib.core.request_kinds import RequestState
from lib.settings import Settings

log = logging.getLogger(__name__)
PEOPLE_TTL = 600.0  # seconds a person's name and language are kept
MANY_PEOPLE = 8  # more unknown names than this are read with the whole list of accounts


@dataclass(eq=False)
class Context:
    settings: Settings
    orgs: OrgStore
    audit: AuditStore
    journal: JournalStore
    request_store: RequestStore
    reading_store: ReadingStore
    gateway_factory: Callable[[Settings], Gateway]
    unit: Callable[[], AbstractContextManager[object]]  # one transaction for every store write inside
    version_and_waiting: Callable[[set[RequestState]], tuple[int, int]]  # one query on every page
    migrate: Callable[[], None]
    today: Callable[[], date] = date.today
    _gateway: Gateway | None = field(default=None, init=False)
    _people: dict[str, tuple[float, UserInfo]] = field(default_factory=dict, init=False)

    @property
    def gateway(self) -> Gateway:
        """Made on first use: its HTTP client belongs to the event loop that first calls Nextcloud."""
        if self._gateway is None:
            self._gateway = self.gateway_factory(self.settings)
        return self._gateway

    def org(self) -> Organisation:
        return self.orgs.load()

    async def display_names(self, uids: set[str]) -> dict[str, str]:
        """Display names from Nextcloud (a name is shown, never trusted)."""
        found = await self.people(uids)
        return {u: (found[u].display_name if u in found else "") or u for u in uids}

    async def people(self, uids: Iterable[str]) -> dict[str, UserInfo]:
        """Nextcloud's account details (name, language), kept for the process ``PEOPLE_TTL`` seconds:
        a page or a notification round names the same few people many times."""
        now = time.monotonic()
        missing = [u for u in set(uids) if u not in self._people or self._people[u][0] < now]
        if len(missing) > MANY_PEOPLE:  # a group page: everyone in a few calls, not one call each
            try:
                for info in await self.gateway.everyone():
                    self._people[info.uid] = (now + PEOPLE_TTL, info)
            except Exception as exc:  # names are cosmetic: fall back to asking one by one
                log.info("could not list the accounts: %s", exc)
            missing = [u for u in missing if u not in self._people]
        if missing:
            limit = asyncio.Semaphore(8)

            async def fetch(uid: str) -> None:
                async with limit:
                    try:
                        info = await self.gateway.get_user(uid)
                    except Exception as exc:  # a name is cosmetic: fall back to the id
                        log.info("no account details for %s: %s", uid, exc)
                        return
                    if info is not None:
                        self._people[uid] = (now + PEOPLE_TTL, info)

            await asyncio.gather(*(fetch(u) for u in missing))
        return {u: self._people[u][1] for u in uids if u in self._people}
