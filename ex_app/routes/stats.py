"""Statistics (board and operations), member lists as CSV, and the current plan as JSON.

What is counted is computed by lib/core/figures.py; who may see it is the service's to decide
(lib/services/figures.py, lib/services/access.py), so these routes only render.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from markupsafe import Markup

from lib.core.audit import csv_cell
from lib.core.faults import NextcloudError
from lib.core.figures import counts_page
from lib.core.model import Role
from lib.services.figures import UnknownGroup

from ..csv_export import csv_chunks, spreadsheet_date
from ..deps import Caller, CallerDep, GovDep
from ..render import Fragments, render
from .answers import attachment, pushed

router = APIRouter()


def duration_text(caller: Caller, d: timedelta | None) -> str:
    if d is None:
        return caller._("no decision yet")
    # "3 heures", "2 days": Babel's words and plurals for the reader's language
    return format_timedelta(d, threshold=2, format="long", locale=caller.lang)


COUNTS = Fragments("_stats_counts.html")  # per organisation, day, language and page of groups
ROLES = [r.value for r in Role]


@router.get("/ui/stats", response_class=HTMLResponse)
async def stats_page(caller: CallerDep, gov: GovDep, q: str = "", page: int = 1) -> HTMLResponse:
    found = await gov.figures.current(caller.actor)  # refused to whoever may not see the figures
    figures, soon = found.figures, found.figures.soon
    names = await gov.display_names({m.user for m in soon})
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
        org_table=table("org-members-title", org_rows), q=q, params={"q": q} if q else {},
        months=found.months, median=duration_text(caller, found.median_wait), soon=soon, names=names,
        group_names=found.org.group_names,
    )  # fmt: skip
    return pushed(response, caller, "/stats", {"q": q, "page": str(shown.number) if shown.number > 1 else ""})


@router.get("/api/groups/{slug}/members.csv", response_model=None)
async def members_csv(slug: str, caller: CallerDep, gov: GovDep) -> Response:
    try:
        members = gov.figures.members(caller.actor, slug)
    except UnknownGroup:
        return PlainTextResponse(caller._("This working group does not exist."), status_code=404)
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
    try:
        view = await gov.access.plan(caller.actor, fresh)
    except NextcloudError as exc:
        return JSONResponse(
            {"error": caller._("Nextcloud could not be read: %(error)s", error=str(exc))}, status_code=502
        )
    plan, read_at = view.plan, view.read_at or datetime.now(UTC)
    return JSONResponse(
        {"checksum": plan.checksum, "count": len(plan), "changes": plan.data, "read_at": read_at.isoformat()}
    )
