"""What an access request is: kinds, states, lines, objections, history, the request itself.

Its transitions live in :mod:`lib.core.requests` (the state machine), which re-exports these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from .model import Role

# The actor recorded for steps the app takes itself (expiry, an invited account appearing).
# Parentheses cannot occur in a Nextcloud user id, so this never names a person.
SYSTEM_ACTOR = "(system)"


class RequestKind(StrEnum):
    ADD_MEMBER = "add_member"
    CHANGE_ROLE = "change_role"
    REMOVE_MEMBER = "remove_member"
    CREATE_GROUP = "create_group"
    ARCHIVE_GROUP = "archive_group"
    JOIN = "join"  # a person asking to join a group themselves (Communecter)
    RENEW = "renew"  # extend or shorten members' end dates (``until``), nothing else
    OFFBOARD = "offboard"  # one person leaves the association: out of every group the app manages


# The ``group`` of an offboarding: it concerns every group, so it names none. No working-group slug is
# empty (lib/core/slugs.py), so this never reads as a working group, and every open offboarding is
# found under it (lib/core/request_checks.py ``not_duplicate``).
EVERY_GROUP = ""


class RequestState(StrEnum):
    PENDING = "pending"  # waiting for the operations team
    AWAITING_FACILITATOR = "awaiting_facilitator"  # a join, before a facilitator accepts it
    APPROVED = "approved"
    APPLYING = "applying"
    APPLIED = "applied"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"
    EXPIRED = "expired"
    AWAITING_ACCOUNT = "awaiting_account"  # approved, but an invited person has no account yet


# States in which nothing more will happen to a request.
FINAL_STATES = frozenset(
    {RequestState.APPLIED, RequestState.REJECTED, RequestState.CANCELLED, RequestState.EXPIRED}
)
# States in which nobody has decided yet.
UNDECIDED_STATES = frozenset({RequestState.PENDING, RequestState.AWAITING_FACILITATOR})


@dataclass(frozen=True)
class RequestLine:
    """One person a request is about. A bulk add has several lines.

    ``user`` is the Nextcloud uid, or ``""`` for someone invited by ``email`` who has no
    account yet. ``until`` is the last day of the access.
    """

    user: str = ""
    email: str = ""
    role: Role | None = None
    until: date | None = None

    @property
    def is_invitation(self) -> bool:
        return not self.user

    @property
    def who(self) -> str:
        return self.user or self.email


@dataclass(frozen=True)
class Objection:
    """A group member's objection to a destructive request, during its objection window."""

    member: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Transition:
    """One step in a request's history. ``from_state`` is None for the submission."""

    from_state: RequestState | None
    to_state: RequestState
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AccessRequest:
    """A request to change access, from submission to its end (applied, rejected, ...)."""

    id: int | None = None
    kind: RequestKind
    requester: str
    group: str  # working-group slug; the proposed slug for create_group; EVERY_GROUP for offboard
    lines: tuple[RequestLine, ...] = ()
    justification: str
    new_group_name: str = ""
    purpose: str = ""
    state: RequestState = RequestState.PENDING
    decided_by: str = ""
    decided_at: datetime | None = None
    reason: str = ""  # why it was rejected
    error: str = ""  # why applying it failed (cleared by retry)
    objection_until: datetime | None = None
    objections: tuple[Objection, ...] = ()
    plan_checksum: str = ""  # the plan operations approved (octodns: apply exactly what was shown)
    version: int = 1
    history: tuple[Transition, ...] = ()

    @property
    def submitted_at(self) -> datetime | None:
        return self.history[0].at if self.history else None

    @property
    def is_destructive(self) -> bool:
        """Whether it opened an objection window (kept after the window closes)."""
        return self.objection_until is not None

    @property
    def invitations(self) -> tuple[RequestLine, ...]:
        return tuple(line for line in self.lines if line.is_invitation)

    @property
    def people(self) -> frozenset[str]:
        """The accounts whose access this request changes."""
        return frozenset(line.user for line in self.lines if line.user)

    def objection_open(self, now: datetime) -> bool:
        return self.objection_until is not None and now < self.objection_until
