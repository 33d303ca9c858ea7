"""Requests: submit (facilitators), follow (requesters), decide (operations), object (members)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse

from lib.core.errors import GovernanceError, InvalidRequest
from lib.core.model import Role
from lib.core.policy import (
    Actor,
    Decision,
    can_decide,
    can_request,
    steps,
)
from lib.core.request_checks import MAX_JUSTIFICATION
from lib.core.request_kinds import (
    EVERY_GROUP,
    UNDECIDED_STATES,
    AccessRequest,
    RequestKind,
    RequestLine,
    RequestState,
)
from lib.i18n import error_text, people_in
from lib.services.decision_links import LinkOutcome, LinkResult
from lib.services.requests import RequestService

from ..deps import Caller, CallerDep, GovDep, WriterDep, writer_allowed
from ..errors import status_for
from ..render import render
from .pages import render_group, render_person

CHANGE_KINDS = {"change_role", "remove_member"}  # the group page's change form, shown again on an error
# Where each form of the group page shows an error beside its field (templates/group.html); an
# error about another field is said at the top of the page.
FORM_FIELDS = {
    "add_member": {"lines", "email", "role", "until", "justification"},
    "change_role": {"lines", "role", "justification"},
    "remove_member": {"lines", "role", "justification"},
    "archive_group": {"justification"},
    "join": {"justification"},
    "renew": {"lines", "until", "justification"},
}

router = APIRouter()


async def get_requests(gov: GovDep) -> RequestService:
    return gov.requests


RequestsDep = Annotated[RequestService, Depends(get_requests)]


def _until(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidRequest("until", "The end date is not a valid date.", "request.bad_date") from None


def _role(value: str) -> Role | None:
    try:
        return Role(value) if value else None
    except ValueError:
        raise InvalidRequest("role", "Choose one of the roles offered.", "request.bad_role") from None


async def _detail(
    caller: Caller, svc: RequestService, rid: int, status: int = 200, **ctx: object
) -> HTMLResponse:
    req = svc.shown(caller.actor, rid)  # refused to whoever it does not concern
    a, now = caller.actor, svc.now()
    plan = plan_text = None
    people = {
        req.requester,
        *req.people,
        *(t.actor for t in req.history),
        *(o.member for o in req.objections),
    }
    names = await svc.names(people)
    if req.state in UNDECIDED_STATES and can_decide(a, req):
        try:
            plan, plan_text = await svc.preview_text(req, caller.lang)
            ctx.setdefault("kept", await svc.kept_outside(req))
        except GovernanceError as exc:
            ctx.setdefault("flash", error_text(caller.lang, exc))
            ctx.setdefault("flash_kind", "error")
    rights = steps(a, req, now)  # who may, and whether the request's state still allows it
    wg = svc.org().group(req.group)
    ctx.setdefault("group_names", {req.group: wg.name} if wg else {})
    return render(
        caller, "request.html", "decide" if a.is_operations else "mine", status=status, req=req, plan=plan,
        plan_text=plan_text, rights=rights, objection_open=req.objection_open(now), names=names, **ctx,
    )  # fmt: skip


async def _listed(svc: RequestService, requests: list[AccessRequest]) -> dict[str, Any]:
    """Names for a list of requests: people by display name, groups by name (not ids and slugs)."""
    uids = {u for r in requests for u in (r.requester, *(ln.user for ln in r.lines if ln.user))}
    groups = svc.org().group_names
    return {"names": await svc.names(uids), "group_names": groups}


@router.get("/ui/requests", response_class=HTMLResponse)
async def my_requests(caller: CallerDep, svc: RequestsDep) -> HTMLResponse:
    """The caller's requests, and the joins waiting for someone: the caller, as a facilitator of the
    group (their queue), or, for the operations team, the group's facilitators (issue 15)."""
    a = caller.actor
    mine = svc.mine(a)
    for_me, for_others = svc.joins(a)
    org = svc.org()
    awaited = {
        r.group: sorted(m.user for m in org.members_of(r.group) if m.role is Role.FACILITATOR)
        for r in for_others
    }
    listed = await _listed(svc, [*mine, *for_me, *for_others])
    listed["names"] |= await svc.names({u for users in awaited.values() for u in users})
    return render(
        caller, "requests.html", "mine", requests=mine, for_me=for_me, for_others=for_others, awaited=awaited,
        **listed,
    )  # fmt: skip


@router.get("/ui/requests/{rid}", response_class=HTMLResponse)
async def request_page(rid: int, caller: CallerDep, svc: RequestsDep) -> HTMLResponse:
    return await _detail(caller, svc, rid)


@router.get("/ui/decide", response_class=HTMLResponse)
async def to_decide(caller: CallerDep, svc: RequestsDep) -> HTMLResponse:
    pending = svc.to_decide(caller.actor)  # refused to whoever does not decide
    return render(caller, "decide.html", "decide", requests=pending, **await _listed(svc, pending))


@router.post("/ui/requests", response_class=HTMLResponse)
async def submit(
    caller: WriterDep,
    gov: GovDep,
    kind: Annotated[str, Form()],
    group: Annotated[str, Form()],
    justification: Annotated[str, Form()] = "",
    users: Annotated[str, Form()] = "",
    emails: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    new_group_name: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
) -> HTMLResponse:
    svc = gov.requests
    try:
        end, r = _until(until), _role(role)
        if r is None and kind == "add_member":
            r = Role.CONTRIBUTOR  # the group's members
        lines = [RequestLine(user=u.strip(), role=r, until=end) for u in users.split(",") if u.strip()]
        lines += [RequestLine(email=e.strip(), role=r, until=end) for e in emails.split(",") if e.strip()]
        if kind == "add_member":  # the invited wait apart from those with an account
            sent = await svc.submit_addition(
                caller.actor, group=group, justification=justification, lines=lines
            )
        else:
            sent = [await svc.submit(
                caller.actor, kind=kind, group=group, justification=justification, lines=lines,
                new_group_name=new_group_name, purpose=purpose,
            )]  # fmt: skip
    except InvalidRequest as exc:
        values = {
            "kind": kind,
            "users": users,
            "emails": emails,
            "role": role,
            "until": until,
            "justification": justification,
        }
        wg = svc.org().group(group)
        names = await svc.names({u.strip() for u in users.split(",") if u.strip()})
        message = error_text(caller.lang, exc, {**names, **({wg.slug: wg.name} if wg else {})})
        if wg is None:
            return render(caller, "message.html", "groups", status=422, message=message)
        field = exc.field.split("[")[0]
        placed = field in FORM_FIELDS.get(kind, set())
        if kind == "renew":  # the renewal form is shown only for a member of the group
            placed = placed and any(m.user == users.strip() for m in gov.members(group))
        return await render_group(
            caller,
            gov,
            group,
            status=422,
            change=users.strip() if kind in CHANGE_KINDS else "",
            renew=users.strip() if kind == "renew" else "",
            duplicate=exc.params.get("id", "") if exc.code.startswith("request.duplicate") else "",
            errors={field: message},
            values=values,
            form=kind,
            flash=caller._("The request was not sent: see the message next to the field.")
            if placed
            else message,
            flash_kind="error",
        )
    req = sent[0]
    assert req.id is not None
    flash = caller._("Request sent to the operations team.")
    if req.state is RequestState.AWAITING_FACILITATOR:  # a join: the group's facilitators accept first
        flash = caller._("Request sent to the facilitators of the group, then to the operations team.")
    if len(sent) > 1:
        flash = caller._(
            "Two requests sent to the operations team: #%(accounts)s for the people who have an account,"
            " #%(invited)s for the invited people, applied once each has an account.",
            accounts=req.id, invited=sent[1].id,
        )  # fmt: skip
    return await _detail(caller, svc, req.id, flash=flash)


@router.post("/ui/requests/{rid}/{action}", response_class=HTMLResponse)
async def act(
    rid: int,
    action: str,
    caller: WriterDep,
    svc: RequestsDep,
    checksum: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """approve (with the shown plan's checksum), reject or object (with a reason), cancel, accept, retry,
    withdraw (an invited ``email``)."""
    steps: dict[str, tuple[Callable[..., Awaitable[object]], tuple[object, ...]]] = {
        "approve": (svc.approve, (checksum, bool(confirmed))),
        "reject": (svc.reject, (reason,)),
        "object": (svc.object_to, (reason,)),
        "cancel": (svc.cancel, ()),
        "accept": (svc.accept_join, ()),
        "retry": (svc.retry, ()),
        "withdraw": (svc.withdraw_invitation, (email,)),
    }
    if action not in steps:
        return render(
            caller, "message.html", "mine", status=404, message=caller._("This request does not exist.")
        )
    step, args = steps[action]
    try:
        await step(caller.actor, rid, *args)
    except GovernanceError as exc:
        message = error_text(caller.lang, exc, await svc.names(people_in(exc)))
        if isinstance(exc, InvalidRequest) and exc.field == "reason" and action in ("reject", "object"):
            return await _detail(
                caller, svc, rid, status=status_for(exc), errors={action: message}, values={action: reason},
                flash=caller._("Nothing was done: see the message next to the field."), flash_kind="error",
            )  # fmt: skip
        return await _detail(caller, svc, rid, status=status_for(exc), flash=message, flash_kind="error")
    if caller.actor.operates:  # the badge counted this request before the decision
        caller = replace(caller, pending=len(await asyncio.to_thread(svc.to_decide, caller.actor)))
    if svc.get(rid).state is RequestState.AWAITING_ACCOUNT:  # approved, but nobody added yet
        waiting = caller._("Approved. It will be applied once the invited people have a Nextcloud account.")
        return await _detail(caller, svc, rid, flash=waiting)
    return await _detail(caller, svc, rid, flash=caller._("Done."))


@router.get("/actions/{decision}/{rid}", response_class=HTMLResponse)
async def from_notification(
    decision: str, rid: int, caller: CallerDep, svc: RequestsDep, t: str = ""
) -> HTMLResponse:
    """A click on Approve or Reject in a notification: a plain GET through AppAPI's proxy (NEXTCLOUD.md §3.3).

    The proxy follows redirects itself and shows the final body at the /proxy/... URL (§2.3), so
    the answer is a complete page: the outcome, or the reason form, and a link to the request.
    """
    outcome = await svc.decide_from_link(caller.actor, decision, rid, t)
    names = await svc.names(_named(outcome))
    return _action_page(caller, svc, rid, outcome, t, names)


@router.post("/actions/reject/{rid}", response_class=HTMLResponse)
async def reject_from_notification(
    rid: int,
    caller: CallerDep,
    svc: RequestsDep,
    t: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The reason form of a Reject link. No X-Governance-CSRF header: the link's token, posted in a
    hidden field, is this POST's CSRF protection (signed, single use, bound to this operator and
    this request; consumed only when the rejection is saved)."""
    outcome = await svc.reject_from_link(caller.actor, rid, t, reason)
    names = await svc.names(_named(outcome))
    return _action_page(caller, svc, rid, outcome, t, names)


def _named(outcome: LinkOutcome) -> set[str]:
    """The people a decision link's page names: the requester, and whoever decided first."""
    req = outcome.request
    return {req.requester, *([req.decided_by] if req.decided_by else [])} if req else set()


ACTION_PAGE_CSP = (
    "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LINK_STATUS = {
    LinkResult.APPROVED: 200,
    LinkResult.REJECTED: 200,
    LinkResult.REASON_NEEDED: 200,
    LinkResult.NOT_YOURS: 403,
    LinkResult.EXPIRED: 410,
    LinkResult.INVALID: 422,
}


def _action_page(
    caller: Caller, svc: RequestService, rid: int, outcome: LinkOutcome, token: str, names: dict[str, str]
) -> HTMLResponse:
    """The small complete page a decision link answers (templates/action.html)."""
    req, settings = outcome.request, svc.settings
    status = LINK_STATUS.get(outcome.result, 409)
    reason_error = ""
    if outcome.result is LinkResult.REASON_NEEDED and outcome.error is not None:
        status = 422
        reason_error = (
            caller._("Give a reason: the requester will read it.")
            if not outcome.reason.strip()
            else caller._("The reason is too long: at most %(n)s characters.", n=MAX_JUSTIFICATION)
        )
    group = svc.org().group(req.group) if req else None
    group_name = group.name if group else (req.new_group_name or req.group if req else "")
    response = render(
        caller, "action.html", "decide", status=status, outcome=outcome, result=outcome.result.value,
        req=req, rid=rid, token=token, group_name=group_name, reason_error=reason_error,
        requester_name=names.get(req.requester, "") if req else "",
        decider_name=names.get(req.decided_by, req.decided_by) if req else "",
        error=error_text(caller.lang, outcome.error) if outcome.error else "",
        request_url=f"{settings.page_url}/requests/{rid}", proxy_url=settings.proxy_url,
    )  # fmt: skip
    response.headers["Referrer-Policy"] = "no-referrer"  # the page's URL holds the link's token
    # No script, our stylesheet, our form only. Nextcloud sends its own CSP with proxied answers
    # (default-src 'none' in every recorded exchange); if that one wins, the page is unstyled but works.
    response.headers["Content-Security-Policy"] = ACTION_PAGE_CSP
    return response


def _may_offboard(actor: Actor) -> Decision:
    return can_request(actor, RequestKind.OFFBOARD, EVERY_GROUP)


OffboarderDep = Annotated[Caller, Depends(writer_allowed(_may_offboard))]


@router.post("/ui/person/{uid}/offboard", response_class=HTMLResponse)
async def offboard(
    uid: str, caller: OffboarderDep, gov: GovDep, justification: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """The person page's "Remove from every group": one request, decided by the operations team like
    any other (issue 15). Refused, the person page says why next to the form (and links to the
    offboarding already open); sent, the request's page follows."""
    svc = gov.requests
    try:
        req = await svc.submit(
            caller.actor, kind=RequestKind.OFFBOARD, group=EVERY_GROUP, justification=justification,
            lines=[RequestLine(user=uid)],
        )  # fmt: skip
    except InvalidRequest as exc:
        message = error_text(caller.lang, exc, await gov.display_names({uid}))
        beside = exc.field == "justification"  # the form's one field; anything else is said at the top
        see = caller._("The request was not sent: see the message next to the field.")
        return await render_person(
            caller, gov, uid, status=422, errors={"justification": message} if beside else {},
            values={"justification": justification}, flash=see if beside else message, flash_kind="error",
        )  # fmt: skip
    assert req.id is not None
    return await _detail(caller, svc, req.id, flash=caller._("Request sent to the operations team."))
