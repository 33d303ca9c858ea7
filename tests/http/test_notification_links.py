"""A notification's Approve and Reject links, clicked in a browser through the stand-in's AppAPI proxy.

AppAPI's proxy follows an ExApp's redirects itself and leaves the browser at the /proxy/... URL
(fixtures/appapi_proxy_redirects.json); a click is a plain GET with the session cookies
(notifications_links_click.json). So what the operator sees is the status and body of that GET:
these tests read exactly that, never a Location header.
"""

from __future__ import annotations

import re
from contextlib import closing
from datetime import timedelta

import httpx
from babel.dates import format_datetime
from lxml import html

from lib.core.request_kinds import RequestState
from tests.conftest import RunningApp

PAGE = "/index.php/apps/app_api/embedded/governance/main"


def _ask(app: RunningApp, requester: str = "alice", **form: str) -> int:
    fields = {"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor"}
    with app.client(requester) as c:
        r = c.post("/ui/requests", data={**fields, "justification": "Joins the newsletter team", **form})
    assert r.status_code == 200, r.text
    return int(re.search(r"#(\d+)", r.text).group(1))  # type: ignore[union-attr]


def _links(app: RunningApp, uid: str) -> dict[str, str]:
    notes = [n for n in app.standin.notifications if n.user == uid]
    assert notes, f"no notification for {uid}"
    params = notes[-1].subject_params["rich_subject_params"]
    return {k: v["link"] for k, v in params.items() if "link" in v}


def _browser(app: RunningApp, uid: str, lang: str = "en") -> httpx.Client:
    """A logged-in browser that follows nothing by itself: what it gets is what it shows."""
    c = httpx.Client(base_url=app.standin.url, timeout=30, headers={"Accept-Language": lang})
    c.get("/standin/login", params={"user": uid})
    return c


def _outcome(r: httpx.Response) -> str:
    found = html.fromstring(r.text).xpath('//*[@id="gov-outcome"]')
    return " ".join(found[0].text_content().split()) if found else ""


def _request_link(r: httpx.Response, rid: int) -> str:
    """The page's way to the request in the embedded page: a plain link out of the proxy URL."""
    links = html.fromstring(r.text).xpath(f'//a[contains(@href, "{PAGE}/requests/{rid}")]')
    assert links, r.text
    assert links[0].get("target") == "_top"
    return str(links[0].get("href"))


def _reject_form(r: httpx.Response) -> tuple[str, dict[str, str]]:
    form = html.fromstring(r.text).xpath("//form")[0]
    fields = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input")}
    return str(form.get("action")), fields


def test_approve_clicked_shows_the_outcome_on_a_complete_page_and_links_to_the_request(
    demo: RunningApp,
) -> None:
    rid = _ask(demo)
    with closing(_browser(demo, "claire")) as claire:
        r = claire.get(_links(demo, "claire")["approve"])
    assert r.status_code == 200 and "location" not in r.headers
    page = html.fromstring(r.text)
    assert page.get("lang") == "en" and page.xpath("//head/title")
    assert page.xpath('//link[@rel="stylesheet"][contains(@href, "/proxy/governance/css/governance.css")]')
    assert "Approved and applied" in _outcome(r)
    assert "Add people" in r.text and "nora" in r.text and "Communication" in r.text
    assert _request_link(r, rid).startswith(demo.standin.url)
    assert demo.gov.requests.get(rid).state is RequestState.APPLIED
    assert "nora" in demo.standin.groups["gt-communication-membres"]


def test_the_page_speaks_the_operators_language(demo: RunningApp) -> None:
    _ask(demo)
    with closing(_browser(demo, "claire", lang="fr")) as claire:
        r = claire.get(_links(demo, "claire")["approve"])
    assert html.fromstring(r.text).get("lang") == "fr"
    assert "Approuvée et appliquée" in _outcome(r)


def test_reject_clicked_shows_the_reason_form_and_decides_nothing_yet(demo: RunningApp) -> None:
    rid = _ask(demo)
    with closing(_browser(demo, "claire")) as claire:
        r = claire.get(_links(demo, "claire")["reject"])
    assert r.status_code == 200
    action, fields = _reject_form(r)
    assert action.endswith(f"/proxy/governance/actions/reject/{rid}") and fields["t"]
    assert html.fromstring(r.text).xpath('//textarea[@name="reason"]')
    _request_link(r, rid)
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_posting_the_reason_form_rejects_and_tells_the_requester(demo: RunningApp) -> None:
    rid = _ask(demo)
    with closing(_browser(demo, "claire")) as claire:
        action, fields = _reject_form(claire.get(_links(demo, "claire")["reject"]))
        r = claire.post(action, data={**fields, "reason": "Already in the newsletter group"})
    assert r.status_code == 200
    assert "Rejected; the requester was told." in _outcome(r)
    _request_link(r, rid)
    req = demo.gov.requests.get(rid)
    assert req.state is RequestState.REJECTED and req.reason == "Already in the newsletter group"
    assert req.decided_by == "claire"
    assert [n for n in demo.standin.notifications if n.user == "alice"]
    assert "nora" not in demo.standin.groups.get("gt-communication-membres", set())


def test_a_missing_reason_is_said_beside_the_field_and_the_form_stays_usable(demo: RunningApp) -> None:
    rid = _ask(demo)
    with closing(_browser(demo, "claire")) as claire:
        action, fields = _reject_form(claire.get(_links(demo, "claire")["reject"]))
        empty = claire.post(action, data={**fields, "reason": "   "})
        assert empty.status_code == 422
        page = html.fromstring(empty.text)
        assert page.xpath('//*[@id="reject-reason-error"]')[0].text_content().startswith("Give a reason")
        assert demo.gov.requests.get(rid).state is RequestState.PENDING
        again_action, again_fields = _reject_form(empty)
        ok = claire.post(again_action, data={**again_fields, "reason": "Not this season"})
    assert "Rejected" in _outcome(ok)
    assert demo.gov.requests.get(rid).state is RequestState.REJECTED


def test_a_reject_post_without_the_links_token_rejects_nothing(demo: RunningApp) -> None:
    rid = _ask(demo)
    with closing(_browser(demo, "claire")) as claire:
        action, _fields = _reject_form(claire.get(_links(demo, "claire")["reject"]))
        forged = claire.post(action, data={"t": "", "reason": "Forged from another site"})
    assert forged.status_code == 422 and "not valid" in _outcome(forged)
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_a_second_click_says_the_link_was_already_used(demo: RunningApp) -> None:
    rid = _ask(demo)
    link = _links(demo, "claire")["approve"]
    with closing(_browser(demo, "claire")) as claire:
        assert claire.get(link).status_code == 200
        demo.standin.reset_calls()
        again = claire.get(link)
    assert "already used" in _outcome(again) and "applied" in _outcome(again)
    _request_link(again, rid)
    assert not [c for c in demo.standin.calls if c[0] in ("POST", "PUT", "DELETE", "PROPPATCH")]
    assert [e.action for e in demo.gov.audit.entries()].count("request.applied") == 1


def test_a_used_reject_link_cannot_reject_again(demo: RunningApp) -> None:
    _ask(demo)
    with closing(_browser(demo, "claire")) as claire:
        action, fields = _reject_form(claire.get(_links(demo, "claire")["reject"]))
        claire.post(action, data={**fields, "reason": "Not this season"})
        replay = claire.post(action, data={**fields, "reason": "Once more"})
    assert "already used" in _outcome(replay)


def test_the_other_operators_link_says_someone_already_decided(demo: RunningApp) -> None:
    rid = _ask(demo)
    malik_link = _links(demo, "malik")["approve"]  # opened before claire decided, clicked after
    with closing(_browser(demo, "claire")) as claire:
        claire.get(_links(demo, "claire")["approve"])
    with closing(_browser(demo, "malik")) as malik:
        r = malik.get(malik_link)
    assert r.status_code == 409
    assert "Claire Dubois already decided this request" in _outcome(r) and "applied" in _outcome(r)
    _request_link(r, rid)


def test_an_expired_link_says_it_expired(demo: RunningApp) -> None:
    rid = _ask(demo)
    link = _links(demo, "claire")["approve"]
    real_now = demo.gov.requests.now
    demo.gov.requests.now = lambda: real_now() + timedelta(days=8)
    with closing(_browser(demo, "claire")) as claire:
        r = claire.get(link)
    assert r.status_code == 410 and "expired" in _outcome(r)
    _request_link(r, rid)
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_another_operators_link_says_it_is_not_yours(demo: RunningApp) -> None:
    rid = _ask(demo)
    with closing(_browser(demo, "malik")) as malik:
        r = malik.get(_links(demo, "claire")["approve"])
    assert r.status_code == 403
    assert "You may not decide this request" in _outcome(r) and "another operator" in _outcome(r)
    assert demo.gov.requests.get(rid).state is RequestState.PENDING
    with closing(_browser(demo, "claire")) as claire:  # and claire's own link still works
        assert "Approved and applied" in _outcome(claire.get(_links(demo, "claire")["approve"]))


def test_a_link_whose_changes_moved_on_says_to_review_them(demo: RunningApp) -> None:
    rid = _ask(demo)
    link = _links(demo, "claire")["approve"]
    demo.standin.groups["gt-communication-membres"].add("nora")  # done by hand in Nextcloud meanwhile
    with closing(_browser(demo, "claire")) as claire:
        r = claire.get(link)
    assert r.status_code == 409 and "no longer those in the notification" in _outcome(r)
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_approve_during_the_objection_window_waits_and_keeps_the_link_usable(demo: RunningApp) -> None:
    rid = _ask(demo, kind="remove_member", users="dave", role="")
    req = demo.gov.requests.get(rid)
    assert req.objection_until is not None  # communication is dave's last group
    link = _links(demo, "claire")["approve"]
    with closing(_browser(demo, "claire")) as claire:
        early = claire.get(link)
        assert early.status_code == 409
        said = _outcome(early)
        when = format_datetime(req.objection_until, format="medium", locale="en")  # as the reader writes it
        assert "may still object until" in said and " ".join(when.split()) in said
        assert "This link will still work then." in said
        assert demo.gov.requests.get(rid).state is RequestState.PENDING
        real_now = demo.gov.requests.now
        demo.gov.requests.now = lambda: real_now() + timedelta(days=6)
        later = claire.get(link)
    assert later.status_code == 200 and "Approved and applied" in _outcome(later)
    assert "dave" not in demo.standin.groups["gt-communication-membres"]
