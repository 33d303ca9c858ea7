"""The one place where domain and service errors become HTTP status codes."""

from __future__ import annotations

from lib.core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidOrganisation,
    InvalidRequest,
    InvalidToken,
    UnsafePlan,
)
from lib.services.requests import AlreadyDecided, UnknownRequest
from lib.services.sync import StalePlan

STATUS: list[tuple[type[Exception], int]] = [
    (Forbidden, 403),
    (UnknownRequest, 404),
    (AlreadyDecided, 409),
    (StalePlan, 409),
    (UnsafePlan, 409),
    (IllegalTransition, 409),
    (InvalidRequest, 422),
    (InvalidOrganisation, 422),
    (InvalidToken, 422),
]


def N_(message: str) -> str:  # marks a message for extraction; lib.i18n.error_text translates it
    return message


# Service errors said by their own sentence (no code in lib/core/codes.py): listed so the catalogues
# hold them, else a French page would show them in English.
SERVICE_SENTENCES = [
    N_("Someone else decided this request at the same moment. Reload to see the outcome."),  # AlreadyDecided
]


def status_for(exc: Exception) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 422)
