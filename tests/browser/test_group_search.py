"""Searching the working groups in the browser: the list narrows, the address follows, a reload keeps it."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser


def test_a_search_narrows_the_list_and_the_address_keeps_it(person: Any) -> None:
    dave = person("dave")
    page = dave.open()
    page.fill("#groups-q", "alice")  # Alice Moreau facilitates Communication
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("text=1 working group matches “alice”.")
    cards = page.locator(".gov-card h3").all_inner_texts()
    assert cards == ["Communication"]
    assert page.url.endswith("/groups?q=alice")
    page.reload()
    page.wait_for_selector("text=1 working group matches “alice”.")
    assert page.input_value("#groups-q") == "alice"
    page.click("text=Clear the search")
    page.wait_for_selector("text=4 working groups")
    assert "?" not in page.url


def test_a_search_finding_nothing_offers_every_group_and_stays_accessible(person: Any) -> None:
    claire = person("claire")
    page = claire.open("/organisation?q=p%C3%A9tanque")
    page.wait_for_selector("text=No working group matches “pétanque”.")
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in serious]
    page.click("text=Show every working group")
    page.wait_for_selector("text=4 working groups")
    assert "Jardins partagés" in page.inner_text("#gov-main")
