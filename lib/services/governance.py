"""The services a route calls, together (the container in ex_app/main.py makes them).

Routes call one method of a service; services call the pure core and the adapters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Engine

from lib.core.model import Membership, Organisation, WorkingGroup
from lib.core.policy import Actor, actor_for
from lib.core.ports import AuditStore, Gateway, JournalStore, OrgStore, UserInfo
from lib.core.request_kinds import RequestState
from lib.settings import Settings

from . import background
from .access import AccessService
from .audit_log import AuditService
from .context import Context
from .figures import FiguresService
from .memo import Memo
from .organisation import OrganisationService
from .people import PeopleService
from .requests import RequestService
from .setup import SetupService
from .sync import SyncService

log = logging.getLogger(__name__)
AWAITING_OPERATIONS = {RequestState.PENDING, RequestState.FAILED}


@dataclass(frozen=True)
class GroupSummary:
    """What everyone may see of a working group."""

    group: WorkingGroup
    facilitators: tuple[str, ...]
    member_count: int


class Governance:
    """The services a route calls, made by the container (ex_app/main.py ``build``) from a Context.

    It makes nothing itself: the stores, the gateway and the clock come in the context, and each
    service receives what it uses through its constructor.
    """

    def __init__(self, ctx: Context, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self.engine = engine  # disposed of at the edges of the process (and read by tests)
        self.sync = SyncService(ctx)
        self.requests = RequestService(ctx, self.sync, clock)
        self.setup = SetupService(ctx, self.sync)
        self.organisation = OrganisationService(ctx, self.sync)
        self.directory = PeopleService(ctx)
        self.audit_log = AuditService(ctx)
        self.access = AccessService(ctx, self.sync, self.directory)
        self.figures = FiguresService(ctx, self.requests)
        self._tasks: list[asyncio.Task[None]] = []
        self._summaries: Memo[list[GroupSummary]] = Memo()

    # What the context holds, for the routes that read it (settings, the organisation, the log).
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def orgs(self) -> OrgStore:
        return self.ctx.orgs

    @property
    def audit(self) -> AuditStore:
        return self.ctx.audit

    @property
    def journal(self) -> JournalStore:
        return self.ctx.journal

    @journal.setter
    def journal(self, journal: JournalStore) -> None:
        self.ctx.journal = journal

    @property
    def gateway(self) -> Gateway:
        return self.ctx.gateway

    @property
    def today(self) -> Callable[[], date]:
        return self.ctx.today

    @today.setter
    def today(self, today: Callable[[], date]) -> None:  # tests move the clock
        self.ctx.today = today

    def unit(self) -> AbstractContextManager[object]:
        return self.ctx.unit()

    def migrate(self) -> None:
        self.ctx.migrate()

    def begin_request(self) -> None:
        """One HTTP request begins: the organisation's version is read once for all of it."""
        self.orgs.begin_request()

    def caller(self, uid: str, is_admin: bool = False) -> tuple[Actor, int]:
        """The caller's role, and the requests awaiting operations if they operate (their badge).

        Called once per HTTP request: one query for both, and the organisation's version it read
        holds for the rest of the request (lib/store/org_repo.one_version_per_request, begun by
        ``begin_request``; ``version_seen`` also serves a caller in a worker thread).
        ``is_admin``: Nextcloud says the caller is an administrator (``self.setup.is_admin``).
        """
        version, pending = self.ctx.version_and_waiting(AWAITING_OPERATIONS)
        self.orgs.version_seen(version)
        actor = replace(self.actor(uid), is_admin=True) if is_admin else self.actor(uid)
        return actor, pending if actor.operates else 0

    def org(self) -> Organisation:
        return self.ctx.org()

    def actor(self, uid: str) -> Actor:
        return actor_for(self.org(), uid, today=self.today())

    def working_groups(self) -> list[GroupSummary]:
        """Active working groups with their facilitators and member counts, kept per organisation."""
        org = self.org()
        return self._summaries.get((org,), (), lambda: _summaries(org))

    async def display_names(self, uids: set[str]) -> dict[str, str]:
        return await self.ctx.display_names(uids)

    async def people(self, uids: Iterable[str]) -> dict[str, UserInfo]:
        return await self.ctx.people(uids)

    async def start_background(self) -> None:
        """Start the periodic work of this process (see lib/services/background.py)."""
        if self.settings.governance_background:
            self._tasks = background.start(self.requests)

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
