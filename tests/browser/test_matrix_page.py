"""The access matrix in a browser, as a board member reads it: a small association's twelve folders on
one page, the header row and the group column staying in view while the table scrolls, and the filter
by folder or group, in English and in French."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from lib.core.model import Membership, Role, WorkingGroup

pytestmark = pytest.mark.browser

HEADER = ".gov-matrix thead th"
ROWS = ".gov-matrix tbody th[scope=row]"


@pytest.fixture(scope="module")
def demo(demo: Any) -> Any:
    """The demo's four working groups and eight projects, each with its folder, applied to Nextcloud."""
    org = demo.gov.org()
    more = tuple(WorkingGroup(f"projet-{i}", f"Projet {i}", f"Projet numéro {i}") for i in range(1, 9))
    hosts = tuple(Membership(wg.slug, "alice", Role.FACILITATOR) for wg in more)
    demo.gov.orgs.save(
        replace(org, working_groups=org.working_groups + more, memberships=org.memberships + hosts)
    )
    applied = asyncio.run_coroutine_threadsafe(demo.gov.sync.apply("system"), demo.server.loop)
    _plan, result = applied.result(timeout=120)
    assert result.ok, result.error
    return demo


def row_names(page: Any) -> list[str]:
    """Each row's group as shown (its first line: the Nextcloud id is a detail below it)."""
    return [text.splitlines()[0].strip() for text in page.locator(ROWS).all_inner_texts()]


def on_top(cell: Any) -> bool:
    """Whether the cell is what a person sees at its own centre (not hidden under the scrolled cells)."""
    return bool(
        cell.evaluate(
            """e => { const r = e.getBoundingClientRect();
                      const seen = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                      return e === seen || e.contains(seen); }"""
        )
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_header_row_and_the_group_column_stay_in_view_while_the_matrix_scrolls(
    person: Any, lang: str
) -> None:
    sophie = person("sophie", lang)
    page = sophie.open("/matrix")
    page.wait_for_selector(HEADER)
    assert page.locator(HEADER).count() == 13  # "Group" and the twelve folders
    box = page.locator(".gov-matrix-scroll")
    box.evaluate("b => b.scrollIntoView({block: 'end'})")  # the page scrolls to show the whole box
    before = box.bounding_box()
    header = f"{HEADER}:last-child"  # the last folder: in view once scrolled to the right
    row = f"{ROWS} >> nth=-1"  # the last group: in view once scrolled to the bottom
    box.evaluate("b => b.scrollTo(b.scrollWidth, b.scrollHeight)")
    page.wait_for_timeout(100)
    scrolled = box.evaluate("b => [b.scrollLeft, b.scrollTop]")
    assert scrolled[0] > 100 and scrolled[1] > 100, scrolled  # the table did move in its box
    assert abs(page.locator(header).bounding_box()["y"] - before["y"]) <= 2  # still at the top
    assert abs(page.locator(row).bounding_box()["x"] - before["x"]) <= 2  # still at the left
    assert on_top(page.locator(header)) and on_top(page.locator(row))
    assert page.locator(f"{HEADER} >> nth=0").inner_text().strip() == ("Groupe" if lang == "fr" else "Group")
    sophie.shot("matrix-scrolled")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_filter_narrows_the_matrix_to_a_group_or_a_folder(person: Any, lang: str) -> None:
    sophie = person("sophie", lang)
    page = sophie.open("/matrix")
    page.wait_for_selector(HEADER)
    page.fill("#matrix-group", "communication " + ("animateurs" if lang == "fr" else "facilitators"))
    page.click("form[role=search] button[type=submit]")
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 1")
    role = "animateur·ices" if lang == "fr" else "facilitators"
    assert row_names(page) == [f"Communication — {role}"]
    assert "group=communication" in page.url
    page.fill("#matrix-group", "")
    page.fill("#matrix-q", "projet 3")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_function(
        f"() => document.querySelector('{HEADER}:last-child').innerText.trim() === 'Projet 3'"
    )
    assert [h.strip() for h in page.locator(HEADER).all_inner_texts()[1:]] == ["Projet 3"]
    assert f"Projet 3 — {role}" in row_names(page)
    folders = page.locator("#explain-folder option").all_inner_texts()
    assert "Projet 8" in folders and len(folders) == 13  # every folder, and "Choose a folder"
    sophie.shot("matrix-filtered")
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in serious]
