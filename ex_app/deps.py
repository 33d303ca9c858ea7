"""Request-scoped dependencies: who is calling, in which language, and the CSRF guard.

Nextcloud does not check CSRF on proxy routes (NEXTCLOUD.md §2.3), so every state-changing route
requires ``X-Governance-CSRF``: a token only our own page knows (:func:`csrf_token`), bound to the
Nextcloud session it was shown in and valid for one to two 12-hour windows (issue 13.8).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from babel.dates import format_date, format_datetime
from fastapi import Depends, HTTPException, Request

from lib.core.policy import Actor, Decision, can_edit_org, can_repair_drift, can_set_up
from lib.i18n import gettext, ngettext, pick_language
from lib.services.governance import Governance

_PAGE = re.compile(r"^(/[A-Za-z0-9._~-]+)*/apps/app_api/embedded/[a-z0-9_-]+/[a-z0-9_-]+$")
_PROXY = re.compile(r"^(/[A-Za-z0-9._~-]+)*/apps/app_api/proxy/[a-z0-9_-]+$")


async def get_gov(request: Request) -> Governance:
    gov: Governance = request.app.state.gov
    return gov


CSRF_WINDOW = 12 * 3600  # seconds; a token is accepted in its window and the next one
CSRF_STALE_WINDOWS = 14  # an older token of the same session (a week) is told apart: "reload the page"
SESSION_COOKIE = "nc_session_id"  # forwarded by AppAPI's proxy (NEXTCLOUD.md §2.3, exapp_incoming.json)


def N_(message: str) -> str:  # marks a string for extraction; translated where it is shown
    return message


CSRF_STALE = N_("This page has been open too long: reload it and try again.")
CSRF_FOREIGN = N_("This action must be made from the Governance page.")


def csrf_window(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // CSRF_WINDOW)


def csrf_token(secret: str, uid: str, session: str = "", window: int | None = None) -> str:
    """HMAC (app secret) of the user, their Nextcloud session and a 12-hour window.

    ``session`` is the ``nc_session_id`` cookie the proxy forwards from the browser: a page shown in
    one Nextcloud session gives nothing to another one, and a logout (a new session) voids every
    token. Callers without that cookie (API clients with an app password) are bound to the user
    alone. The window makes a token expire even within one session.
    """
    binding = f"session:{hashlib.sha256(session.encode()).hexdigest()}" if session else "user"
    n = csrf_window() if window is None else window
    message = f"csrf:{uid}:{binding}:{n}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def session_of(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


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
    """Who calls (AppAPI's user), their role, their badge and their language, for every route."""
    uid = request.scope.get("username") or ""
    lang = pick_language(request.headers.get("x-governance-lang"), request.headers.get("accept-language"))
    if not uid:  # AppAPI authenticated the app but no Nextcloud user is logged in
        raise HTTPException(401, gettext(lang, "You must be logged in to Nextcloud."))
    page = request.headers.get("x-governance-page", "")
    proxy = request.headers.get("x-governance-proxy", "")
    s = gov.settings
    # One indexed query, well under a millisecond: on the loop. A worker thread costs more than it
    # (under 20 clients the hop took the worst page p95 from 84 to 120 ms: make bench, issue 17).
    gov.begin_request()
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
        csrf=csrf_token(s.app_secret, uid, session_of(request)),
    )


CallerDep = Annotated[Caller, Depends(get_caller)]
GovDep = Annotated[Governance, Depends(get_gov)]


def csrf_refusal(secret: str, uid: str, session: str, sent: str) -> str | None:
    """None if ``sent`` is this session's token of this window or the previous one; else why not,
    in English (a msgid): an expired token of this session asks for a reload, anything else is
    refused as not made from our page."""
    now = csrf_window()
    sent_b = sent.encode()

    def made_in(window: int) -> bool:
        return hmac.compare_digest(sent_b, csrf_token(secret, uid, session, window).encode())

    if any(made_in(now - back) for back in (0, 1)):
        return None
    if sent and any(made_in(now - back) for back in range(2, CSRF_STALE_WINDOWS + 1)):
        return CSRF_STALE
    return CSRF_FOREIGN


async def require_csrf(request: Request, caller: CallerDep) -> Caller:
    """State-changing routes only: refuse a request that did not come from our own page, in this
    Nextcloud session, recently."""
    sent = request.headers.get("x-governance-csrf", "")
    secret = request.app.state.gov.settings.app_secret
    why = csrf_refusal(secret, caller.uid, session_of(request), sent)
    if why is not None:
        raise HTTPException(403, caller._(why))
    return caller


WriterDep = Annotated[Caller, Depends(require_csrf)]


def writer_allowed(check: Callable[[Actor], Decision]) -> Callable[..., object]:
    """A state-changing route's role check as a dependency, so that it runs before FastAPI reads the
    form: someone without the right gets 403 and the policy's sentence, never a 422 listing the
    form's fields (found by tests/http/test_route_policy.py). The service the route calls asks the
    policy again: that check is the one that holds (a route without this dependency still refuses)."""

    async def allowed(caller: WriterDep) -> Caller:
        decision = check(caller.actor)
        if not decision:
            raise HTTPException(403, caller._(decision.reason))
        return caller

    return allowed


OrgEditorDep = Annotated[Caller, Depends(writer_allowed(can_edit_org))]
DriftRepairerDep = Annotated[Caller, Depends(writer_allowed(can_repair_drift))]
SetterUpDep = Annotated[Caller, Depends(writer_allowed(can_set_up))]
