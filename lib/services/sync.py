"""Read actual → compile desired → plan → apply: the app makes Nextcloud match the organisation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from lib.core.compile import compile_org
from lib.core.drift import Drift, drift
from lib.core.errors import GovernanceError
from lib.core.model import Naming, Organisation
from lib.core.plan import Plan, plan
from lib.core.state import NextcloudState

from .apply import ApplyResult, apply_plan
from .governance import Governance


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


class SyncService:
    def __init__(self, gov: Governance) -> None:
        self.gov = gov

    def desired(self, org: Organisation) -> NextcloudState:
        return compile_org(org, self.gov.settings.governance_admin_user, self.gov.today())

    async def snapshot(self, org: Organisation | None = None) -> Snapshot:
        org = org or self.gov.org()
        desired = self.desired(org)
        managed = managed_by(org, desired)
        rule_paths = {m: set(f.rules) for m, f in desired.folders.items()}
        actual = await self.gov.gateway.read_state(managed, list(desired.folders), rule_paths=rule_paths)
        return Snapshot(desired, actual, plan(desired, actual, managed), managed)

    async def preview(self, org: Organisation | None = None) -> Plan:
        return (await self.snapshot(org)).plan

    async def drift(self) -> tuple[Drift, ...]:
        snap = await self.snapshot()
        return tuple(drift(snap.desired, snap.actual, snap.managed))

    async def apply(
        self,
        actor: str,
        *,
        org: Organisation | None = None,
        expected_checksum: str | None = None,
        request_id: int | None = None,
    ) -> tuple[Plan, ApplyResult]:
        """Apply the current plan; refuse when it is not the one the actor approved."""
        current = await self.preview(org)
        if expected_checksum is not None and current.checksum != expected_checksum:
            raise StalePlan(expected_checksum, current.checksum)
        run_id = f"run-{uuid.uuid4().hex[:16]}"
        gov = self.gov
        gov.audit.append(actor, "plan.apply", f"{len(current)} change(s)", {"checksum": current.checksum})
        result = await apply_plan(
            current.changes,
            gov.gateway,
            gov.journal,
            gov.audit,
            actor=actor,
            run_id=run_id,
            request_id=request_id,
        )
        return current, result
