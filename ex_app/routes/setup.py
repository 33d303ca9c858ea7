"""First run (setting Governance up) and the administrators' settings view.

The service (lib/services/setup.py) says who is an administrator and where the set-up stands; the
policy says who may act; saving goes through the organisation's own change (plan shown, then
applied: ``confirm_or_apply``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from lib.core.faults import NextcloudError
from lib.core.model import OrgGroup
from lib.services.governance import Governance
from lib.services.setup import (
    ACCOUNT_MISSING,
    ACCOUNT_NOT_ADMIN,
    Check,
    SetupError,
    Stage,
    TemplateForm,
    with_operations,
)

from ..deps import Caller, CallerDep, GovDep, SetterUpDep
from ..render import render
from .answers import unread
from .organisation import confirm_or_apply

router = APIRouter(prefix="/ui")

DAY, HOUR, MINUTE = 86400, 3600, 60


def _(message: str) -> str:  # marks a string for extraction; translated at render time
    return message


UNITS = (
    (DAY, _("%(n)s day"), _("%(n)s days")),
    (HOUR, _("%(n)s hour"), _("%(n)s hours")),
    (MINUTE, _("%(n)s minute"), _("%(n)s minutes")),
    (1, _("%(n)s second"), _("%(n)s seconds")),
)


def duration(caller: Caller, seconds: float) -> str:
    """``604800`` -> "7 days": the largest unit that counts it exactly."""
    whole = int(seconds)
    for size, one, many in UNITS:
        if whole % size == 0 and whole >= size:
            n = whole // size
            return caller._(one if n == 1 else many, n=n)
    return caller._(UNITS[-1][2], n=whole)


def _message(caller: Caller, status: int, text: str) -> HTMLResponse:
    return render(caller, "message.html", "settings", status=status, message=text)


def _field_errors(caller: Caller, form_id: str, exc: SetupError) -> dict[str, dict[str, str]]:
    return {form_id: {exc.field: caller._(exc.message, **exc.params)}}


# ---- the first run -----------------------------------------------------------------------------


async def first_run(caller: Caller, gov: Governance) -> HTMLResponse | None:
    """The set-up page for whoever opens Governance before it is set up, else None.

    Administrators choose how to start (or name the operations team that is still missing);
    everyone else learns who to ask.
    """
    stage = gov.setup.stage()
    if stage is Stage.READY or (stage is Stage.NO_OPERATIONS and not caller.actor.is_admin):
        return None
    return await setup_page(caller, gov, stage)


async def setup_page(
    caller: Caller, gov: Governance, stage: Stage, status: int = 200, **ctx: Any
) -> HTMLResponse:
    ctx.setdefault("form_errors", {})
    ctx.setdefault("values", {})
    if stage is Stage.NO_OPERATIONS:  # the organisation exists: only who may set it up sees it
        org = gov.setup.organisation(caller.actor)
        return render(caller, "setup_team.html", "settings", status=status, org=org, first=True, **ctx)
    if not caller.actor.is_admin:
        admins = await gov.setup.administrators()
        return render(caller, "setup_wait.html", "groups", status=status, admins=admins)
    return render(caller, "setup.html", "settings", status=status, **ctx)


@router.get("/setup", response_class=HTMLResponse)
async def setup(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    stage = gov.setup.stage()
    if stage is Stage.READY:
        return await settings_page(caller, gov)
    return await setup_page(caller, gov, stage)


@router.post("/setup/template", response_class=HTMLResponse)
async def setup_from_template(
    caller: SetterUpDep,
    gov: GovDep,
    name: Annotated[str, Form()] = "",
    group_name: Annotated[str, Form()] = "",
    folder: Annotated[str, Form()] = "",
    users: Annotated[str, Form()] = "",
    checksum: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = -1,
) -> HTMLResponse:
    """The template path: a name, a first working group with its folder, the operations team."""
    if gov.setup.stage() is not Stage.EMPTY:
        text = caller._("Governance is already set up: change the organisation from its page.")
        return _message(caller, 409, text)
    form = TemplateForm(name, group_name, folder)
    current = gov.organisation.version()
    try:
        new_org = await gov.setup.template(caller.actor, form, users)
    except SetupError as exc:
        values = {"template": {"name": name, "group_name": group_name, "folder": folder, "users": users}}
        return await setup_page(
            caller, gov, Stage.EMPTY, 422, form_errors=_field_errors(caller, "template", exc), values=values
        )
    except NextcloudError as exc:
        return await setup_page(caller, gov, Stage.EMPTY, 502, **unread(caller, exc))
    operations = sorted(m.user for m in new_org.memberships if m.group == OrgGroup.OPERATIONS)
    fields = {"name": name, "group_name": group_name, "folder": folder, "users": ", ".join(operations)}
    confirm = {
        "action": "/ui/setup/template",
        "fields": fields,
        "title": caller._("Set up Governance for %(name)s", name=new_org.name),
    }
    return await confirm_or_apply(
        caller, gov, new_org, checksum=checksum, version=version if checksum else current,
        subject="organisation", confirm=confirm, detail={"source": "template"},
    )  # fmt: skip


# ---- the operations team -----------------------------------------------------------------------


@router.get("/setup/operations", response_class=HTMLResponse)
async def operations_form(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    stage = gov.setup.stage()
    if stage is Stage.EMPTY:
        return await setup_page(caller, gov, stage)
    return await _team_page(caller, gov)


async def _team_page(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    org = gov.setup.organisation(caller.actor)  # refused to whoever may not set Governance up
    team = [m.user for m in org.members_of(OrgGroup.OPERATIONS)]
    ctx.setdefault("form_errors", {})
    ctx.setdefault("values", {"team": {"users": ", ".join(team)}})
    first = not team
    return render(caller, "setup_team.html", "settings", status=status, org=org, first=first, **ctx)


@router.post("/setup/operations", response_class=HTMLResponse)
async def save_operations(
    caller: SetterUpDep,
    gov: GovDep,
    users: Annotated[str, Form()] = "",
    checksum: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = -1,
) -> HTMLResponse:
    """Name (or change) the operations team, as any change of the organisation: plan, then apply."""
    if gov.setup.stage() is Stage.EMPTY:
        return _message(caller, 409, caller._("Set the organisation up first."))
    current = gov.organisation.version()
    try:
        people = await gov.setup.accounts(caller.actor, users)
        new_org = with_operations(gov.setup.organisation(caller.actor), people)
    except SetupError as exc:
        values = {"team": {"users": users}}
        return await _team_page(
            caller, gov, 422, form_errors=_field_errors(caller, "team", exc), values=values
        )
    confirm = {
        "action": "/ui/setup/operations",
        "fields": {"users": ", ".join(people)},
        "title": caller._("Name the operations team"),
    }
    return await confirm_or_apply(
        caller, gov, new_org, checksum=checksum, version=version if checksum else current,
        subject="group:operations", confirm=confirm, detail={"operations": people},
    )  # fmt: skip


def _admin_answer(caller: Caller, account: Check) -> str:
    if account.ok:
        return caller._("yes")
    if account.message in (ACCOUNT_MISSING, ACCOUNT_NOT_ADMIN):
        return caller._("no")
    return caller._("could not be checked")


# ---- settings ----------------------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse)
async def settings(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    return await settings_page(caller, gov)


async def settings_page(caller: Caller, gov: Governance) -> HTMLResponse:
    kind, where = gov.setup.database(caller.actor)  # refused to whoever is not an administrator
    stage = gov.setup.stage()
    if stage is not Stage.READY:
        return await setup_page(caller, gov, stage)
    checks = await gov.setup.checks(caller.actor)
    s = gov.settings
    account = next(c for c in checks if c.name == "account")
    org = gov.org()
    team = [m.user for m in org.members_of(OrgGroup.OPERATIONS)]
    names = await gov.display_names(set(team))
    rows = [
        (caller._("Nextcloud account Governance acts as"), s.governance_admin_user),
        (caller._("Is this account an administrator?"), _admin_answer(caller, account)),
        (caller._("Days members have to object to a removal"), str(s.governance_objection_days)),
        (
            caller._("A decision link in a notification stays valid for"),
            duration(caller, s.governance_link_ttl),
        ),
        (caller._("Nextcloud is read again every"), duration(caller, s.governance_read_interval)),
        (caller._("Database"), f"{kind} ({where})" if where else kind),
    ]
    return render(
        caller, "settings.html", "settings", rows=rows, account=account, checks=checks,
        team=sorted((names.get(u, u), u) for u in team),
    )  # fmt: skip
