"""Time-bound access: removed when it ends, facilitators warned 7 days before with a renewal link."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date

from lib.core.errors import UnsafePlan
from lib.core.expiry import expired_memberships, expiring_soon, org_without
from lib.core.faults import StaleOrganisation
from lib.core.model import Membership, Role
from lib.core.request_kinds import SYSTEM_ACTOR
from lib.i18n import gettext

from .notices import Teller
from .requests import RequestService

log = logging.getLogger(__name__)
WARNING_DAYS = 7


@dataclass
class ExpiryRun:
    removed: list[Membership] = field(default_factory=list)
    warned: list[Membership] = field(default_factory=list)
    error: str = ""


async def run_expiry(requests: RequestService, today: date) -> ExpiryRun:
    """Remove ended memberships from the organisation and Nextcloud; warn about those ending soon."""
    ctx, sync = requests.ctx, requests.sync
    result = ExpiryRun()
    version = ctx.orgs.version()
    org = ctx.org()
    ended = expired_memberships(org, today)
    if ended:
        after = org_without(org, ended)
        view = await sync.request_view(org, after)  # these people's memberships, nothing else

        def audit(_version: int) -> None:
            for m in ended:
                detail = {"group": m.group, "user": m.user, "until": m.until.isoformat() if m.until else None}
                ctx.audit.append(SYSTEM_ACTOR, "membership.expired", f"{m.group}:{m.user}", detail)

        try:
            run_id = await sync.commit(SYSTEM_ACTOR, after, version, view, within=audit)
        except StaleOrganisation:
            return result  # someone saved meanwhile: the next run sees the new organisation
        except UnsafePlan as exc:
            # Many at once: the organisation records the ends, Nextcloud waits for an operator, who
            # sees the people as drift on the access matrix and confirms the repair there.
            try:  # the organisation without them, no change for Nextcloud; off the event loop
                await asyncio.to_thread(sync.save, SYSTEM_ACTOR, after, version, within=audit)
            except StaleOrganisation:
                return result
            result.removed, result.error = ended, str(exc)
            log.warning("removing %s ended memberships waits for an operator: %s", len(ended), exc)
            return result
        result.removed = ended
        applied = await sync.run(run_id, SYSTEM_ACTOR)
        result.error = applied.error or ""
    for m in expiring_soon(ctx.org(), today, WARNING_DAYS):
        if await _warn(requests, m):
            result.warned.append(m)
    return result


async def _warn(requests: RequestService, m: Membership) -> bool:
    """Tell the group's facilitators once, with a one-click renewal request form."""
    ctx = requests.ctx
    key = f"{m.group}:{m.user}:{m.until}"[:64]
    repo = requests.repo
    if repo.was_notified(0, key, "expiry"):
        return False
    link = f"{ctx.settings.page_url}/groups/{m.group}?renew={m.user}"
    facilitators = {f.user for f in ctx.org().members_of(m.group) if f.role is Role.FACILITATOR} - {m.user}
    names = await ctx.display_names({m.user, *facilitators})
    wg = ctx.org().group(m.group)
    for uid in sorted(facilitators):
        lang = await requests.language_of(uid)
        assert m.until is not None  # expiring_soon lists dated memberships only
        subject = Teller(lang, names).access_ends(names[m.user], wg.name if wg else m.group, m.until)
        params = {
            "renew": {
                "type": "highlight",
                "id": key,
                "name": gettext(lang, "Request a renewal"),
                "link": link,
            }
        }
        try:
            await ctx.gateway.notify(uid, subject + " {renew}", params, "", link)
        except Exception as exc:
            log.warning("could not warn %s about %s: %s", uid, key, exc)
    await asyncio.to_thread(repo.record_notification, 0, key, "", "expiry")
    return True
