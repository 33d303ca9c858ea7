"""The statistics the board and the operations team read: people per group, access ending soon,
requests per month and how long a decision takes. Plain values in, plain values out."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .expiry import expiring_soon
from .model import Membership, Organisation, OrgGroup, Role
from .paging import Page, paginate
from .request_kinds import RequestState

DECIDED = {
    RequestState.APPROVED,
    RequestState.APPLYING,
    RequestState.APPLIED,
    RequestState.REJECTED,
    RequestState.FAILED,
    RequestState.AWAITING_ACCOUNT,
}
STATS_PAGE = 50  # working groups per page of the member counts
ENDING_WITHIN = 30  # days: the access ending soon that the page lists


def member_counts(org: Organisation, today: date) -> list[dict[str, Any]]:
    """People per working group (by role) and per organisation-wide group, access in force today.

    One pass over the memberships: an organisation may have hundreds of groups, thousands of people.
    """
    people: defaultdict[str, set[str]] = defaultdict(set)
    roles: Counter[tuple[str, Role | None]] = Counter()
    for m in org.memberships:
        if m.until is None or m.until >= today:
            people[m.group].add(m.user)
            roles[m.group, m.role] += 1
    rows: list[dict[str, Any]] = [
        {"slug": wg.slug, "name": wg.name, "total": len(people.get(wg.slug, ())),
         "roles": Counter({r.value: roles[wg.slug, r] for r in Role if (wg.slug, r) in roles})}
        for wg in org.working_groups
        if not wg.archived
    ]  # fmt: skip
    for g in OrgGroup:
        total = len(people.get(g.value, ()))
        rows.append({"slug": g.value, "name": g.value, "org": True, "roles": Counter(), "total": total})
    return rows


@dataclass(frozen=True)
class OrgFigures:
    """What the page derives from the organisation alone (read-only: it is shared between calls)."""

    counts: list[dict[str, Any]]
    soon: list[Membership]  # access ending in the next ENDING_WITHIN days, soonest first


def org_figures(org: Organisation, today: date) -> OrgFigures:
    soon = sorted(
        expiring_soon(org, today, days=ENDING_WITHIN), key=lambda m: (m.until or today, m.group, m.user)
    )
    return OrgFigures(member_counts(org, today), soon)


def counts_page(counts: list[dict[str, Any]], q: str, page: int) -> Page[dict[str, Any]]:
    """Working groups whose name or slug holds ``q`` (any case); a page past the last shows the last."""
    needle = q.strip().casefold()
    groups = [
        c for c in counts
        if not c.get("org") and (needle in c["name"].casefold() or needle in c["slug"].casefold())
    ]  # fmt: skip
    return paginate(groups, page, STATS_PAGE)


def request_stats(
    rows: list[tuple[str, str, datetime, datetime]],
) -> tuple[list[tuple[str, int]], timedelta | None]:
    """Requests per month of creation, and the median time from creation to decision.

    The decision time is the request's last update: for decided requests that is the decision or
    what followed it within seconds (applying), close enough for an overview.
    """
    months = Counter(created.strftime("%Y-%m") for _kind, _state, created, _updated in rows)
    waits = [(updated - created).total_seconds() for _k, state, created, updated in rows if state in DECIDED]
    median = timedelta(seconds=statistics.median(waits)) if waits else None
    return sorted(months.items(), reverse=True), median
