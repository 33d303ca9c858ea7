"""Facilitators see the joins waiting for them; operations see what waits for whom (issue 15)."""

from __future__ import annotations

import re
from html import unescape

from tests.conftest import RunningApp


def _join(app: RunningApp, who: str = "hugo") -> int:
    with app.client(who) as c:
        r = c.post("/ui/requests", data={"kind": "join", "group": "communication", "justification": "Hello"})
    assert r.status_code == 200, r.text
    assert "Request sent to the facilitators of the group, then to the operations team." in unescape(r.text)
    return int(re.search(r"(?<!&)#(\d+)", r.text).group(1))  # type: ignore[union-attr]  # not &#39;


def _requests_page(app: RunningApp, uid: str) -> str:
    with app.client(uid) as c:
        return c.get("/ui/requests").text


def test_a_facilitator_finds_the_join_waiting_for_them_until_they_decide(demo: RunningApp) -> None:
    rid = _join(demo)
    page = _requests_page(demo, "alice")
    start = page.index("Waiting for you")
    queue = page[start : page.index("</table>", start)]
    assert f"#{rid}" in queue and "Hugo" in queue
    with demo.client("alice") as c:
        c.post(f"/ui/requests/{rid}/accept")
    assert "Waiting for you" not in _requests_page(demo, "alice")


def test_operations_see_which_facilitators_a_join_waits_for(demo: RunningApp) -> None:
    rid = _join(demo)
    page = _requests_page(demo, "claire")
    waiting = page[page.index("Waiting for facilitators") :]
    assert f"#{rid}" in waiting and "waiting for:" in waiting
    alice = demo.run(demo.gov.gateway.get_user("alice")).display_name
    assert alice in waiting


def test_other_members_see_no_one_elses_queue(demo: RunningApp) -> None:
    _join(demo)
    page = _requests_page(demo, "dave")
    assert "Waiting for you" not in page and "Waiting for facilitators" not in page
