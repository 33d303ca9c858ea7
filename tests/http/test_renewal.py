"""Renewing access: a request of its own that changes an end date and nothing else (issue 15)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from lib.core.model import Role
from lib.core.request_kinds import RequestKind, RequestState
from tests.conftest import RunningApp

LATER = date.today() + timedelta(days=120)


def _renew(app: RunningApp, until: str, who: str = "emma", requester: str = "alice") -> tuple[int, str]:
    with app.client(requester) as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "renew", "group": "communication", "users": who, "until": until,
                  "justification": "Still writes the newsletter"},
        )  # fmt: skip
    found = re.search(r"Request</?\w*>? #(\d+)|#(\d+)", r.text)
    return r.status_code, r.text if r.status_code != 200 or not found else str(
        found.group(1) or found.group(2)
    )


def _emma(app: RunningApp) -> list[tuple[Role | None, date | None]]:
    return [(m.role, m.until) for m in app.gov.org().members_of("communication") if m.user == "emma"]


def test_the_expiry_link_opens_a_renewal_form_not_an_addition(demo: RunningApp) -> None:
    with demo.client("alice") as c:
        page = c.get("/ui/groups/communication", params={"renew": "emma"})
    assert page.status_code == 200
    assert "Change the end of access of Emma" in page.text
    assert re.search(r'name="kind" value="renew"', page.text)
    assert not re.search(r'id="add-users"[^>]*value="emma"', page.text)  # the addition form stays empty


def test_the_member_list_links_each_member_to_the_renewal_form(demo: RunningApp) -> None:
    with demo.client("alice") as c:
        page = c.get("/ui/groups/communication")
    assert "renew=emma" in page.text and "Change the end date" in page.text


def test_an_approved_renewal_changes_only_the_end_date(demo: RunningApp) -> None:
    groups_before = {g: set(m) for g, m in demo.standin.groups.items()}
    status, rid = _renew(demo, LATER.isoformat())
    assert status == 200, rid
    req = demo.gov.requests.get(int(rid))
    assert req.kind is RequestKind.RENEW and req.state is RequestState.PENDING
    plan = demo.run(demo.gov.requests.preview(req))
    assert plan.is_empty  # nothing to change in Nextcloud: the end date is the app's
    with demo.client("claire") as c:
        shown = c.get(f"/ui/requests/{rid}").text
        assert "approving changes the end date Governance keeps" in shown  # not "Nextcloud already matches"
        assert "Nextcloud already matches" not in shown
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert r.status_code == 200, r.text
    assert demo.gov.requests.get(int(rid)).state is RequestState.APPLIED
    assert _emma(demo) == [(Role.CONTRIBUTOR, LATER)]
    assert {g: set(m) for g, m in demo.standin.groups.items()} == groups_before


def test_a_renewal_may_remove_the_end_date(demo: RunningApp) -> None:
    status, rid = _renew(demo, "")
    assert status == 200, rid
    req = demo.gov.requests.get(int(rid))
    plan = demo.run(demo.gov.requests.preview(req))
    with demo.client("claire") as c:
        c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum})
    assert _emma(demo) == [(Role.CONTRIBUTOR, None)]


def test_renewing_to_the_same_day_is_refused_beside_the_date(demo: RunningApp) -> None:
    until = next(m.until for m in demo.gov.org().members_of("communication") if m.user == "emma")
    assert until is not None
    status, text = _renew(demo, until.isoformat())
    assert status == 422
    assert re.search(
        r'id="err-renew-until">The access of Emma Petit to Communication already ends on that day', text
    )


def test_renewing_someone_outside_the_group_is_refused(demo: RunningApp) -> None:
    status, text = _renew(demo, LATER.isoformat(), who="nora")
    assert status == 422
    assert "not a member of Communication" in text


def test_the_renewal_form_speaks_french(demo: RunningApp) -> None:
    with demo.client("alice", lang="fr") as c:
        page = c.get("/ui/groups/communication", params={"renew": "emma"}).text
    assert "Changer la fin d" in page and "Nouvelle fin d" in page
