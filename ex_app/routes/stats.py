"""Statistics (board and operations), member lists as CSV, and the current plan as JSON."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from markupsafe import Markup

from lib.core.audit import csv_cell
from lib.core.expiry import expiring_soon
from lib.core.faults import NextcloudError
from lib.core.model import Membership, Organisation, OrgGroup, Role
from lib.core.paging import Page, paginate
from lib.core.policy import (
    can_repair_drift,
    can_view_stats,
)
from lib.core.request_kinds import RequestState
from lib.services.memo import Memo

from ..csv_export import csv_chunks, spreadsheet_date
from ..deps import Caller, CallerDep, GovDep
from ..render import Fragments, render
from .answers import attachment, pushed, refused

router = APIRouter()

DECIDED = {
    RequestState.APPROVED,
    RequestState.APPLYING,
    RequestState.APPLIED,
    RequestState.REJECTED,
    RequestState.FAILED,
    RequestState.AWAITING_ACCOUNT,
}

STATS_PAGE = 50  # working groups per page of the member counts


# ---- statistics ------------------------------------------------------------------------------------


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
    soon: list[Membership]  # access ending in the next 30 days, soonest first


_FIGURES: Memo[OrgFigures] = Memo()


def org_figures(org: Organisation, today: date) -> OrgFigures:
    """Member counts and access ending soon, computed once per organisation version and day.

    The repository hands out the same (frozen) Organisation until its version changes, so the
    object's identity says whether the last figures still hold.
    """

    def figures() -> OrgFigures:
        soon = sorted(expiring_soon(org, today, days=30), key=lambda m: (m.until or today, m.group, m.user))
        return OrgFigures(member_counts(org, today), soon)

    return _FIGURES.get((org,), (today,), figures)


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


def duration_text(caller: Caller, d: timedelta | None) -> str:
    if d is None:
        return caller._("no decision yet")
    # "3 heures", "2 days": Babel's words and plurals for the reader's language
    return format_timedelta(d, threshold=2, format="long", locale=caller.lang)


COUNTS = Fragments("_stats_counts.html")  # per organisation, day, language and page of groups
ROLES = [r.value for r in Role]


@router.get("/ui/stats", response_class=HTMLResponse)
async def stats_page(caller: CallerDep, gov: GovDep, q: str = "", page: int = 1) -> HTMLResponse:
    decision = can_view_stats(caller.actor)
    if not decision:
        return refused(caller, decision, "stats")
    org, today = gov.org(), gov.today()
    months, median = request_stats(await asyncio.to_thread(gov.requests.history, caller.actor))
    figures = org_figures(org, today)
    soon = figures.soon
    names = await gov.display_names({m.user for m in soon})
    groups = org.group_names
    shown = counts_page(figures.counts, q, page)
    org_rows = [c for c in figures.counts if c.get("org")]

    def table(title_id: str, rows: Sequence[dict[str, Any]]) -> Markup:
        base = caller.proxy_base
        return COUNTS.get(
            (figures,), (caller.lang, base, title_id, q, shown.number),
            lambda: {"_": caller._, "rows": rows, "roles": ROLES, "title_id": title_id, "base": base},
        )  # fmt: skip

    response = render(
        caller, "stats.html", "stats", shown=shown, group_table=table("members-title", shown.items),
        org_table=table("org-members-title", org_rows), q=q, params={"q": q} if q else {}, months=months,
        median=duration_text(caller, median), soon=soon, names=names, group_names=groups,
    )  # fmt: skip
    return pushed(response, caller, "/stats", {"q": q, "page": str(shown.number) if shown.number > 1 else ""})


@router.get("/api/groups/{slug}/members.csv", response_model=None)
async def members_csv(slug: str, caller: CallerDep, gov: GovDep) -> Response:
    decision = can_view_stats(caller.actor)
    if not decision:
        return PlainTextResponse(caller._(decision.reason), status_code=403)
    org = gov.org()
    if org.group(slug) is None and slug not in {g.value for g in OrgGroup}:
        return PlainTextResponse(caller._("This working group does not exist."), status_code=404)
    members = org.members_of(slug)
    people = await gov.people({m.user for m in members})
    roles = {r: caller._("steering committee" if r is Role.STEERING else r.value) for r in Role}
    header = [caller._("Account"), caller._("Name"), caller._("E-mail"), caller._("Role"), caller._("Until")]
    rows = (
        [
            csv_cell(m.user),
            csv_cell(people[m.user].display_name if m.user in people else m.user),
            csv_cell(people[m.user].email if m.user in people else ""),
            roles[m.role] if m.role else caller._("member"),
            spreadsheet_date(m.until, caller.lang),
        ]
        for m in sorted(members)
    )
    return Response(
        "".join(csv_chunks(caller.lang, header, rows)),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{slug}-members.csv"),
    )


# ---- JSON -------------------------------------------------------------------------------------------


@router.get("/api/plan", response_model=None)
async def plan_json(caller: CallerDep, gov: GovDep, fresh: bool = False) -> JSONResponse:
    """The plan against the last reading of Nextcloud (``read_at``); ``?fresh=1`` reads it now."""
    decision = can_repair_drift(caller.actor)
    if not decision:
        return JSONResponse({"error": caller._(decision.reason)}, status_code=403)
    view = None if fresh else gov.sync.last_view()
    try:
        view = view or await gov.sync.snapshot()
    except NextcloudError as exc:
        return JSONResponse(
            {"error": caller._("Nextcloud could not be read: %(error)s", error=str(exc))}, status_code=502
        )
    plan, read_at = view.plan, view.read_at or datetime.now(UTC)
    return JSONResponse(
        {"checksum": plan.checksum, "count": len(plan), "changes": plan.data, "read_at": read_at.isoformat()}
    )
