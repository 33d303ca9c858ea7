"""Long lists of working groups (/ui/groups, /ui/organisation) are searched and shown a page at a time."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from tests.conftest import RunningApp

EXTRA = 56  # with the 4 demo groups: 60 groups, 3 pages of 25


@pytest.fixture
def app(many_groups: RunningApp) -> RunningApp:
    return many_groups


def titles(page: str) -> list[str]:
    """The working groups listed, as the cards' titles."""
    return re.findall(r"<h[34]>(?:<a [^>]*>)?([^<(]+?)\s*(?:</a>|<span)", page)


# ---- the working groups everyone sees --------------------------------------------------------------


def test_the_groups_page_lists_the_first_25_groups_and_says_how_many_there_are(app: RunningApp) -> None:
    with app.client("dave") as c:
        r = c.get("/ui/groups")
    assert r.status_code == 200
    shown = titles(r.text)
    assert shown[:2] == ["Communication", "Administratif et gestion"] and len(shown) == 25
    assert "60 working groups" in r.text and "Page 1 of 3" in r.text
    assert '<label for="groups-q">Find a working group</label>' in r.text
    assert "Previous" not in r.text and "/ui/groups?page=2" in r.text


def test_the_second_page_shows_the_next_groups_and_links_back(app: RunningApp) -> None:
    with app.client("dave") as c:
        r = c.get("/ui/groups", params={"page": "2"})
    assert r.status_code == 200
    assert titles(r.text) == [f"Atelier {i:02d}" for i in range(21, 46)]
    assert "Page 2 of 3" in r.text
    assert (
        "/ui/groups?page=3" in r.text
        and 'hx-get="/index.php/apps/app_api/proxy/governance/ui/groups"' in r.text
    )
    assert r.headers["HX-Push-Url"].endswith("/groups?page=2")


@pytest.mark.parametrize("page", ["99", "-1", "abc", "9" * 40])
def test_a_page_number_out_of_range_shows_a_page_that_exists(app: RunningApp, page: str) -> None:
    with app.client("dave") as c:
        r = c.get("/ui/groups", params={"page": page})
    assert r.status_code == 200
    last = page == "99"
    assert ("Page 3 of 3" if last else "Page 1 of 3") in r.text
    assert titles(r.text)[-1] == ("Atelier 55" if last else "Atelier 20")


def test_searching_finds_a_group_by_its_facilitators_name_or_account(app: RunningApp) -> None:
    with app.client("dave") as c:
        by_name = c.get("/ui/groups", params={"q": "lemoine"})
        by_uid = c.get("/ui/groups", params={"q": "GASPARD"})
        by_alice = c.get("/ui/groups", params={"q": "alice martin"})
    assert titles(by_name.text) == ["Atelier 37"] == titles(by_uid.text)
    assert "1 working group matches “lemoine”." in by_name.text
    assert "Gaspard Lemoine" in by_name.text
    assert titles(by_alice.text) == ["Communication"]
    assert by_name.headers["HX-Push-Url"].endswith("/groups?q=lemoine")


def test_searching_finds_groups_by_name_identifier_or_purpose_ignoring_case(app: RunningApp) -> None:
    with app.client("dave") as c:
        by_name = c.get("/ui/groups", params={"q": "jardins PARTAGÉS"})
        by_slug = c.get("/ui/groups", params={"q": "atelier-07"})
        by_purpose = c.get("/ui/groups", params={"q": "rencontre numéro 12"})
    assert titles(by_name.text) == ["Jardins partagés"]
    assert titles(by_slug.text) == ["Atelier 07"]
    assert titles(by_purpose.text) == ["Atelier 12"]


def test_the_pages_of_a_search_keep_the_search(app: RunningApp) -> None:
    with app.client("dave") as c:
        first = c.get("/ui/groups", params={"q": "atelier-"})
        second = c.get("/ui/groups", params={"q": "atelier-", "page": "2"})
    assert "56 working groups match “atelier-”." in first.text and "Page 1 of 3" in first.text
    assert "/ui/groups?q=atelier-&amp;page=2" in first.text
    assert titles(second.text)[0] == "Atelier 25"
    assert 'value="atelier-"' in second.text and "Clear the search" in second.text


def test_a_search_that_finds_nothing_says_so_and_offers_every_group(app: RunningApp) -> None:
    with app.client("dave") as c:
        r = c.get("/ui/groups", params={"q": "pétanque"})
    assert r.status_code == 200
    assert titles(r.text) == []
    assert "No working group matches “pétanque”." in r.text
    assert "Show every working group" in r.text and "Page " not in r.text


def test_a_search_with_markup_is_shown_as_text(app: RunningApp) -> None:
    typed = '<script>alert("x")</script> & \' %(n)s'
    with app.client("dave") as c:
        r = c.get("/ui/groups", params={"q": typed})
    assert r.status_code == 200
    assert "<script>alert" not in r.text
    assert f"No working group matches “{escape(typed)}”." in r.text
    assert f'value="{escape(typed)}"' in r.text


# ---- the organisation page (operations) ------------------------------------------------------------


def test_operations_search_the_organisation_and_page_through_it(app: RunningApp) -> None:
    with app.client("claire") as c:
        first = c.get("/ui/organisation")
        found = c.get("/ui/organisation", params={"q": "RENCONTRE numéro 45"})
        last = c.get("/ui/organisation", params={"page": "7"})
        none = c.get("/ui/organisation", params={"q": "<b>rien</b>"})
    assert first.status_code == 200 and len(titles(first.text)) == 25 and "Page 1 of 3" in first.text
    assert titles(found.text) == ["Atelier 45"] and "Page 1 of" not in found.text
    assert "Page 3 of 3" in last.text and titles(last.text)[-1] == "Atelier 55"
    assert last.headers["HX-Push-Url"].endswith("/organisation?page=3")
    assert "No working group matches “&lt;b&gt;rien&lt;/b&gt;”." in none.text
    assert "Create a working group" in none.text and "Export as YAML" in none.text


def test_a_refused_edit_shows_the_page_holding_that_groups_form_with_the_error(app: RunningApp) -> None:
    form = {"mode": "update", "slug": "atelier-50", "name": "Atelier 50", "mount_point": "Communication"}
    with app.client("claire") as c:
        r = c.post("/ui/organisation/groups", data=form)
    assert r.status_code == 422
    assert "Page 3 of 3" in r.text
    assert re.search(r'id="err-wg-atelier-50-mount_point">Another working group already uses', r.text)
    assert r.headers["HX-Push-Url"].endswith("/organisation?page=3")


def test_after_saving_a_group_the_page_holding_it_is_shown(app: RunningApp) -> None:
    _plan, result = app.run(app.gov.sync.apply("claire"))
    assert result.ok, result.error
    form = {
        "mode": "update",
        "slug": "atelier-30",
        "name": "Atelier trente",
        "purpose": "",
        "mount_point": "",
    }
    with app.client("claire") as c:
        preview = c.post("/ui/organisation/groups", data=form)
        assert preview.status_code == 200 and "Save and apply" in preview.text
        fields = {k: re.search(rf'name="{k}" value="([^"]*)"', preview.text) for k in ("checksum", "version")}
        r = c.post(
            "/ui/organisation/groups", data={**form, **{k: m.group(1) for k, m in fields.items() if m}}
        )
    assert r.status_code == 200
    assert "changes applied" in r.text and "Page 2 of 3" in r.text
    assert "Atelier trente" in titles(r.text)
