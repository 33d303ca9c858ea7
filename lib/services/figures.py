"""The statistics the board and the operations team read, and a group's members as a spreadsheet.

What is counted is lib/core/figures.py; who may see it is asked of the policy here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from lib.core.errors import GovernanceError
from lib.core.figures import OrgFigures, org_figures, request_stats
from lib.core.model import Membership, Organisation, OrgGroup
from lib.core.policy import Actor, can_view_stats, require

from .context import Context
from .memo import Memo
from .requests import RequestService


class UnknownGroup(GovernanceError):
    code = "group.unknown"

    def __init__(self) -> None:
        super().__init__("This working group does not exist.")


@dataclass(frozen=True)
class Figures:
    org: Organisation
    figures: OrgFigures  # counts per group, access ending soon (kept per organisation and day)
    months: list[tuple[str, int]]  # requests per month, newest first
    median_wait: timedelta | None  # from a request to its decision


class FiguresService:
    def __init__(self, ctx: Context, requests: RequestService) -> None:
        self.ctx = ctx
        self.requests = requests
        self._figures: Memo[OrgFigures] = Memo()

    async def current(self, actor: Actor) -> Figures:
        """The statistics page: counts per group, access ending soon, requests and decision times."""
        require(can_view_stats(actor))
        org, today = self.ctx.org(), self.ctx.today()
        rows = await asyncio.to_thread(self.requests.history, actor)  # the database, off the event loop
        months, median = request_stats(rows)
        figures = self._figures.get((org,), (today,), lambda: org_figures(org, today))
        return Figures(org, figures, months, median)

    def members(self, actor: Actor, slug: str) -> tuple[Membership, ...]:
        """A group's members (the spreadsheet export); UnknownGroup for a group the organisation lacks."""
        require(can_view_stats(actor))
        org = self.ctx.org()
        if org.group(slug) is None and slug not in {g.value for g in OrgGroup}:
            raise UnknownGroup()
        return org.members_of(slug)
