"""The server-rendered pages (fragments mounted into Nextcloud's #content by js/governance-main.js)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from ..deps import CallerDep, GovDep
from ..render import render

router = APIRouter(prefix="/ui")


@router.get("/groups", response_class=HTMLResponse)
async def groups(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    summaries = gov.working_groups()
    names = await gov.display_names({u for s in summaries for u in s.facilitators})
    return render(caller, "groups.html", "groups", groups=summaries, names=names)


@router.get("/groups/{slug}", response_class=HTMLResponse)
async def group(slug: str, caller: CallerDep, gov: GovDep) -> HTMLResponse:
    wg = gov.org().group(slug)
    if wg is None or wg.archived:
        raise HTTPException(404, caller._("This working group does not exist."))
    members = gov.members(slug)
    names = await gov.display_names({m.user for m in members})
    return render(caller, "group.html", "groups", wg=wg, members=members, names=names)
