"""The composition root of the app's services: settings, storage, Nextcloud gateway.

Routes call one method of a service; services call the pure core and the adapters.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from lib.core.model import Membership, Organisation, WorkingGroup
from lib.core.policy import Actor, actor_for
from lib.core.ports import Gateway, UserInfo
from lib.core.request_kinds import RequestState
from lib.settings import Settings
from lib.store.audit_repo import SqlAuditLog
from lib.store.db import make_engine, migrate
from lib.store.journal import SqlJournal
from lib.store.org_repo import OrgRepository, one_version_per_request
from lib.store.unit import unit_of_work

from .memo import Memo

if TYPE_CHECKING:
    from .requests import RequestService
    from .setup import SetupService
    from .sync import SyncService

log = logging.getLogger(__name__)
PEOPLE_TTL = 600.0  # seconds a person's name and language are kept
MANY_PEOPLE = 8  # more unknown names than this are read with the whole list of accounts
AWAITING_OPERATIONS = {RequestState.PENDING, RequestState.FAILED}


@dataclass(frozen=True)
class GroupSummary:
    """What everyone may see of a working group."""

    group: WorkingGroup
    facilitators: tuple[str, ...]
    member_count: int


class Governance:
    """Everything a route needs, built once at start-up (no globals, no import-time engines)."""

    def __init__(
        self,
        settings: Settings,
        gateway_factory: Callable[[Settings], Gateway],
        engine: Engine | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.db_url)
        self.orgs = OrgRepository(self.engine)
        self.audit = SqlAuditLog(self.engine)
        self.journal = SqlJournal(self.engine)
        self._gateway_factory = gateway_factory
        self._gateway: Gateway | None = None
        self.today = today
        self._people: dict[str, tuple[float, UserInfo]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._requests: RequestService | None = None
        self._setup: SetupService | None = None
        self._summaries: Memo[list[GroupSummary]] = Memo()

    def migrate(self) -> None:
        migrate(self.engine)

    def unit(self) -> AbstractContextManager[object]:
        """One database transaction for every repository write in the block (lib/store/unit.py)."""
        return unit_of_work(self.engine)

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = self._gateway_factory(self.settings)
        return self._gateway

    @property
    def requests(self) -> RequestService:
        if self._requests is None:
            from .requests import RequestService

            self._requests = RequestService(self)
        return self._requests

    @property
    def sync(self) -> SyncService:
        return self.requests.sync

    @property
    def setup(self) -> SetupService:
        """First run, administrators and the installation's checks (lib/services/setup.py)."""
        if self._setup is None:
            from .setup import SetupService

            self._setup = SetupService(self)
        return self._setup

    def caller(self, uid: str, is_admin: bool = False) -> tuple[Actor, int]:
        """The caller's role, and the requests awaiting operations if they operate (their badge).

        Called once per HTTP request: one query for both, and the organisation's version it read
        holds for the rest of the request (lib/store/org_repo.one_version_per_request).
        ``is_admin``: Nextcloud says the caller is an administrator (``self.setup.is_admin``).
        """
        version, pending = self.orgs.version_and(self.requests.repo.count_query(AWAITING_OPERATIONS))
        one_version_per_request(version)
        actor = replace(self.actor(uid), is_admin=True) if is_admin else self.actor(uid)
        return actor, pending if actor.operates else 0

    def org(self) -> Organisation:
        return self.orgs.load()

    def actor(self, uid: str) -> Actor:
        return actor_for(self.org(), uid, today=self.today())

    def working_groups(self) -> list[GroupSummary]:
        """Active working groups with their facilitators and member counts, kept per organisation."""
        org = self.org()
        return self._summaries.get((org,), (), lambda: _summaries(org))

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

    async def start_background(self) -> None:
        """Start the periodic work of this process (see lib/services/background.py)."""
        from .background import start

        if self.settings.governance_background:
            self._tasks = start(self)

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def members(self, slug: str) -> tuple[Membership, ...]:
        return self.org().members_of(slug)

    async def check_admin_account(self) -> str:
        """Empty when the configured admin account exists and is a Nextcloud admin, else why not."""
        uid = self.settings.governance_admin_user
        try:
            if await self.gateway.get_user(uid) is None:
                return f"The Nextcloud account '{uid}' (GOVERNANCE_ADMIN_USER) does not exist."
            if not await self.gateway.is_admin(uid):
                return f"The Nextcloud account '{uid}' (GOVERNANCE_ADMIN_USER) is not an administrator."
        except Exception as exc:  # any adapter failure becomes the reason AppAPI shows
            if getattr(exc, "http_status", None) == 401:  # AppAPI refuses to impersonate an unknown user
                return f"The Nextcloud account '{uid}' (GOVERNANCE_ADMIN_USER) does not exist."
            log.warning("admin account check failed: %s", exc)
            return f"Governance could not check the account '{uid}' in Nextcloud: {exc}"
        return ""


def _summaries(org: Organisation) -> list[GroupSummary]:
    """One pass over the memberships."""
    facilitators: dict[str, list[str]] = {}
    counts: dict[str, set[str]] = {}
    for m in org.memberships:
        counts.setdefault(m.group, set()).add(m.user)
        if m.role is not None and m.role.value == "facilitator":
            facilitators.setdefault(m.group, []).append(m.user)
    return [
        GroupSummary(wg, tuple(sorted(facilitators.get(wg.slug, []))), len(counts.get(wg.slug, ())))
        for wg in org.working_groups
        if not wg.archived
    ]
