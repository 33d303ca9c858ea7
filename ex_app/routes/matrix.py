"""The access matrix (board and operations): rights per group and folder, drift, repair, adopt, explain."""

from __future__ import annotations

import logging
from collections.abc import Callable
from copy import copy
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from lib.core.drift import Drift
from lib.core.errors import Forbidden, GovernanceError
from lib.core.faults import NextcloudError, StaleOrganisation
from lib.core.paging import page_number, paginate
from lib.core.policy import can_repair_drift
from lib.core.wording import Words
from lib.i18n import say
from lib.services.access import MatrixView
from lib.services.governance import Governance
from lib.services.memo import Memo
from lib.services.organisation import MEMBER_DRIFT, DriftGone, NotDescribable, drift_key

from ..deps import Caller, CallerDep, DriftRepairerDep, GovDep, OrgEditorDep
from ..render import Fragments, env, render
from .answers import error, pushed, right_text, unread
from .matrix_table import (
    folder_choices,
    folder_options,
    folders_matching,
    group_labels,
    groups_matching,
    groups_on,
    matrix,
    page_size,
)

log = logging.getLogger(__name__)
router = APIRouter()


# ---- access matrix ---------------------------------------------------------------------------------


DRIFTS_PAGE, PLAN_SHOWN = 50, 100


def drift_text(caller: Caller, words: Words, d: Drift) -> str:
    """One drift as a sentence in the caller's language (Drift.__str__ is for logs): people by
    display name, groups by working group and role (``words``), rights in words."""
    s = d.subject

    def group(gid: str) -> str:
        return say(caller.lang, words.group(gid))

    texts: dict[str, Callable[[], str]] = {
        "missing_group": lambda: caller._(
            "The Nextcloud group of %(group)s does not exist.", group=group(s[0])
        ),
        "extra_group": lambda: caller._(
            "Group %(gid)s follows the naming scheme but is not in the organisation.", gid=s[0]
        ),
        "missing_member": lambda: caller._(
            "%(person)s should be in %(group)s but is not.", person=words.person(s[1]), group=group(s[0])
        ),
        "extra_member": lambda: caller._(
            "%(person)s is in %(group)s in Nextcloud, not in the organisation.",
            person=words.person(s[1]),
            group=group(s[0]),
        ),
        "missing_folder": lambda: caller._("Folder %(mount)s does not exist in Nextcloud.", mount=s[0]),
        "unmanaged_folder": lambda: caller._(
            "Folder %(mount)s is not described by the organisation.", mount=s[0]
        ),
        "folder_renamed": lambda: caller._(
            "Folder %(before)s is to be renamed %(mount)s.", before=str(d.actual), mount=s[0]
        ),
        "group_renamed": lambda: caller._(
            "The Nextcloud group of %(group)s is to be renamed “%(name)s”.",
            group=group(s[0]),
            name=str(d.expected),
        ),
        "permission_changed": lambda: _permission_text(caller, group(s[1]), s[0], d),
        "acl_flag_changed": lambda: caller._(
            "The advanced permissions setting of %(mount)s was changed.", mount=s[0]
        ),
        "manager_changed": lambda: caller._(
            "Who manages the permissions of %(mount)s was changed (%(who)s).",
            mount=s[0],
            who=say(caller.lang, words.mapping(s[1], s[2])) if len(s) > 2 else s[-1],
        ),
        "acl_rules_changed": lambda: caller._(
            "The permissions on %(mount)s/%(path)s were changed.", mount=s[0], path=s[1]
        ),
    }
    return texts[d.kind]() if d.kind in texts else str(d)


def _permission_text(caller: Caller, group: str, mount: str, d: Drift) -> str:
    """A group's right on a folder that differs: given by hand, taken away, or changed."""
    actual = d.actual if isinstance(d.actual, int) else None
    expected = d.expected if isinstance(d.expected, int) else None
    if expected is None:
        return caller._(
            "%(group)s has %(actual)s on %(mount)s but should have no access.",
            group=group,
            actual=right_text(caller, actual),
            mount=mount,
        )
    if actual is None:
        return caller._(
            "%(group)s should have %(expected)s on %(mount)s but has no access.",
            group=group,
            expected=right_text(caller, expected),
            mount=mount,
        )
    return caller._(
        "%(group)s has %(actual)s on %(mount)s instead of %(expected)s.",
        group=group,
        mount=mount,
        actual=right_text(caller, actual),
        expected=right_text(caller, expected),
    )


_GROUP_WORDS: Memo[Words] = Memo(2)


async def drift_words(gov: Governance, drifts: list[Drift]) -> Words:
    """Names for the people and groups of ``drifts`` (display names asked of Nextcloud, kept a while).
    The group names are built once per organisation (2,000 of them take 20 ms at 500 working groups)."""
    uids = {d.subject[1] for d in drifts if d.kind in MEMBER_DRIFT}
    uids |= {d.subject[2] for d in drifts if d.kind == "manager_changed" and d.subject[1:2] == ("user",)}
    org = gov.org()
    words = copy(_GROUP_WORDS.get((org,), (), lambda: Words(org)))  # shares the groups, read only
    words.people = await gov.display_names(uids) if uids else {}
    return words


def _marks(drifts: tuple[Drift, ...]) -> dict[str, set[Any]]:
    """Where each drift shows on the matrix: a row, a cell, or a whole column."""
    rows = {d.subject[0] for d in drifts if d.kind in (*MEMBER_DRIFT, "missing_group", "extra_group")}
    cells = {(d.subject[0], d.subject[1]) for d in drifts if d.kind == "permission_changed"}  # mount, gid
    cols = {
        d.subject[0]
        for d in drifts
        if d.kind not in (*MEMBER_DRIFT, "missing_group", "extra_group", "permission_changed")
    }
    return {"rows": rows, "cells": cells, "cols": cols}


async def drift_context(
    caller: Caller, gov: Governance, dpage: int = 1, found: MatrixView | None = None
) -> dict[str, Any]:
    """Drift and plan from the last reading of Nextcloud (``found``, when the page has it), one page
    of differences."""
    found = found or await gov.access.matrix(caller.actor)
    view = found.view
    drifts: tuple[Drift, ...] = view.drifts if view else ()
    shown = paginate(list(enumerate(drifts)), dpage, DRIFTS_PAGE)
    read_at = f"{caller.moment(view.read_at.astimezone(UTC))} UTC" if view and view.read_at else ""
    words = await drift_words(gov, [d for _i, d in shown.items])
    words_of_plan = (
        await gov.access.repair_words(caller.actor, view, caller.lang, PLAN_SHOWN) if view else None
    )
    return {
        "view": view, "reading": found.refreshing, "read_error": found.read_error, "read_at": read_at,
        "drifts": drifts, "shown_drifts": shown.items, "dpage": shown.number, "dpages": shown.pages,
        "plan": view.plan if view else None, "plan_shown": PLAN_SHOWN, "plan_text": words_of_plan,
        "drift_text": lambda d: drift_text(caller, words, d), "drift_key": drift_key,
        "can_repair": bool(can_repair_drift(caller.actor)), "member_drift": MEMBER_DRIFT,
    }  # fmt: skip


def _memo(f: Callable[[int | None], str]) -> Callable[[int | None], str]:
    """A right's text once per page, not once per cell (a page shows hundreds of cells)."""
    seen: dict[int | None, str] = {}
    return lambda bits: seen[bits] if bits in seen else seen.setdefault(bits, f(bits))


async def render_matrix(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    """The matrix; ``ctx`` may hold the page's query (q, group, page, dpage, refresh) and a flash."""
    q, group, page = str(ctx.pop("q", "")), str(ctx.pop("group", "")), int(ctx.pop("page", 1))
    current = await gov.access.matrix(caller.actor, bool(ctx.pop("refresh", False)))  # or refused
    org, desired = current.org, current.desired
    labels = group_labels(org, caller)
    found = folders_matching(org, desired, q)
    wanted = groups_matching(labels, desired, group) if group.strip() else None
    if wanted is not None:
        found = [m for m in found if groups_on(desired.folders[m]) & wanted]
    mounts = paginate(found, page, page_size(len(found)))
    drift_ctx = await drift_context(caller, gov, int(ctx.pop("dpage", 1)), current)

    def table() -> dict[str, Any]:
        marks, texts = _marks(drift_ctx["drifts"]), _memo(lambda b: right_text(caller, b))
        columns, rows = matrix(org, desired, labels, list(mounts.items), wanted, frozenset(marks["cells"]))
        return {"_": caller._, "columns": columns, "rows": rows, "marks": marks, "right_text": texts}

    rows_key = tuple(group.casefold().split()) if wanted is not None else None
    html = TABLES.get((org, desired, drift_ctx["view"]), (caller.lang, rows_key, *mounts.items), table)
    first = (mounts.number - 1) * page_size(len(found)) + 1
    shown_one = mounts.items[0] if len(mounts.items) == 1 else ""  # chosen in the explanation form
    response = render(
        caller, "matrix.html", "matrix", status=status, table=html, q=q, group=group, shown=mounts,
        first=first, last=first + len(mounts.items) - 1,
        params={k: v for k, v in (("q", q), ("group", group)) if v}, all_folders=len(desired.folders),
        folder_options=folder_options(caller, org, desired, shown_one),
        **drift_ctx, **ctx,
    )  # fmt: skip
    page_text = str(mounts.number) if mounts.number > 1 else ""
    return pushed(response, caller, "/matrix", {"q": q, "group": group, "page": page_text})


@router.get("/ui/matrix", response_class=HTMLResponse)
async def matrix_page(
    caller: CallerDep,
    gov: GovDep,
    q: str = "",
    group: str = "",
    page: str = "",
    dpage: int = 1,
    refresh: bool = False,
) -> HTMLResponse:
    """``q`` filters folders by name, ``group`` the rows by group name and role (and the folders to
    those where such a group has a right)."""
    return await render_matrix(
        caller, gov, q=q[:200], group=group[:200], page=page_number(page), dpage=dpage, refresh=refresh
    )


_DRIFT = env.get_template("_drift.html")
TABLES = Fragments("_matrix_table.html")  # the same for every reader until the org or the reading changes


@router.get("/ui/matrix/drift", response_class=HTMLResponse)
async def drift_section(caller: CallerDep, gov: GovDep, dpage: int = 1) -> HTMLResponse:
    """The differences alone: what the page polls while Nextcloud is being read."""
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
    try:
        done, result = await gov.organisation.repair(
            caller.actor, checksum=checksum or None, confirmed=bool(confirmed)
        )
    except Forbidden:
        raise
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
    try:
        chosen = await gov.organisation.adopt_drift(caller.actor, key)
    except NextcloudError as exc:
        return await render_matrix(caller, gov, 502, **unread(caller, exc))
    except DriftGone:
        gone = caller._(
            "Nextcloud changed since the page was shown; nothing was adopted. Review the differences again."
        )
        return await render_matrix(caller, gov, 409, **error(gone))
    except NotDescribable:
        unsaid = caller._("The organisation cannot describe this difference; repair it instead.")
        return await render_matrix(caller, gov, 422, **error(unsaid))
    except StaleOrganisation:
        stale = caller._("Someone changed the organisation meanwhile; nothing was saved.")
        return await render_matrix(caller, gov, 409, **error(stale))
    what = drift_text(caller, await drift_words(gov, [chosen]), chosen)
    return await render_matrix(
        caller, gov, flash=caller._("The organisation now says what Nextcloud has: %(what)s", what=what)
    )


@router.get("/ui/explain", response_class=HTMLResponse)
async def explain_page(
    caller: CallerDep, gov: GovDep, user: str = "", folder: str = "", path: str = ""
) -> HTMLResponse:
    """Who can do what on a path, and why: groupfolders' arithmetic on the desired state."""
    org, desired = gov.access.desired(caller.actor)  # refused to whoever may not see the matrix
    user, folder, path = user.strip(), folder.strip(), "/".join(p for p in path.split("/") if p.strip())
    choices = folder_choices(org, desired)
    if folder not in desired.folders:  # a folder's name typed in the address, in any case
        folder = next((m for m, n in choices if folder.casefold() in (m.casefold(), n.casefold())), folder)
    try:
        found = await gov.access.explain(caller.actor, user, folder, path)
    except NextcloudError as exc:
        return render(caller, "message.html", "matrix", status=502, message=unread(caller, exc)["flash"])
    matches, answer = found.people, found.answer
    words = _GROUP_WORDS.get((org,), (), lambda: Words(org))  # groups by working group and role, not ids
    response = render(
        caller, "explain.html", "matrix", answer=answer, user=user, folder=folder, path=path,
        unknown_folder=bool(folder) and not found.known,
        folder_options=folder_options(caller, org, desired, folder, bool(folder) and not found.known),
        person=matches[0] if len(matches) == 1 else None, no_person=bool(user) and not matches,
        choices=matches if len(matches) > 1 else (), no_path=found.path_exists is False,
        unchecked_path=found.path_exists is None, right_text=lambda b: right_text(caller, b),
        group_text=lambda gid: say(caller.lang, words.group(gid)),
        rules_text=lambda rules: ", ".join(say(caller.lang, words.mapping(r.mapping_type, r.mapping_id))
                                           for r in rules),
    )  # fmt: skip
    return pushed(response, caller, "/explain", {"user": user, "folder": folder, "path": path})
