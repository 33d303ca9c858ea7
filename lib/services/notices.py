"""What a notification tells each person about a request, in that person's language.

The requester reads what became of their request; a person added, moved or removed by someone else
reads who did what to them ("Alice Moreau added you to Communication as contributor"), never "your
request"; operators read which request failed and why; facilitators read who asks to join. Rich
subjects name people and groups through Nextcloud's ``{placeholders}`` (the notifications app shows
them as names and links); the sentence around them comes from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from lib.core.model import Role
from lib.core.request_kinds import AccessRequest, RequestKind, RequestState
from lib.i18n import gettext


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    """Marks a message id for extraction (``make i18n-extract`` passes ``-k N_``)."""
    return message


WHAT = {
    RequestKind.ADD_MEMBER: N_("add people"),
    RequestKind.CHANGE_ROLE: N_("change a role"),
    RequestKind.REMOVE_MEMBER: N_("remove people"),
    RequestKind.CREATE_GROUP: N_("create a working group"),
    RequestKind.ARCHIVE_GROUP: N_("archive a working group"),
    RequestKind.JOIN: N_("join a working group"),
    RequestKind.RENEW: N_("change an end of access"),
    RequestKind.OFFBOARD: N_("remove a person from every group"),
}
ROLE = {
    Role.FACILITATOR: N_("facilitator"),
    Role.CONTRIBUTOR: N_("contributor"),
    Role.READER: N_("reader"),
    Role.STEERING: N_("steering committee"),
}


@dataclass(frozen=True)
class Notice:
    """A notification's subject (with ``{request}``, ``{requester}``, ``{group}``) and its message."""

    subject: str
    message: str = ""


def rich_params(req: AccessRequest, names: Mapping[str, str], group: str, page: str) -> dict[str, Any]:
    """The subject's named objects (NEXTCLOUD.md §3.1: rich object strings, type/id/name)."""
    return {
        "request": {"type": "highlight", "id": str(req.id), "name": f"#{req.id}", "link": page},
        "requester": {"type": "user", "id": req.requester, "name": names.get(req.requester, req.requester)},
        "group": {"type": "highlight", "id": req.group, "name": group},
    }


class Teller:
    """One recipient's language: sentences, dates and roles as they write them."""

    def __init__(self, lang: str, names: Mapping[str, str]) -> None:
        self.lang = lang
        self.names = names

    def _(self, message: str, **params: object) -> str:
        return gettext(self.lang, message, **params)

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=self.lang)

    def what(self, req: AccessRequest) -> str:
        return self._(WHAT[req.kind])

    def role(self, role: Role | None) -> str:
        return self._(ROLE[role]) if role else self._("member")

    def person(self, uid: str) -> str:
        return self.names.get(uid) or uid

    def outcome(self, req: AccessRequest, uid: str) -> Notice | None:
        """What an applied or rejected request means for ``uid``: its requester, or a person in it."""
        if req.kind is RequestKind.OFFBOARD:
            return self._offboarding(req, uid)
        if req.state is RequestState.REJECTED:
            if uid != req.requester:
                return None  # they were never asked anything: nothing happened to them
            return Notice(
                self._("Your request {request} was rejected: %(what)s in {group}.", what=self.what(req)),
                self._("Reason given by %(operator)s: %(reason)s", operator=self.person(req.decided_by),
                       reason=req.reason),
            )  # fmt: skip
        if req.state is not RequestState.APPLIED:
            return None
        if uid == req.requester:
            if req.kind is RequestKind.JOIN:
                return Notice(self._("You are now a member of {group}: your request {request} was approved."))
            return Notice(
                self._("Your request {request} was approved and applied: %(what)s in {group}.",
                       what=self.what(req)),
                self._("Approved by %(operator)s.", operator=self.person(req.decided_by))
                if req.decided_by else "",
            )  # fmt: skip
        return self._concerned(req, uid)

    def _concerned(self, req: AccessRequest, uid: str) -> Notice | None:
        line = next((ln for ln in req.lines if ln.user == uid), None)
        if line is None:
            return None
        why = self._("Why: %(justification)s", justification=req.justification)
        ends = self._("Your access ends on %(date)s.", date=self.day(line.until)) if line.until else ""
        match req.kind:
            case RequestKind.ADD_MEMBER:
                subject = self._("{requester} added you to {group} as %(role)s.", role=self.role(line.role))
            case RequestKind.CHANGE_ROLE:
                subject = self._(
                    "{requester} changed your role in {group}: you are now %(role)s.",
                    role=self.role(line.role),
                )
            case RequestKind.REMOVE_MEMBER:
                subject, ends = self._("{requester} removed you from {group}."), ""
            case RequestKind.RENEW:
                subject = self._("{requester} changed the end of your access to {group}.")
                ends = ends or self._("Your access no longer has an end date.")
            case _:
                return None
        return Notice(subject, " ".join(p for p in (ends, why) if p))

    def _offboarding(self, req: AccessRequest, uid: str) -> Notice | None:
        """An offboarding names no group: its sentences name the person who leaves instead."""
        leaving = self.person(req.lines[0].user)
        if req.state is RequestState.REJECTED:
            if uid != req.requester:
                return None
            return Notice(
                self._("Your request {request} to remove %(person)s from every group was rejected.",
                       person=leaving),
                self._("Reason given by %(operator)s: %(reason)s", operator=self.person(req.decided_by),
                       reason=req.reason),
            )  # fmt: skip
        if req.state is not RequestState.APPLIED:
            return None
        if uid == req.requester:
            return Notice(
                self._(
                    "Your request {request} was approved and applied: "  # one msgid, joined by Python
                    "%(person)s is in no group of the organisation any more.",
                    person=leaving,
                ),
                self._("Approved by %(operator)s.", operator=self.person(req.decided_by)),
            )  # fmt: skip
        if uid not in req.people:
            return None
        return Notice(
            self._("{requester} removed you from every group of the organisation."),
            self._("Why: %(justification)s", justification=req.justification),
        )

    def failure(self, req: AccessRequest) -> Notice:
        if req.kind is RequestKind.OFFBOARD:
            return Notice(
                self._("Request {request} could not be applied: removing %(person)s from every group,"
                       " asked by {requester}.", person=self.person(req.lines[0].user)),
                self._("What went wrong: %(error)s Open the request to try again.", error=req.error),
            )  # fmt: skip
        return Notice(
            self._("Request {request} could not be applied: %(what)s in {group}, asked by {requester}.",
                   what=self.what(req)),
            self._("What went wrong: %(error)s Open the request to try again.", error=req.error),
        )  # fmt: skip

    def join_asked(self, req: AccessRequest) -> Notice:
        return Notice(
            self._("{requester} asks to join {group} ({request})."),
            " ".join(
                (
                    self._("Why: %(justification)s", justification=req.justification),
                    self._("Open the request to accept it."),
                )
            ),
        )

    def access_ends(self, person: str, group: str, until: date) -> str:
        return self._(
            "The access of %(user)s to %(group)s ends on %(until)s.",
            user=person,
            group=group,
            until=self.day(until),
        )
