"""A bulk addition with an invitation, clicked through in French (issue 15): the person with an
account is added once approved; the invitation waits on its own request, where it can be withdrawn."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lib.core.request_kinds import RequestState

pytestmark = pytest.mark.browser


def test_a_bulk_addition_adds_accounts_at_once_and_lets_an_invitation_wait(person: Any, demo: Any) -> None:
    alice = person("alice", "fr")
    page = alice.open("/groups/communication")
    page.fill("#add-users", "nora")
    page.fill("#add-emails", "zoe@example.org")
    page.fill("#add-justification", "Deux bénévoles de plus")
    page.click("form[aria-labelledby=add-title] button[type=submit]")
    page.wait_for_selector("text=Deux demandes envoyées")
    found = re.search(r"nº (\d+) pour les personnes qui ont un compte, nº (\d+)", page.inner_text("#gov-app"))
    assert found, page.inner_text("#gov-app")
    accounts, invited = found.group(1), found.group(2)
    alice.shot("bulk-two-requests")

    claire = person("claire", "fr")
    first = claire.open(f"/requests/{accounts}")
    first.click("form[hx-post$='/approve'] button[type=submit]")
    first.wait_for_selector("text=C'est fait.")
    assert "nora" in demo.standin.groups["gt-communication-membres"]

    second = claire.open(f"/requests/{invited}")
    assert "invitée, en attente d'un compte" in second.inner_text("#gov-main")
    second.click("form[hx-post$='/approve'] button[type=submit]")
    second.wait_for_selector("text=Approuvée.")
    assert demo.gov.requests.get(int(invited)).state is RequestState.AWAITING_ACCOUNT

    mine = alice.open(f"/requests/{invited}")
    mine.click("text=Retirer l'invitation")
    mine.wait_for_selector("text=annulée")
    assert demo.gov.requests.get(int(invited)).state is RequestState.CANCELLED
