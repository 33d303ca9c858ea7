"""A bulk addition with an invitation, clicked through in English and in French (issue 15): the person
with an account is added once approved; the invitation waits on its own request, visibly, where it can
be withdrawn. Each language adds other people: both runs share one demo."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lib.core.request_kinds import RequestState

from .language import english_in

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "who": ("hugo", "zoe@example.org"),
        "why": "Two more volunteers",
        "sent": "Two requests sent",
        "ids": r"#(\d+) for the people who have an account, #(\d+) for the invited people",
        "approve": "Approve and apply",
        "done": "Done.",
        "invited": "invited, waiting for an account",
        "approve_only": "Approve",
        "approved": "Approved. It will be applied once the invited people have a Nextcloud account",
        "waits": "Waiting: #{id} Add people (awaiting an account)",
        "withdraw": "Withdraw the invitation",
        "cancelled": "cancelled",
    },
    "fr": {
        "who": ("nora", "yves@example.org"),
        "why": "Deux bénévoles de plus",
        "sent": "Deux demandes envoyées",
        "ids": r"nº (\d+) pour les personnes qui ont un compte, nº (\d+) pour les personnes invitées",
        "approve": "Valider et appliquer",
        "done": "C'est fait.",
        "invited": "invitée, en attente d'un compte",
        "approve_only": "Valider",
        "approved": "Approuvée. Elle sera appliquée dès que les personnes invitées auront un compte",
        "waits": "En attente : #{id} Ajouter des personnes (en attente d'un compte)",
        "withdraw": "Retirer l'invitation",
        "cancelled": "annulée",
    },
}


def _french(lang: str, text: str) -> bool:
    """True unless a French page shows an English word."""
    return lang != "fr" or not english_in(text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_bulk_addition_adds_accounts_at_once_and_lets_an_invitation_wait(
    person: Any, demo: Any, lang: str
) -> None:
    words = WORDS[lang]
    uid, email = words["who"]
    alice = person("alice", lang)
    page = alice.open("/groups/communication")
    page.fill("#add-users", uid)
    page.fill("#add-emails", email)
    page.fill("#add-justification", words["why"])
    page.click("form[aria-labelledby=add-title] button[type=submit]")
    page.wait_for_selector(f"text={words['sent']}")
    sent = page.inner_text("#gov-app")
    found = re.search(words["ids"], sent)
    assert found, sent
    assert _french(lang, sent), english_in(sent)
    accounts, invited = found.group(1), found.group(2)
    alice.shot("bulk-two-requests")

    claire = person("claire", lang)
    first = claire.open(f"/requests/{accounts}")
    assert email not in first.inner_text("#gov-main")  # the invitation is not in the accounts' request
    first.click(f"form[hx-post$='/approve'] button:has-text('{words['approve']}')")
    first.wait_for_selector(f"text={words['done']}")
    assert uid in demo.standin.groups["gt-communication-membres"]

    second = claire.open(f"/requests/{invited}")
    text = second.inner_text("#gov-main")
    assert words["invited"] in text and _french(lang, text), text
    second.click(f"form[hx-post$='/approve'] button:text-is('{words['approve_only']}')")
    second.wait_for_selector(f"text={words['approved']}")
    assert demo.gov.requests.get(int(invited)).state is RequestState.AWAITING_ACCOUNT

    group = alice.open("/groups/communication").inner_text("#gov-main")
    assert words["waits"].format(id=invited) in " ".join(group.split())  # visibly waiting, with its state
    assert _french(lang, group), english_in(group)

    mine = alice.open(f"/requests/{invited}")
    mine.click(f"text={words['withdraw']}")
    mine.wait_for_selector(f".gov-state:text-is('{words['cancelled']}')")
    assert demo.gov.requests.get(int(invited)).state is RequestState.CANCELLED
