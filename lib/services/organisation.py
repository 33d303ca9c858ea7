"""Changing the organisation by hand: one use case for editing a working group, importing a file,
adopting what Nextcloud holds and taking drift into the organisation.

Each change is shown first (the plan in words), then saved only as it was shown: the organisation,
its audit entry and the journal of its Nextcloud changes in one transaction, applied after
(lib/services/sync.py ``apply``). Every change of the organisation, requests and expiry included,
is saved by the one ``SyncService.save``; the operator's role is checked here, not left to each route.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

import yaml

from lib.core import orgfile
from lib.core.adopt import Adoption, propose_org
from lib.core.drift import Drift, adopt_changes
from lib.core.errors import GovernanceError
from lib.core.model import Organisation
from lib.core.plan import Plan, plan
from lib.core.policy import Actor, can_edit_org, can_repair_drift, require

from .apply import ApplyResult
from .context import Context
from .plan_text import PlanText, plan_text
from .sync import SyncService, managed_by

MEMBER_DRIFT = ("extra_member", "missing_member")  # the differences the organisation can take in


def drift_key(d: Drift) -> str:
    """How a page names one difference in the form that adopts it."""
    return "|".join((d.kind, *d.subject))


class DriftGone(GovernanceError):
    code = "organisation.drift_gone"

    def __init__(self) -> None:
        super().__init__(
            "Nextcloud changed since the page was shown; nothing was adopted. Review the differences again."
        )


class NotDescribable(GovernanceError):
    code = "organisation.not_describable"

    def __init__(self) -> None:
        super().__init__("The organisation cannot describe this difference; repair it instead.")


class AdoptionChanged(GovernanceError):
    """Nextcloud changed between the proposal shown and the click that saves it."""

    code = "organisation.adoption_changed"

    def __init__(self) -> None:
        super().__init__("Nextcloud changed since the proposal was shown; review it again.")


@dataclass(frozen=True)
class Preview:
    """What saving ``org`` would change in Nextcloud, in words for the reader."""

    org: Organisation
    plan: Plan
    text: PlanText


@dataclass(frozen=True)
class Proposal:
    """Nextcloud as an organisation, with the checksum that binds the Save button to it."""

    adoption: Adoption
    checksum: str


class OrganisationService:
    def __init__(self, ctx: Context, sync: SyncService) -> None:
        self.ctx = ctx
        self.sync = sync

    def version(self) -> int:
        return self.ctx.orgs.version()

    def current(self, actor: Actor) -> Organisation:
        """The organisation as saved, for the page that edits it."""
        require(can_edit_org(actor))
        return self.ctx.org()

    def export(self, actor: Actor) -> str:
        """The organisation file, for the operations team."""
        return yaml.safe_dump(orgfile.org_to_data(self.current(actor)), allow_unicode=True, sort_keys=False)

    async def preview(self, actor: Actor, org: Organisation, lang: str) -> Preview:
        """The plan saving ``org`` would apply now, against a fresh reading of Nextcloud."""
        require(can_edit_org(actor))
        snap = await self.sync.snapshot(org)
        text = await plan_text(self.ctx, snap.plan, snap.actual, lang, org=org, owned=snap.managed)
        return Preview(org, snap.plan, text)

    async def change(
        self,
        actor: Actor,
        org: Organisation,
        *,
        version: int,
        checksum: str,
        confirmed: bool,
        subject: str,
        detail: dict[str, Any],
    ) -> ApplyResult:
        """Save ``org`` if nobody saved since ``version`` and its plan is still ``checksum`` (the one
        shown), then apply that plan. StaleOrganisation, StalePlan or UnsafePlan (not confirmed)
        leave everything as it was."""
        require(can_edit_org(actor))

        def audit(saved: int) -> None:
            entry = {**detail, "checksum": checksum, "version": saved}
            self.ctx.audit.append(actor.uid, "organisation.changed", subject, entry)

        _plan, result = await self.sync.apply(
            actor.uid, org=org, version=version, expected_checksum=checksum, confirmed=confirmed, within=audit
        )
        return result

    async def repair(
        self, actor: Actor, *, checksum: str | None, confirmed: bool
    ) -> tuple[Plan, ApplyResult]:
        """Make Nextcloud match the organisation again (the access matrix's repair), as shown."""
        require(can_repair_drift(actor))
        return await self.sync.apply(actor.uid, expected_checksum=checksum, confirmed=confirmed)

    async def adopt_drift(self, actor: Actor, key: str) -> Drift:
        """Take one hand-made membership change (``key``: :func:`drift_key`) into the organisation;
        Nextcloud is left as it is. DriftGone when it is no longer there, NotDescribable when the
        organisation cannot say it, StaleOrganisation when someone saved meanwhile."""
        require(can_edit_org(actor))
        version, org = self.version(), self.ctx.org()
        chosen = next((d for d in await self.sync.drift() if drift_key(d) == key), None)
        if chosen is None or chosen.kind not in MEMBER_DRIFT:
            raise DriftGone()
        adopted = adopt_changes(org, (chosen,))
        if adopted == org:
            raise NotDescribable()

        def audit(_saved: int) -> None:
            detail = {"kind": chosen.kind, "subject": list(chosen.subject)}
            self.ctx.audit.append(actor.uid, "drift.adopted", f"group:{chosen.subject[0]}", detail)

        # Nextcloud already holds it: no change to apply. The database, off the event loop.
        await asyncio.to_thread(self.sync.save, actor.uid, adopted, version, within=audit)
        return chosen

    async def proposal(self, actor: Actor) -> Proposal:
        """What Nextcloud holds, as an organisation (every group but 'admin', every folder), checked
        against the plan it would make on this same reading (lib/core/adopt.py), and its checksum."""
        require(can_edit_org(actor))
        gateway = self.ctx.gateway
        mounts = sorted(await gateway.mount_points())
        actual = await gateway.read_state(lambda gid: gid != "admin", mounts)
        current = self.ctx.org()

        def planned(org: Organisation) -> Plan:
            desired = self.sync.desired(org)
            return plan(desired, actual, managed_by(org, desired))

        adoption = propose_org(actual, current.naming, current.name or "Organisation", planned)
        text = yaml.safe_dump(orgfile.org_to_data(adoption.organisation), sort_keys=True, allow_unicode=True)
        return Proposal(adoption, hashlib.sha256(text.encode()).hexdigest())

    async def adopt(self, actor: Actor, *, checksum: str, version: int) -> Adoption:
        """Save the proposal shown, as it was shown (AdoptionChanged otherwise); Nextcloud itself is
        not changed. StaleOrganisation when someone saved the organisation meanwhile."""
        found = await self.proposal(actor)
        if found.checksum != checksum:
            raise AdoptionChanged()
        org, notes = found.adoption.organisation, found.adoption.notes

        def audit(saved: int) -> None:
            detail = {"checksum": checksum, "version": saved, "groups": len(org.working_groups),
                      "notes": len(notes)}  # fmt: skip
            self.ctx.audit.append(actor.uid, "organisation.adopted", "organisation", detail)

        # Nextcloud itself is not changed. The database, off the event loop.
        await asyncio.to_thread(self.sync.save, actor.uid, org, version, within=audit)
        return found.adoption
