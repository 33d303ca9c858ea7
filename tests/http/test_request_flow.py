"""Requests end to end: a facilitator asks, operators are notified, one approves, the app applies."""

from __future__ import annotations

import re
import threading
from contextlib import closing

import httpx
import pytest

from lib.core.request_kinds import RequestState
from tests.conftest import RunningApp


def _ask_to_add(app: RunningApp, who: str = "nora", requester: str = "alice") -> int:
    with app.client(requester) as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "add_member", "group": "communication", "users": who, "role": "contributor",
                  "justification": "Joins the newsletter team"},
        )  # fmt: skip
    assert r.status_code == 200, r.text
    return int(re.search(r"#(\d+)", r.text).group(1))  # type: ignore[union-attr]


def _links(app: RunningApp, uid: str) -> dict[str, str]:
    notes = [n for n in app.standin.notifications if n.user == uid]
    assert notes, f"no notification for {uid}"
    params = notes[-1].subject_params["rich_subject_params"]
    return {k: v["link"] for k, v in params.items() if "link" in v}


def _browser(app: RunningApp, uid: str) -> httpx.Client:
    """A browser session in the stand-in (cookies), as a person clicking in Nextcloud."""
    c = httpx.Client(base_url=app.standin.url, timeout=30)
    c.get("/standin/login", params={"user": uid})
    return c


def test_a_facilitator_request_notifies_every_operator_with_decision_links(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    for op in ("claire", "malik"):
        links = _links(demo, op)
        assert f"/actions/approve/{rid}?t=" in links["approve"]
        assert f"/actions/reject/{rid}?t=" in links["reject"]
        assert links["open"].endswith(f"/embedded/governance/main/requests/{rid}")
    assert not [n for n in demo.standin.notifications if n.user == "alice"]  # the requester is not asked


def test_approving_from_the_notification_link_applies_once_and_clears_other_notifications(
    demo: RunningApp,
) -> None:
    rid = _ask_to_add(demo)
    link = _links(demo, "claire")["approve"]
    with closing(_browser(demo, "claire")) as claire:
        r = claire.get(link)  # a page where AppAPI's proxy leaves the browser, not a redirect
        assert r.status_code == 200 and "Approved and applied" in r.text
        assert f"/embedded/governance/main/requests/{rid}" in r.text
        assert "nora" in demo.standin.groups["gt-communication-membres"]
        assert demo.gov.requests.get(rid).state is RequestState.APPLIED
        assert not [
            n for n in demo.standin.notifications if n.user == "malik" and "approve" in str(n.subject_params)
        ]
        demo.standin.reset_calls()
        again = claire.get(link)  # replayed
        assert "This link was already used; nothing was changed." in again.text
        assert not [c for c in demo.standin.calls if c[0] in ("POST", "DELETE", "PROPPATCH")]
    assert "nora" in {m.user for m in demo.gov.org().members_of("communication")}
    actions = [e.action for e in demo.gov.audit.entries()]
    assert actions.count("request.approved") == 1 and actions.count("request.applied") == 1


def test_a_link_used_by_another_operator_applies_nothing(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    with closing(_browser(demo, "malik")) as malik:
        r = malik.get(_links(demo, "claire")["approve"])
    assert r.status_code == 403 and "You may not decide this request" in r.text
    assert demo.gov.requests.get(rid).state is RequestState.PENDING
    assert "nora" not in demo.standin.groups.get("gt-communication-membres", set())


def test_an_altered_or_stale_link_applies_nothing(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    link = _links(demo, "claire")["approve"]
    with closing(_browser(demo, "claire")) as claire:
        tampered = claire.get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
        assert tampered.status_code == 422 and "This link is not valid" in tampered.text
        # the plan changes before the click: someone adds nora to the group by hand in Nextcloud
        demo.standin.groups["gt-communication-membres"].add("nora")
        stale = claire.get(link)
        assert stale.status_code == 409 and "no longer those in the notification" in stale.text
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_an_expired_link_applies_nothing(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    link = _links(demo, "claire")["approve"]
    real_now = demo.gov.requests.now
    demo.gov.requests.now = lambda: real_now().replace(year=real_now().year + 1)
    with closing(_browser(demo, "claire")) as claire:
        expired = claire.get(link)
        assert expired.status_code == 410 and "This link has expired" in expired.text
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_nobody_approves_their_own_request(demo: RunningApp) -> None:
    # claire (operations) facilitates nothing: make her a facilitator so she can ask
    from dataclasses import replace

    from lib.core.model import Membership, Role

    org = demo.gov.org()
    demo.gov.orgs.save(
        replace(org, memberships=(*org.memberships, Membership("communication", "claire", Role.FACILITATOR)))
    )
    rid = _ask_to_add(demo, who="nora", requester="claire")
    req = demo.gov.requests.get(rid)
    plan = demo.run(demo.gov.requests.preview(req))
    with demo.client("claire") as c:
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert r.status_code in (403, 422)
    assert demo.gov.requests.get(rid).state is RequestState.PENDING
    assert not [n for n in demo.standin.notifications if n.user == "claire"]


def test_reject_needs_a_reason_and_tells_the_requester(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    with demo.client("malik") as c:
        empty = c.post(f"/ui/requests/{rid}/reject", data={"reason": "  "})
        assert empty.status_code == 422
        ok = c.post(f"/ui/requests/{rid}/reject", data={"reason": "Already in the newsletter group"})
    assert ok.status_code == 200
    assert demo.gov.requests.get(rid).state is RequestState.REJECTED
    assert [n for n in demo.standin.notifications if n.user == "alice"]
    assert "nora" not in demo.standin.groups.get("gt-communication-membres", set())


def test_the_board_reads_but_cannot_decide(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    req = demo.gov.requests.get(rid)
    plan = demo.run(demo.gov.requests.preview(req))
    with demo.client("sophie") as c:
        page = c.get(f"/ui/requests/{rid}")
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert page.status_code == 200 and "Approve and apply" not in page.text
    assert r.status_code == 403
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_a_facilitator_cannot_request_for_another_group(demo: RunningApp) -> None:
    with demo.client("alice") as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "add_member", "group": "jardins", "users": "nora", "justification": "x"},
        )
    assert r.status_code == 403


def test_an_unknown_account_is_refused_next_to_the_field(demo: RunningApp) -> None:
    with demo.client("alice") as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "add_member", "group": "communication", "users": "nobody", "justification": "x"},
        )
    assert r.status_code == 422
    assert "nobody" in r.text and "gov-field-error" in r.text
    assert demo.gov.requests.repo.by_requester("alice") == []


def test_concurrent_approve_and_reject_end_in_exactly_one_decision(demo: RunningApp) -> None:
    rid = _ask_to_add(demo)
    plan = demo.run(demo.gov.requests.preview(demo.gov.requests.get(rid)))
    results: dict[str, int] = {}

    def approve() -> None:
        with demo.client("claire") as c:
            results["approve"] = c.post(
                f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum}
            ).status_code

    def reject() -> None:
        with demo.client("malik") as c:
            results["reject"] = c.post(f"/ui/requests/{rid}/reject", data={"reason": "no"}).status_code

    threads = [threading.Thread(target=approve), threading.Thread(target=reject)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = demo.gov.requests.get(rid)
    assert final.state in (RequestState.APPLIED, RequestState.REJECTED)
    decisions = [e for e in demo.gov.audit.entries() if e.action in ("request.approved", "request.rejected")]
    assert len(decisions) == 1
    assert sorted(results.values())[0] == 200


def test_the_to_decide_badge_counts_what_is_left_right_after_a_decision(demo: RunningApp) -> None:
    """The badge was read before the click: "To decide 1" stayed beside "Nothing to decide"."""
    rid = _ask_to_add(demo)
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}").text
        assert 'class="gov-badge"' in page
        checksum = re.search(r'name="checksum" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
        done = c.post(f"/ui/requests/{rid}/approve", data={"checksum": checksum})
    assert done.status_code == 200, done.text[:300]
    assert 'class="gov-badge"' not in done.text


def test_an_operator_who_approves_a_request_approved_meanwhile_reads_who_approved_it(
    demo: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the request pending; the other commits first. The late approval met the person
    already in the group ("already has this role", 422) and now says who approved (409)."""
    from lib.core.errors import IllegalTransition
    from lib.core.policy import actor_for

    svc = demo.gov.requests
    rid = _ask_to_add(demo)
    seen = svc.get(rid)  # what claire's click read, before malik's approval lands
    plan = demo.run(svc.preview(seen))
    with demo.client("malik") as c:
        assert c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum}).status_code == 200
    monkeypatch.setattr(svc, "get", lambda _rid: seen)
    claire = actor_for(demo.gov.org(), "claire")
    with pytest.raises(IllegalTransition) as late:
        demo.run(svc.approve(claire, rid, plan.checksum))
    from lib.i18n import error_text

    assert late.value.code.startswith("request.now.")
    said = error_text("en", late.value, {"malik": "Malik Benali"})
    assert "already approved by Malik Benali" in said, said
    assert len([e for e in demo.gov.audit.entries() if e.action == "request.approved"]) == 1
