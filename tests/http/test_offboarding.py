"""Someone leaves the association: one request, from their page, takes them out of every group (issue 15).

The operations team asks from the person page, another operator reviews the plan in words and
approves it (on the page or from the notification), and Nextcloud then holds that person in none of
the groups the app manages, while everybody else keeps exactly what they had.
"""

from __future__ import annotations

import re

import httpx
from lxml import html

from lib.core.request_kinds import EVERY_GROUP, RequestKind, RequestState
from tests.conftest import RunningApp

WHY = "Leaves the association at the end of the month"
BUTTON = "Remove from everything (leaving the association)"


def _offboard(
    app: RunningApp, who: str = "dave", requester: str = "claire", lang: str = "en"
) -> httpx.Response:
    with app.client(requester, lang) as c:
        return c.post(f"/ui/person/{who}/offboard", data={"justification": WHY})


def _rid(r: httpx.Response) -> int:
    assert r.status_code == 200, r.text[:400]
    return int(re.search(r"(?<!&)#(\d+)", r.text).group(1))  # type: ignore[union-attr]  # not &#39;


def _plan_lines(page: str) -> list[str]:
    """The plan as the approver reads it (templates/_plan.html), one sentence per change."""
    tree = html.fromstring(page)
    return [" ".join(li.text_content().split()) for li in tree.xpath('//*[contains(@class, "gov-plan")]//li')]


def _checksum(page: str) -> str:
    return re.search(r'name="checksum" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def _groups_of(app: RunningApp, uid: str) -> set[str]:
    return {gid for gid, members in app.standin.groups.items() if uid in members}


def test_the_person_page_offers_operations_one_request_to_remove_someone_from_everything(
    demo: RunningApp,
) -> None:
    with demo.client("claire") as c:
        page = c.get("/ui/person/dave").text
    assert (
        BUTTON in page
        and 'hx-post="/index.php/apps/app_api/proxy/governance/ui/person/dave/offboard"' in page
    )


def test_an_approved_offboarding_removes_exactly_that_persons_memberships(demo: RunningApp) -> None:
    before = {gid: set(members) for gid, members in demo.standin.groups.items()}
    assert {"gt-communication-membres", "membres"} <= _groups_of(demo, "dave")
    sent = _offboard(demo)
    rid = _rid(sent)
    assert "Request sent to the operations team." in sent.text
    req = demo.gov.requests.get(rid)
    assert (req.kind, req.state, req.group, req.people) == (
        RequestKind.OFFBOARD, RequestState.PENDING, EVERY_GROUP, frozenset({"dave"}),
    )  # fmt: skip

    with demo.client("malik") as c:
        shown = c.get(f"/ui/requests/{rid}").text
        assert sorted(_plan_lines(shown)) == [
            "Remove Dave Leroy from Communication (contributors)",
            "Remove Dave Leroy from the members of the association",
        ]
        assert "Every group of the organisation: this person leaves the association" in shown
        done = c.post(f"/ui/requests/{rid}/approve", data={"checksum": _checksum(shown)})
    assert done.status_code == 200 and "Done." in done.text
    assert demo.gov.requests.get(rid).state is RequestState.APPLIED

    assert _groups_of(demo, "dave") == set()
    after = {gid: set(members) for gid, members in demo.standin.groups.items()}
    assert after == {gid: members - {"dave"} for gid, members in before.items()}  # nobody else moved
    assert demo.gov.org().memberships_of("dave") == ()
    with demo.client("claire") as c:
        person = c.get("/ui/person/dave").text
    assert "In no group of the organisation." in person and BUTTON not in person


def test_the_audit_log_says_who_asked_who_approved_and_what_nextcloud_changed(demo: RunningApp) -> None:
    rid = _rid(_offboard(demo))
    with demo.client("malik") as c:
        c.post(f"/ui/requests/{rid}/approve", data={"checksum": _checksum(c.get(f"/ui/requests/{rid}").text)})
    entries = list(demo.gov.audit.entries())
    steps = [(e.actor, e.action) for e in entries if e.subject == f"request:{rid}"]
    assert ("claire", "request.submitted") in steps and ("malik", "request.approved") in steps
    assert ("malik", "request.applied") in steps
    removed = {
        (e.detail["change"]["gid"], e.detail["change"]["uid"])
        for e in entries
        if e.action == "nextcloud.apply" and e.detail["request_id"] == rid
    }
    assert removed == {("gt-communication-membres", "dave"), ("membres", "dave")}
    assert {e.detail["change"]["kind"] for e in entries if e.action == "nextcloud.apply"
            and e.detail["request_id"] == rid} == {"RemoveMember"}  # fmt: skip


def test_operators_are_notified_and_may_approve_from_the_notification(demo: RunningApp) -> None:
    rid = _rid(_offboard(demo))
    notes = [n for n in demo.standin.notifications if n.user == "malik"]
    assert notes and notes[-1].subject.startswith(
        "Claire Dubois asks to remove Dave Leroy from every group (leaving the association)"
    )
    assert "Remove Dave Leroy from Communication (contributors)" in notes[-1].message
    assert not [n for n in demo.standin.notifications if n.user == "claire"]  # not asked to decide her own
    link = notes[-1].subject_params["rich_subject_params"]["approve"]["link"]
    assert f"/actions/approve/{rid}?t=" in link
    with demo.client("malik") as c:
        r = c.get(link.split("/proxy/governance", 1)[1])
    assert r.status_code == 200 and "Approved and applied" in r.text
    assert _groups_of(demo, "dave") == set()
    told = [n.subject for n in demo.standin.notifications if n.user == "dave"]
    assert "Claire Dubois removed you from every group of the organisation." in told


def test_the_decide_list_shows_the_offboarding_in_words(demo: RunningApp) -> None:
    rid = _rid(_offboard(demo))
    with demo.client("malik") as c:
        page = c.get("/ui/decide").text
    row = re.search(rf"#{rid}</a></td>.*?</tr>", page, re.S)
    assert row and "Remove from every group: Dave Leroy" in row.group(0) and "Every group" in row.group(0)


def test_a_facilitator_or_the_board_may_not_ask_to_remove_someone_from_everything(demo: RunningApp) -> None:
    for who in ("alice", "sophie"):
        r = _offboard(demo, requester=who)
        assert r.status_code == 403 and "Only the operations team may do this." in r.text
    with demo.client("sophie") as c:
        assert BUTTON not in c.get("/ui/person/dave").text  # the board reads, and is offered nothing
    with demo.client("alice") as c:
        assert BUTTON not in c.get("/ui/person/alice").text
    assert demo.gov.requests.repo.for_group(EVERY_GROUP, set(RequestState)) == []


def test_nobody_approves_their_own_offboarding_request_nor_their_own_offboarding(demo: RunningApp) -> None:
    rid = _rid(_offboard(demo))
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}").text
        assert "Approve and apply" not in page
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": "0" * 64})
    assert r.status_code == 403 and "Nobody may decide on their own request." in r.text
    other = _rid(_offboard(demo, who="malik"))
    with demo.client("malik") as c:
        r = c.post(f"/ui/requests/{other}/approve", data={"checksum": "0" * 64})
    assert r.status_code == 403 and "Nobody may decide on a request that changes their own access." in r.text
    assert demo.gov.requests.get(rid).state is demo.gov.requests.get(other).state is RequestState.PENDING
    assert "gt-communication-membres" in _groups_of(demo, "dave")


def test_a_second_offboarding_of_the_same_person_is_refused_with_a_sentence_and_a_link(
    demo: RunningApp,
) -> None:
    rid = _rid(_offboard(demo))
    again = _offboard(demo, requester="malik")
    assert again.status_code == 422
    assert (
        f"Request #{rid}, removing Dave Leroy from every group, is not finished yet: follow it there."
        in again.text
    )
    assert f'hx-get="/index.php/apps/app_api/proxy/governance/ui/requests/{rid}"' in again.text
    assert BUTTON not in again.text  # the open request is shown instead of the form
    assert len(demo.gov.requests.repo.for_group(EVERY_GROUP, set(RequestState))) == 1


def test_no_new_request_about_someone_who_is_leaving_and_the_group_page_says_why(demo: RunningApp) -> None:
    rid = _rid(_offboard(demo))
    data = {"kind": "change_role", "group": "communication", "users": "dave", "role": "reader",
            "justification": "Reads only now"}  # fmt: skip
    with demo.client("alice") as c:
        r = c.post("/ui/requests", data=data)
        page = c.get("/ui/groups/communication").text
    assert r.status_code == 422
    assert f"Request #{rid}, removing Dave Leroy from every group, is not finished yet" in r.text
    dave_row = re.search(r"<tr><td>Dave.*?</tr>", page, re.S)
    assert dave_row and f"#{rid} Remove from every group" in dave_row.group(0)
    assert "Waiting to join" not in page  # he is leaving, not joining


def test_the_refusals_are_sentences_in_french(demo: RunningApp) -> None:
    with demo.client("claire", "fr") as c:
        page = c.get("/ui/person/dave").text
        assert "Retirer de tout (départ de l’association)" in page
        empty = c.post("/ui/person/dave/offboard", data={"justification": " "})
    assert empty.status_code == 422 and "Remplissez ce champ." in empty.text
    rid = _rid(_offboard(demo, lang="fr"))
    again = _offboard(demo, requester="malik", lang="fr")
    assert again.status_code == 422
    assert f"La demande nº {rid}, qui retire Dave Leroy de tous les groupes, n’est pas terminée" in again.text


def test_someone_in_no_group_has_nothing_to_remove(demo: RunningApp) -> None:
    demo.standin.add_user("zoe", "Zoé Martin")
    with demo.client("claire") as c:
        assert BUTTON not in c.get("/ui/person/zoe").text
    r = _offboard(demo, who="zoe")
    assert r.status_code == 422
    assert "Zoé Martin is in no group of the organisation: there is nothing to remove." in r.text


def test_a_rejection_tells_the_requester_in_her_language_and_changes_nothing(demo: RunningApp) -> None:
    demo.standin.users["claire"].language = "fr"
    demo.standin.users["malik"].language = "fr"
    rid = _rid(_offboard(demo))
    asked = [n.subject for n in demo.standin.notifications if n.user == "malik"]
    assert asked[-1].startswith(
        "Claire Dubois demande de retirer Dave Leroy de tous les groupes (départ de l’association)"
    )
    with demo.client("malik", "fr") as c:
        assert (
            c.post(f"/ui/requests/{rid}/reject", data={"reason": "Il reste jusqu’en juin"}).status_code == 200
        )
    told = [(n.subject, n.message) for n in demo.standin.notifications if n.user == "claire"]
    assert (
        f"Votre demande #{rid} de retirer Dave Leroy de tous les groupes a été refusée.",
        "Motif donné par Malik Benali : Il reste jusqu’en juin",
    ) in told
    assert not [n for n in demo.standin.notifications if n.user == "dave"]  # nothing happened to him
    assert "gt-communication-membres" in _groups_of(demo, "dave")


def test_groups_the_app_does_not_manage_are_named_where_the_person_keeps_access(demo: RunningApp) -> None:
    """On a real Nextcloud, dave stayed in a group adoption had left outside the organisation, and
    kept its folder: the person page and the approver say so, in words, before anything is decided."""
    demo.standin.add_group("gt-legacy", "dave")
    with demo.client("claire") as c:
        person = c.get("/ui/person/dave").text
    assert "Nextcloud also has Dave Leroy in groups that Governance does not manage: gt-legacy." in person
    rid = _rid(_offboard(demo))
    with demo.client("malik", "fr") as c:
        page = c.get(f"/ui/requests/{rid}").text
    assert "reste dans des groupes Nextcloud que Gouvernance ne gère pas : gt-legacy" in page
    asked = [n for n in demo.standin.notifications if n.user == "malik"]
    assert asked and "gt-legacy" in asked[-1].subject_params.get("rich_message", "")
