"""Request-scoped dependencies: who is calling, in which language, and the CSRF guard.

Nextcloud does not check CSRF on proxy routes (NEXTCLOUD.md §2.3), so every state-changing route
requires ``X-Governance-CSRF``: an HMAC of the caller's id that only our own page knows.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from babel.dates import format_date, format_datetime
from fastapi import Depends, HTTPException, Request

from lib.core.policy import Actor
from lib.i18n import gettext, ngettext, pick_language
from lib.services.governance import Governance

_PAGE = re.compile(r"^(/[A-Za-z0-9._~-]+)*/apps/app_api/embedded/[a-z0-9_-]+/[a-z0-9_-]+$")
_PROXY = re.compile(r"^(/[A-Za-z0-9._~-]+)*/apps/app_api/proxy/[a-z0-9_-]+$")


async def get_gov(request: Request) -> Governance:
    gov: Governance = request.app.state.gov
    return gov


def csrf_token(secret: str, uid: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{uid}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Caller:
    """The Nextcloud user behind this request, their role in the organisation and their language."""

    uid: str
    actor: Actor
    lang: str
    page_base: str  # path of the top-menu page, e.g. /index.php/apps/app_api/embedded/governance/main
    proxy_base: str  # path of the proxy prefix, e.g. /index.php/apps/app_api/proxy/governance
    csrf: str
    pending: int = 0  # requests waiting for operations (the navigation badge)

    def _(self, message: str, **params: object) -> str:
        return gettext(self.lang, message, **params)

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        """Plurals as the reader's language makes them; ``n`` is also a parameter of the text."""
        return ngettext(self.lang, singular, plural, n, **{"n": n, **params})

    def date(self, value: date | datetime | None) -> str:
        """A day as the reader writes it ("5 décembre 2026", "December 5, 2026")."""
        return format_date(value, format="long", locale=self.lang) if value else ""

    def moment(self, value: datetime | None) -> str:
        """A day and time as the reader writes them."""
        return format_datetime(value, format="medium", locale=self.lang) if value else ""


async def get_caller(request: Request, gov: Annotated[Governance, Depends(get_gov)]) -> Caller:
    """Async: a dependency in FastAPI's thread pool costs a thread hop on every request."""
    uid = request.scope.get("username") or ""
    lang = pick_language(request.headers.get("x-governance-lang"), request.headers.get("accept-language"))
    if not uid:  # AppAPI authenticated the app but no Nextcloud user is logged in
        raise HTTPException(401, gettext(lang, "You must be logged in to Nextcloud."))
    page = request.headers.get("x-governance-page", "")
    proxy = request.headers.get("x-governance-proxy", "")
    s = gov.settings
    actor, pending = gov.caller(uid, is_admin=await gov.setup.is_admin(uid))
    return Caller(
        uid=uid,
        actor=actor,
        pending=pending,
        lang=lang,
        page_base=page
        if _PAGE.match(page)
        else f"/index.php/apps/app_api/embedded/{s.app_id}/{s.governance_menu_name}",
        proxy_base=proxy if _PROXY.match(proxy) else f"/index.php/apps/app_api/proxy/{s.app_id}",
        csrf=csrf_token(s.app_secret, uid),
    )


CallerDep = Annotated[Caller, Depends(get_caller)]
GovDep = Annotated[Governance, Depends(get_gov)]


async def require_csrf(request: Request, caller: CallerDep) -> Caller:
    """State-changing routes only: refuse a request that did not come from our own page."""
    sent = request.headers.get("x-governance-csrf", "")
    if not hmac.compare_digest(sent, caller.csrf):
        raise HTTPException(403, caller._("This action must be made from the Governance page."))
    return caller


WriterDep = Annotated[Caller, Depends(require_csrf)]
