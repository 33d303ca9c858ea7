"""The page boots with its scripts in Nextcloud's order, and refused forms read as sentences, not markup.

Nextcloud emits an ExApp's scripts sorted by path, all `defer` (fixtures/appapi_embedded_scripts.json),
so js/governance-main.js runs before js/htmx.min.js; the stand-in's embedded page does the same.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

SCRIPTS = "els => els.map(e => [e.getAttribute('src').split('?')[0], e.defer, e.type])"


def test_the_page_boots_with_the_scripts_in_nextclouds_order(person: Any) -> None:
    dave = person("dave")
    page = dave.open()
    scripts = page.eval_on_selector_all("script[src*='/apps/app_api/proxy/']", SCRIPTS)
    assert [src.rsplit("/", 1)[1] for src, _, _ in scripts] == ["governance-main.js", "htmx.min.js"]
    assert all(defer and kind in ("", "text/javascript") for _, defer, kind in scripts)
    main = page.inner_text("#gov-main")
    assert "Communication" in main and "Jardins partagés" in main  # the groups page, from the ExApp


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_refused_request_shows_the_sentence_beside_the_field_not_markup(person: Any, lang: str) -> None:
    alice = person("alice", lang)
    page = alice.open("/groups/communication")
    page.fill("#add-users", "nobody-with-this-account")
    page.fill("#add-justification", "Joins the newsletter team")
    with page.expect_response(lambda r: r.url.endswith("/ui/requests")) as answer:
        page.click("form[aria-labelledby=add-title] button[type=submit]")
    assert 400 <= answer.value.status < 500  # refused: htmx would not have swapped it by default
    error = page.wait_for_selector("#err-add-lines", timeout=10000)
    sentence = error.inner_text().strip()
    assert sentence and "<" not in sentence
    assert page.input_value("#add-users") == "nobody-with-this-account"  # what was typed is kept
    assert page.get_attribute("#add-users", "aria-invalid") == "true"
    assert "<" not in page.inner_text("#gov-main")
    alice.shot("refused-request")


@pytest.mark.parametrize(("lang", "words"), [("en", "could not complete"), ("fr", "n’a pas pu terminer")])
def test_a_server_failure_shows_a_translated_sentence_not_the_answer(
    person: Any, demo: Any, lang: str, words: str
) -> None:
    alice = person("alice", lang)
    page = alice.open("/groups/communication")
    page.fill("#add-users", "nora")
    page.fill("#add-justification", "Joins the newsletter team")
    demo.standin.fail("POST", r"/proxy/governance/ui/requests$", mode="500")
    page.click("form[aria-labelledby=add-title] button[type=submit]")
    flash = page.wait_for_selector("#gov-flash:not([hidden])", timeout=10000)
    text = flash.inner_text()
    assert words in text and "stand-in fault" not in text
