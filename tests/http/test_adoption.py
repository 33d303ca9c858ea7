"""Adopting a Nextcloud whose rules the app's account cannot see (issue 11).

The stand-in is seeded as the recorded Nextcloud was (fixtures/README.md "Test data present while
recording"): team folder Communication with ACL on, managed by group gt-communication-animateurs and
user alice, a rule on Interne for gt-communication (mask 10, permissions 0); the app's account
(admin) is in no group attached to it, so its own WebDAV tree does not show the folder
(fixtures/groupfolders_admin_visibility.json). Adopting must read that rule as someone who sees it,
change nothing, and leave a plan with nothing in it.
"""

from __future__ import annotations

import copy

from lib.core.model import Membership, Organisation
from tests.conftest import RunningApp
from tests.standin import StandIn

from .test_pages_admin import confirmed

OPERATOR = "claire"


def seed_like_the_recording(s: StandIn) -> None:
    for uid in ("bob", "carol"):
        s.add_user(uid, uid.title())
    s.add_group("gt-communication", "alice", "dave")
    s.add_group("gt-communication-animateurs", "alice")
    s.add_group("operations", "bob", OPERATOR)
    s.add_group("ca", "carol")
    folder = s.new_folder("Communication")
    folder.groups = {"gt-communication": 31, "gt-communication-animateurs": 31}
    folder.acl = True
    folder.manage = [("group", "gt-communication-animateurs"), ("user", "alice")]
    folder.add_path("Interne/notes.txt", is_file=True)
    folder.add_path("Public")
    folder.rules["Interne"] = [("group", "gt-communication", 10, 0)]


def nextcloud_as_is(s: StandIn) -> object:
    folders = {f.id: (f.mount_point, f.groups, f.acl, f.manage, f.rules) for f in s.folders.values()}
    return copy.deepcopy((s.groups, folders))


def adopted(app: RunningApp) -> str:
    """Adopt through the page, as an operator; the proposal page's text."""
    app.seed(Organisation("Coop", (), (Membership("operations", OPERATOR),)))
    with app.client(OPERATOR) as c:
        preview = c.get("/ui/organisation/adopt")
        assert preview.status_code == 200, preview.text
        saved = c.post("/ui/organisation/adopt", data=confirmed(preview.text))
    assert saved.status_code == 200 and "Nothing was changed in Nextcloud" in saved.text
    return preview.text


def test_rules_the_apps_account_cannot_see_are_read_as_a_manager_and_the_next_plan_is_empty(
    running: RunningApp,
) -> None:
    s = running.standin
    seed_like_the_recording(s)
    before = nextcloud_as_is(s)
    s.reset_calls()
    page = adopted(running)
    assert "sets only some rights (change, delete)" in page  # mask 10, named in words
    assert "could not be read" not in page
    reads = [path for method, path in s.calls if method == "PROPFIND"]
    assert set(reads) == {"/remote.php/dav/files/alice/Communication/"}  # one Depth infinity read per folder
    assert running.run(running.gov.sync.preview()).is_empty
    with running.client(OPERATOR) as c:
        api = c.get("/api/plan", params={"fresh": "1"}).json()
    assert api["count"] == 0, api
    _plan, result = running.run(running.gov.sync.apply(OPERATOR))
    assert result.ok and not result.applied
    assert nextcloud_as_is(s) == before  # ACL still on, the rule still there, nobody moved


def test_a_folder_nobody_suitable_can_read_is_shown_as_unreadable_and_left_alone(running: RunningApp) -> None:
    s = running.standin
    seed_like_the_recording(s)
    s.add_group("gt-finances-membres", "emma")
    finances = s.new_folder("Finances")
    finances.groups, finances.acl = {"gt-finances-membres": 15}, True
    finances.manage = [("user", "nora")]  # manages it, but has it not mounted: no group of hers is attached
    finances.add_path("Budget")
    finances.rules["Budget"] = [("group", "gt-finances-membres", 31, 1)]
    before = nextcloud_as_is(s)
    page = adopted(running)
    assert "The rules of folder Finances could not be read: nobody who manages" in page
    plan = running.run(running.gov.sync.preview())
    assert plan.is_empty, [str(c) for c in plan]
    with running.client(OPERATOR) as c:
        drift = c.get("/ui/matrix/drift", params={"refresh": "1"})
        for _ in range(20):
            if "Reading Nextcloud" not in drift.text:
                break
            drift = c.get("/ui/matrix/drift")
    assert "The rules of folder Finances could not be read" in drift.text
    _plan, result = running.run(running.gov.sync.apply(OPERATOR))
    assert result.ok and not result.applied
    assert nextcloud_as_is(s) == before  # ACL on, the Budget rule kept, nothing widened


def test_the_apps_account_reads_every_rule_of_a_folder_it_sees_in_one_request(running: RunningApp) -> None:
    s = running.standin
    seed_like_the_recording(s)
    s.add_group("governance-admins", "admin")
    folder = s.folder_by_mount("Communication")
    assert folder is not None
    folder.groups["governance-admins"] = 31
    folder.add_path("Public/Presse/2025")
    folder.rules["Public/Presse/2025"] = [("group", "gt-communication", 31, 1)]
    s.reset_calls()
    state = running.run(running.gov.gateway.read_state(lambda gid: gid.startswith("gt-"), ["Communication"]))
    read = state.folders["Communication"]
    assert read.rules_readable and read.rules_reader == "admin" and read.mounted_for_app
    assert set(read.rules) == {"Interne", "Public/Presse/2025"}
    assert [p for m, p in s.calls if m == "PROPFIND"] == ["/remote.php/dav/files/admin/Communication/"]
