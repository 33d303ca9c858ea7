"""The access matrix with many folders, and the reading of Nextcloud it shows: what a board member or an
operator reads, in English and in French."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from lib.core.model import Membership, Role, WorkingGroup
from tests.conftest import RunningApp


def folder_headers(page: str) -> list[str]:
    head = page[page.index("<thead>") : page.index("</thead>")]
    return [h.strip() for h in re.findall(r'<th scope="col"(?: class="gov-drift")?>([^<]+)', head)[1:]]


def row_headers(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [h.strip() for h in re.findall(r'<th scope="row">([^<]+)', body)]


def explain_folders(page: str) -> list[str]:
    select = page[page.index('<select id="explain-folder"') : page.index("</select>")]
    return [f for f in re.findall(r'<option value="([^"]*)"', select) if f]


def pager(page: str) -> str:
    nav = re.search(r'<nav class="gov-pager" aria-label="[^"]*">(.*?)</nav>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", nav.group(1))).strip() if nav else ""


@pytest.fixture
def twelve_folders(demo: RunningApp) -> RunningApp:
    """A small association: the demo's four working groups and eight more, each with its folder."""
    org = demo.gov.org()
    more = tuple(WorkingGroup(f"projet-{i}", f"Projet {i}", f"Projet numéro {i}") for i in range(1, 9))
    hosts = tuple(Membership(wg.slug, "alice", Role.FACILITATOR) for wg in more)
    demo.seed(replace(org, working_groups=org.working_groups + more, memberships=org.memberships + hosts))
    return demo


def test_a_small_association_reads_its_twelve_folders_on_one_page(twelve_folders: RunningApp) -> None:
    with twelve_folders.client("sophie") as c:
        page = c.get("/ui/matrix").text
    assert len(folder_headers(page)) == 12
    assert {"Communication", "Projet 1", "Projet 8"} <= set(folder_headers(page))
    assert "12 folders" in page and not pager(page) and "Next folders" not in page
    assert "Projet 8 — facilitators" in row_headers(page)


def test_a_large_organisation_pages_twenty_five_folders_and_says_which_in_words(
    many_groups: RunningApp,
) -> None:
    with many_groups.client("claire") as c:
        first = c.get("/ui/matrix")
        second = c.get("/ui/matrix", params={"page": 2})
        last = c.get("/ui/matrix", params={"page": 3})
        nonsense = c.get("/ui/matrix", params={"page": "trois"})
    with many_groups.client("claire", "fr") as c:
        french = c.get("/ui/matrix", params={"page": 2})
    assert len(folder_headers(first.text)) == 25 and len(folder_headers(last.text)) == 10
    assert pager(first.text) == "Folders 1–25 of 60 Next folders"
    assert pager(second.text) == "Previous folders Folders 26–50 of 60 Next folders"
    assert pager(last.text) == "Previous folders Folders 51–60 of 60"
    assert pager(french.text) == "Dossiers précédents Dossiers 26 à 50 sur 60 Dossiers suivants"
    assert set(folder_headers(first.text)).isdisjoint(folder_headers(second.text))
    assert second.headers["HX-Push-Url"].endswith("/matrix?page=2")
    assert nonsense.status_code == 200 and folder_headers(nonsense.text) == folder_headers(first.text)


def test_the_filter_finds_folders_by_name_and_groups_by_working_group_and_role(
    many_groups: RunningApp,
) -> None:
    with many_groups.client("claire") as c:
        found = c.get("/ui/matrix", params={"q": "atelier 37"})
        facilitators = c.get("/ui/matrix", params={"group": "communication facilitators"})
        board = c.get("/ui/matrix", params={"group": "board", "q": "atelier"})
        none = c.get("/ui/matrix", params={"q": "<b>nothing</b>"})
        nobody = c.get("/ui/matrix", params={"group": "trésorerie"})
    with many_groups.client("claire", "fr") as c:
        animateurs = c.get("/ui/matrix", params={"group": "Communication animateurs"})
    assert folder_headers(found.text) == ["Atelier 37"] and "gt-atelier-37-animateurs" in found.text
    assert "gt-atelier-36-animateurs" not in found.text.split("</table>")[0]  # rows: groups on these folders
    assert found.headers["HX-Push-Url"].endswith("/matrix?q=atelier+37")
    assert folder_headers(facilitators.text) == ["Communication"]
    assert row_headers(facilitators.text) == ["Communication — facilitators"]
    assert facilitators.headers["HX-Push-Url"].endswith("/matrix?group=communication+facilitators")
    assert row_headers(board.text) == ["The board"] and len(folder_headers(board.text)) == 25
    assert "Folders 1–25 of 56" in board.text  # the 56 workshops the board consults, paged
    assert row_headers(animateurs.text) == ["Communication — animateur·ices"]
    assert "No folder matches “&lt;b&gt;nothing&lt;/b&gt;”." in none.text
    assert "No group matching “trésorerie” has a right on any folder." in nobody.text


def test_the_explain_form_offers_every_folder_not_only_those_on_screen(many_groups: RunningApp) -> None:
    with many_groups.client("claire") as c:
        page = c.get("/ui/matrix").text
        answer = c.get("/ui/explain", params={"user": "gaspard", "folder": "atelier 37"}).text
    assert "Atelier 55" not in folder_headers(page)
    offered = explain_folders(page)
    assert len(offered) == 60 and "Atelier 55" in offered and offered == sorted(offered, key=str.casefold)
    assert '<option value="Atelier 37" selected>' in answer  # the folder typed by its name, any case
    assert "Result:</strong> manage" in answer


def test_groups_are_rows_named_by_working_group_and_role_with_their_id_as_a_detail(demo: RunningApp) -> None:
    with demo.client("sophie") as c:
        english = c.get("/ui/matrix").text
    with demo.client("sophie", "fr") as c:
        french = c.get("/ui/matrix").text
    detail = '<small class="gov-detail">gt-communication-animateurs</small>'
    assert f'<th scope="row">Communication — facilitators{detail}' in english
    assert f'<th scope="row">Communication — animateur·ices{detail}' in french
    assert {"The board", "The operations team", "Communication — readers"} <= set(row_headers(english))
    assert {"CA", "Équipe opérationnelle", "Communication — lecteur·ices"} <= set(row_headers(french))
    assert "Interne : aucun" in french and "Interne: none" in english  # sub-folders, rights in words


def test_differences_name_people_and_groups_in_the_readers_language(demo: RunningApp) -> None:
    demo.standin.groups["gt-communication-membres"].add("nora")  # by hand
    folder = demo.standin.folder_by_mount("Communication")
    assert folder is not None
    folder.groups["gt-communication-lecteurs"] = 15  # readers made contributors by hand
    folder.groups["gt-jardins-membres"] = 1  # another group given access by hand
    with demo.client("claire") as c:
        page = c.get("/ui/matrix", params={"refresh": 1}).text
        english = drift_section(page)
    with demo.client("claire", "fr") as c:
        french = drift_section(c.get("/ui/matrix/drift").text)
    assert "Nora Haddad is in Communication (contributors) in Nextcloud, not in the organisation." in english
    assert "Communication (readers) has modify on Communication instead of consult." in english
    assert (
        "Jardins partagés (contributors) has consult on Communication but should have no access." in english
    )
    assert row_of(page, "Communication — readers").count("differs in Nextcloud") == 1
    assert row_of(page, "Jardins partagés — contributors").count("differs in Nextcloud") == 1  # an empty cell
    assert "Nora Haddad est dans Communication (contributeur·ices) dans Nextcloud, mais pas dans" in french
    assert "Communication (lecteur·ices) a modification sur Communication au lieu de consultation." in french
    assert "Jardins partagés (contributeur·ices) a consultation sur Communication mais ne devrait" in french
    for section in (english, french):
        assert "gt-communication" not in section and "(15)" not in section and "nora " not in section


def row_of(page: str, label: str) -> str:
    start = page.index(f'<th scope="row">{label}<')
    return page[start : page.index("</tr>", start)]


def drift_section(page: str) -> str:
    """The differences as read: the table's text, without the hidden form fields."""
    section = page[page.index('id="gov-drift"') :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_after_an_apply_the_matrix_answers_without_reading_nextcloud_again(demo: RunningApp) -> None:
    demo.standin.calls.clear()
    with demo.client("claire") as c:
        r = c.get("/ui/matrix")
    assert "None: Nextcloud matches the organisation." in r.text
    assert "As Nextcloud was read at" in r.text
    reads = [path for _method, path in demo.standin.calls if "/groups" in path or "/folders" in path]
    assert not [path for path in reads if not path.startswith("/ocs/v2.php/cloud/users/")]  # who is admin


def test_the_plan_json_says_when_nextcloud_was_read_and_reads_it_again_on_request(demo: RunningApp) -> None:
    demo.standin.groups["gt-communication-membres"].add("nora")  # by hand
    with demo.client("claire") as c:
        kept = c.get("/api/plan").json()
        fresh = c.get("/api/plan", params={"fresh": 1}).json()
    assert kept["count"] == 0 and kept["read_at"] < fresh["read_at"]
    assert fresh["count"] == 1 and fresh["changes"][0]["kind"] == "RemoveMember"


def test_a_worker_does_not_show_a_reading_older_than_another_workers_apply(demo: RunningApp) -> None:
    """Two server processes share the database, not their readings: the journal tells them apart."""
    other = RunningApp(demo.standin, demo.settings)  # a second worker on the same database
    try:
        demo.standin.groups["gt-communication-membres"].add("nora")  # by hand
        with demo.client("claire") as c:
            before = c.get("/api/plan", params={"fresh": 1}).json()
        _plan, result = other.run(other.gov.sync.apply("claire"))  # the other worker repairs
        with demo.client("claire") as c:
            after = c.get("/api/plan").json()
    finally:
        other.stop()
    assert before["count"] == 1 and result.ok
    assert after["count"] == 0 and after["read_at"] > before["read_at"]
    assert "nora" not in demo.standin.groups["gt-communication-membres"]
