"""Invitations: a request approved for someone without an account waits until the account exists.

Accounts come from SSO (DOMAIN.md: never assume local accounts), so the app looks them up by e-mail
from its background task and applies the request once nobody is missing.
"""

from __future__ import annotations

import asyncio
import logging

from lib.core import requests as machine
from lib.core.request_kinds import SYSTEM_ACTOR, RequestState

from .requests import RequestService

log = logging.getLogger(__name__)


async def complete_invitations(svc: RequestService) -> list[int]:
    """Fill in new accounts; apply the requests that no longer wait. Returns the ids applied."""
    applied: list[int] = []
    for req in await asyncio.to_thread(svc.repo.in_states, {RequestState.AWAITING_ACCOUNT}):
        current = req
        for line in req.invitations:
            users = await svc.ctx.gateway.search_users(line.email, limit=5)
            found = [u for u in users if u.email.lower() == line.email.lower()]
            if len(found) == 1:
                ready = machine.account_ready(current, line.email, found[0].uid, svc.now())
                current = await asyncio.to_thread(svc.save, ready, current)
        if current.state is RequestState.APPROVED and current.id is not None:
            final = await svc.apply_approved(current, SYSTEM_ACTOR)
            if final.state is RequestState.APPLIED:
                applied.append(current.id)
    return applied
