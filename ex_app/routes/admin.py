"""Oversight and administration pages: access matrix, explain, audit log, organisation, statistics.

Thin routes (as pages.py and requests.py): parse, ask lib/core/policy, call the services, render.
The board reads everything here and changes nothing; the operations team repairs drift, edits and
imports the organisation. Every change is shown as a plan first and applied only with its checksum.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse

from lib.core import orgfile
from lib.core.adopt import propose_org
from lib.core.audit import verify_chain
from lib.core.compile import group_refs
from lib.core.drift import Drift, adopt_changes, drift
from lib.core.errors import GovernanceError, InvalidOrganisation
from lib.core.expiry import expiring_soon
from lib.core.explain import BITS, explain
from lib.core.model import Organisation, OrgGroup, Right, Role, WorkingGroup
from lib.core.plan import Plan
from lib.core.policy import (
    Decision,
    can_edit_org,
    can_repair_drift,
    can_view_audit,
    can_view_matrix,
    can_view_stats,
)
from lib.core.request_kinds import RequestState
from lib.core.state import NextcloudState
from lib.nextcloud.errors import NextcloudError
from lib.services.governance import Governance
from lib.store.audit_repo import AuditFilter, csv_cell
from lib.store.org_repo import StaleOrganisation

from ..deps import Caller, CallerDep, GovDep, WriterDep
from ..render import render

log = logging.getLogger(__name__)
router = APIRouter()
AUDIT_PAGE = 50
DECIDED = {
    RequestState.APPROVED,
    RequestState.APPLYING,
    RequestState.APPLIED,
    RequestState.REJECTED,
    RequestState.FAILED,
    RequestState.AWAITING_ACCOUNT,
}
MEMBER_DRIFT = ("extra_member", "missing_member")


# ---- shared helpers --------------------------------------------------------------------------------


def _refused(caller: Caller, decision: Decision, active: str) -> HTMLResponse:
    return render(caller, "message.html", active, status=403, message=caller._(decision.reason))


def _error(message: str) -> dict[str, str]:
    """The flash of a page shown again after a refusal or a failure."""
    return {"flash": message, "flash_kind": "error"}


def _unread(caller: Caller, exc: NextcloudError) -> dict[str, str]:
    log.warning("reading Nextcloud failed: %s", exc)
    return _error(caller._("Nextcloud could not be read: %(error)s", error=str(exc)))


RIGHT_NAMES = {
    int(Right.NONE): "none",
    int(Right.CONSULT): "consult",
    int(Right.MODIFY): "modify",
    int(Right.MANAGE): "manage",
}


def right_text(caller: Caller, bits: int | None) -> str:
    """``15`` -> "modify"; bits that are no named right -> "read, share"; None -> not attached."""
    if bits is None:
        return caller._("not attached")
    if bits in RIGHT_NAMES:
        return caller._(RIGHT_NAMES[bits])
    return ", ".join(caller._(name) for name, bit in BITS if bits & bit)


def _pushed(response: HTMLResponse, caller: Caller, page: str, query: dict[str, str]) -> HTMLResponse:
    """Let htmx put the page's own address (not the proxy's) in the browser history."""
    kept = {k: v for k, v in query.items() if v}
    response.headers["HX-Push-Url"] = f"{caller.page_base}{page}" + (f"?{urlencode(kept)}" if kept else "")
    return response


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


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


def matrix(org: Organisation, desired: NextcloudState, caller: Caller) -> tuple[list[Column], list[Row]]:
    """Rows are Nextcloud groups, columns the working groups' folders; cells the desired rights."""
    names = {wg.folder: wg.name for wg in org.working_groups}
    columns = [Column(m, names.get(m, m), tuple(sorted(f.rules))) for m, f in desired.folders.items()]
    refs = group_refs(org.naming, (wg.slug for wg in org.working_groups))
    order = {ref: i for i, ref in enumerate([*(g.value for g in OrgGroup), "app"])}
    rows = []
    for gid in sorted(desired.groups, key=lambda g: (order.get(refs.get(g, ""), 99), refs.get(g, g))):
        ref = refs.get(gid, "")
        label = caller._("the app's account") if ref == "app" else caller._(ref) if ref in order else None
        label = label or desired.display_names.get(gid, gid)
        cells = tuple(_cell_of(desired, col, gid) for col in columns)
        rows.append(Row(gid, label, cells))
    return columns, rows


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


async def render_matrix(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    org = gov.org()
    desired = gov.sync.desired(org)
    columns, rows = matrix(org, desired, caller)
    drifts: tuple[Drift, ...] = ()
    plan: Plan | None = None
    try:
        snap = await gov.sync.snapshot(org)
        drifts, plan = drift(snap.desired, snap.actual, snap.managed), snap.plan
    except NextcloudError as exc:
        log.warning("matrix: reading Nextcloud failed: %s", exc)
        ctx.setdefault("flash", caller._("Nextcloud could not be read: %(error)s", error=str(exc)))
        ctx.setdefault("flash_kind", "error")
    people = sorted({m.user for m in org.memberships})
    return render(
        caller, "matrix.html", "matrix", status=status, columns=columns, rows=rows, drifts=drifts,
        plan=plan, marks=_marks(drifts), drift_text=lambda d: drift_text(caller, d), drift_key=drift_key,
        right_text=lambda b: right_text(caller, b), can_repair=bool(can_repair_drift(caller.actor)),
        member_drift=MEMBER_DRIFT, people=people, folders=list(desired.folders), **ctx,
    )  # fmt: skip


@router.get("/ui/matrix", response_class=HTMLResponse)
async def matrix_page(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    decision = can_view_matrix(caller.actor)
    return await render_matrix(caller, gov) if decision else _refused(caller, decision, "matrix")


@router.post("/ui/matrix/repair", response_class=HTMLResponse)
async def repair(caller: WriterDep, gov: GovDep, checksum: Annotated[str, Form()] = "") -> HTMLResponse:
    decision = can_repair_drift(caller.actor)
    if not decision:
        return _refused(caller, decision, "matrix")
    try:
        done, result = await gov.sync.apply(caller.uid, expected_checksum=checksum or None)
    except (GovernanceError, NextcloudError) as exc:
        status = 409 if isinstance(exc, GovernanceError) else 502
        return await render_matrix(caller, gov, status, flash=caller._(str(exc)), flash_kind="error")
    if not result.ok:
        message = caller._("Repair stopped: %(error)s", error=result.error or result.failed or "")
        return await render_matrix(caller, gov, 502, flash=message, flash_kind="error")
    return await render_matrix(caller, gov, flash=caller._("%(n)s changes applied.", n=len(result.applied)))


@router.post("/ui/matrix/adopt", response_class=HTMLResponse)
async def adopt_drift(
    caller: WriterDep, gov: GovDep, index: Annotated[int, Form()], key: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Accept one hand-made membership change into the organisation (Nextcloud is left as it is)."""
    decision = can_edit_org(caller.actor)
    if not decision:
        return _refused(caller, decision, "matrix")
    version = gov.orgs.version()
    org = gov.org()
    try:
        drifts = await gov.sync.drift()
    except NextcloudError as exc:
        return await render_matrix(caller, gov, 502, **_unread(caller, exc))
    chosen = drifts[index] if 0 <= index < len(drifts) else None
    if chosen is None or drift_key(chosen) != key or chosen.kind not in MEMBER_DRIFT:
        return await render_matrix(
            caller,
            gov,
            409,
            **_error(
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
            **_error(caller._("The organisation cannot describe this difference; repair it instead.")),
        )
    try:
        gov.orgs.save(adopted, expected_version=version)
    except StaleOrganisation:
        return await render_matrix(
            caller,
            gov,
            409,
            **_error(caller._("Someone changed the organisation meanwhile; nothing was saved.")),
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


@router.get("/ui/explain", response_class=HTMLResponse)
async def explain_page(
    caller: CallerDep, gov: GovDep, user: str = "", folder: str = "", path: str = ""
) -> HTMLResponse:
    """Who can do what on a path, and why: groupfolders' arithmetic on the desired state."""
    decision = can_view_matrix(caller.actor)
    if not decision:
        return _refused(caller, decision, "matrix")
    org = gov.org()
    desired = gov.sync.desired(org)
    user, folder, path = user.strip(), folder.strip(), path.strip().strip("/")
    answer = explain(org, desired, user, folder, path) if user and folder in desired.folders else None
    response = render(
        caller, "explain.html", "matrix", answer=answer, user=user, folder=folder, path=path,
        unknown_folder=bool(folder) and folder not in desired.folders, folders=list(desired.folders),
        people=sorted({m.user for m in org.memberships}), right_text=lambda b: right_text(caller, b),
    )  # fmt: skip
    return _pushed(response, caller, "/explain", {"user": user, "folder": folder, "path": path})


# ---- audit log -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """The audit filters as the page's GET form sends them (a FastAPI dependency: query parameters)."""

    actor: str = ""
    action: str = ""
    text: str = ""
    since: str = ""
    until: str = ""

    def values(self) -> dict[str, str]:
        return {
            "actor": self.actor,
            "action": self.action,
            "text": self.text,
            "since": self.since,
            "until": self.until,
        }

    def bad_dates(self) -> set[str]:
        return {name for name in ("since", "until") if not _is_date(getattr(self, name).strip())}

    def filter(self) -> AuditFilter:
        """The store's filter; a date bound that is not a date is left out."""
        bad = self.bad_dates()
        since, until = ("" if n in bad else getattr(self, n).strip() for n in ("since", "until"))
        return AuditFilter(self.actor.strip(), self.action.strip(), self.text.strip(), since, until)


def _is_date(value: str) -> bool:
    try:
        return not value or bool(date.fromisoformat(value))
    except ValueError:
        return False


AuditQueryDep = Annotated[AuditQuery, Depends()]


@router.get("/ui/audit", response_class=HTMLResponse)
async def audit_page(caller: CallerDep, gov: GovDep, q: AuditQueryDep, page: int = 1) -> HTMLResponse:
    decision = can_view_audit(caller.actor)
    if not decision:
        return _refused(caller, decision, "audit")
    page = max(page, 1)
    entries, total = gov.audit.page(q.filter(), offset=(page - 1) * AUDIT_PAGE, limit=AUDIT_PAGE)
    values = q.values()
    errors = {k: caller._("Use a date like 2025-01-31.") for k in q.bad_dates()}
    response = render(
        caller, "audit.html", "audit", status=422 if errors else 200, entries=entries, total=total,
        page=page, pages=max(1, -(-total // AUDIT_PAGE)), values=values, errors=errors,
        chain=verify_chain(gov.audit.entries()),
        query=lambda **more: urlencode({k: v for k, v in {**values, **more}.items() if v}),
    )  # fmt: skip
    return _pushed(response, caller, "/audit", {**values, "page": str(page) if page > 1 else ""})


@router.get("/api/audit.csv", response_model=None)
async def audit_csv(caller: CallerDep, gov: GovDep, q: AuditQueryDep) -> Response:
    decision = can_view_audit(caller.actor)
    if not decision:
        return PlainTextResponse(caller._(decision.reason), status_code=403)
    csv_text = gov.audit.csv(q.filter())
    return StreamingResponse(
        csv_text, media_type="text/csv; charset=utf-8", headers=_attachment("governance-audit.csv")
    )


# ---- organisation ----------------------------------------------------------------------------------

_WG_FIELDS = ("slug", "name", "purpose", "mount_point", "archived")


class FieldError(Exception):
    """A form value the organisation cannot take: ``field`` names the input, ``message`` is translated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def render_org(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("form_errors", {})
    ctx.setdefault("values", {})
    return render(caller, "organisation.html", "org", status=status, groups=gov.org().working_groups, **ctx)


def validated(org: Organisation, caller: Caller, fields: tuple[str, ...]) -> Organisation:
    """``org`` checked as a hand-edited file would be (lib/core/orgfile), errors put on a form field."""
    try:
        return orgfile.org_from_data(orgfile.org_to_data(org))
    except InvalidOrganisation as exc:
        field = exc.field.rsplit(".", 1)[-1]
        raise FieldError(field if field in fields else "name", caller._(exc.message)) from exc


def edited_org(org: Organisation, caller: Caller, mode: str, form: dict[str, Any]) -> Organisation:
    """The organisation with one working group created or updated from the form."""
    slug, name = form["slug"].strip(), form["name"].strip()
    if not name:
        raise FieldError("name", caller._("Give the working group a name."))
    if mode == "create":
        if not orgfile.SLUG.fullmatch(slug):
            message = "Use 1 to 41 lowercase letters, digits or dashes, starting with a letter or a digit."
            raise FieldError("slug", caller._(message))
        if org.group(slug) is not None:
            raise FieldError("slug", caller._("A working group with this identifier already exists."))
        group = WorkingGroup(slug, name, form["purpose"].strip())
        fields: tuple[str, ...] = ("slug", "name")
    else:
        current = org.group(slug)
        if current is None:
            raise FieldError("slug", caller._("This working group does not exist."))
        mount, archived = form["mount_point"].strip(), bool(form["archived"])
        group = replace(
            current, name=name, purpose=form["purpose"].strip(), mount_point=mount, archived=archived
        )
        fields = _WG_FIELDS
    if any(wg.folder == group.folder and wg.slug != slug for wg in org.working_groups):
        field = "mount_point" if mode == "update" else "name"
        raise FieldError(field, caller._("Another working group already uses this folder."))
    groups = tuple(group if wg.slug == slug else wg for wg in org.working_groups)
    return validated(
        replace(org, working_groups=groups if mode == "update" else (*groups, group)), caller, fields
    )


async def confirm_or_apply(
    caller: Caller,
    gov: Governance,
    new_org: Organisation,
    *,
    checksum: str,
    version: int,
    subject: str,
    confirm: dict[str, Any],
    detail: dict[str, Any],
) -> HTMLResponse:
    """Without a checksum: show the plan. With the one shown: save, apply, audit."""
    try:
        plan = await gov.sync.preview(new_org)
    except NextcloudError as exc:
        return render_org(caller, gov, 502, **_unread(caller, exc))
    if not checksum or plan.checksum != checksum:
        status, note = (
            (200, None)
            if not checksum
            else (
                409,
                caller._("The changes to apply are no longer those you were shown. Review them again."),
            )
        )
        return render(
            caller, "plan_confirm.html", "org", status=status, plan=plan, version=version, flash=note,
            flash_kind="error", **confirm,
        )  # fmt: skip
    try:
        new_version = gov.orgs.save(new_org, expected_version=version)
    except StaleOrganisation:
        return render_org(
            caller,
            gov,
            409,
            **_error(caller._("Someone changed the organisation meanwhile; nothing was saved. Start again.")),
        )
    gov.audit.append(
        caller.uid, "organisation.changed", subject, {**detail, "checksum": checksum, "version": new_version}
    )
    return await _apply_saved(caller, gov, new_org, checksum)


async def _apply_saved(caller: Caller, gov: Governance, new_org: Organisation, checksum: str) -> HTMLResponse:
    try:
        _plan, result = await gov.sync.apply(caller.uid, org=new_org, expected_checksum=checksum)
    except (GovernanceError, NextcloudError) as exc:
        message = caller._(
            "Saved, but Nextcloud was not changed: %(error)s Repair it from the access matrix.",
            error=caller._(str(exc)),
        )
        return render_org(caller, gov, 502, flash=message, flash_kind="error")
    if not result.ok:
        message = caller._(
            "Saved, but applying stopped: %(error)s Repair it from the access matrix.",
            error=result.error or "",
        )
        return render_org(caller, gov, 502, flash=message, flash_kind="error")
    return render_org(caller, gov, flash=caller._("Saved; %(n)s changes applied.", n=len(result.applied)))


@router.get("/ui/organisation", response_class=HTMLResponse)
async def organisation_page(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    decision = can_edit_org(caller.actor)
    return render_org(caller, gov) if decision else _refused(caller, decision, "org")


@router.post("/ui/organisation/groups", response_class=HTMLResponse)
async def save_group(
    caller: WriterDep,
    gov: GovDep,
    mode: Annotated[str, Form()],
    slug: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    mount_point: Annotated[str, Form()] = "",
    archived: Annotated[str, Form()] = "",
    checksum: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = -1,
) -> HTMLResponse:
    decision = can_edit_org(caller.actor)
    if not decision:
        return _refused(caller, decision, "org")
    mode = "create" if mode == "create" else "update"
    form = {"slug": slug, "name": name, "purpose": purpose, "mount_point": mount_point, "archived": archived}
    current = gov.orgs.version()
    try:
        new_org = edited_org(gov.org(), caller, mode, form)
    except FieldError as exc:
        form_id = "create" if mode == "create" else f"wg-{slug}"
        return render_org(
            caller, gov, 422, form_errors={form_id: {exc.field: exc.message}}, values={form_id: form}
        )
    confirm = {
        "action": "/ui/organisation/groups",
        "fields": {"mode": mode, **form},
        "title": caller._("Create the working group %(name)s", name=name)
        if mode == "create"
        else caller._("Change the working group %(name)s", name=name),
    }
    return await confirm_or_apply(
        caller, gov, new_org, checksum=checksum, version=version if checksum else current,
        subject=f"group:{slug}", confirm=confirm, detail={"mode": mode, **form},
    )  # fmt: skip


@router.get("/api/organisation.yaml", response_model=None)
async def export_yaml(caller: CallerDep, gov: GovDep) -> Response:
    decision = can_edit_org(caller.actor)
    if not decision:
        return PlainTextResponse(caller._(decision.reason), status_code=403)
    text = yaml.safe_dump(orgfile.org_to_data(gov.org()), allow_unicode=True, sort_keys=False)
    return Response(
        text, media_type="application/yaml; charset=utf-8", headers=_attachment("organisation.yaml")
    )


def org_from_yaml(caller: Caller, text: str) -> Organisation:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise FieldError("yaml_text", caller._("This is not valid YAML (line %(line)s).", line=line)) from exc
    try:
        return orgfile.org_from_data(data)
    except InvalidOrganisation as exc:
        raise FieldError("yaml_text", f"{exc.field}: {caller._(exc.message)}") from exc


@router.post("/ui/organisation/import", response_class=HTMLResponse)
async def import_yaml(
    caller: WriterDep,
    gov: GovDep,
    yaml_text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    checksum: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = -1,
) -> HTMLResponse:
    decision = can_edit_org(caller.actor)
    if not decision:
        return _refused(caller, decision, "org")
    current = gov.orgs.version()
    try:
        if file is not None and file.filename:
            try:
                yaml_text = (await file.read()).decode("utf-8")
            except UnicodeDecodeError:
                raise FieldError("yaml_text", caller._("The file must be UTF-8 text.")) from None
        if not yaml_text.strip():
            raise FieldError("yaml_text", caller._("Paste the organisation file or choose it."))
        new_org = org_from_yaml(caller, yaml_text)
    except FieldError as exc:
        return render_org(
            caller,
            gov,
            422,
            form_errors={"import": {exc.field: exc.message}},
            values={"import": {"yaml_text": yaml_text}},
        )
    confirm = {
        "action": "/ui/organisation/import",
        "fields": {},
        "yaml_text": yaml_text,
        "title": caller._("Import the organisation file"),
    }
    return await confirm_or_apply(
        caller, gov, new_org, checksum=checksum, version=version if checksum else current,
        subject="organisation", confirm=confirm, detail={"source": "import"},
    )  # fmt: skip


# ---- adoption of an existing Nextcloud ------------------------------------------------------------


async def _all_mount_points(gov: Governance) -> list[str]:
    """Every team folder's mount point (one GET /apps/groupfolders/folders)."""
    return sorted(await gov.gateway.mount_points())


async def _proposal(gov: Governance) -> tuple[Organisation, tuple[str, ...], str]:
    """What Nextcloud holds, as an organisation (every group but 'admin', every folder), and its checksum."""
    mounts = await _all_mount_points(gov)
    actual = await gov.gateway.read_state(lambda gid: gid != "admin", mounts)
    current = gov.org()
    adoption = propose_org(actual, current.naming, current.name or "Organisation")
    text = yaml.safe_dump(orgfile.org_to_data(adoption.organisation), sort_keys=True, allow_unicode=True)
    return adoption.organisation, adoption.notes, hashlib.sha256(text.encode()).hexdigest()


async def render_adopt(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    try:
        org, notes, checksum = await _proposal(gov)
    except NextcloudError as exc:
        return render_org(caller, gov, 502, **_unread(caller, exc))
    counts = Counter(m.group for m in org.memberships)
    return render(
        caller, "adopt.html", "org", status=status, proposal=org, notes=notes, checksum=checksum,
        version=gov.orgs.version(), counts=counts, right_text=lambda b: right_text(caller, b), **ctx,
    )  # fmt: skip


@router.get("/ui/organisation/adopt", response_class=HTMLResponse)
async def adopt_preview(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    decision = can_edit_org(caller.actor)
    return await render_adopt(caller, gov) if decision else _refused(caller, decision, "org")


@router.post("/ui/organisation/adopt", response_class=HTMLResponse)
async def adopt_save(
    caller: WriterDep, gov: GovDep, checksum: Annotated[str, Form()], version: Annotated[int, Form()]
) -> HTMLResponse:
    """Save the proposal shown, as it was shown; Nextcloud itself is not changed."""
    decision = can_edit_org(caller.actor)
    if not decision:
        return _refused(caller, decision, "org")
    try:
        org, notes, current = await _proposal(gov)
    except NextcloudError as exc:
        return render_org(caller, gov, 502, **_unread(caller, exc))
    if current != checksum:
        return await render_adopt(
            caller,
            gov,
            409,
            **_error(caller._("Nextcloud changed since the proposal was shown; review it again.")),
        )
    try:
        new_version = gov.orgs.save(org, expected_version=version)
    except StaleOrganisation:
        return await render_adopt(
            caller,
            gov,
            409,
            **_error(caller._("Someone changed the organisation meanwhile; nothing was saved.")),
        )
    detail = {
        "checksum": checksum,
        "version": new_version,
        "groups": len(org.working_groups),
        "notes": len(notes),
    }
    gov.audit.append(caller.uid, "organisation.adopted", "organisation", detail)
    return render_org(
        caller,
        gov,
        flash=caller._("The organisation now describes this Nextcloud. Nothing was changed in Nextcloud."),
    )


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
        return _refused(caller, decision, "stats")
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
        buf.getvalue(), media_type="text/csv; charset=utf-8", headers=_attachment(f"{slug}-members.csv")
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
