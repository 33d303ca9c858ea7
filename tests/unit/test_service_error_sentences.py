"""A service's refusal reaches a French page in French (issue 14).

A decision taken by someone else at the same moment has its code in lib/core/codes.py, like the
core's refusals; a plan changed since it was shown and a request that does not exist keep a sentence
of their own, which ``lib.i18n.error_text`` finds in the catalogue (the pages say it too).
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


def test_a_decision_lost_to_another_operator_is_said_by_its_code() -> None:
    """Its sentence comes from lib/core/codes.py (marked in lib/core_messages.py), not a stop-gap list."""
    from lib.core.codes import MESSAGES
    from lib.core_messages import CORE_MESSAGES

    lost = AlreadyDecided()
    assert MESSAGES[lost.code] in CORE_MESSAGES
    assert (
        error_text("en", lost)
        == "Someone else decided this request at the same moment. Reload to see the outcome."
    )
    assert error_text("fr", lost) == (
        "Quelqu’un d’autre a décidé de cette demande au même moment. Rechargez la page pour voir le résultat."
    )
