"""Everything a person can reach and why, on one page (issue 15)."""

from __future__ import annotations

import re

from tests.conftest import RunningApp


def test_the_person_page_lists_groups_end_dates_folders_and_sub_folders(demo: RunningApp) -> None:
    with demo.client("claire") as c:
        page = c.get("/ui/person/yann").text
    assert "Communication" in page and "Jardins partagés" in page
    rows = dict(re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", page))
    assert rows["Communication"] == "consult" and rows["Communication/Interne"] == "none"
    assert rows["Jardins partagés"] == "modify"
    assert "/explain?user=yann&amp;folder=Communication&amp;path=Interne" in page


def test_a_person_sees_their_own_page_and_not_someone_elses(demo: RunningApp) -> None:
    with demo.client("dave") as c:
        assert c.get("/ui/person/dave").status_code == 200
        assert c.get("/ui/person/yann").status_code == 403


def test_an_unknown_person_is_said_so(demo: RunningApp) -> None:
    with demo.client("claire") as c:
        r = c.get("/ui/person/zorro")
    assert r.status_code == 404 and "Nobody has the account" in r.text


def test_the_explanation_leads_to_the_person_page_in_french(demo: RunningApp) -> None:
    with demo.client("claire", lang="fr") as c:
        page = c.get("/ui/explain", params={"user": "yann", "folder": "Communication"}).text
        person = c.get("/ui/person/yann").text
    assert "Tout ce à quoi" in page and "/ui/person/yann" in page
    assert "Dossiers" in person and "Groupes" in person
