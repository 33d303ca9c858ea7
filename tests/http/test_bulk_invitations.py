"""A bulk addition with an invitation: accounts are added at once, invitations wait visibly (issue 15)."""

from __future__ import annotations

import re

from lib.core.request_kinds import RequestState
from lib.services.invitations import complete_invitations
from tests.conftest import RunningApp


def _add_bulk(app: RunningApp) -> tuple[int, int, str]:
    data = {"kind": "add_member", "group": "communication", "users": "nora", "emails": "zoe@example.org",
            "role": "contributor", "justification": "New volunteers"}  # fmt: skip
    with app.client("alice") as c:
        r = c.post("/ui/requests", data=data)
    assert r.status_code == 200, r.text
    found = re.search(r"Two requests sent to the operations team: #(\d+) .* #(\d+) for the invited", r.text)
    assert found, r.text
    return int(found.group(1)), int(found.group(2)), r.text


def _approve(app: RunningApp, rid: int) -> str:
    plan = app.run(app.gov.requests.preview(app.gov.requests.get(rid)))
    with app.client("claire") as c:
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert r.status_code == 200, r.text
    return r.text


def test_people_with_an_account_are_added_without_waiting_for_the_invited(demo: RunningApp) -> None:
    accounts, invited, _ = _add_bulk(demo)
    _approve(demo, accounts)
    assert demo.gov.requests.get(accounts).state is RequestState.APPLIED
    assert "nora" in demo.standin.groups["gt-communication-membres"]
    page = _approve(demo, invited)
    assert demo.gov.requests.get(invited).state is RequestState.AWAITING_ACCOUNT
    assert "Approved. It will be applied once the invited people have a Nextcloud account." in page
    assert "invited, waiting for an account" in page and "Done." not in page


def test_an_invitation_is_approved_without_promising_to_apply_it_now(demo: RunningApp) -> None:
    _, invited, _ = _add_bulk(demo)
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{invited}").text
    assert "Approve and apply" not in page and ">Approve</button>" in page


def test_the_group_page_shows_the_invited_person_waiting(demo: RunningApp) -> None:
    _, invited, _ = _add_bulk(demo)
    _approve(demo, invited)
    with demo.client("alice") as c:
        page = c.get("/ui/groups/communication").text
    waiting = page[page.index("Waiting to join") :]
    assert "zoe@example.org" in waiting and f"#{invited}" in waiting and "awaiting an account" in waiting


def test_the_requester_may_withdraw_a_waiting_invitation(demo: RunningApp) -> None:
    _, invited, _ = _add_bulk(demo)
    _approve(demo, invited)
    with demo.client("alice") as c:
        page = c.get(f"/ui/requests/{invited}").text
        assert "Withdraw the invitation" in page
        r = c.post(f"/ui/requests/{invited}/withdraw", data={"email": "zoe@example.org"})
    assert r.status_code == 200
    assert demo.gov.requests.get(invited).state is RequestState.CANCELLED
    assert "Withdraw the invitation" not in r.text


def test_the_invitation_is_applied_when_the_account_appears(demo: RunningApp) -> None:
    _, invited, _ = _add_bulk(demo)
    _approve(demo, invited)
    demo.standin.add_user("zoe", "Zoé Martin", email="zoe@example.org")
    assert demo.run(complete_invitations(demo.gov.requests)) == [invited]
    assert "zoe" in demo.standin.groups["gt-communication-membres"]
