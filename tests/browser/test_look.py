"""Nextcloud's look in its light and dark themes, and errors beside their fields, in both languages.

The stand-in's page sets Nextcloud's theme variables for light or dark (``prefers-color-scheme``,
as Nextcloud's default theme follows the system); axe checks the contrast of everything shown,
and links must be drawn in the theme's text colour, not the browser's blue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


class Visit:
    def __init__(self, browser: Any, demo: Any, uid: str, lang: str, scheme: str) -> None:
        self.demo, self.lang, self.scheme = demo, lang, scheme
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale=lang, color_scheme=scheme
        )
        self.page = self.context.new_page()
        self.page.goto(f"{demo.standin.url}/standin/login?user={uid}&lang={lang}&next=/")

    def open(self, sub: str) -> Any:
        self.page.goto(self.demo.page_url + sub)
        self.page.wait_for_selector("#gov-main", timeout=15000)
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}-{self.lang}-{self.scheme}.png"
        self.page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def visit(browser: Any, demo: Any) -> Iterator[Any]:
    made: list[Visit] = []

    def make(uid: str, lang: str = "en", scheme: str = "light") -> Visit:
        made.append(Visit(browser, demo, uid, lang, scheme))
        return made[-1]

    yield make
    for v in made:
        v.context.close()


def contrast_problems(page: Any) -> list[Any]:
    results = Axe().run(page, options={"runOnly": ["wcag2aa"]})
    return [
        (v["id"], [n["html"][:120] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["id"] == "color-contrast" or v["impact"] in ("serious", "critical")
    ]


PAGES = {
    "groups": ("alice", ""),
    "group": ("alice", "/groups/communication"),
    "requests": ("alice", "/requests"),
    "audit": ("sophie", "/audit"),
    "matrix": ("sophie", "/matrix"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_are_readable_in_light_and_dark_themes(visit: Any, name: str, scheme: str) -> None:
    uid, sub = PAGES[name]
    v = visit(uid, "fr", scheme)
    page = v.open(sub)
    v.shot(name)
    assert contrast_problems(page) == []
    colours = page.evaluate(
        """() => {
            const text = getComputedStyle(document.querySelector('.gov-main')).color;
            const links = [...document.querySelectorAll('.gov-main a:not(.gov-btn)')];
            return {text, links: links.map(a => getComputedStyle(a).color)};
        }"""
    )
    assert all(c == colours["text"] for c in colours["links"]), colours


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "La date de fin pour Nora Haddad est déjà passée."),
        ("en", "The end date for Nora Haddad is already past."),
    ],
)
def test_a_past_end_date_is_said_beside_the_date_field_and_the_form_keeps_what_was_typed(
    visit: Any, lang: str, expected: str, scheme: str
) -> None:
    v = visit("alice", lang, scheme)
    page = v.open("/groups/communication")
    page.fill("#add-users", "nora")
    page.fill("#add-until", "2020-01-01")
    page.fill("#add-justification", "Newsletter")
    page.click("form[aria-labelledby='add-title'] button[type=submit]")
    error = page.wait_for_selector("#err-add-until", timeout=15000)
    assert error.inner_text() == expected
    assert page.get_attribute("#add-until", "aria-describedby") == "err-add-until"
    assert page.input_value("#add-justification") == "Newsletter"
    assert page.input_value("#add-users") == "nora"
    assert "<" not in page.inner_text("#gov-main")  # no markup pasted as text
    v.shot("field-error")
    assert contrast_problems(page) == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Personne n’a le compte « zed »."), ("en", "Nobody has the account “zed”.")],
)
def test_an_unknown_account_is_said_beside_the_people_field(visit: Any, lang: str, expected: str) -> None:
    v = visit("alice", lang)
    page = v.open("/groups/communication")
    page.fill("#add-users", "zed")
    page.fill("#add-justification", "Newsletter")
    page.click("form[aria-labelledby='add-title'] button[type=submit]")
    assert page.wait_for_selector("#err-add-lines", timeout=15000).inner_text() == expected


@pytest.mark.parametrize(
    ("lang", "expected"), [("fr", "Cette page n’existe pas."), ("en", "This page does not exist.")]
)
def test_a_page_that_does_not_exist_says_so_inside_the_app(visit: Any, lang: str, expected: str) -> None:
    v = visit("alice", lang)
    page = v.open("/no-such-page")
    assert expected in page.inner_text("#gov-main")
    page.click("#gov-main a")
    page.wait_for_selector(".gov-cards, .gov-card", timeout=15000)


def test_the_printed_demo_url_opens_logged_in_on_the_working_groups(browser: Any, demo: Any) -> None:
    context = browser.new_context(locale="fr")
    try:
        page = context.new_page()
        page.goto(demo.start_url(lang="fr"))
        page.wait_for_selector("#gov-main .gov-card", timeout=15000)
        assert "Communication" in page.inner_text("#gov-main")
        assert "Groupes de travail" in page.inner_text(".gov-nav")
        assert page.url.endswith("/groups")
    finally:
        context.close()
