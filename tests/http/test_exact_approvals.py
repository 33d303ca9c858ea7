"""Approving one request changes, in the real HTTP surface of Nextcloud, exactly what it asks."""

from __future__ import annotations

import re

from lib.core.request_kinds import RequestState
from tests.conftest import RunningApp


def _ask_to_add_nora(app: RunningApp) -> int:
    with app.client("alice") as c:
        r = c.post(
            "/ui/requests",
            data={
                "kind": "add_member",
                "group": "communication",
                "users": "nora",
                "justification": "Newsletter",
            },
        )
    assert r.status_code == 200, r.text
    return int(re.search(r"Request #(\d+)", r.text).group(1))  # type: ignore[union-attr]


def _snapshot(app: RunningApp) -> tuple[dict[str, set[str]], dict[str, tuple[object, ...]]]:
    s = app.standin
    groups = {g: set(m) for g, m in s.groups.items()}
    folders = {
        f.mount_point: (dict(f.groups), f.acl, sorted(map(str, f.manage)), repr(sorted(f.rules.items())))
        for f in s.folders.values()
    }
    return groups, folders


def test_an_approval_applies_the_request_and_leaves_drift_elsewhere_as_it_is(demo: RunningApp) -> None:
    s = demo.standin
    # hand-made changes elsewhere, as a real Nextcloud accumulates them
    s.groups["gt-communication-membres"].add("sophie")
    other = next(f for f in s.folders.values() if f.mount_point != "Communication")
    other.acl = not other.acl
    rid = _ask_to_add_nora(demo)
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}")
        assert "Add Nora Haddad to Communication (contributors)" in page.text  # in words, all of it
        assert len(re.findall(r"<li>", page.text.split('class="gov-plan"')[1].split("</ol>")[0])) == 1
        checksum = re.search(r'name="checksum" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
        groups, folders = _snapshot(demo)
        s.reset_calls()
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": checksum})
    assert r.status_code == 200 and demo.gov.requests.get(rid).state is RequestState.APPLIED
    after_groups, after_folders = _snapshot(demo)
    groups["gt-communication-membres"].add("nora")
    assert after_groups == groups  # nora added, sophie (drift) still there
    assert after_folders == folders  # no folder touched, the drifted ACL switch included
    writes = [(m, p) for m, p in s.calls if m != "GET" and "notification" not in p]
    assert writes == [("POST", "/ocs/v2.php/cloud/users/nora/groups")]


def test_a_plan_changed_by_someone_meanwhile_applies_nothing_and_shows_the_new_plan(demo: RunningApp) -> None:
    rid = _ask_to_add_nora(demo)
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}")
        checksum = re.search(r'name="checksum" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
        demo.standin.groups["gt-communication-membres"].add("nora")  # added by hand meanwhile
        r = c.post(f"/ui/requests/{rid}/approve", data={"checksum": checksum})
    assert r.status_code == 409
    assert "no longer those you were shown" in r.text
    assert "Nothing: Nextcloud already matches." in r.text  # the new plan, shown
    assert demo.gov.requests.get(rid).state is RequestState.PENDING


def test_an_organisation_change_that_removes_many_people_is_saved_only_once_confirmed(
    demo: RunningApp,
) -> None:
    from tests.http.test_pages_admin import confirmed

    wg = demo.gov.org().group("communication")
    assert wg is not None
    form = {"mode": "update", "slug": wg.slug, "name": wg.name, "purpose": wg.purpose, "archived": "1"}
    members = set(demo.standin.groups["gt-communication-membres"])
    version = demo.gov.orgs.version()
    with demo.client("claire") as c:
        preview = c.post("/ui/organisation/groups", data=form)
        assert "These changes need a confirmation" in preview.text and 'name="confirmed"' in preview.text
        refused = c.post("/ui/organisation/groups", data=confirmed(preview.text, **form))
        assert refused.status_code == 409 and "tick the box" in refused.text
        assert demo.gov.orgs.version() == version  # nothing saved
        assert demo.standin.groups["gt-communication-membres"] == members  # nothing applied
        done = c.post("/ui/organisation/groups", data={**confirmed(preview.text, **form), "confirmed": "1"})
    assert done.status_code == 200, done.text
    assert demo.gov.orgs.version() == version + 1
    assert not demo.standin.groups["gt-communication-membres"]


def test_downloads_carry_their_length_because_the_proxy_breaks_chunked_answers(demo: RunningApp) -> None:
    """Seen on a real Nextcloud 32.0.1: app_api's proxy drops "Transfer-Encoding" only under that exact
    case (ExAppProxyController ``createProxyResponse``), so a streamed answer arrived marked chunked
    but de-chunked and the browser cancelled the download. Every download has a Content-Length."""
    with demo.client("claire") as c:
        for path in ("/api/audit.csv", "/api/organisation.yaml", "/api/groups/communication/members.csv"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert "transfer-encoding" not in r.headers, path
            assert int(r.headers["content-length"]) == len(r.content), path


def test_changing_the_last_contributor_to_reader_keeps_their_access_as_a_reader(demo: RunningApp) -> None:
    """The first reader of a group: the readers' group is created, attached and ruled by the request."""
    with demo.client("ines") as c:
        r = c.post(
            "/ui/requests",
            data={"kind": "change_role", "group": "administratif", "users": "hugo", "role": "reader",
                  "justification": "Less time"},
        )  # fmt: skip
    assert r.status_code == 200, r.text
    rid = int(re.search(r"Request #(\d+)", r.text).group(1))  # type: ignore[union-attr]
    with demo.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}")
        checksum = re.search(r'name="checksum" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
        c.post(f"/ui/requests/{rid}/approve", data={"checksum": checksum, "confirmed": "1"})
    assert demo.gov.requests.get(rid).state is RequestState.APPLIED
    assert "hugo" in demo.standin.groups["gt-administratif-lecteurs"]
    folder = demo.standin.folder_by_mount("Administratif et gestion")
    assert folder is not None
    assert folder.groups.get("gt-administratif-lecteurs") == 1  # hugo still reads the folder
    with demo.client("claire") as c:
        assert c.get("/api/plan", params={"fresh": 1}).json()["count"] == 0  # nothing forgotten


def test_a_page_naming_many_people_reads_their_names_in_pages_not_one_call_each(
    many_groups: RunningApp,
) -> None:
    """Seen on a real Nextcloud: a group page of 45 members made 45 calls of 50-150 ms each."""
    s = many_groups.standin
    gid = "gt-atelier-01-membres"
    s.add_group(gid)
    for i in range(30):
        s.add_user(f"guest{i:02d}", f"Guest {i:02d}")
    org = many_groups.gov.org()
    from dataclasses import replace

    from lib.core.model import Membership, Role

    extra = tuple(Membership("atelier-01", f"guest{i:02d}", Role.CONTRIBUTOR) for i in range(30))
    many_groups.seed(replace(org, memberships=org.memberships + extra))
    s.reset_calls()
    with many_groups.client("claire") as c:
        page = c.get("/ui/groups/atelier-01")
    assert page.status_code == 200 and "Guest 07" in page.text
    one_by_one = [p for m, p in s.calls if m == "GET" and p.startswith("/ocs/v2.php/cloud/users/guest")]
    assert one_by_one == []
