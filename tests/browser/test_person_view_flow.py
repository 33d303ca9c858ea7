"""Everything a person can reach and why, on their own page (issue 15), in English and French.

Claire (operations) gets there from a working group's member list and from the people search of the
access explanation; the page names each group by its working group and role with its end date in
the reader's language, then each folder and sub-folder with the right there and the groups it comes
from. The board reads the same page but is offered no removal; a facilitator sees only their own
page (lib/core/policy.can_view_person): other members' names are not links, and the address refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from .language import day, english_in

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "contributor": "contributor",
        "reader": "reader",
        "facilitator": "facilitator",
        "members": "The members of the association",
        "consult": "consult",
        "modify": "modify",
        "manage": "manage",
        "none": "none",
        "rule": "a rule on this sub-folder",
        "explain": "Explain",
        "explained": "Explain an access",
        "everything": "Everything Emma Fontaine can reach",
        "offboard": "Remove from everything (leaving the association)",
        "refused": "Only the board and the operations team may see this.",
    },
    "fr": {
        "contributor": "contributeur·ice",
        "reader": "lecteur·ice",
        "facilitator": "animateur·ice",
        "members": "Membres de l'association",
        "consult": "consultation",
        "modify": "modification",
        "manage": "gestion",
        "none": "aucun",
        "rule": "une règle sur ce sous-dossier",
        "explain": "Expliquer",
        "explained": "Expliquer un accès",
        "everything": "Tout ce à quoi Emma Fontaine a accès",
        "offboard": "Retirer de tout (départ de l’association)",
        "refused": "Seuls le CA et l'équipe opérationnelle peuvent voir cela.",
    },
}


def _rows(page: Any, table: str) -> list[list[str]]:
    """The cells of a table on the person page, each cell's words on one line (screen-reader text aside)."""
    cells = page.locator(f"table[aria-labelledby={table}] tbody tr").evaluate_all(
        """rows => rows.map(r => [...r.cells].map(c => {
             const copy = c.cloneNode(true); copy.querySelectorAll('.gov-sr-only').forEach(s => s.remove());
             return copy.textContent.split(/\\s+/).filter(Boolean).join(' ');
           }))"""
    )
    return [list(row) for row in cells]


def _french(lang: str, text: str) -> bool:
    return lang != "fr" or not english_in(text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_operator_sees_every_group_folder_and_sub_folder_of_a_member_and_why(
    person: Any, demo: Any, lang: str
) -> None:
    w = WORDS[lang]
    claire = person("claire", lang)
    page = claire.open("/groups/communication")
    page.click("table[aria-labelledby=members-title] a:text-is('Yann Le Goff')")
    page.wait_for_selector("h2:has-text('Yann Le Goff')")
    assert page.url.endswith("/person/yann")
    assert _rows(page, "person-groups") == [
        ["Communication", w["reader"], "—"],
        ["Jardins partagés", w["contributor"], "—"],
        [w["members"], "—", "—"],
    ]
    explain = w["explain"]
    assert _rows(page, "person-folders") == [
        ["Administratif et gestion", w["consult"], f"Jardins partagés · {w['contributor']} · {explain}"],
        ["Communication", w["consult"], f"Communication · {w['reader']} · {explain}"],
        ["Communication/Interne", w["none"], f"Communication · {w['reader']} — {w['rule']} · {explain}"],
        ["Jardins partagés", w["modify"], f"Jardins partagés · {w['contributor']} · {explain}"],
    ]
    assert page.is_visible(f"button:has-text('{w['offboard']}')")
    assert _french(lang, page.inner_text("#gov-main")), english_in(page.inner_text("#gov-main"))
    claire.shot("person-view")
    found = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"]}).response["violations"]
    assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == []

    page.click("table[aria-labelledby=person-folders] a[href*='path=Interne']")
    page.wait_for_selector(f"h2:text-is('{w['explained']}')")
    assert " ".join(page.inner_text("#answer-title").split()) == "Yann Le Goff (yann) — Communication/Interne"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_people_search_leads_to_a_person_page_with_end_dates_in_the_readers_language(
    person: Any, demo: Any, lang: str
) -> None:
    w = WORDS[lang]
    soon = next(m.until for m in demo.gov.org().members_of("communication") if m.user == "emma")
    page = person("claire", lang).open("/explain")
    page.fill("#explain-user", "Emma Fontaine")  # a display name, as the person search offers it
    page.select_option("#explain-folder", "Communication")
    page.click("#gov-main form button[type=submit]")
    page.click(f"a:text-is('{w['everything']}')")
    page.wait_for_selector("h2:has-text('Emma Fontaine')")
    assert _rows(page, "person-groups") == [
        ["Communication", w["contributor"], day(soon, lang)],
        ["Éducation populaire", w["facilitator"], "—"],
        [w["members"], "—", "—"],
    ]
    assert [row[:2] for row in _rows(page, "person-folders")] == [
        ["Communication", w["modify"]],
        ["Éducation populaire", w["manage"]],
    ]
    assert _french(lang, page.inner_text("#gov-main")), english_in(page.inner_text("#gov-main"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_board_reads_a_person_page_but_is_offered_no_removal(person: Any, demo: Any, lang: str) -> None:
    w = WORDS[lang]
    page = person("sophie", lang).open("/groups/communication")
    page.click("table[aria-labelledby=members-title] a:text-is('Emma Fontaine')")
    page.wait_for_selector("h2:has-text('Emma Fontaine')")
    assert ["Communication", w["modify"]] in [row[:2] for row in _rows(page, "person-folders")]
    assert not page.is_visible(f"text={w['offboard']}")
    assert page.locator("#offboard-justification").count() == 0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_facilitator_sees_only_their_own_page(person: Any, demo: Any, lang: str) -> None:
    w = WORDS[lang]
    alice = person("alice", lang)
    page = alice.open("/groups/communication")
    links = page.locator("table[aria-labelledby=members-title] a[href*='/person/']")
    assert links.all_inner_texts() == ["Alice Moreau"]  # others' pages are not hers to read
    links.click()
    page.wait_for_selector("h2:has-text('Alice Moreau')")
    assert _rows(page, "person-groups")[0] == ["Communication", w["facilitator"], "—"]
    assert not page.is_visible(f"text={w['offboard']}")

    refused = alice.open("/person/yann").inner_text("#gov-main")
    assert w["refused"] in refused and "Yann" not in refused and "Jardins" not in refused
