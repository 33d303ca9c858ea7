"""Someone leaves the association: an operator asks from their page, another approves (issue 15).

Claire (operations) opens the person's page, gives the reason and sends "Remove from everything";
Malik, the other operator, finds the request in "To decide", reads the plan in words (the person's
name, each working group with the role) and approves it; the person's page then says they are in no
group, and Nextcloud holds them in none of the app's groups. Once in English, once in French.
"""

from __future__ import annotations

from typing import Any

import pytest

from lib.core.request_kinds import RequestKind

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "button": "Remove from everything (leaving the association)",
        "sent": "Request sent to the operations team.",
        "approve": "Approve and apply",
        "done": "Done.",
        "nowhere": "In no group of the organisation.",
        "every": "Every group of the organisation: this person leaves the association",
    },
    "fr": {
        "button": "Retirer de tout (départ de l’association)",
        "sent": "Demande envoyée à l'équipe opérationnelle.",
        "approve": "Valider et appliquer",
        "done": "C'est fait.",
        "nowhere": "Dans aucun groupe de l'organisation.",
        "every": "Tous les groupes de l’organisation : cette personne quitte l’association",
    },
}
PLANS = {  # who leaves, in which language, and the plan the approver reads
    "en": (
        "dave",
        "David Rousseau",
        {
            "Remove David Rousseau from Communication (contributors)",
            "Remove David Rousseau from the members of the association",
        },
    ),
    "fr": (
        "nora",
        "Nora Haddad",
        {
            "Retirer Nora Haddad du groupe « Jardins partagés (contributeur·ices) »",
            "Retirer Nora Haddad du groupe « Membres de l'association »",
        },
    ),
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_operator_asks_another_approves_and_the_person_is_in_no_group(
    person: Any, demo: Any, lang: str
) -> None:
    uid, name, plan = PLANS[lang]
    words = WORDS[lang]
    others = {g: m - {uid} for g, m in demo.standin.groups.items()}

    claire = person("claire", lang)
    page = claire.open(f"/person/{uid}")
    page.wait_for_selector(f"h2:has-text('{name}')")
    page.fill("#offboard-justification", "Quitte l'association" if lang == "fr" else "Leaves the association")
    claire.shot("offboarding-form")
    page.click(f"button:has-text('{words['button']}')")
    page.wait_for_selector(f"text={words['sent']}")
    assert page.is_visible(f"text={words['every']}")
    claire.shot("offboarding-sent")
    req = next(
        r
        for r in demo.gov.requests.repo.by_requester("claire")
        if r.kind is RequestKind.OFFBOARD and uid in r.people
    )

    malik = person("malik", lang)
    decide = malik.open("/decide")
    decide.click(f"a:text-is('#{req.id}')")
    decide.wait_for_selector(f"button:has-text('{words['approve']}')")
    shown = {" ".join(t.split()) for t in decide.locator(".gov-plan li").all_inner_texts()}
    assert shown == plan
    malik.shot("offboarding-plan")
    decide.click(f"button:has-text('{words['approve']}')")
    decide.wait_for_selector(f"text={words['done']}")

    again = claire.open(f"/person/{uid}")
    again.wait_for_selector(f"text={words['nowhere']}")
    assert not again.is_visible(f"text={words['button']}")
    assert {g: m for g, m in demo.standin.groups.items() if uid in m} == {}
    assert {g: m - {uid} for g, m in demo.standin.groups.items()} == others  # nobody else moved
