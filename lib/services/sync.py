"""Read actual → compile desired → plan → apply: the app makes Nextcloud match the organisation."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from lib.core.changes import Change
from lib.core.compile import compile_org
from lib.core.drift import Drift, drift
from lib.core.effect import request_plan, touched
from lib.core.errors import GovernanceError
from lib.core.model import Naming, Organisation, is_admin_group
from lib.core.plan import Plan, app_users, apply_to_state, plan, rule_owner
from lib.core.ports import Scope
from lib.core.safety import check
from lib.core.state import NextcloudState
from lib.core.still_wanted import still_wanted

from .apply import ApplyResult, Watch, apply_plan
from .context import Context
from .memo import Memo
from .plan_text import PlanText, plan_text
from .readings import Readings

Within = Callable[[int], object]  # a caller's writes in the transaction that saves (given the version)


def new_run_id() -> str:
    return f"run-{uuid.uuid4().hex[:16]}"


class StalePlan(GovernanceError):
    """The plan changed since it was shown: approve what is on screen, or look again."""

    code = "plan.stale"

    def __init__(self, shown: str, current: str) -> None:
        super().__init__("The changes to apply are no longer those you were shown. Review them again.")
        self.shown = shown
        self.current = current


def managed_by(org: Organisation, desired: NextcloudState) -> Callable[[str], bool]:
    """Groups the app owns: the desired ones and any that match the naming scheme, never ``admin``.

    The organisation's validation (lib/core/orgfile.py ``check_group_ids``) refuses a naming that
    gives ``admin``; an organisation saved before it still cannot make the app touch that group.
    """
    naming: Naming = org.naming
    pattern = (
        re.escape(naming.role_pattern).replace(r"\{slug\}", "[a-z0-9][a-z0-9-]*").replace(r"\{role\}", ".+")
    )
    rx = re.compile(f"^{pattern}$")
    fixed = set(desired.groups) | set(naming.org_groups.values())
    return lambda gid: not is_admin_group(gid) and (gid in fixed or bool(rx.match(gid)))


@dataclass(frozen=True)
class Snapshot:
    """Desired and actual state read at one moment, and the plan between them."""

    desired: NextcloudState
    actual: NextcloudState
    plan: Plan
    managed: Callable[[str], bool]
    read_at: datetime | None = None  # when ``actual`` was read; None: just now

    @cached_property
    def drifts(self) -> tuple[Drift, ...]:
        return tuple(drift(self.desired, self.actual, self.managed))


@dataclass(frozen=True)
class RequestView:
    """A request's plan (its effect only, lib/core/effect.py) and what Nextcloud holds for it."""

    plan: Plan
    actual: NextcloudState
    managed: Callable[[str], bool]
    after: Organisation  # the organisation with the request in it (it names a group being created)


def scope_of(org: Organisation, desired: NextcloudState) -> Scope:
    rule_paths = {m: set(f.rules) for m, f in desired.folders.items()}
    return Scope.of(desired.folders, rule_paths, [*desired.groups, *org.naming.org_groups.values()])


class SyncService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.readings = Readings(store=ctx.reading_store)  # one reading for every worker
        self._desired: Memo[NextcloudState] = Memo(4)  # the organisation, and a few with a request in it
        self._views: Memo[Snapshot] = Memo()
        self._scopes: Memo[Scope] = Memo()
        self._planned: dict[str, int] = {}  # run begun by ``save`` -> the version it was planned on

    def desired(self, org: Organisation) -> NextcloudState:
        """The compiled organisation, kept while the organisation and the day stay the same."""
        today, admin = self.ctx.today(), self.ctx.settings.governance_admin_user
        return self._desired.get((org,), (today,), lambda: compile_org(org, admin, today))

    def wanted(self) -> Callable[[Change], bool]:
        """The organisation's filter, as it is now, of changes journalled before (core/still_wanted.py).
        Called in a worker thread once a run is held (lib/services/apply.py)."""
        self.ctx.orgs.begin_request()  # as it is now, not as this request first read it
        desired = self.desired(self.ctx.org())
        return lambda change: still_wanted(change, desired)

    def version_now(self) -> int:
        """The organisation's version in the database now (not as this request first read it)."""
        self.ctx.orgs.begin_request()
        return self.ctx.orgs.version()

    def watch(self, since: int | None = None) -> Watch:
        """What a run checks at each step: an edit saved meanwhile skips the changes it undoes."""
        return Watch(self.version_now, self.wanted, since)

    async def snapshot(self, org: Organisation | None = None) -> Snapshot:
        """Read Nextcloud now; a reading for the stored organisation is kept for the pages."""
        stored = self.ctx.org()
        org = org or stored
        desired = self.desired(org)
        managed = managed_by(org, desired)
        rule_paths = {m: set(f.rules) for m, f in desired.folders.items()}
        read_at = self.readings.clock()
        actual = await self.ctx.gateway.read_state(managed, list(desired.folders), rule_paths=rule_paths)
        if org is stored:
            self.readings.keep(actual, self._scope(org, desired), read_at)
        return Snapshot(desired, actual, plan(desired, actual, managed), managed)

    def last_view(self) -> Snapshot | None:
        """The stored organisation against the last reading (any worker's: they share it in the
        database), if that reading covers it and no process changed Nextcloud since it was taken
        (the journal says when one last did)."""
        reading, org = self.readings.last, self.ctx.org()
        if reading is None:
            return None
        changed = self.ctx.journal.last_change_at()
        if changed is not None and changed >= reading.read_at:
            return None
        desired = self.desired(org)
        if not reading.scope.covers(self._scope(org, desired)):
            return None

        def view() -> Snapshot:
            managed = managed_by(org, desired)
            actual = reading.actual
            return Snapshot(desired, actual, plan(desired, actual, managed), managed, reading.read_at)

        return self._views.get((desired, reading), (), view)

    def _scope(self, org: Organisation, desired: NextcloudState) -> Scope:
        return self._scopes.get((desired,), (), lambda: scope_of(org, desired))

    async def view(self, refresh: bool = False) -> Snapshot | None:
        """The last view, else start a reading and wait for it a moment (small Nextclouds read fast)."""
        view = None if refresh else self.last_view()
        if view is None:
            self.readings.refresh_soon(self.snapshot, force=refresh)
            await self.readings.wait(self.ctx.settings.governance_read_wait)
            view = self.last_view()
        return view

    async def preview(self, org: Organisation | None = None) -> Plan:
        return (await self.snapshot(org)).plan

    async def drift(self) -> tuple[Drift, ...]:
        return (await self.snapshot()).drifts

    async def request_view(self, before: Organisation, after: Organisation) -> RequestView:
        """What changing ``before`` into ``after`` does in Nextcloud, read for those objects only."""
        was, will = self.desired(before), self.desired(after)
        scope = touched(was, will)
        managed = managed_by(after, will)
        rule_paths = {m: set(will.folders[m].rules) for m in scope.folders if m in will.folders}
        actual = await self.ctx.gateway.read_objects(
            managed,
            users=scope.users,
            groups=scope.groups,
            mount_points=scope.folders,
            rule_paths=rule_paths,
        )
        return RequestView(request_plan(was, will, actual, managed, scope), actual, managed, after)

    def save(
        self,
        actor: str,
        after: Organisation | None,
        version: int | None,
        changes: Sequence[Change] = (),
        *,
        within: Within = lambda _version: None,
        request_id: int | None = None,
    ) -> str:
        """The one way the organisation changes (editing, import, adoption, drift taken in, requests,
        expiry): one transaction holds the organisation (StaleOrganisation if someone saved since
        ``version``; ``after`` None: unchanged, a repair, and ``version`` unused), the journal of
        the Nextcloud changes it needs (none when it takes in what Nextcloud already holds) and the
        caller's writes (``within``, given the version saved: a request's new state, audit entries).

        Returns the journal run, which ``run`` applies. It writes the database: call it from a
        worker thread, not the event loop.
        """
        run_id = f"request-{request_id}-{new_run_id()}" if request_id is not None else new_run_id()
        with self.ctx.unit():
            if after is None:  # unchanged (a repair): ``version`` is not needed
                saved = self.ctx.orgs.version()
                within(saved)
            else:
                assert version is not None, "an organisation is saved over the version it was edited from"
                saved = version + 1
                within(saved)  # the save refuses any other version
                self.ctx.orgs.save(after, expected_version=version)
            self.ctx.journal.begin(run_id, changes, actor, request_id)
        if changes:  # ``run`` applies it (none: nothing to apply, nothing to keep)
            self._planned[run_id] = saved
        return run_id

    async def commit(
        self,
        actor: str,
        after: Organisation,
        version: int,
        view: RequestView,
        *,
        within: Within = lambda _version: None,
        request_id: int | None = None,
        confirmed: bool = False,
    ) -> str:
        """Save a request's (or an expiry's) change of the organisation with the journal of its own
        Nextcloud changes (``view``), after the safety check (lib/core/safety.py)."""
        check(view.plan.changes, view.actual, confirmed, view.managed)
        return await asyncio.to_thread(
            self.save, actor, after, version, view.plan.changes, within=within, request_id=request_id
        )

    async def apply(
        self,
        actor: str,
        *,
        org: Organisation | None = None,
        version: int | None = None,
        expected_checksum: str | None = None,
        confirmed: bool = False,
        within: Within = lambda _version: None,
    ) -> tuple[Plan, ApplyResult]:
        """Apply the whole organisation's plan (editing, import, repair), saving ``org`` first when
        ``version`` is given (the version it was edited from): refused when the plan is not the one
        the actor was shown, or unsafe and not confirmed (lib/core/safety.py)."""
        snap = await self.snapshot(org)
        current = snap.plan
        if expected_checksum is not None and current.checksum != expected_checksum:
            raise StalePlan(expected_checksum, current.checksum)
        check(current.changes, snap.actual, confirmed, snap.managed)

        def audited(saved: int) -> None:
            within(saved)
            detail = {"checksum": current.checksum}
            self.ctx.audit.append(actor, "plan.apply", f"{len(current)} change(s)", detail)

        after = org if version is not None else None
        run_id = await asyncio.to_thread(self.save, actor, after, version, current.changes, within=audited)
        result = await self.run(run_id, actor)
        self._after_apply(snap, org, result)
        return current, result

    def outside(self, gids: Collection[str]) -> list[str]:
        """The groups of ``gids`` the app does not manage: it never changes them, so a person in one
        keeps what it gives in Nextcloud whatever the organisation says (a page tells the operator)."""
        org = self.ctx.org()
        managed = managed_by(org, self.desired(org))
        return sorted(g for g in gids if not managed(g))

    async def words(self, snap: Snapshot, lang: str, limit: int | None = None) -> PlanText:
        """The repair ``snap`` would make, in words for a reader of ``lang`` (its first ``limit`` changes)."""
        return await plan_text(self.ctx, snap.plan, snap.actual, lang, limit, owned=snap.managed)

    async def path_known(self, desired: NextcloudState, folder: str, path: str) -> bool | None:
        """True for a path the organisation rules (or above one: applying creates it), else whether
        Nextcloud has it (None: the app's account does not see the folder, so nobody can say)."""
        ruled = desired.folders[folder].rules
        if any(p == path or p.startswith(path + "/") for p in ruled):
            return True
        return await self.ctx.gateway.path_exists(folder, path)

    async def run(
        self, run_id: str, actor: str, request_id: int | None = None, *, again: bool = False
    ) -> ApplyResult:
        """Apply what the journal holds for ``run_id`` (begun by the caller, checked before);
        ``again``: a run that stopped before (a retry), whose changes the organisation may no longer
        want: those are skipped."""
        ctx = self.ctx
        try:
            return await apply_plan(
                None,  # begun by the caller: the journal holds its changes
                ctx.gateway,
                ctx.journal,
                ctx.audit,
                actor=actor,
                run_id=run_id,
                request_id=request_id,
                unit=ctx.unit,
                watch=self.watch(self._planned.pop(run_id, None)),
                again=again,
            )
        except BaseException:  # Nextcloud left half-changed: the next page view reads it again
            self.readings.forget()
            raise

    def _after_apply(self, snap: Snapshot, org: Organisation | None, result: ApplyResult) -> None:
        """Keep what Nextcloud holds now: the reading plus the applied plan, or nothing if it stopped."""
        if not result.ok:
            self.readings.forget()
            return
        owner = rule_owner(snap.managed, app_users(snap.desired))
        after = apply_to_state(snap.actual, snap.plan.changes, is_foreign=lambda r: not owner(r))
        self.readings.keep(after, self._scope(org or self.ctx.org(), snap.desired))
