"""One unfinished request per person and group: another is refused with a link to it (issue 15)."""

from __future__ import annotations

import re

from tests.conftest import RunningApp


def _ask(app: RunningApp, kind: str, who: str = "", role: str = "contributor", requester: str = "alice"):  # type: ignore[no-untyped-def]
    data = {"kind": kind, "group": "communication", "users": who, "role": role, "justification": "Needed"}
    with app.client(requester) as c:
        return c.post("/ui/requests", data=data)


def _id(text: str) -> int:
    return int(re.search(r"#(\d+)", text).group(1))  # type: ignore[union-attr]


def test_a_second_request_for_the_same_person_is_refused_with_a_link_to_the_first(demo: RunningApp) -> None:
    first = _ask(demo, "add_member", "nora")
    assert first.status_code == 200
    rid = _id(first.text)
    second = _ask(demo, "add_member", "nora", role="reader")
    assert second.status_code == 422
    assert f"Request #{rid} about Nora Haddad in Communication is not finished yet" in second.text
    assert f'hx-get="/index.php/apps/app_api/proxy/governance/ui/requests/{rid}"' in second.text
    assert len(demo.gov.requests.repo.by_requester("alice")) == 1


def test_two_identical_join_requests_are_not_both_accepted(demo: RunningApp) -> None:
    assert _ask(demo, "join", requester="hugo").status_code == 200
    again = _ask(demo, "join", requester="hugo")
    assert again.status_code == 422 and "is not finished yet" in again.text


def test_a_change_for_a_member_is_refused_while_another_waits(demo: RunningApp) -> None:
    assert _ask(demo, "change_role", "dave", role="reader").status_code == 200
    assert _ask(demo, "remove_member", "dave", role="").status_code == 422


def test_once_the_first_is_rejected_a_new_request_may_be_made(demo: RunningApp) -> None:
    rid = _id(_ask(demo, "add_member", "nora").text)
    with demo.client("claire") as c:
        assert c.post(f"/ui/requests/{rid}/reject", data={"reason": "Not now"}).status_code == 200
    assert _ask(demo, "add_member", "nora").status_code == 200


def test_the_group_page_shows_waiting_requests_beside_the_people_they_concern(demo: RunningApp) -> None:
    change = _id(_ask(demo, "change_role", "dave", role="reader").text)
    addition = _id(_ask(demo, "add_member", "nora").text)
    with demo.client("alice") as c:
        page = c.get("/ui/groups/communication").text
    dave_row = re.search(r"<tr><td>Dave.*?</tr>", page, re.S)
    assert dave_row and f"#{change} Change a role" in dave_row.group(0)
    waiting = page[page.index("Waiting to join") :]
    assert "Nora" in waiting and f"#{addition} Add people" in waiting
