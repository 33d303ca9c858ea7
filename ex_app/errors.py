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


def status_for(exc: Exception) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 422)
