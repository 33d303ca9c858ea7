"""Organisation editing (operations): working groups with a plan preview, YAML import/export, adoption."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from lib.core import orgfile
from lib.core.errors import Forbidden, GovernanceError, InvalidOrganisation, UnsafePlan
from lib.core.faults import NextcloudError, StaleOrganisation
from lib.core.model import Organisation, WorkingGroup
from lib.core.paging import page_number, page_of, paginate, search
from lib.core.slugs import is_slug
from lib.i18n import error_text, organisation_error, say
from lib.services.governance import Governance
from lib.services.organisation import AdoptionChanged
from lib.services.setup import Stage

from .. import org_yaml
from ..deps import Caller, CallerDep, GovDep, OrgEditorDep
from ..render import Fragments, render
from .answers import attachment, error, pushed, right_text, unread

router = APIRouter()


# ---- organisation ----------------------------------------------------------------------------------

_WG_FIELDS = ("slug", "name", "purpose", "mount_point", "archived")
ORG_PAGE = 25


class FieldError(Exception):
    """A form value the organisation cannot take: ``field`` names the input, ``message`` is translated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


CARDS = Fragments("_org_cards.html")  # per organisation, language and page of groups


def render_org(
    caller: Caller,
    gov: Governance,
    status: int = 200,
    *,
    q: str = "",
    page: str = "",
    focus: str = "",
    **ctx: Any,
) -> HTMLResponse:
    """The page with one page of working groups: those searched, else the one showing ``focus`` (the
    group just saved or refused), else the first."""
    ctx.setdefault("form_errors", {})
    ctx.setdefault("values", {})
    org = gov.organisation.current(caller.actor)  # refused to whoever may not edit it
    groups: Sequence[WorkingGroup] = org.working_groups
    query = q.strip()
    if query:
        groups = search(groups, query, lambda wg: (wg.name, wg.slug, wg.purpose))
    number = page_number(page) if page or not focus else page_of(groups, lambda wg: wg.slug == focus)
    shown = paginate(groups, number, ORG_PAGE)
    context = {"_": caller._, "caller": caller, "shown": shown, "form_errors": ctx["form_errors"],
               "values": ctx["values"]}  # fmt: skip
    if ctx["form_errors"] or ctx["values"]:
        cards = CARDS.render(context)
    else:
        cards = CARDS.get((org,), (caller.lang, caller.proxy_base, query, shown.number), lambda: context)
    response = render(
        caller, "organisation.html", "org", status=status, shown=shown, q=query, cards=cards,
        params={"q": query} if query else {}, **ctx,
    )  # fmt: skip
    kept = {"q": query, "page": str(shown.number) if shown.number > 1 else ""}
    return pushed(response, caller, "/organisation", kept)


def validated(org: Organisation, caller: Caller, fields: tuple[str, ...]) -> Organisation:
    """``org`` checked as a hand-edited file would be (lib/core/orgfile), errors put on a form field."""
    try:
        return orgfile.org_from_data(orgfile.org_to_data(org))
    except InvalidOrganisation as exc:
        field = exc.field.rsplit(".", 1)[-1]
        raise FieldError(field if field in fields else "name", error_text(caller.lang, exc)) from exc


def edited_org(org: Organisation, caller: Caller, mode: str, form: dict[str, Any]) -> Organisation:
    """The organisation with one working group created or updated from the form."""
    slug, name = form["slug"].strip(), form["name"].strip()
    if not name:
        raise FieldError("name", caller._("Give the working group a name."))
    if mode == "create":
        if not is_slug(slug):
            raise FieldError("slug", caller._("Use 1 to 40 lowercase letters, digits or hyphens."))
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
    focus: str = "",
    confirmed: bool = False,
) -> HTMLResponse:
    """Without a checksum: show the plan, in words. With the one shown: save, apply, audit.

    A plan that needs a confirmation (lib/core/safety.py) is applied only with ``confirmed``, the
    box the page shows beside who gains and who loses access. The organisation page shown
    afterwards is the one listing ``focus``, the group changed."""
    try:
        shown = await gov.organisation.preview(caller.actor, new_org, caller.lang)
    except NextcloudError as exc:
        return render_org(caller, gov, 502, focus=focus, **unread(caller, exc))
    plan, text = shown.plan, shown.text
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
            caller, "plan_confirm.html", "org", status=status, plan=plan, plan_text=text, version=version,
            flash=note, flash_kind="error", **confirm,
        )  # fmt: skip
    try:
        result = await gov.organisation.change(
            caller.actor, new_org, version=version, checksum=checksum, confirmed=confirmed,
            subject=subject, detail=detail,
        )  # fmt: skip
    except StaleOrganisation:
        message = caller._("Someone changed the organisation meanwhile; nothing was saved. Start again.")
        return render_org(caller, gov, 409, focus=focus, **error(message))
    except UnsafePlan:
        note = caller._("Nothing was saved: tick the box to confirm these changes, or cancel.")
        return render(
            caller, "plan_confirm.html", "org", status=409, plan=plan, plan_text=text, version=version,
            flash=note, flash_kind="error", **confirm,
        )  # fmt: skip
    except Forbidden:
        raise
    except (GovernanceError, NextcloudError) as exc:
        message = caller._("Nothing was saved: %(error)s", error=caller._(str(exc)))
        return render_org(caller, gov, 502, focus=focus, flash=message, flash_kind="error")
    if not result.ok:
        message = caller._(
            "Saved, but applying stopped: %(error)s Repair it from the access matrix.",
            error=result.error or "",
        )
        return render_org(caller, gov, 502, focus=focus, flash=message, flash_kind="error")
    flash = caller.ngettext(
        "Saved; %(n)s change applied.", "Saved; %(n)s changes applied.", len(result.applied)
    )
    return render_org(caller, gov, focus=focus, flash=flash)


@router.get("/ui/organisation", response_class=HTMLResponse)
async def organisation_page(caller: CallerDep, gov: GovDep, q: str = "", page: str = "") -> HTMLResponse:
    return render_org(caller, gov, q=q, page=page)


@router.post("/ui/organisation/groups", response_class=HTMLResponse)
async def save_group(
    caller: OrgEditorDep,
    gov: GovDep,
    mode: Annotated[str, Form()],
    slug: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    mount_point: Annotated[str, Form()] = "",
    archived: Annotated[str, Form()] = "",
    checksum: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = -1,
    confirmed: Annotated[str, Form()] = "",
) -> HTMLResponse:
    mode = "create" if mode == "create" else "update"
    form = {"slug": slug, "name": name, "purpose": purpose, "mount_point": mount_point, "archived": archived}
    current = gov.organisation.version()
    try:
        new_org = edited_org(gov.organisation.current(caller.actor), caller, mode, form)
    except FieldError as exc:
        form_id, focus = ("create", "") if mode == "create" else (f"wg-{slug}", slug)
        return render_org(
            caller, gov, 422, focus=focus, form_errors={form_id: {exc.field: exc.message}},
            values={form_id: form},
        )  # fmt: skip
    confirm = {
        "action": "/ui/organisation/groups",
        "fields": {"mode": mode, **form},
        "title": caller._("Create the working group %(name)s", name=name)
        if mode == "create"
        else caller._("Change the working group %(name)s", name=name),
    }
    return await confirm_or_apply(
        caller, gov, new_org, checksum=checksum, version=version if checksum else current,
        subject=f"group:{slug}", confirm=confirm, detail={"mode": mode, **form}, focus=slug,
        confirmed=bool(confirmed),
    )  # fmt: skip


@router.get("/api/organisation.yaml", response_model=None)
async def export_yaml(caller: CallerDep, gov: GovDep) -> Response:
    text = gov.organisation.export(caller.actor)
    return Response(
        text, media_type="application/yaml; charset=utf-8", headers=attachment("organisation.yaml")
    )


def org_from_yaml(caller: Caller, text: str) -> Organisation:
    """The organisation a YAML text describes, or a sentence for the field (slow: call it in a thread)."""
    try:
        data = org_yaml.load(text)
    except org_yaml.UnreadableYaml as exc:
        raise FieldError("yaml_text", _unreadable(caller, exc)) from exc
    try:
        return orgfile.org_from_data(data)
    except InvalidOrganisation as exc:
        message = organisation_error(caller.lang, exc, org_yaml.line_of(text, exc.field))
        raise FieldError("yaml_text", message) from exc


def _unreadable(caller: Caller, exc: org_yaml.UnreadableYaml) -> str:
    if exc.reason == "too large":
        return caller._("The file is larger than 2 MB: that is not an organisation file.")
    if exc.reason == "too deep":
        return caller._(
            "The file nests lists and mappings too deeply to be an organisation file (line %(line)s).",
            line=exc.line,
        )
    if exc.line is None:
        return caller._("This is not valid YAML.")
    return caller._("This is not valid YAML (line %(line)s).", line=exc.line)


async def _uploaded_text(caller: Caller, file: UploadFile) -> str:
    """The uploaded file's text; a larger one is read only as far as the limit (and then refused)."""
    content = await file.read(org_yaml.MAX_BYTES + 1)
    if len(content) > org_yaml.MAX_BYTES:
        raise FieldError("yaml_text", _unreadable(caller, org_yaml.UnreadableYaml("too large")))
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldError("yaml_text", caller._("The file must be UTF-8 text.")) from None


@router.post("/ui/organisation/import", response_class=HTMLResponse)
async def import_yaml(
    caller: OrgEditorDep,
    gov: GovDep,
    yaml_text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    checksum: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = -1,
    confirmed: Annotated[str, Form()] = "",
) -> HTMLResponse:
    current = gov.organisation.version()
    try:
        if file is not None and file.filename:
            yaml_text = await _uploaded_text(caller, file)
        if not yaml_text.strip():
            raise FieldError("yaml_text", caller._("Paste the organisation file or choose it."))
        # parsing 2 MB of YAML takes seconds: in a thread, so the worker still answers (/heartbeat)
        new_org = await run_in_threadpool(org_from_yaml, caller, yaml_text)
    except FieldError as exc:
        shown = yaml_text if len(yaml_text) <= org_yaml.MAX_BYTES else ""  # not megabytes sent back
        if gov.setup.stage() is Stage.EMPTY:  # sent from the set-up page: said there, beside the file
            return render(
                caller, "setup.html", "settings", status=422,
                form_errors={"import": {exc.field: exc.message}}, values={"import": {"yaml_text": shown}},
            )  # fmt: skip
        return render_org(
            caller,
            gov,
            422,
            form_errors={"import": {exc.field: exc.message}},
            values={"import": {"yaml_text": shown}},
        )
    confirm = {
        "action": "/ui/organisation/import",
        "fields": {},
        "yaml_text": yaml_text,
        "title": caller._("Import the organisation file"),
    }
    return await confirm_or_apply(
        caller, gov, new_org, checksum=checksum, version=version if checksum else current,
        subject="organisation", confirm=confirm, detail={"source": "import"}, confirmed=bool(confirmed),
    )  # fmt: skip


# ---- adoption of an existing Nextcloud ------------------------------------------------------------


async def render_adopt(caller: Caller, gov: Governance, status: int = 200, **ctx: Any) -> HTMLResponse:
    try:
        found = await gov.organisation.proposal(caller.actor)
    except NextcloudError as exc:
        return render_org(caller, gov, 502, **unread(caller, exc))
    adoption, checksum = found.adoption, found.checksum
    org = adoption.organisation
    counts = Counter(m.group for m in org.memberships)
    return render(
        caller, "adopt.html", "org", status=status, proposal=org, checksum=checksum,
        notes=[say(caller.lang, getattr(n, "phrase", n)) for n in adoption.notes],
        unreadable=adoption.unreadable, first_plan=adoption.first_plan,
        version=gov.organisation.version(), counts=counts, right_text=lambda b: right_text(caller, b), **ctx,
    )  # fmt: skip


@router.get("/ui/organisation/adopt", response_class=HTMLResponse)
async def adopt_preview(caller: CallerDep, gov: GovDep) -> HTMLResponse:
    return await render_adopt(caller, gov)  # the service refuses whoever may not edit the organisation


@router.post("/ui/organisation/adopt", response_class=HTMLResponse)
async def adopt_save(
    caller: OrgEditorDep, gov: GovDep, checksum: Annotated[str, Form()], version: Annotated[int, Form()]
) -> HTMLResponse:
    """Save the proposal shown, as it was shown; Nextcloud itself is not changed."""
    try:
        await gov.organisation.adopt(caller.actor, checksum=checksum, version=version)
    except NextcloudError as exc:
        return render_org(caller, gov, 502, **unread(caller, exc))
    except AdoptionChanged:
        message = caller._("Nextcloud changed since the proposal was shown; review it again.")
        return await render_adopt(caller, gov, 409, **error(message))
    except StaleOrganisation:
        message = caller._("Someone changed the organisation meanwhile; nothing was saved.")
        return await render_adopt(caller, gov, 409, **error(message))
    return render_org(
        caller,
        gov,
        flash=caller._("The organisation now describes this Nextcloud. Nothing was changed in Nextcloud."),
    )
