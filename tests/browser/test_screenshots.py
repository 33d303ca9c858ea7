"""Every page, in French and English, in Nextcloud's light and dark themes, kept as pictures (issue 14).

Each page is opened inside Nextcloud's page (the stand-in's) as a person whose role lets them see it,
checked (the app's answer, its title in the reader's language, no error text), and photographed to
``artifacts/screenshots/<lang>-<theme>-<page>.png``: `make test` leaves them there and CI keeps that
folder, so a reviewer sees what a volunteer sees without running anything. The theme is switched as
Nextcloud's default theme follows the system, by ``prefers-color-scheme`` (tests/standin/browser.py).

One browser; one logged-in tab per person and language, reused for every page they see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ex_app.dev import Demo
from lib.core.model import Role
from lib.core.request_kinds import RequestLine
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_first_run import start_fresh

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n"
REQUEST = "{request}"  # the path of the request made for these pictures, filled in once made
# page: (who sees it, where, the fragment's status, its title in English, in French)
PAGES: dict[str, tuple[str, str, int, str, str]] = {
    "groups": ("dave", "/groups", 200, "Working groups", "Groupes de travail"),
    "group": ("alice", "/groups/communication", 200, "Communication", "Communication"),
    "requests": ("alice", "/requests", 200, "My requests", "Mes demandes"),
    "request": ("claire", REQUEST, 200, "Request #", "Demande #"),
    "decide": ("claire", "/decide", 200, "To decide", "À décider"),
    "matrix": ("sophie", "/matrix", 200, "Access matrix", "Matrice d'accès"),
    "explain": ("sophie", "/explain?user=yann&folder=Communication&path=Interne", 200,
                "Explain an access", "Expliquer un accès"),  # fmt: skip
    "audit": ("sophie", "/audit", 200, "Audit log", "Journal d'audit"),
    "stats": ("sophie", "/stats", 200, "Statistics", "Statistiques"),
    "organisation": ("claire", "/organisation", 200, "Organisation", "Organisation"),
    "person": ("sophie", "/person/yann", 200, "Yann Le Goff", "Yann Le Goff"),
    "settings": ("admin", "/settings", 200, "Settings", "Paramètres"),
    "setup": ("admin", "/setup", 200, "Set up Governance", "Mettre en place Gouvernance"),  # fresh install
    "403": ("dave", "/decide", 403, "Only the operations team may do this.",
            "Seule l'équipe opérationnelle peut faire cela."),
    "404": ("alice", "/no-such-page", 404, "Page not found", "Page introuvable"),
}  # fmt: skip
NAV = {"en": "Working groups", "fr": "Groupes de travail"}


class Tabs:
    """One logged-in tab per (demo, person, language), opened on first use and reused."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: dict[tuple[str, str, str], Any] = {}

    def tab(self, demo: Demo, uid: str, lang: str) -> Any:
        key = (demo.page_url, uid, lang)
        if key not in self.contexts:
            context = self.browser.new_context(
                viewport={"width": 1280, "height": 900}, locale=lang, color_scheme="light"
            )
            page = context.new_page()
            page.goto(f"{demo.standin.url}/standin/login?user={uid}&lang={lang}&next=/")
            self.contexts[key] = context
        return self.contexts[key].pages[0]

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="module")
def tabs(browser: Any) -> Iterator[Tabs]:
    made = Tabs(browser)
    yield made
    made.close()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A second install with nothing set up: the only place the set-up page is shown."""
    with ThreadPoolExecutor(1) as pool:
        d = pool.submit(asyncio.run, start_fresh(tmp_path_factory.mktemp("fresh"))).result(timeout=120)
    yield d
    d.stop()


@pytest.fixture(scope="module")
def request_path(demo: Demo) -> str:
    """A request waiting for the operations team: Alice asks for Nora to join Communication."""
    gov = demo.gov
    ask = gov.requests.submit_addition(
        gov.actor("alice"),
        group="communication",
        justification="Nora rejoint l'équipe de la lettre d'information",
        lines=[RequestLine(user="nora", role=Role.CONTRIBUTOR)],
    )
    sent = asyncio.run_coroutine_threadsafe(ask, demo.server.loop).result(timeout=30)
    return f"/requests/{sent[0].id}"


# All English pages, then all French ones: the language is the Nextcloud user's (one per person),
# which a login with ``lang=`` sets.
@pytest.mark.parametrize(("lang", "name"), [(lang, name) for lang in ("en", "fr") for name in PAGES])
def test_every_page_is_photographed_in_both_languages_and_themes(
    request: pytest.FixtureRequest, tabs: Tabs, name: str, lang: str
) -> None:
    uid, sub, status, title_en, title_fr = PAGES[name]
    demo: Demo = request.getfixturevalue("fresh" if name == "setup" else "demo")
    if sub == REQUEST:
        sub = request.getfixturevalue("request_path")
    page = tabs.tab(demo, uid, lang)
    page.emulate_media(color_scheme="light")
    with page.expect_response(lambda r: "/proxy/" in r.url and "/ui/" in r.url, timeout=15000) as answer:
        page.goto(demo.page_url + sub)
    page.wait_for_selector("#gov-main", timeout=15000)
    assert answer.value.status == status, (name, answer.value.url)
    main = page.inner_text("#gov-main")
    missing = [] if status == 404 else ["Page not found", "Page introuvable"]
    wrongs = ["Traceback", "Internal Server Error", *missing]
    assert not [w for w in wrongs if w in main], (name, main[:300])
    title = title_fr if lang == "fr" else title_en
    assert title in main, (name, title, main[:300])
    if name != "setup":  # the set-up page has no navigation yet
        assert NAV[lang] in page.inner_text(".gov-nav")

    pictures = {}
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        path = ARTIFACTS / f"{lang}-{theme}-{name}.png"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        pictures[theme] = path.read_bytes()
        assert pictures[theme].startswith(PNG) and len(pictures[theme]) > 5000, path
    assert pictures["light"] != pictures["dark"], f"{name}: the dark theme changed nothing"
    page.emulate_media(color_scheme="light")
