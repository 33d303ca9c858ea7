"""The access matrix with many folders, and the reading of Nextcloud it shows."""

from __future__ import annotations

import re

from tests.conftest import RunningApp


def folder_headers(page: str) -> list[str]:
    head = page[page.index("<thead>") : page.index("</thead>")]
    return [h.strip() for h in re.findall(r'<th scope="col"(?: class="gov-drift")?>([^<]+)', head)[1:]]


def test_the_matrix_shows_five_folders_a_page_and_finds_one_by_its_group_name(
    many_groups: RunningApp,
) -> None:
    with many_groups.client("claire") as c:
        first = c.get("/ui/matrix")
        second = c.get("/ui/matrix", params={"page": 2})
        found = c.get("/ui/matrix", params={"q": "atelier 37"})
        none = c.get("/ui/matrix", params={"q": "<b>nothing</b>"})
    assert len(folder_headers(first.text)) == 5 and "60 folders" in first.text
    assert "Page 1 of 12" in first.text and "Next folders" in first.text
    assert set(folder_headers(first.text)).isdisjoint(folder_headers(second.text))
    assert folder_headers(found.text) == ["Atelier 37"] and "gt-atelier-37-animateurs" in found.text
    table = found.text[found.text.index("gov-matrix") : found.text.index("</table>")]
    assert "gt-atelier-36-animateurs" not in table  # rows: only groups with a right on the folders shown
    assert found.headers["HX-Push-Url"].endswith("/matrix?q=atelier+37")
    assert "No folder matches “&lt;b&gt;nothing&lt;/b&gt;”." in none.text


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
