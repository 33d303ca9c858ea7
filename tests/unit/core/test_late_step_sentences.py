"""A step the request's state no longer allows says what became of it, and by whom (issue 14).

An operator who clicks Reject on a request Malik Benali approved a minute before reads "This request
was already approved by Malik Benali and applied; nothing more to do.", in English or French, not
"This request cannot take this step in its current state."
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lib.core import codes
from lib.core import requests as rq
from lib.core.errors import IllegalTransition
from lib.core.model import Role
from lib.core.requests import AccessRequest, RequestLine, RequestState
from lib.i18n import error_text, people_in

S = RequestState
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
NAMES = {"malik": "Malik Benali", "fanny": "Fanny Martin"}


def pending(**kw: object) -> AccessRequest:
    line = RequestLine("bob", role=Role.CONTRIBUTOR)
    fields: dict[str, object] = {"kind": "add_member", "requester": "fanny", "group": "comm",
                                 "justification": "press kit", "now": NOW, "lines": (line,),
                                 "request_id": 7}  # fmt: skip
    fields.update(kw)
    return rq.submit(**fields)  # type: ignore[arg-type]


def approved() -> AccessRequest:
    return rq.approve(pending(), "malik", LATER, "sum-1")


def applied() -> AccessRequest:
    return rq.mark_applied(rq.start_applying(approved(), "(system)", LATER), "(system)", LATER)


def late_rejection(request: AccessRequest) -> IllegalTransition:
    with pytest.raises(IllegalTransition) as refused:
        rq.reject(request, "claire", LATER, "not needed")
    return refused.value


@pytest.mark.parametrize(
    ("request_", "english", "french"),
    [
        (
            approved(),
            "This request was already approved by Malik Benali; nothing more to do.",
            "Cette demande a déjà été validée par Malik Benali ; il n’y a plus rien à faire.",
        ),
        (
            applied(),
            "This request was already approved by Malik Benali and applied; nothing more to do.",
            "Cette demande a déjà été validée par Malik Benali et appliquée ; il n’y a plus rien à faire.",
        ),
        (
            rq.start_applying(approved(), "(system)", LATER),
            "This request was already approved by Malik Benali and is being applied; nothing more to do.",
            "Cette demande a déjà été validée par Malik Benali et est en cours d’application ;"
            " il n’y a plus rien à faire.",
        ),
        (
            rq.reject(pending(), "malik", LATER, "no"),
            "This request was already rejected by Malik Benali; nothing more to do.",
            "Cette demande a déjà été refusée par Malik Benali ; il n’y a plus rien à faire.",
        ),
        (
            rq.cancel(pending(), "fanny", LATER),
            "This request was already cancelled by Fanny Martin; nothing more to do.",
            "Cette demande a déjà été annulée par Fanny Martin ; il n’y a plus rien à faire.",
        ),
        (
            rq.expire(pending(), LATER),
            "This request expired: nobody decided in time. Ask again if it is still needed.",
            "Cette demande a expiré : personne n’a décidé à temps."
            " Refaites-la si elle est toujours nécessaire.",
        ),
        (
            rq.approve(
                pending(lines=(RequestLine(email="new@example.org", role=Role.READER),)), "malik", LATER, "s"
            ),
            "This request was already approved by Malik Benali; it now waits for the invited people to have"
            " an account.",
            "Cette demande a déjà été validée par Malik Benali ; elle attend maintenant que les personnes"
            " invitées aient un compte.",
        ),
    ],
    ids=["approved", "applied", "applying", "rejected", "cancelled", "expired", "awaiting-account"],
)
def test_a_late_rejection_says_what_became_of_the_request_and_who_decided(
    request_: AccessRequest, english: str, french: str
) -> None:
    refused = late_rejection(request_)
    names = {uid: NAMES[uid] for uid in people_in(refused)}
    assert error_text("en", refused, names) == english
    assert error_text("fr", refused, names) == french


def test_without_the_deciders_name_the_sentence_still_says_what_happened() -> None:
    nobody_recorded = replace(rq.reject(pending(), "malik", LATER, "no"), decided_by="")
    refused = late_rejection(nobody_recorded)
    assert error_text("en", refused) == "This request was already rejected; nothing more to do."
    assert error_text("fr", refused) == "Cette demande a déjà été refusée ; il n’y a plus rien à faire."


@pytest.mark.parametrize("state", list(S))
def test_every_state_has_its_own_sentence_in_both_languages(state: RequestState) -> None:
    plain, with_by = codes.NOW_IN_STATE[state.value]
    for code in (plain, with_by):
        english = codes.MESSAGES[code]
        assert error_text("fr", IllegalTransition(7, state, "approve", by="malik")) != english
        assert "current state" not in english


def test_a_step_taken_too_early_says_who_must_act_first() -> None:
    with pytest.raises(IllegalTransition) as refused:
        rq.approve(pending(kind="join", requester="jo", lines=()), "malik", LATER, "s")
    assert error_text("en", refused.value) == (
        "This request is still waiting for a facilitator of the group to accept it."
    )
    assert people_in(refused.value) == set()  # nobody decided yet: no name to look up
