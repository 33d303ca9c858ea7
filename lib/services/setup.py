"""First run and the administrators' settings view (the IT lead, *DSI*, of DOMAIN.md).

A fresh install has no organisation, so nobody holds a role in it and nobody could set it up: the
one person Governance can recognise then is a Nextcloud administrator, a member of Nextcloud's
``admin`` group, as Nextcloud says (never the request). This service answers who is an
administrator (briefly cached per person: every page asks), where the set-up stands, builds the
small template organisation, and checks the installation, each finding with what to do.

Messages are English message ids with ``%(name)s`` parameters; the page translates them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from sqlalchemy.engine import make_url

from lib.core import orgfile
from lib.core.errors import InvalidOrganisation
from lib.core.model import Membership, Organisation, OrgGroup, WorkingGroup
from lib.core.policy import Actor, can_set_up, can_view_settings, require
from lib.core.slugs import is_slug, slugify

from .context import Context
from .sync import SyncService

log = logging.getLogger(__name__)

ADMIN_GROUP = "admin"  # Nextcloud's administrators (server lib/private/User/... ``isAdmin``: group "admin")
ADMIN_TTL = 60.0  # seconds an answer about one person is kept: demoting an admin shows within a minute
FAILED_TTL = 10.0  # an unanswered question is asked again soon, not on every page
ASK_TIMEOUT = 3.0  # a page never waits longer than this for Nextcloud to say who is an admin


def _(message: str) -> str:  # marks a message id for extraction; translated where it is shown
    return message


class Stage(StrEnum):
    EMPTY = "empty"  # nothing saved yet: adopt Nextcloud, import a file or start from the template
    NO_OPERATIONS = "no_operations"  # an organisation nobody can approve in: name the operations team
    READY = "ready"


def stage_of(org: Organisation) -> Stage:
    if not (org.name or org.working_groups or org.memberships):
        return Stage.EMPTY
    return Stage.READY if org.members_of(OrgGroup.OPERATIONS) else Stage.NO_OPERATIONS


class SetupError(Exception):
    """A form value set-up cannot take: ``field`` names the input; ``message`` is a message id."""

    def __init__(self, field: str, message: str, **params: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


@dataclass(frozen=True)
class TemplateForm:
    """The small template: the organisation's name, its first working group and its folder."""

    name: str
    group_name: str
    folder: str = ""  # the Team folder's name; the group's name when empty

    def cleaned(self) -> TemplateForm:
        return TemplateForm(self.name.strip(), self.group_name.strip(), self.folder.strip())


def template_org(
    form: TemplateForm, operations: Iterable[str], found: dict[str, set[str]] | None = None
) -> Organisation:
    """The organisation the template describes, checked as a hand-written file would be.

    ``found``: who Nextcloud already has in the organisation-wide groups (board, members, all) by
    their reference: they stay, so that starting from the template takes nobody out of them."""
    form = form.cleaned()
    if not form.name:
        raise SetupError("name", _("Give the organisation a name."))
    if not form.group_name:
        raise SetupError("group_name", _("Give the first working group a name."))
    slug = slugify(form.group_name)
    if not is_slug(slug):
        raise SetupError("group_name", _("Use a name with at least one letter or digit."))
    folder = "" if form.folder in ("", form.group_name) else form.folder
    group = WorkingGroup(slug, form.group_name, mount_point=folder)
    team = tuple(Membership(OrgGroup.OPERATIONS.value, uid) for uid in dict.fromkeys(operations))
    kept = tuple(
        Membership(ref, uid)
        for ref, uids in sorted((found or {}).items())
        if ref != OrgGroup.OPERATIONS
        for uid in sorted(uids)
    )
    return checked(Organisation(name=form.name, working_groups=(group,), memberships=team + kept), "folder")


def with_operations(org: Organisation, operations: Iterable[str]) -> Organisation:
    """``org`` with exactly these people in the operations team (other memberships kept)."""
    others = tuple(m for m in org.memberships if m.group != OrgGroup.OPERATIONS)
    team = tuple(Membership(OrgGroup.OPERATIONS.value, uid) for uid in dict.fromkeys(operations))
    return checked(replace(org, memberships=others + team), "users")


def checked(org: Organisation, field: str) -> Organisation:
    try:
        return orgfile.org_from_data(orgfile.org_to_data(org))
    except InvalidOrganisation as exc:
        raise SetupError(field, exc.message) from exc


def split_people(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]


@dataclass(frozen=True)
class Check:
    """One finding about the installation: fine or not, and a sentence saying what to do."""

    name: str
    ok: bool
    message: str  # message id
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class _Kept:
    value: bool
    until: float


class SetupService:
    def __init__(self, ctx: Context, sync: SyncService, clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.sync = sync
        self._clock = clock
        self._admins: dict[str, _Kept] = {}
        self._admin_names: tuple[float, list[str]] | None = None

    # ---- who is an administrator -----------------------------------------------------------------

    async def is_admin(self, uid: str) -> bool:
        """Whether Nextcloud puts ``uid`` in its ``admin`` group; kept a minute per person.

        A question Nextcloud does not answer in time counts as "no" (the page still opens, without
        the administrator's entries) and is asked again a few seconds later.
        """
        now = self._clock()
        kept = self._admins.get(uid)
        if kept is not None and kept.until > now:
            return kept.value
        try:
            answer = await asyncio.wait_for(self.ctx.gateway.is_admin(uid), ASK_TIMEOUT)
            ttl = ADMIN_TTL
        except Exception as exc:  # noqa: BLE001 - any failure: not known to be an admin, for now
            log.warning("could not ask Nextcloud whether %s is an administrator: %s", uid, exc)
            answer, ttl = False, FAILED_TTL
        if len(self._admins) > 10_000:  # forget the expired ones now and then
            self._admins = {u: k for u, k in self._admins.items() if k.until > now}
        self._admins[uid] = _Kept(answer, now + ttl)
        return answer

    async def administrators(self) -> list[str]:
        """Display names of Nextcloud's administrators (who to ask), kept a minute."""
        now = self._clock()
        if self._admin_names is not None and self._admin_names[0] > now:
            return self._admin_names[1]
        try:
            uids = await asyncio.wait_for(self.ctx.gateway.group_members(ADMIN_GROUP), ASK_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - the page then says "an administrator"
            log.warning("could not read Nextcloud's administrators: %s", exc)
            return []
        names = await self.ctx.display_names(set(uids))
        found = sorted(names.values(), key=str.casefold)
        self._admin_names = (now + ADMIN_TTL, found)
        return found

    def stage(self) -> Stage:
        return stage_of(self.ctx.org())

    def organisation(self, actor: Actor) -> Organisation:
        """The organisation being set up (its operations team is named on the set-up page)."""
        require(can_set_up(actor))
        return self.ctx.org()

    def database(self, actor: Actor) -> tuple[str, str]:
        """The database kind and where it is, never its password (DATABASE_URL may hold one)."""
        require(can_view_settings(actor))
        url = make_url(self.ctx.settings.db_url)
        if url.get_backend_name() == "postgresql":
            host = f"{url.host}:{url.port}" if url.port else (url.host or "")
            return "PostgreSQL", f"{host}/{url.database}" if host else str(url.database or "")
        return "SQLite", str(url.database or "")

    # ---- people and folders ----------------------------------------------------------------------

    async def accounts(self, actor: Actor, text: str) -> list[str]:
        """Account ids for the people typed (ids, or a display name or e-mail that names one account).

        Raises SetupError for nobody typed or a person Nextcloud does not know.
        """
        require(can_set_up(actor))
        typed = split_people(text)
        if not typed:
            raise SetupError(
                "users",
                _("Name at least one person: without the operations team nobody can approve anything."),
            )
        found: list[str] = []
        for term in typed:
            uid = await self._account(term)
            if uid is None:
                raise SetupError("users", _("No Nextcloud account matches “%(person)s”."), person=term)
            found.append(uid)
        return list(dict.fromkeys(found))

    async def _account(self, term: str) -> str | None:
        gateway = self.ctx.gateway
        user = await gateway.get_user(term)
        if user is not None:
            return user.uid
        wanted = term.casefold()
        matches = [
            u for u in await gateway.search_users(term, limit=10)
            if wanted in (u.uid.casefold(), u.display_name.casefold(), u.email.casefold())
        ]  # fmt: skip
        return matches[0].uid if len(matches) == 1 else None

    async def template(self, actor: Actor, form: TemplateForm, users: str) -> Organisation:
        """The template's organisation, keeping who Nextcloud has in the board, members and all groups."""
        people = await self.accounts(actor, users)
        naming = Organisation(name="").naming
        refs = (OrgGroup.BOARD.value, OrgGroup.MEMBERS.value, OrgGroup.ALL.value)
        found = {ref: await self.ctx.gateway.group_members(naming.gid(ref)) for ref in refs}
        org = template_org(form, people, found)
        await self.check_new_folder(org)
        return org

    async def check_new_folder(self, org: Organisation) -> None:
        """The template's folder must be new: an existing one is adopted, not taken over."""
        gateway = self.ctx.gateway
        if not await gateway.has_team_folders():
            raise SetupError("folder", TEAM_FOLDERS_MISSING)
        existing = set(await gateway.mount_points())
        for wg in org.working_groups:
            if wg.folder in existing:
                message = _(
                    "Nextcloud already has a Team folder “%(folder)s”. Adopt the existing Nextcloud"
                    " instead, or choose another folder name."
                )
                raise SetupError("folder", message, folder=wg.folder)

    # ---- checks of the installation --------------------------------------------------------------

    async def checks(self, actor: Actor) -> list[Check]:
        """The app's account, the Team folders and Notifications apps, and folders whose rules
        Nextcloud does not enforce; each with what to do."""
        require(can_view_settings(actor))
        found = [await self._account_check(), await self._notifications_check()]
        team_folders = await self._team_folders_check()
        found.append(team_folders)
        if team_folders.ok:
            found += await self._acl_checks()
        return found

    async def _account_check(self) -> Check:
        uid = self.ctx.settings.governance_admin_user
        gateway = self.ctx.gateway
        try:
            user = await gateway.get_user(uid)
            is_admin = user is not None and await gateway.is_admin(uid)
        except Exception as exc:  # noqa: BLE001 - a failure is a finding
            if getattr(exc, "http_status", None) == 401:  # AppAPI refuses to act as an unknown user
                user, is_admin = None, False
            else:
                return _unknown("account", exc)
        if user is None:
            return Check("account", False, ACCOUNT_MISSING, {"uid": uid})
        if not is_admin:
            return Check("account", False, ACCOUNT_NOT_ADMIN, {"uid": uid})
        return Check(
            "account", True, _("The account “%(uid)s” exists and is an administrator."), {"uid": uid}
        )

    async def _notifications_check(self) -> Check:
        try:
            capabilities = await self.ctx.gateway.capabilities()
        except Exception as exc:  # noqa: BLE001
            return _unknown("notifications", exc)
        if "notifications" not in capabilities:
            return Check("notifications", False, NOTIFICATIONS_MISSING)
        return Check("notifications", True, _("The Notifications app is enabled."))

    async def _team_folders_check(self) -> Check:
        try:
            present = await self.ctx.gateway.has_team_folders()
        except Exception as exc:  # noqa: BLE001
            return _unknown("team_folders", exc)
        if not present:
            return Check("team_folders", False, TEAM_FOLDERS_MISSING)
        return Check("team_folders", True, _("The Team folders app is enabled."))

    async def _acl_checks(self) -> list[Check]:
        """Folders with advanced permissions off although rules are set on them (by the organisation,
        or found in Nextcloud, which keeps rules while ACLs are off): those rules are not enforced."""
        try:
            view = await self.sync.view()
        except Exception as exc:  # noqa: BLE001
            return [_unknown("acl", exc)]
        if view is None:
            return [Check("acl", False, _("Nextcloud is still being read; reload this page in a moment."))]
        off = sorted(
            mount
            for mount, folder in view.actual.folders.items()
            if not folder.acl
            and (folder.rules or (mount in view.desired.folders and view.desired.folders[mount].acl))
        )
        found = [Check(f"acl:{mount}", False, ACL_OFF, {"folder": mount}) for mount in off]
        return found or [Check("acl", True, _("Advanced permissions are on wherever rules are set."))]


def _unknown(name: str, exc: Exception) -> Check:
    return Check(name, False, _("Governance could not ask Nextcloud: %(error)s"), {"error": str(exc)})


ACCOUNT_MISSING = _(
    "The account “%(uid)s” that Governance acts as (GOVERNANCE_ADMIN_USER) does not exist in Nextcloud."
    " Create it as an administrator, or set GOVERNANCE_ADMIN_USER to an administrator's account and"
    " restart Governance."
)
ACCOUNT_NOT_ADMIN = _(
    "The account “%(uid)s” that Governance acts as (GOVERNANCE_ADMIN_USER) is not an administrator, so"
    " Governance cannot create groups or Team folders. Add it to the “admin” group in Nextcloud's"
    " Accounts settings."
)
NOTIFICATIONS_MISSING = _(
    "The Notifications app is not enabled: the operations team is not told about requests to decide."
    " Enable “Notifications” in Nextcloud's Apps."
)
TEAM_FOLDERS_MISSING = _(
    "The Team folders app (groupfolders) is not enabled: Governance keeps each working group's files in"
    " a Team folder. Install and enable “Team folders” in Nextcloud's Apps, then reload this page."
)
ACL_OFF = _(
    "Advanced permissions are off on the Team folder “%(folder)s”, which has rules on its sub-folders:"
    " Nextcloud does not enforce them, so people may open or change what they hide. Turn on “Advanced"
    " permissions” for this folder in Administration settings → Team folders."
)
