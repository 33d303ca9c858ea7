"""What people see in their browser: the demo organisation, the request flow, every page in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser


def test_the_make_run_page_shows_the_demo_working_groups(person: Any) -> None:
    page = person("dave").open()
    main = page.inner_text("#gov-main")
    for name in ("Communication", "Jardins partagés", "Éducation populaire", "Administratif et gestion"):
        assert name in main
    assert "Alice Moreau" in main  # the facilitator, by name


def test_a_facilitator_request_is_approved_by_an_operator_and_applied(person: Any, demo: Any) -> None:
    alice = person("alice")
    page = alice.open("/groups/jardins")
    assert "Request an addition" not in page.inner_text("#gov-main")  # not her group
    page = alice.open("/groups/communication")
    page.fill("#add-users", "nora")
    page.fill("#add-justification", "Nora joins the newsletter team")
    page.click("form[aria-labelledby=add-title] button[type=submit]")
    page.wait_for_selector("text=Request sent to the operations team.")
    rid = re.search(r"Request #(\d+)", page.inner_text("#gov-main")).group(1)  # type: ignore[union-attr]
    alice.shot("request-sent")

    claire = person("claire")
    page = claire.open()
    badge = page.locator(".gov-nav .gov-badge")
    assert badge.first.inner_text().strip() == "1"
    page.click(".gov-nav >> text=To decide")
    page.wait_for_selector(f"text=#{rid}")
    claire.shot("to-decide")
    page.click(f"text=#{rid}")
    page.wait_for_selector("text=What approval will change in Nextcloud")
    plan = page.inner_text(".gov-plan")
    assert "Add Nora Haddad to Communication (contributors)" in plan
    claire.shot("request-plan")
    page.click("text=Approve and apply")
    page.wait_for_selector("text=applied")

    assert "nora" in demo.standin.groups["gt-communication-membres"]
    folder = demo.standin.folder_by_mount("Communication")
    assert folder.groups["gt-communication-membres"] == 15  # nora now modifies the folder
    page = alice.open("/groups/communication")
    assert "Nora Haddad" in page.inner_text("#gov-main")


def test_the_board_reads_the_matrix_and_asks_why_someone_has_access(person: Any) -> None:
    sophie = person("sophie")
    page = sophie.open("/matrix")
    main = page.inner_text("#gov-main")
    assert "gt-communication-membres" in main and "Communication" in main
    assert "Repair" not in main  # the board reads, operations repair
    assert "Sophie Lefèvre" in page.inner_text("#user-switcher")  # the shell page is read as UTF-8
    sophie.shot("matrix")
    page.fill("#explain-user", "yann")
    page.select_option("#explain-folder", "Communication")
    page.fill("#explain-path", "Interne")
    page.click("form[aria-labelledby=explain-title] button[type=submit]")
    page.wait_for_selector("text=Why")
    answer = page.inner_text("#gov-main")
    assert "hidden" in answer  # yann is a reader of Communication, denied on Interne
    sophie.shot("explain")


PAGES = {
    "groups": ("dave", ""),
    "group": ("alice", "/groups/communication"),
    "my-requests": ("alice", "/requests"),
    "to-decide": ("claire", "/decide"),
    "matrix": ("sophie", "/matrix"),
    "audit": ("sophie", "/audit"),
    "stats": ("sophie", "/stats"),
    "organisation": ("claire", "/organisation"),
}


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_speaks_the_users_language_and_has_no_serious_accessibility_violation(
    person: Any, name: str, lang: str
) -> None:
    uid, sub = PAGES[name]
    who = person(uid, lang)
    page = who.open(sub)
    text = page.inner_text(".gov-nav")
    assert ("Groupes de travail" in text) if lang == "fr" else ("Working groups" in text)
    who.shot(name)
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in serious]
