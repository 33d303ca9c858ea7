"""The statistics page searched and paged, and the audit page saying how far its chain check reaches."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import update

from ex_app.demo import demo_org
from lib.core.model import Membership, Role, WorkingGroup
from lib.store.tables import audit_log
from tests.conftest import RunningApp

WORKSHOPS = 116  # with the 4 demo groups: 120 working groups, 3 pages of 50


@pytest.fixture
def app(running: RunningApp) -> RunningApp:
    """The demo organisation and 116 workshops, each with two contributors."""
    org = demo_org(date.today())
    workshops = tuple(WorkingGroup(f"atelier-{i:03d}", f"Atelier {i:03d}") for i in range(WORKSHOPS))
    people = tuple(
        Membership(f"atelier-{i:03d}", who, Role.CONTRIBUTOR)
        for i in range(WORKSHOPS)
        for who in ("yann", "ines")
    )
    running.seed(
        replace(org, working_groups=org.working_groups + workshops, memberships=org.memberships + people)
    )
    return running


def group_rows(html: str) -> list[str]:
    """The working groups of the members table, in order."""
    table = html[html.index('aria-labelledby="members-title"') : html.index('id="org-members-title"')]
    return re.findall(r'<th scope="row">([^<]+)</th>', table)


def org_rows(html: str) -> list[str]:
    table = html[html.index('aria-labelledby="org-members-title"') :]
    return re.findall(r'<th scope="row">([^<]+)</th>', table[: table.index("</table>")])


# ---- statistics ------------------------------------------------------------------------------------


def test_statistics_list_fifty_working_groups_a_page_with_the_organisation_wide_groups(
    app: RunningApp,
) -> None:
    with app.client("sophie") as c:
        first = c.get("/ui/stats")
        last = c.get("/ui/stats", params={"page": 3})
    assert first.status_code == 200
    assert group_rows(first.text)[:2] == ["Communication", "Administratif et gestion"]
    assert len(group_rows(first.text)) == 50 and "120 working groups" in first.text
    assert "Page 1 of 3" in first.text and "Previous" not in first.text
    assert "/ui/stats?page=2" in first.text
    assert group_rows(last.text) == [f"Atelier {i:03d}" for i in range(96, WORKSHOPS)]
    assert "Page 3 of 3" in last.text and "Next<" not in last.text and "/ui/stats?page=2" in last.text
    assert last.headers["HX-Push-Url"].endswith("/stats?page=3")
    for page in (first, last):
        assert org_rows(page.text) == ["board", "operations", "members", "all"]


def test_statistics_count_each_working_group_once_per_person_and_role(app: RunningApp) -> None:
    with app.client("sophie") as c:
        r = c.get("/ui/stats", params={"q": "Atelier 007"})
    row = re.search(r"Atelier 007</th>\s*((?:<td>\d*</td>)+)\s*<td>(\d+)</td>", r.text)
    assert row and row.group(1) == "<td>0</td><td>2</td><td>0</td><td>0</td>" and row.group(2) == "2"


def test_statistics_find_working_groups_by_name_or_identifier_in_any_case(app: RunningApp) -> None:
    with app.client("sophie") as c:
        by_name = c.get("/ui/stats", params={"q": "atelier 11"})
        by_slug = c.get("/ui/stats", params={"q": "COMMUNICATION"})
        none = c.get("/ui/stats", params={"q": "zzz"})
    assert group_rows(by_name.text) == [f"Atelier {i}" for i in range(110, 116)]
    assert "6 working groups match “atelier 11”." in by_name.text
    assert by_name.headers["HX-Push-Url"].endswith("/stats?q=atelier+11")
    assert group_rows(by_slug.text) == ["Communication"] and "1 working group matches" in by_slug.text
    assert "No working group matches “zzz”." in none.text
    assert org_rows(none.text) == ["board", "operations", "members", "all"]  # always listed


def test_statistics_pages_of_a_search_keep_the_search(app: RunningApp) -> None:
    with app.client("sophie") as c:
        r = c.get("/ui/stats", params={"q": "atelier", "page": 2})
        beyond = c.get("/ui/stats", params={"q": "atelier", "page": 9})
    assert group_rows(r.text)[0] == "Atelier 050" and "Page 2 of 3" in r.text
    assert "/ui/stats?q=atelier&amp;page=3" in r.text
    assert '/ui/stats?q=atelier"' in r.text  # back to the first page, without page=1
    assert "Page 3 of 3" in beyond.text  # past the last page: the last one


def test_the_statistics_search_is_a_labelled_get_form(app: RunningApp) -> None:
    with app.client("sophie", lang="fr") as c:
        r = c.get("/ui/stats", params={"q": "jardins"})
    assert re.search(r'<form [^>]*role="search" hx-get="[^"]*/ui/stats"', r.text)
    assert (
        '<label for="stats-q">' in r.text and 'id="stats-q" name="q" type="search" value="jardins"' in r.text
    )


def test_every_listed_group_keeps_its_member_list_download(app: RunningApp) -> None:
    with app.client("sophie") as c:
        r = c.get("/ui/stats", params={"page": 2})
        csv = c.get("/api/groups/atelier-060/members.csv")
    assert "/api/groups/atelier-060/members.csv" in r.text
    assert "/api/groups/members/members.csv" in r.text and "/api/groups/all/members.csv" not in r.text
    assert csv.status_code == 200
    assert [line.split(",")[0::3] for line in csv.text.splitlines()[1:]] == [
        ["ines", "contributor"],
        ["yann", "contributor"],
    ]


def test_statistics_follow_a_change_of_the_organisation(app: RunningApp) -> None:
    with app.client("sophie") as c:
        before = c.get("/ui/stats", params={"q": "Atelier 007"})
        org = app.gov.org()
        app.seed(replace(org, memberships=(*org.memberships, Membership("atelier-007", "hugo", Role.READER))))
        after = c.get("/ui/stats", params={"q": "Atelier 007"})
    assert re.search(r"Atelier 007</th>\s*<td>0</td><td>2</td><td>0</td>", before.text)
    assert re.search(r"Atelier 007</th>\s*<td>0</td><td>2</td><td>1</td><td>0</td>\s*<td>3</td>", after.text)


# ---- audit -----------------------------------------------------------------------------------------


def test_the_audit_page_says_when_the_whole_chain_was_checked_and_what_was_added_since(
    app: RunningApp,
) -> None:
    app.gov.audit.append("claire", "request.approved", "request:1", {})
    with app.client("sophie") as c:
        first = c.get("/ui/audit")
        app.gov.audit.append("claire", "request.applied", "request:1", {})
        app.gov.audit.append("claire", "request.applied", "request:2", {})
        later = c.get("/ui/audit")
    assert "Chain check OK: the 1 entries are intact" in first.text
    checked_at = re.search(
        r"The whole chain was last checked at (\d{4}-\d\d-\d\d \d\d:\d\d UTC)\.", first.text
    )
    assert checked_at
    assert "Chain check OK: 3 entries checked." in later.text
    assert f"The whole chain was last checked at {checked_at.group(1)}." in later.text
    assert "The 2 entries added since then were checked against it just now." in later.text


def test_an_entry_altered_after_the_page_was_shown_is_reported_after_the_full_check(app: RunningApp) -> None:
    for i in range(3):
        app.gov.audit.append("claire", "request.approved", f"request:{i}", {})
    with app.client("sophie") as c:
        assert "Chain check OK" in c.get("/ui/audit").text
        with app.gov.engine.begin() as conn:
            conn.execute(update(audit_log).where(audit_log.c.seq == 1).values(actor="mallory"))
        app.gov.audit.verify_whole_chain()  # what the periodic task runs
        r = c.get("/ui/audit")
        app.gov.audit.append("claire", "request.approved", "request:9", {})
        still = c.get("/ui/audit")
    assert "Chain check FAILED at entry 1" in r.text
    assert "Chain check FAILED at entry 1" in still.text  # new sound entries do not mend it
