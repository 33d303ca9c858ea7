"""A service's refusal reaches a French page in French (issue 14).

The services raise a few errors with a sentence of their own instead of a code of lib/core/codes.py
(a decision taken by someone else at the same moment, a plan changed since it was shown, a request
that does not exist); ``lib.i18n.error_text`` finds their French in the catalogue, where
ex_app/errors.py lists them for extraction.
"""

from __future__ import annotations

import pytest

from lib.core.errors import GovernanceError
from lib.i18n import error_text
from lib.services.requests import AlreadyDecided, UnknownRequest
from lib.services.sync import StalePlan


@pytest.mark.parametrize(
    ("error", "french"),
    [
        (AlreadyDecided(), "Quelqu’un d’autre a décidé de cette demande au même moment."),
        (UnknownRequest(), "Cette demande n'existe pas."),
        (StalePlan("a", "b"), "Les changements à appliquer ne sont plus ceux qui vous ont été montrés."),
    ],
)
def test_a_service_refusal_is_said_in_french(error: GovernanceError, french: str) -> None:
    assert error_text("fr", error).startswith(french)
    assert not error_text("en", error).startswith(french)
