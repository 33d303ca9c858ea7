"""People search (/ui/people) runs as the admin account: it answers only those who may ask to add
someone, and e-mail addresses only to the operations team (issue 13.6)."""

from __future__ import annotations

import pytest

from tests.conftest import RunningApp


@pytest.fixture
def app(demo: RunningApp) -> RunningApp:
    demo.standin.add_user("olivia", "Olivia Outsider", email="olivia@example.org")  # not in the organisation
    return demo


def search(app: RunningApp, uid: str, query: str, field: str = "q") -> tuple[int, str]:
    with app.client(uid) as c:
        r = c.get("/ui/people", params={field: query})
    return r.status_code, r.text


def test_a_member_who_may_not_request_cannot_list_accounts(app: RunningApp) -> None:
    status, text = search(app, "nora", "oliv")  # a contributor of Jardins
    assert status == 403
    assert "Olivia" not in text and "@" not in text


def test_a_facilitator_finds_any_account_but_no_email(app: RunningApp) -> None:
    status, text = search(app, "alice", "alice,oliv", field="users")
    assert status == 200
    assert 'value="olivia"' in text and "Olivia Outsider" in text
    assert "olivia@example.org" not in text and "@" not in text


def test_operations_see_email_addresses(app: RunningApp) -> None:
    status, text = search(app, "claire", "oliv")
    assert status == 200 and "Olivia Outsider — olivia@example.org" in text


def test_the_board_finds_only_the_organisations_people_and_no_email(app: RunningApp) -> None:
    assert search(app, "sophie", "oliv") == (200, "")
    status, text = search(app, "sophie", "nora", field="user")
    assert status == 200 and 'value="nora"' in text and "@" not in text
