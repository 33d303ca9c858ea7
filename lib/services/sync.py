"""Read actual → compile desired → plan → apply: the app makes Nextcloud match the organisation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from lib.core.compile import compile_org
from lib.core.drift import Drift, drift
from lib.core.errors import GovernanceError
from lib.core.model import Naming, Organisation
from lib.core.plan import Plan, app_users, apply_to_state, plan, rule_owner
from lib.core.state import NextcloudState

from .apply import ApplyResult, apply_plan
from .governance import Governance
from .memo import Memo
from .readings import Readings, Scope


class StalePlan(GovernanceError):
    """The plan changed since it was shown: approve what is on screen, or look again."""

    code = "plan.stale"

    def __init__(self, shown: str, current: str) -> None:
        super().__init__("The changes to apply are no longer those you were shown. Review them again.")
        self.shown = shown
        self.current = current


def managed_by(org: Organisation, desired: NextcloudState) -> Callable[[str], bool]:
    """Groups the app owns: the desired ones and any that match the naming scheme."""
    naming: Naming = org.naming
    pattern = (
        re.escape(naming.role_pattern).replace(r"\{slug\}", "[a-z0-9][a-z0-9-]*").replace(r"\{role\}", ".+")
    )
    rx = re.compile(f"^{pattern}$")
    fixed = set(desired.groups) | set(naming.org_groups.values())
    return lambda gid: gid in fixed or bool(rx.match(gid))


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


def scope_of(org: Organisation, desired: NextcloudState) -> Scope:
    rule_paths = {m: set(f.rules) for m, f in desired.folders.items()}
    return Scope.of(desired.folders, rule_paths, [*desired.groups, *org.naming.org_groups.values()])


class SyncService:
    def __init__(self, gov: Governance) -> None:
        self.gov = gov
        self.readings = Readings()
        self._desired: Memo[NextcloudState] = Memo()
        self._views: Memo[Snapshot] = Memo()
        self._scopes: Memo[Scope] = Memo()

    def desired(self, org: Organisation) -> NextcloudState:
        """The compiled organisation, kept while the organisation and the day stay the same."""
        today, admin = self.gov.today(), self.gov.settings.governance_admin_user
        return self._desired.get((org,), (today,), lambda: compile_org(org, admin, today))

    async def snapshot(self, org: Organisation | None = None) -> Snapshot:
        """Read Nextcloud now; a reading for the stored organisation is kept for the pages."""
        stored = self.gov.org()
        org = org or stored
        desired = self.desired(org)
        managed = managed_by(org, desired)
        rule_paths = {m: set(f.rules) for m, f in desired.folders.items()}
        read_at = self.readings.clock()
        actual = await self.gov.gateway.read_state(managed, list(desired.folders), rule_paths=rule_paths)
        if org is stored:
            self.readings.keep(actual, self._scope(org, desired), read_at)
        return Snapshot(desired, actual, plan(desired, actual, managed), managed)

    def last_view(self) -> Snapshot | None:
        """The stored organisation against the last reading, if that reading covers it and no
        process changed Nextcloud since it was taken (workers share the journal, not readings)."""
        reading, org = self.readings.last, self.gov.org()
        if reading is None:
            return None
        changed = self.gov.journal.last_change_at()
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
            await self.readings.wait(self.gov.settings.governance_read_wait)
            view = self.last_view()
        return view

    async def preview(self, org: Organisation | None = None) -> Plan:
        return (await self.snapshot(org)).plan

    async def drift(self) -> tuple[Drift, ...]:
        return (await self.snapshot()).drifts

    async def apply(
        self,
        actor: str,
        *,
        org: Organisation | None = None,
        expected_checksum: str | None = None,
        request_id: int | None = None,
    ) -> tuple[Plan, ApplyResult]:
        """Apply the current plan; refuse when it is not the one the actor approved."""
        snap = await self.snapshot(org)
        current = snap.plan
        if expected_checksum is not None and current.checksum != expected_checksum:
            raise StalePlan(expected_checksum, current.checksum)
        run_id = f"run-{uuid.uuid4().hex[:16]}"
        gov = self.gov
        gov.audit.append(actor, "plan.apply", f"{len(current)} change(s)", {"checksum": current.checksum})
        try:
            result = await apply_plan(
                current.changes,
                gov.gateway,
                gov.journal,
                gov.audit,
                actor=actor,
                run_id=run_id,
                request_id=request_id,
            )
        except BaseException:  # Nextcloud left half-changed: the next page view reads it again
            self.readings.forget()
            raise
        self._after_apply(snap, org, result)
        return current, result

    def _after_apply(self, snap: Snapshot, org: Organisation | None, result: ApplyResult) -> None:
        """Keep what Nextcloud holds now: the reading plus the applied plan, or nothing if it stopped."""
        if not result.ok:
            self.readings.forget()
            return
        owner = rule_owner(snap.managed, app_users(snap.desired))
        after = apply_to_state(snap.actual, snap.plan.changes, is_foreign=lambda r: not owner(r))
        self.readings.keep(after, self._scope(org or self.gov.org(), snap.desired))
