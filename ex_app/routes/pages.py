"""The server-rendered pages (fragments mounted into Nextcloud's #content by js/governance-main.js)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from lib.core.model import ROLE_RIGHT, Right, Role, WorkingGroup
from lib.core.paging import page_number, paginate, search
from lib.core.policy import can_request, can_view_person
from lib.core.request_kinds import EVERY_GROUP, RequestKind
from lib.core.wording import ORG_GROUP_WORDS
from lib.services.governance import Governance, GroupSummary

from ..deps import Caller, CallerDep, GovDep
from ..render import env, render
from . import setup
from .answers import pushed, right_text

router = APIRouter(prefix="/ui")

GROUPS_PAGE = 25
MEMBERS_PAGE = 50


def _(message: str) -> str:  # marks a string for extraction; translated at render time
    return message


ROLE_LABELS = {
    Role.FACILITATOR: _("facilitator"),
    Role.CONTRIBUTOR: _("contributor"),
    Role.READER: _("reader"),
    Role.STEERING: _("steering committee"),
}


@router.get("/groups", response_class=HTMLResponse)
async def groups(caller: CallerDep, gov: GovDep, q: str = "", page: str = "") -> HTMLResponse:
    """One page of the working groups, found by name, identifier, purpose or facilitator."""
    if (first_run := await setup.first_run(caller, gov)) is not None:  # nothing set up yet
        return first_run
    summaries, query = gov.working_groups(), q.strip()
    if query:  # facilitators' names are fetched once per process, then cached by the service
        names = await gov.display_names({u for s in summaries for u in s.facilitators})
        summaries = search(summaries, query, lambda s: _group_texts(s, names))
    shown = paginate(summaries, page_number(page), GROUPS_PAGE)
    names = await gov.display_names({u for s in shown.items for u in s.facilitators})
    can_create = bool(can_request(caller.actor, RequestKind.CREATE_GROUP, ""))
    response = render(
        caller, "groups.html", "groups", shown=shown, names=names, can_create=can_create, q=query,
        params={"q": query} if query else {},
    )  # fmt: skip
    return pushed(
        response, caller, "/groups", {"q": query, "page": str(shown.number) if shown.number > 1 else ""}
    )


def _group_texts(summary: GroupSummary, names: dict[str, str]) -> list[str]:
    wg = summary.group
    people = summary.facilitators
    return [wg.name, wg.slug, wg.purpose, *people, *(names.get(u, u) for u in people)]


def folder_rights(
    caller: Caller, wg: WorkingGroup, group_name: Callable[[str], str] = lambda slug: slug
) -> list[tuple[str, str, str]]:
    """Who may do what in the group's folder: roles, organisation-wide groups, extra grants."""
    roles = {r: caller._(ROLE_LABELS[r]) for r in Role}
    rows = [(roles[r], "", ROLE_RIGHT[r].name) for r in Role]
    whole = {g.group for g in wg.grants if not g.path.strip("/")}  # a whole-folder grant replaces the default
    defaults = (("board", Right.CONSULT), ("operations", Right.MODIFY))
    rows += [(caller._(ref), "", right.name) for ref, right in defaults if ref not in whole]
    for g in wg.grants:
        if "/" in g.group:
            slug, role = g.group.split("/", 1)
            name = group_name(slug)  # the working group's name, not its slug
            who = f"{name} · {roles[Role(role)]}" if role in Role._value2member_map_ else g.group
        else:
            who = caller._(g.group)
        rows.append((who, g.path, g.right.name))
    return rows


async def render_group(
    caller: Caller, gov: Governance, slug: str, status: int = 200, page: str = "", change: str = "",
    renew: str = "", **ctx: object,
) -> HTMLResponse:  # fmt: skip
    """The group page: ``page`` of its members, and the change form for member ``change`` or the
    renewal form for member ``renew`` (the expiry notification's link) if asked."""
    org = gov.org()
    wg = org.group(slug)
    if wg is None or wg.archived:
        raise HTTPException(404, caller._("This working group does not exist."))
    members = gov.members(slug)
    shown = paginate(members, page_number(page), MEMBERS_PAGE)
    changing = next((m for m in members if m.user == change), None) if change else None
    renewing = next((m for m in members if m.user == renew), None) if renew else None
    asked = [m for m in (changing, renewing) if m is not None]
    a = caller.actor
    may_request = bool(can_request(a, RequestKind.ADD_MEMBER, slug))
    waiting = gov.requests.waiting_for(slug) if may_request else {}
    newcomers = sorted(who for who in waiting if who not in {m.user for m in members})
    names = await gov.display_names({m.user for m in (*shown.items, *asked)} | set(newcomers))
    ctx.setdefault("values", {})
    open_to_objection = gov.requests.open_to_objection(a, slug)  # members may object
    return render(
        caller, "group.html", "groups", status=status, wg=wg, shown=shown, names=names, changing=changing,
        params={"page": str(shown.number)} if shown.number > 1 else {},
        can_request=may_request, waiting=waiting, newcomers=newcomers,
        can_join=bool(can_request(a, RequestKind.JOIN, slug)),
        roles=[r.value for r in Role],
        folder_rights=folder_rights(caller, wg, lambda s: (other.name if (other := org.group(s)) else s)),
        objectable=open_to_objection, renewing=renewing, **ctx,
        viewable={m.user for m in shown.items if can_view_person(a, m.user)},  # names link to their page
        queries={m.user: _queries(shown.number, m.user) for m in shown.items},
    )  # fmt: skip


def _queries(page: int, uid: str) -> tuple[str, str, str]:
    """A member row's links: their person page, and this page with their change or renewal form."""
    kept = {"page": str(page)} if page > 1 else {}
    return quote(uid, safe=""), urlencode({**kept, "change": uid}), urlencode({**kept, "renew": uid})


@router.get("/groups/{slug}", response_class=HTMLResponse)
async def group(
    slug: str, caller: CallerDep, gov: GovDep, renew: str = "", page: str = "", change: str = ""
) -> HTMLResponse:
    return await render_group(caller, gov, slug, renew=renew, page=page, change=change)


_OPTIONS = env.from_string(
    '{% for u in people %}<option value="{{ u.uid }}">{{ u.display_name }}{% if u.email %} — {{ u.email }}'
    "{% endif %}</option>{% endfor %}"
)


@router.get("/people", response_class=HTMLResponse)
async def people(
    caller: CallerDep, gov: GovDep, users: str = "", user: str = "", q: str = ""
) -> HTMLResponse:
    """Person search as you type, for those who may ask to add someone (lib/core/policy.py).

    Nextcloud's user list is read as the app's admin account, so it would show every account to
    anyone: facilitators and operations search every account, the board (the access explanation)
    only the organisation's people; only operations see e-mail addresses.
    ``users`` is the add form's comma-separated field (the last name is searched), ``user`` the
    explain box's field: htmx sends the input's own name.
    """
    found = await gov.directory.search(caller.actor, q or user or users.split(",")[-1])
    return HTMLResponse(_OPTIONS.render(people=found), headers={"Cache-Control": "no-store"})


def _first_up(text: str) -> str:
    """``the board`` -> ``The board``: a table cell begins a sentence of its own."""
    return text[:1].upper() + text[1:]


@router.get("/person/{uid}", response_class=HTMLResponse)
async def person(uid: str, caller: CallerDep, gov: GovDep) -> HTMLResponse:
    return await render_person(caller, gov, uid)


async def render_person(
    caller: Caller, gov: Governance, uid: str, status: int = 200, **ctx: object
) -> HTMLResponse:
    """Everything a person can reach and why: their groups with end dates, then each folder and
    sub-folder with their right there (the desired state, as on the explanation page); for the
    operations team, the form asking to take them out of every group, or the request already open."""
    account = await gov.directory.account(caller.actor, uid)  # refused to whoever may not see it
    org = gov.org()
    memberships = org.memberships_of(uid)
    if account is None and not memberships:
        raise HTTPException(404, caller._("Nobody has the account “%(user)s”.", user=uid))
    groups = org.group_names
    reached, outside = gov.access.reach(caller.actor, uid, account.groups if account else ())
    may_offboard = bool(memberships) and bool(can_request(caller.actor, RequestKind.OFFBOARD, EVERY_GROUP))
    leaving = gov.requests.leaving(uid)  # one at a time: its link instead of the form
    return render(
        caller, "person.html", "matrix" if caller.actor.reads_all else "groups", status=status, uid=uid,
        name=account.display_name if account else uid, memberships=memberships, group_names=groups,
        reached=reached, role_labels={r.value: caller._(label) for r, label in ROLE_LABELS.items()},
        org_groups={ref: _first_up(caller._(words)) for ref, words in ORG_GROUP_WORDS.items()},
        outside=outside,
        right_text=lambda bits: right_text(caller, bits), may_offboard=may_offboard,
        leaving=leaving, **ctx,
    )  # fmt: skip
