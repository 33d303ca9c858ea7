"""Who reaches what, for the board and the operations team: the access matrix and its differences,
why a person can do what they can on a path, everything one person reaches, the repair plan.

Every method asks the policy first (lib/core/policy.py), so a page cannot forget to: a refusal is a
``Forbidden`` the app turns into its 403 page.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.core.explain import Explanation, Person, Reach, explain, reach
from lib.core.model import Organisation
from lib.core.policy import Actor, can_repair_drift, can_view_matrix, can_view_person, require
from lib.core.state import NextcloudState

from .context import Context
from .people import PeopleService
from .plan_text import PlanText
from .sync import Snapshot, SyncService


@dataclass(frozen=True)
class MatrixView:
    """The organisation, what it asks of Nextcloud, and the last reading of Nextcloud against it."""

    org: Organisation
    desired: NextcloudState
    view: Snapshot | None  # None: Nextcloud is being read, the page polls
    refreshing: bool
    read_error: str


@dataclass(frozen=True)
class Explained:
    """The explanation page's answer: the accounts the words typed name, and for exactly one of
    them, on a folder and path that exist, what they can do there and why."""

    known: bool  # the organisation has this folder
    people: tuple[Person, ...]  # the accounts the typed words name
    path_exists: bool | None  # None: the app's account cannot see the folder
    answer: Explanation | None


class AccessService:
    def __init__(self, ctx: Context, sync: SyncService, people: PeopleService) -> None:
        self.ctx = ctx
        self.sync = sync
        self.people = people

    def desired(self, actor: Actor) -> tuple[Organisation, NextcloudState]:
        """The organisation and what it asks of Nextcloud (the matrix's cells)."""
        require(can_view_matrix(actor))
        org = self.ctx.org()
        return org, self.sync.desired(org)

    async def matrix(self, actor: Actor, refresh: bool = False) -> MatrixView:
        """The matrix against the last reading of Nextcloud (``refresh``: read it again now)."""
        org, desired = self.desired(actor)
        view = await self.sync.view(refresh)
        readings = self.sync.readings
        return MatrixView(org, desired, view, readings.refreshing, readings.error)

    async def repair_words(self, actor: Actor, view: Snapshot, lang: str, limit: int) -> PlanText:
        """The repair ``view`` would make, in words (its first ``limit`` changes)."""
        require(can_view_matrix(actor))
        return await self.sync.words(view, lang, limit)

    async def plan(self, actor: Actor, fresh: bool = False) -> Snapshot:
        """The repair plan against the last reading, or against one made now (``fresh``)."""
        require(can_repair_drift(actor))
        view = None if fresh else self.sync.last_view()
        return view or await self.sync.snapshot()

    async def explain(self, actor: Actor, typed: str, folder: str, path: str) -> Explained:
        """Why the person ``typed`` names can do what they can on ``folder``/``path``."""
        org, desired = self.desired(actor)
        known = folder in desired.folders
        people = await self.people.named(actor, typed) if typed else ()
        where = await self.sync.path_known(desired, folder, path) if known and path else True
        person = people[0] if len(people) == 1 else None
        shown = person is not None and known and where is not False
        answer = explain(org, desired, person.uid, folder, path) if person and shown else None
        return Explained(known, people, where, answer)

    def reach(
        self, actor: Actor, uid: str, groups: tuple[str, ...] = ()
    ) -> tuple[tuple[Reach, ...], list[str]]:
        """Every folder ``uid`` reaches and why, and which of their Nextcloud ``groups`` the app never
        changes (a person in one keeps what it gives whatever the organisation says)."""
        require(can_view_person(actor, uid))
        org = self.ctx.org()
        return reach(org, self.sync.desired(org), uid), self.sync.outside(groups)
