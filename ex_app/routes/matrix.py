"""The access matrix (board and operations): rights per group and folder, drift, repair, adopt, explain."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from lib.core.drift import Drift, adopt_changes
from lib.core.errors import GovernanceError
from lib.core.explain import Person, explain, find_person
from lib.core.faults import NextcloudError, StaleOrganisation
from lib.core.model import Organisation, OrgGroup
from lib.core.paging import paginate, search
from lib.core.policy import (
    can_edit_org,
    can_repair_drift,
    can_view_matrix,
    sees_emails,
)
from lib.core.state import FolderState, NextcloudState
from lib.core.wording import Words
from lib.i18n import say
from lib.services.governance import Governance
from lib.services.plan_text import plan_text

from ..deps import Caller, CallerDep, DriftRepairerDep, GovDep, OrgEditorDep
from ..render import Fragments, env, render
from .answers import error, pushed, refused, right_text, unread

log = logging.getLogger(__name__)
router = APIRouter()

MEMBER_DRIFT = ("extra_member", "missing_member")


# ---- access matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    mount: str
    name: str
    paths: tuple[str, ...]  # sub-paths with ACL rules, folded under the folder


@dataclass(frozen=True)
class Row:
    gid: str
    label: str
    cells: tuple[tuple[str, int | None, tuple[tuple[str, int | None], ...]], ...]  # mount, bits, paths


FOLDERS_PAGE, DRIFTS_PAGE, PLAN_SHOWN = 5, 50, 100


def matrix(
    org: Organisation, desired: NextcloudState, caller: Caller, mounts: list[str]
) -> tuple[list[Column], list[Row]]:
    """Columns are the given folders, rows the Nextcloud groups with a right on one of them."""
    names = {wg.folder: wg.name for wg in org.working_groups}
    columns = [Column(m, names.get(m, m), tuple(sorted(desired.folders[m].rules))) for m in mounts]
    shown = {gid for m in mounts for gid in _groups_on(desired.folders[m])}
    refs = org.group_refs
    order = {ref: i for i, ref in enumerate([*(g.value for g in OrgGroup), "app"])}
    rows = []
    for gid in sorted(shown, key=lambda g: (order.get(refs.get(g, ""), 99), refs.get(g, g))):
        ref = refs.get(gid, "")
        label = caller._("the app's account") if ref == "app" else caller._(ref) if ref in order else None
        label = label or desired.display_names.get(gid, gid)
        cells = tuple(_cell_of(desired, col, gid) for col in columns)
        rows.append(Row(gid, label, cells))
    return columns, rows


def _groups_on(folder: FolderState) -> set[str]:
    rules = {r.mapping_id for rs in folder.rules.values() for r in rs if r.mapping_type == "group"}
    return set(folder.groups) | rules


def folders_matching(org: Organisation, desired: NextcloudState, q: str) -> list[str]:
    """Folders whose mount point, working group name or slug hold every word of ``q`` (any case)."""
    if not q.strip():
        return list(desired.folders)
    by_folder = {wg.folder: (wg.name, wg.slug) for wg in org.working_groups}
    return search(desired.folders, q, lambda m: (m, *by_folder.get(m, ())))


def _cell_of(
    desired: NextcloudState, col: Column, gid: str
) -> tuple[str, int | None, tuple[tuple[str, int | None], ...]]:
    folder = desired.folders[col.mount]
    paths = []
    for path in col.paths:
        rule = next(
            (r for r in folder.rules[path] if r.mapping_type == "group" and r.mapping_id == gid), None
        )
        paths.append((path, rule.permissions if rule else None))
    return col.mount, folder.groups.get(gid), tuple(paths)


def drift_text(caller: Caller, d: Drift) -> str:
    """One drift as a sentence in the caller's language (Drift.__str__ is for logs)."""
    s = d.subject
    texts: dict[str, Callable[[], str]] = {
        "missing_group": lambda: caller._("Group %(gid)s does not exist in Nextcloud.", gid=s[0]),
        "extra_group": lambda: caller._(
            "Group %(gid)s follows the naming scheme but is not in the organisation.", gid=s[0]
        ),
        "missing_member": lambda: caller._("%(uid)s should be in %(gid)s but is not.", uid=s[1], gid=s[0]),
        "extra_member": lambda: caller._(
            "%(uid)s is in %(gid)s in Nextcloud, not in the organisation.", uid=s[1], gid=s[0]
        ),
        "missing_folder": lambda: caller._("Folder %(mount)s does not exist in Nextcloud.", mount=s[0]),
        "unmanaged_folder": lambda: caller._(
            "Folder %(mount)s is not described by the organisation.", mount=s[0]
        ),
        "folder_renamed": lambda: caller._(
            "Folder %(before)s is to be renamed %(mount)s.", before=str(d.actual), mount=s[0]
        ),
        "group_renamed": lambda: caller._(
            "Group %(gid)s is to be renamed “%(name)s”.", gid=s[0], name=str(d.expected)
        ),
        "permission_changed": lambda: caller._(
            "%(gid)s has %(actual)s on %(mount)s instead of %(expected)s.",
            gid=s[1],
            mount=s[0],
            actual=right_text(caller, d.actual if isinstance(d.actual, int) else None),
            expected=right_text(caller, d.expected if isinstance(d.expected, int) else None),
        ),
        "acl_flag_changed": lambda: caller._(
            "The advanced permissions setting of %(mount)s was changed.", mount=s[0]
        ),
        "manager_changed": lambda: caller._(
            "Who manages the permissions of %(mount)s was changed (%(who)s).", mount=s[0], who=s[-1]
        ),
        "acl_rules_changed": lambda: caller._(
            "The permissions on %(mount)s/%(path)s were changed.", mount=s[0], path=s[1]
        ),
    }
    return texts[d.kind]() if d.kind in texts else str(d)


def drift_key(d: Drift) -> str:
    return "|".join((d.kind, *d.subject))


def _marks(drifts: tuple[Drift, ...]) -> dict[str, set[Any]]:
    """Where each drift shows on the matrix: a row, a cell, or a whole column."""
    rows = {d.subject[0] for d in drifts if d.kind in (*MEMBER_DRIFT, "missing_group", "extra_group")}
    cells = {(d.subject[1], d.subject[0]) for d in drifts if d.kind == "permission_changed"}
    cols = {
        d.subject[0]
        for d in drifts
        if d.kind not in (*MEMBER_DRIFT, "missing_group", "extra_group", "permission_changed")
    }
    return {"rows": rows, "cells": cells, "cols": cols}


async def drift_context(
    caller: Caller, gov: Governance, dpage: int = 1, refresh: bool = False
) -> dict[str, Any]:
    """Drift and plan from the last reading of Nextcloud, one page of differences."""
    view = await gov.sync.view(refresh)
    readings = gov.sync.readings
    drifts: tuple[Drift, ...] = view.drifts if view else ()
    shown = paginate(list(enumerate(drifts)), dpage, DRIFTS_PAGE)
    read_at = view.read_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if view and view.read_at else ""
    return {
        "view": view, "reading": readings.refreshing, "read_error": readings.error, "read_at": read_at,
        "drifts": drifts, "shown_drifts": shown.items, "dpage": shown.number, "dpages": shown.pages,
        "plan": view.plan if view else None, "plan_shown": PLAN_SHOWN,
        "plan_text": await plan_text(gov, view.plan, view.actual, caller.lang, PLAN_SHOWN, owned=view.managed)
        if view
        else None,
        "drift_text": lambda d: drift_text(caller, d), "drift_key": drift_key,
        "can_repair": bool(can_repair_drift(caller.actor)), "member_drift": MEMBER_DRIFT,
    }  # fmt: skip


def _memo(f: Callable[[int | None], str]) -> Callable[[int | None], str]:
    """A right's text once per page, not once per cell (a page shows hundreds of cells)."""
    seen: dict[int | None, str] = {}
    return lambda bits: seen[bits] if bits in seen else seen.setdefault(bits, f(bits))


async def render_matrix(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The matrix; ``ctx`` may hold the page's query (q, page, dpage, refresh) and a flash."""
    q, page = str(ctx.pop("q", "")), int(ctx.pop("page", 1))
    org = gov.org()
    desired = gov.sync.desired(org)
    mounts = paginate(folders_matching(org, desired, q), page, FOLDERS_PAGE)
    drift_ctx = await drift_context(caller, gov, int(ctx.pop("dpage", 1)), bool(ctx.pop("refresh", False)))

    def table() -> dict[str, Any]:
        columns, rows = matrix(org, desired, caller, list(mounts.items))
        marks, texts = _marks(drift_ctx["drifts"]), _memo(lambda b: right_text(caller, b))
        return {"_": caller._, "columns": columns, "rows": rows, "marks": marks, "right_text": texts}

    html = TABLES.get((org, desired, drift_ctx["view"]), (caller.lang, *mounts.items), table)
    response = render(
        caller, "matrix.html", "matrix", status=status, table=html, q=q, shown=mounts,
        params={"q": q} if q else {}, all_folders=len(desired.folders), folders=list(mounts.items),
        **drift_ctx, **ctx,
    )  # fmt: skip
    return pushed(
        response, caller, "/matrix", {"q": q, "page": str(mounts.number) if mounts.number > 1 else ""}
    )


@router.get("/ui/matrix", response_class=HTMLResponse)
async def matrix_page(
    caller: CallerDep, gov: GovDep, q: str = "", page: int = 1, dpage: int = 1, refresh: bool = False
) -> HTMLResponse:
    decision = can_view_matrix(caller.actor)
    if not decision:
        return refused(caller, decision, "matrix")
    return await render_matrix(caller, gov, q=q, page=page, dpage=dpage, refresh=refresh)


_DRIFT = env.get_template("_drift.html")
TABLES = Fragments("_matrix_table.html")  # the same for every reader until the org or the reading changes


@router.get("/ui/matrix/drift", response_class=HTMLResponse)
async def drift_section(caller: CallerDep, gov: GovDep, dpage: int = 1) -> HTMLResponse:
    """The differences alone: what the page polls while Nextcloud is being read."""
    decision = can_view_matrix(caller.actor)
    if not decision:
        return refused(caller, decision, "matrix")
    html = _DRIFT.render(
        caller=caller, _=caller._, ngettext=caller.ngettext, **(await drift_context(caller, gov, dpage))
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/ui/matrix/repair", response_class=HTMLResponse)
async def repair(
    caller: DriftRepairerDep,
    gov: GovDep,
    checksum: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> HTMLResponse:
    decision = can_repair_drift(caller.actor)
    if not decision:
        return refused(caller, decision, "matrix")
    try:
        done, result = await gov.sync.apply(
            caller.uid, expected_checksum=checksum or None, confirmed=bool(confirmed)
        )
    except (GovernanceError, NextcloudError) as exc:
        status = 409 if isinstance(exc, GovernanceError) else 502
        return await render_matrix(caller, gov, status, flash=caller._(str(exc)), flash_kind="error")
    if not result.ok:
        message = caller._("Repair stopped: %(error)s", error=result.error or result.failed or "")
        return await render_matrix(caller, gov, 502, flash=message, flash_kind="error")
    return await render_matrix(
        caller,
        gov,
        flash=caller.ngettext("%(n)s change applied.", "%(n)s changes applied.", len(result.applied)),
    )


@router.post("/ui/matrix/adopt", response_class=HTMLResponse)
async def adopt_drift(caller: OrgEditorDep, gov: GovDep, key: Annotated[str, Form()] = "") -> HTMLResponse:
    """Accept one hand-made membership change into the organisation (Nextcloud is left as it is)."""
    decision = can_edit_org(caller.actor)
    if not decision:
        return refused(caller, decision, "matrix")
    version = gov.orgs.version()
    org = gov.org()
    try:
        drifts = await gov.sync.drift()
    except NextcloudError as exc:
        return await render_matrix(caller, gov, 502, **unread(caller, exc))
    chosen = next((d for d in drifts if drift_key(d) == key), None)
    if chosen is None or chosen.kind not in MEMBER_DRIFT:
        return await render_matrix(
            caller,
            gov,
            409,
            **error(
                caller._(
                    "Nextcloud changed since the page was shown; nothing was adopted. "
                    "Review the differences again."
                )
            ),
        )
    adopted = adopt_changes(org, (chosen,))
    if adopted == org:
        return await render_matrix(
            caller,
            gov,
            422,
            **error(caller._("The organisation cannot describe this difference; repair it instead.")),
        )
    try:
        gov.orgs.save(adopted, expected_version=version)
    except StaleOrganisation:
        return await render_matrix(
            caller,
            gov,
            409,
            **error(caller._("Someone changed the organisation meanwhile; nothing was saved.")),
        )
    gov.audit.append(
        caller.uid,
        "drift.adopted",
        f"group:{chosen.subject[0]}",
        {"kind": chosen.kind, "subject": list(chosen.subject)},
    )
    return await render_matrix(
        caller,
        gov,
        flash=caller._(
            "The organisation now says what Nextcloud has: %(what)s", what=drift_text(caller, chosen)
        ),
    )


async def _people_named(gov: Governance, caller: Caller, typed: str) -> tuple[Person, ...]:
    """The accounts ``typed`` names: an account id, a display name or (for those who see e-mail
    addresses) an e-mail address (lib/core/explain.py ``find_person``)."""
    found = [await gov.gateway.get_user(typed), *await gov.gateway.search_users(typed, limit=10)]
    emails = sees_emails(caller.actor)
    people = [Person(u.uid, u.display_name, u.email if emails else "") for u in found if u is not None]
    return find_person(typed, people)


async def _path_known(gov: Governance, desired: NextcloudState, folder: str, path: str) -> bool | None:
    """True for a path the organisation rules (or above one: applying creates it), else whether
    Nextcloud has it (None: the app's account does not see the folder, so nobody can say)."""
    ruled = desired.folders[folder].rules
    if any(p == path or p.startswith(path + "/") for p in ruled):
        return True
    return await gov.gateway.path_exists(folder, path)


@router.get("/ui/explain", response_class=HTMLResponse)
async def explain_page(
    caller: CallerDep, gov: GovDep, user: str = "", folder: str = "", path: str = ""
) -> HTMLResponse:
    """Who can do what on a path, and why: groupfolders' arithmetic on the desired state."""
    decision = can_view_matrix(caller.actor)
    if not decision:
        return refused(caller, decision, "matrix")
    org = gov.org()
    desired = gov.sync.desired(org)
    user, folder, path = user.strip(), folder.strip(), "/".join(p for p in path.split("/") if p.strip())
    known = folder in desired.folders
    try:
        matches = await _people_named(gov, caller, user) if user else ()
        where = await _path_known(gov, desired, folder, path) if known and path else True
    except NextcloudError as exc:
        return render(caller, "message.html", "matrix", status=502, message=unread(caller, exc)["flash"])
    person = matches[0] if len(matches) == 1 else None
    shown = person is not None and known and where is not False
    answer = explain(org, desired, person.uid, folder, path) if person and shown else None
    words = Words(org)  # groups by working group and role, not Nextcloud ids
    response = render(
        caller, "explain.html", "matrix", answer=answer, user=user, folder=folder, path=path,
        unknown_folder=bool(folder) and not known, folders=list(desired.folders), person=person,
        no_person=bool(user) and not matches, choices=matches if len(matches) > 1 else (),
        no_path=where is False, unchecked_path=where is None, right_text=lambda b: right_text(caller, b),
        group_text=lambda gid: say(caller.lang, words.group(gid)),
        rules_text=lambda rules: ", ".join(say(caller.lang, words.mapping(r.mapping_type, r.mapping_id))
                                           for r in rules),
    )  # fmt: skip
    return pushed(response, caller, "/explain", {"user": user, "folder": folder, "path": path})
