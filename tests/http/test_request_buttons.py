"""A request's page offers only the steps the viewer may take now (issue 15)."""

from __future__ import annotations

import re

from lib.core.request_kinds import RequestState
from tests.conftest import RunningApp


def _ask(app: RunningApp, data: dict[str, str], requester: str) -> int:
    with app.client(requester) as c:
        r = c.post("/ui/requests", data={"group": "communication", "justification": "Needed", **data})
    assert r.status_code == 200, r.text
    return int(re.search(r"#(\d+)", r.text).group(1))  # type: ignore[union-attr]


def _page(app: RunningApp, rid: int, uid: str) -> str:
    with app.client(uid) as c:
        return c.get(f"/ui/requests/{rid}").text


def test_an_applied_request_offers_no_cancel_and_no_decision(demo: RunningApp) -> None:
    rid = _ask(demo, {"kind": "add_member", "users": "nora", "role": "contributor"}, "alice")
    assert "Cancel my request" in _page(demo, rid, "alice")
    plan = demo.run(demo.gov.requests.preview(demo.gov.requests.get(rid)))
    with demo.client("claire") as c:
        c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert demo.gov.requests.get(rid).state is RequestState.APPLIED
    assert "Cancel my request" not in _page(demo, rid, "alice")
    operator = _page(demo, rid, "claire")
    assert "Approve and apply" not in operator and "Reject" not in operator


def test_a_join_accepted_by_a_facilitator_offers_them_neither_accept_nor_reject(demo: RunningApp) -> None:
    rid = _ask(demo, {"kind": "join"}, "hugo")
    before = _page(demo, rid, "alice")
    assert "Accept into the group" in before and "Reject" in before
    with demo.client("alice") as c:
        assert c.post(f"/ui/requests/{rid}/accept").status_code == 200
    after = _page(demo, rid, "alice")
    assert "Accept into the group" not in after and "Reject" not in after
    assert "Approve and apply" in _page(demo, rid, "claire")  # the operations team's turn


def test_cancelling_an_applied_request_anyway_is_refused_with_a_sentence(demo: RunningApp) -> None:
    rid = _ask(demo, {"kind": "add_member", "users": "nora", "role": "contributor"}, "alice")
    plan = demo.run(demo.gov.requests.preview(demo.gov.requests.get(rid)))
    with demo.client("claire") as c:
        c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    with demo.client("alice") as c:
        r = c.post(f"/ui/requests/{rid}/cancel")
    assert r.status_code == 409
    assert "already approved by Claire Dubois and applied; nothing more to do." in r.text
    assert demo.gov.requests.get(rid).state is RequestState.APPLIED
