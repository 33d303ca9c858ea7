"""The audit log page and its CSV export (board and operations)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from lib.core.audit import AuditFilter
from lib.core.wording import Words

from ..audit_words import ACTIONS, AuditWords, people_in
from ..csv_export import csv_chunks, spreadsheet_time
from ..deps import CallerDep, GovDep
from ..render import Fragments, render
from .answers import attachment, pushed

router = APIRouter()

AUDIT_PAGE = 50


# ---- audit log -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """The audit filters as the page's GET form sends them (a FastAPI dependency: query parameters)."""

    actor: str = ""
    action: str = ""
    text: str = ""
    since: str = ""
    until: str = ""

    def values(self) -> dict[str, str]:
        return {
            "actor": self.actor,
            "action": self.action,
            "text": self.text,
            "since": self.since,
            "until": self.until,
        }

    def bad_dates(self) -> set[str]:
        return {name for name in ("since", "until") if not _is_date(getattr(self, name).strip())}

    def filter(self) -> AuditFilter:
        """The store's filter; a date bound that is not a date is left out."""
        bad = self.bad_dates()
        since, until = ("" if n in bad else getattr(self, n).strip() for n in ("since", "until"))
        return AuditFilter(self.actor.strip(), self.action.strip(), self.text.strip(), since, until)


def _is_date(value: str) -> bool:
    try:
        return not value or bool(date.fromisoformat(value))
    except ValueError:
        return False


def _moment(iso: str) -> str:
    """``2025-01-31T09:05:00+00:00`` -> ``2025-01-31 09:05 UTC`` ("" stays "")."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


AuditQueryDep = Annotated[AuditQuery, Depends()]
ROWS = Fragments("_audit_rows.html")


@router.get("/ui/audit", response_class=HTMLResponse)
async def audit_page(caller: CallerDep, gov: GovDep, q: AuditQueryDep, page: int = 1) -> HTMLResponse:
    page = max(page, 1)
    wanted = q.filter()
    log = gov.audit_log  # it refuses whoever may not read the log
    if log.quick(wanted):  # an index lookup: a worker thread would cost more than it (make bench)
        entries, total, chain = log.page_and_chain(caller.actor, wanted, page, AUDIT_PAGE)
    else:  # counting a filter, or hashing the whole chain once, takes time: off the event loop
        entries, total, chain = await asyncio.to_thread(
            log.page_and_chain, caller.actor, wanted, page, AUDIT_PAGE
        )
    values = q.values()
    errors = {k: caller._("Use a date like 2025-01-31.") for k in q.bad_dates()}
    names = await gov.display_names(people_in(entries))
    shown = tuple((e.seq, e.at, e.actor, e.action, e.subject, repr(e.detail), e.hash) for e in entries)
    org = gov.org()
    words = AuditWords(caller.lang, Words(org, names), org.group_names)
    rows = ROWS.get(
        (org,),
        (caller.lang, tuple(sorted(names.items())), *shown),
        lambda: {"_": caller._, "entries": entries, "w": words},
    )
    response = render(
        caller, "audit.html", "audit", status=422 if errors else 200, entries=entries, rows=rows, total=total,
        page=page, pages=max(1, -(-total // AUDIT_PAGE)), values=values, errors=errors, actions=ACTIONS,
        chain=chain, checked_at=_moment(chain.whole_checked_at),
        query=lambda **more: urlencode({k: v for k, v in {**values, **more}.items() if v}),
    )  # fmt: skip
    return pushed(response, caller, "/audit", {**values, "page": str(page) if page > 1 else ""})


@router.get("/api/audit.csv", response_model=None)
async def audit_csv(caller: CallerDep, gov: GovDep, q: AuditQueryDep) -> Response:
    """The filtered log as a French or English spreadsheet reads it: when in the reader's date format,
    who by name with their e-mail, what in words; the account, the codes and the hash kept beside
    for whoever checks the chain (the log itself is never rewritten)."""
    entries = await asyncio.to_thread(gov.audit_log.entries, caller.actor, q.filter())
    people = await gov.people(people_in(entries))
    org = gov.org()
    names = {uid: info.display_name or uid for uid, info in people.items()}
    words = AuditWords(caller.lang, Words(org, names), org.group_names)
    header = [caller._("No."), caller._("When (UTC)"), caller._("Who"), caller._("E-mail"),
              caller._("Account"), caller._("Action"), caller._("Subject"), caller._("Action code"),
              caller._("Subject code"), caller._("Hash")]  # fmt: skip
    rows = (
        [e.seq, spreadsheet_time(e.at, caller.lang), words.who(e),
         people[e.actor].email if e.actor in people else "", e.actor, words.action(e), words.subject(e),
         e.action, e.subject, e.hash]
        for e in entries
    )  # fmt: skip
    # Whole, with a Content-Length: AppAPI's proxy (app_api 32.0.0 ExAppProxyController
    # ``createProxyResponse``) drops "Transfer-Encoding" only under that exact case, so a streamed
    # answer reached the browser marked chunked but de-chunked, and the download broke (seen live).
    body = "".join(csv_chunks(caller.lang, header, rows))
    return Response(body, media_type="text/csv; charset=utf-8", headers=attachment("governance-audit.csv"))
