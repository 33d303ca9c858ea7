"""A working group's page: its members a page at a time, and one change form for the member picked."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from lib.core.model import Membership, Role
from tests.conftest import RunningApp

EXTRA = 60


@pytest.fixture
def big(demo: RunningApp) -> RunningApp:
    """Communication with 60 more contributors, each with a Nextcloud account."""
    org = demo.gov.org()
    for i in range(EXTRA):
        demo.standin.add_user(f"volunteer{i:02d}", f"Volunteer {i:02d}")
    extra = tuple(Membership("communication", f"volunteer{i:02d}", Role.CONTRIBUTOR) for i in range(EXTRA))
    demo.seed(replace(org, memberships=org.memberships + extra))
    return demo


def member_rows(page: str) -> list[str]:
    body = page[page.index('aria-labelledby="members-title"') :]
    return re.findall(r"<tr><td>(?:<a [^>]*>)?([^<]+)(?:</a>)?</td>", body[: body.index("</table>")])


def test_a_big_group_shows_50_members_a_page_with_links_to_the_others(big: RunningApp) -> None:
    total = len(big.gov.members("communication"))
    with big.client("dave") as c:
        first = c.get("/ui/groups/communication")
        second = c.get("/ui/groups/communication", params={"page": 2})
    assert f"{total} members" in first.text and "Page 1 of 2" in first.text
    assert len(member_rows(first.text)) == 50 and len(member_rows(second.text)) == total - 50
    assert set(member_rows(first.text)).isdisjoint(member_rows(second.text))
    assert "Volunteer 59" in first.text + second.text  # display names, fetched for the page shown
    assert "/ui/groups/communication?page=2" in first.text and "Previous members" in second.text


def test_a_facilitator_opens_the_change_form_of_one_member_and_sends_it(big: RunningApp) -> None:
    with big.client("alice") as c:
        listed = c.get("/ui/groups/communication")
        opened = c.get("/ui/groups/communication", params={"change": "volunteer07"})
        sent = c.post(
            "/ui/requests",
            data={"kind": "remove_member", "group": "communication", "users": "volunteer07",
                  "justification": "Left the association"},
        )  # fmt: skip
    assert listed.text.count("Change or remove") == 50 and 'id="change-kind"' not in listed.text
    assert "Change or remove Volunteer 07" in opened.text and opened.text.count('id="change-kind"') == 1
    assert '<input type="hidden" name="users" value="volunteer07">' in opened.text
    assert sent.status_code == 200 and "Request sent to the operations team." in sent.text


def test_a_change_sent_without_a_justification_comes_back_with_the_error_beside_the_field(
    big: RunningApp,
) -> None:
    with big.client("alice", lang="fr") as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "change_role", "group": "communication", "users": "volunteer07", "role": "reader"},
        )
    assert r.status_code == 422
    form = r.text[r.text.index('id="change-title"') : r.text.index('id="add-title"')]
    assert 'id="err-change-justification"' in form and 'aria-invalid="true"' in form
    assert '<option value="reader" selected>' in form
    assert 'id="err-add-justification"' not in r.text  # the addition form is left as it was


def test_no_change_form_for_someone_outside_the_group(big: RunningApp) -> None:
    with big.client("alice") as c:
        r = c.get("/ui/groups/communication", params={"change": "<script>x</script>"})
    assert r.status_code == 200 and 'id="change-kind"' not in r.text and "<script>x" not in r.text
