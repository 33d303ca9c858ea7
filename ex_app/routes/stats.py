"""Statistics (board and operations), member lists as CSV, and the current plan as JSON."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from lib.core.expiry import expiring_soon
from lib.core.model import Organisation, OrgGroup, Role
from lib.core.policy import (
    can_repair_drift,
    can_view_stats,
)
from lib.nextcloud.errors import NextcloudError
from lib.store.audit_repo import csv_cell

from ..deps import Caller, CallerDep, GovDep
from ..render import render
from .oversight import DECIDED, attachment, refused

router = APIRouter()


# ---- statistics ------------------------------------------------------------------------------------


def member_counts(org: Organisation, today: date) -> list[dict[str, Any]]:
    """People per working group (by role) and per organisation-wide group, access in force today."""
    live = [m for m in org.memberships if m.until is None or m.until >= today]
    rows: list[dict[str, Any]] = []
    for wg in org.working_groups:
        if wg.archived:
            continue
        mine = [m for m in live if m.group == wg.slug]
        roles = Counter(m.role.value for m in mine if m.role is not None)
        rows.append({"slug": wg.slug, "name": wg.name, "roles": roles, "total": len({m.user for m in mine})})
    for g in OrgGroup:
        people = {m.user for m in live if m.group == g.value}
        rows.append({"slug": g.value, "name": g.value, "org": True, "roles": Counter(), "total": len(people)})
    return rows


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
    hours = d.total_seconds() / 3600
    if hours < 48:
        return caller._("%(n)s hours", n=f"{hours:.1f}")
    return caller._("%(n)s days", n=f"{hours / 24:.1f}")


@router.get("/ui/stats", response_class=HTMLResponse)
async def stats_page(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    decision = can_view_stats(caller.actor)
    if not decision:
        return refused(caller, decision, "stats")
    org, today = gov.org(), gov.today()
    months, median = request_stats(gov.requests.repo.all_rows())
    soon = sorted(expiring_soon(org, today, days=30), key=lambda m: (m.until or today, m.group, m.user))
    names = await gov.display_names({m.user for m in soon})
    groups = {wg.slug: wg.name for wg in org.working_groups}
    return render(
        caller, "stats.html", "stats", counts=member_counts(org, today), months=months,
        median=duration_text(caller, median), soon=soon, names=names, group_names=groups,
        roles=[r.value for r in Role],
    )  # fmt: skip


@router.get("/api/groups/{slug}/members.csv", response_model=None)
async def members_csv(slug: str, caller: CallerDep, gov: GovDep) -> Response:
    decision = can_view_stats(caller.actor)
    if not decision:
        return PlainTextResponse(caller._(decision.reason), status_code=403)
    org = gov.org()
    if org.group(slug) is None and slug not in {g.value for g in OrgGroup}:
        return PlainTextResponse(caller._("This working group does not exist."), status_code=404)
    members = org.members_of(slug)
    names = await gov.display_names({m.user for m in members})
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["uid", "display_name", "role", "until"])
    for m in sorted(members):
        role = m.role.value if m.role else ""
        out.writerow(
            [
                csv_cell(m.user),
                csv_cell(names.get(m.user, m.user)),
                role,
                m.until.isoformat() if m.until else "",
            ]
        )
    return Response(
        buf.getvalue(), media_type="text/csv; charset=utf-8", headers=attachment(f"{slug}-members.csv")
    )


# ---- JSON -------------------------------------------------------------------------------------------


@router.get("/api/plan", response_model=None)
async def plan_json(caller: CallerDep, gov: GovDep) -> JSONResponse:
    decision = can_repair_drift(caller.actor)
    if not decision:
        return JSONResponse({"error": caller._(decision.reason)}, status_code=403)
    try:
        plan = await gov.sync.preview()
    except NextcloudError as exc:
        return JSONResponse(
            {"error": caller._("Nextcloud could not be read: %(error)s", error=str(exc))}, status_code=502
        )
    return JSONResponse({"checksum": plan.checksum, "count": len(plan), "changes": plan.data})
