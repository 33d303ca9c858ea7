"""Every kind of request, from the facilitator's form to the state Nextcloud really holds (the stand-in)."""

from __future__ import annotations

import re
from datetime import timedelta

from lib.core.request_kinds import RequestState
from tests.conftest import RunningApp


def _ask(app: RunningApp, requester: str, **form: str) -> int:
    with app.client(requester) as c:
        r = c.post("/ui/requests", data={"justification": "Needed for the spring season", **form})
    assert r.status_code == 200, r.text
    return int(re.search(r"Request #(\d+)", r.text).group(1))  # type: ignore[union-attr]


def _approve(app: RunningApp, rid: int, operator: str = "claire") -> str:
    plan = app.run(app.gov.requests.preview(app.gov.requests.get(rid)))
    with app.client(operator) as c:
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert r.status_code == 200, r.text
    return app.gov.requests.get(rid).state.value


def test_changing_a_role_moves_the_person_between_nextcloud_groups(demo: RunningApp) -> None:
    rid = _ask(demo, "alice", kind="change_role", group="communication", users="yann", role="contributor")
    assert _approve(demo, rid) == "applied"
    assert "yann" in demo.standin.groups["gt-communication-membres"]
    assert "yann" not in demo.standin.groups["gt-communication-lecteurs"]


def test_removing_a_member_takes_their_access_away(demo: RunningApp) -> None:
    rid = _ask(demo, "alice", kind="remove_member", group="communication", users="dave")
    req = demo.gov.requests.get(rid)
    assert req.objection_until is not None  # communication is dave's last group: destructive
    with demo.client("claire") as c:
        plan = demo.run(demo.gov.requests.preview(req))
        early = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert early.status_code == 409  # members may still object
    real_now = demo.gov.requests.now
    demo.gov.requests.now = lambda: real_now() + timedelta(days=6)
    assert _approve(demo, rid) == "applied"
    assert "dave" not in demo.standin.groups["gt-communication-membres"]


def test_a_member_objects_during_the_window_and_operations_review(demo: RunningApp) -> None:
    rid = _ask(demo, "alice", kind="remove_member", group="communication", users="dave")
    with demo.client("emma") as c:  # members find it on their group's page
        assert f"/requests/{rid}" in c.get("/ui/groups/communication").text
    with demo.client("emma") as c:
        r = c.post(f"/ui/requests/{rid}/object", data={"reason": "Dave still runs the newsletter"})
    assert r.status_code == 200
    req = demo.gov.requests.get(rid)
    assert req.objections and req.state is RequestState.PENDING
    assert _approve(demo, rid) == "applied"  # the objection closed the window: operations decide


def test_a_person_asks_to_join_a_facilitator_accepts_then_operations_approve(demo: RunningApp) -> None:
    rid = _ask(demo, "nora", kind="join", group="communication")
    assert demo.gov.requests.get(rid).state is RequestState.AWAITING_FACILITATOR
    assert [n for n in demo.standin.notifications if n.user == "alice"]  # the facilitator is told
    with demo.client("claire") as c:  # operations cannot skip the facilitator
        assert c.post(f"/ui/requests/{rid}/accept").status_code == 403
    with demo.client("alice") as c:
        assert c.post(f"/ui/requests/{rid}/accept").status_code == 200
    assert [n for n in demo.standin.notifications if n.user == "claire"]
    assert _approve(demo, rid) == "applied"
    assert "nora" in demo.standin.groups["gt-communication-membres"]


def test_creating_a_working_group_creates_its_groups_and_folder(demo: RunningApp) -> None:
    rid = _ask(
        demo,
        "alice",
        kind="create_group",
        group="repair-cafe",
        new_group_name="Repair café",
        purpose="Fixing",
    )
    assert _approve(demo, rid) == "applied"
    assert "alice" in demo.standin.groups["gt-repair-cafe-animateurs"]
    folder = demo.standin.folder_by_mount("Repair café")
    assert folder is not None and folder.groups["gt-repair-cafe-animateurs"] == 31


def test_archiving_a_working_group_waits_for_objections_then_applies(demo: RunningApp) -> None:
    rid = _ask(demo, "alice", kind="archive_group", group="communication")
    assert demo.gov.requests.get(rid).objection_until is not None
    real_now = demo.gov.requests.now
    demo.gov.requests.now = lambda: real_now() + timedelta(days=6)
    members = set(demo.standin.groups["gt-communication-animateurs"]) | set(
        demo.standin.groups["gt-communication-membres"]
    )
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}")
        plan = demo.run(demo.gov.requests.preview(demo.gov.requests.get(rid)))
        unconfirmed = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
        assert unconfirmed.status_code == 409 and "an operator must confirm" in unconfirmed.text
        assert demo.gov.requests.get(rid).state is RequestState.PENDING  # nothing applied
        confirmed = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum, "confirmed": "1"})
    # the operator saw who loses access before confirming, by name
    assert "Alice Martin loses access to Communication (facilitators)" in page.text
    assert 'name="confirmed"' in page.text
    assert confirmed.status_code == 200 and demo.gov.requests.get(rid).state is RequestState.APPLIED
    assert "communication" not in {g.group.slug for g in demo.gov.working_groups()}
    assert not members & (
        set(demo.standin.groups["gt-communication-animateurs"])
        | set(demo.standin.groups["gt-communication-membres"])
    )


def test_a_bulk_addition_is_one_request_with_several_people(demo: RunningApp) -> None:
    rid = _ask(demo, "alice", kind="add_member", group="communication", users="nora, hugo", role="reader")
    assert len(demo.gov.requests.get(rid).lines) == 2
    assert _approve(demo, rid) == "applied"
    assert {"nora", "hugo"} <= demo.standin.groups["gt-communication-lecteurs"]


def test_an_invited_person_gets_access_once_their_account_exists(demo: RunningApp) -> None:
    rid = _ask(
        demo, "alice", kind="add_member", group="communication", emails="zoe@example.org", role="contributor"
    )
    assert _approve(demo, rid) == "awaiting_account"
    from lib.services.invitations import complete_invitations

    assert demo.run(complete_invitations(demo.gov.requests)) == []  # no account yet: still waiting
    demo.standin.add_user("zoe", "Zoé Martin", email="zoe@example.org")
    assert demo.run(complete_invitations(demo.gov.requests)) == [rid]
    assert demo.gov.requests.get(rid).state is RequestState.APPLIED
    assert "zoe" in demo.standin.groups["gt-communication-membres"]


def test_the_requester_cancels_while_pending(demo: RunningApp) -> None:
    rid = _ask(demo, "alice", kind="add_member", group="communication", users="nora")
    with demo.client("dave") as c:
        assert c.post(f"/ui/requests/{rid}/cancel").status_code == 403
    with demo.client("alice") as c:
        assert c.post(f"/ui/requests/{rid}/cancel").status_code == 200
    assert demo.gov.requests.get(rid).state is RequestState.CANCELLED
    assert not [n for n in demo.standin.notifications if "approve" in str(n.subject_params)]
