"""The core's errors: one base, typed subclasses with fields, a stable ``code`` for translation.

HTTP status codes belong to ``ex_app/``; here an error only says what went wrong and why.
Codes and their English messages are listed in :mod:`lib.core.codes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import codes


class GovernanceError(Exception):
    """Base of every error the core raises; ``code`` is stable so the web layer can translate it."""

    code: str = "governance.error"


class InvalidRequest(GovernanceError):
    """A request (or its effect on the organisation) does not make sense: ``field`` says where.

    ``message`` is an English sentence, with ``%(name)s`` placeholders filled from ``params``: it is
    the catalogue's message id, so the page translates the sentence, then fills in the names
    (``lib.i18n.error_text``), never an English fragment glued to a translation.
    """

    def __init__(
        self,
        field: str,
        message: str,
        code: str = codes.REQUEST_INVALID,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(f"{field}: {self.message}")
        self.field = field
        self.code = code


class IllegalTransition(GovernanceError):
    """A request cannot take this step from its current state (or not by this person, or not yet).

    With no ``code`` of its own, the step is refused because of the state the request is now in: the
    code then says what became of it ("already approved by {by}", lib/core/codes.py ``now_in_state``),
    ``by`` being whoever took it there (an account id; empty for the app's own steps or if unknown).
    """

    def __init__(
        self,
        request_id: int | None,
        from_state: str,
        action: str,
        code: str = "",
        reason: str = "",
        params: dict[str, object] | None = None,
        by: str = "",
    ) -> None:
        ref = f"Request #{request_id}" if request_id is not None else "This request"
        why = reason or f"it is {codes.STATE_TEXT.get(from_state, from_state)}"
        super().__init__(f"{ref} cannot be {codes.ACTION_TEXT.get(action, action)}: {why}.")
        self.request_id = request_id
        self.from_state = from_state
        self.action = action
        self.by = by
        self.code = code or codes.now_in_state(str(from_state), by)
        self.params = dict(params or {})  # fill the code's sentence (lib/core/codes.py)
        if by and not code:
            self.params.setdefault("by", by)


class Forbidden(GovernanceError):
    """The policy refuses this person this action (see :mod:`lib.core.policy`)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class InvalidToken(GovernanceError):
    """A decision link is forged, malformed, expired, or not for this operator/request/plan."""

    def __init__(self, code: str) -> None:
        super().__init__(codes.MESSAGES.get(code, code))
        self.code = code


class UnsafePlan(GovernanceError):
    """A plan needs an operator's confirmation before anything is applied (lib/core/safety.py)."""

    code = "plan.unsafe"

    def __init__(self, concerns: tuple[Any, ...]) -> None:
        super().__init__(
            "These changes take access away from several people or loosen a folder's protections;"
            " an operator must confirm them."
        )
        self.concerns = concerns


class InvalidOrganisation(GovernanceError):
    """An organisation file does not describe a valid organisation: ``field`` says where."""

    code = "organisation.invalid"

    def __init__(self, field: str, message: str, params: Mapping[str, object] | None = None) -> None:
        self.template = message  # the catalogue's id, as for InvalidRequest
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(f"{field}: {self.message}")
        self.field = field
