"""Audit entries told to a reader: who did what to whom, in words, in the reader's language.

The log itself stays as written (codes such as ``request.approved``, subjects such as ``request:9``,
account ids): it is hash-chained and nobody may edit it. Only the page and the CSV export put it in
words, and the codes stay the filter's values.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from babel.dates import format_datetime

from lib.core.audit import AuditEntry
from lib.core.changes import change_from_data
from lib.core.request_kinds import SYSTEM_ACTOR
from lib.core.wording import Words
from lib.i18n import gettext, ngettext, say


def _(message: str) -> str:
    """Marks a message id for extraction; translated when a page shows it."""
    return message


ACTIONS = {
    "request.submitted": _("Request sent"),
    "request.accepted_by_facilitator": _("Request to join accepted by a facilitator"),
    "request.objection": _("Objection to a request"),
    "request.approved": _("Request approved"),
    "request.rejected": _("Request rejected"),
    "request.cancelled": _("Request cancelled"),
    "request.applying": _("Request being applied"),
    "request.applied": _("Request applied"),
    "request.failed": _("Request failed"),
    "request.invitation_withdrawn": _("Invitation withdrawn"),
    "membership.expired": _("Membership ended on its end date"),
    "plan.apply": _("Changes applied to Nextcloud"),
    "nextcloud.apply": _("Nextcloud changed"),
    "nextcloud.apply_failed": _("A change to Nextcloud failed"),
    "nextcloud.skip": _("A change the organisation no longer wanted was not made in Nextcloud"),
    "organisation.changed": _("Organisation changed"),
    "organisation.adopted": _("Organisation taken over from Nextcloud"),
    "drift.adopted": _("Change made in Nextcloud kept"),
    "app.enabled": _("Governance enabled"),
    "app.disabled": _("Governance disabled"),
}
_COUNT = re.compile(r"^(\d+) change")


def people_in(entries: list[AuditEntry]) -> set[str]:
    """Account ids an audit page names (actors, members of expired memberships, changes)."""
    uids = {e.actor for e in entries if e.actor and e.actor != SYSTEM_ACTOR}
    for e in entries:
        if e.action == "membership.expired" and ":" in e.subject:
            uids.add(e.subject.split(":", 1)[1])
        uid = (e.detail or {}).get("change", {}).get("uid") if isinstance(e.detail, dict) else None
        if isinstance(uid, str):
            uids.add(uid)
    return uids


class AuditWords:
    """One reader's words for audit entries: ``lang``, and the organisation's names."""

    def __init__(self, lang: str, words: Words, groups: dict[str, str]) -> None:
        self.lang = lang
        self.words = words
        self.groups = groups  # working-group slug -> name

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(self.lang, singular, plural, n, n=n)

    def when(self, entry: AuditEntry) -> str:
        try:
            return format_datetime(datetime.fromisoformat(entry.at), format="medium", locale=self.lang)
        except ValueError:
            return entry.at

    def who(self, entry: AuditEntry) -> str:
        if entry.actor == SYSTEM_ACTOR:
            return gettext(self.lang, "Governance")
        if not entry.actor:
            return gettext(self.lang, "Nextcloud")
        return self.words.person(entry.actor)

    def action(self, entry: AuditEntry) -> str:
        return gettext(self.lang, ACTIONS[entry.action]) if entry.action in ACTIONS else entry.action

    def subject(self, entry: AuditEntry) -> str:
        s, detail = entry.subject, entry.detail if isinstance(entry.detail, dict) else {}
        if s.startswith("request:"):
            return gettext(self.lang, "Request #%(id)s", id=s.split(":", 1)[1])
        if entry.action.startswith("nextcloud.") and isinstance(detail.get("change"), dict):
            return self._change(detail["change"], s)
        if entry.action == "membership.expired" and ":" in s:
            group, uid = s.split(":", 1)
            name = self.groups.get(group, group)
            return gettext(self.lang, "%(person)s in %(group)s", person=self.words.person(uid), group=name)
        if s.startswith("group:"):
            slug = s.split(":", 1)[1]
            return self.groups.get(slug) or say(self.lang, self.words.group(slug))
        count = _COUNT.match(s)
        if count:
            n = int(count.group(1))
            return self.ngettext("%(n)s change", "%(n)s changes", n)
        if s == "organisation":
            return gettext(self.lang, "the whole organisation")
        return s

    def _change(self, data: dict[str, Any], fallback: str) -> str:
        try:
            return say(self.lang, self.words.change(change_from_data(data)))
        except (KeyError, TypeError, ValueError):
            return fallback
