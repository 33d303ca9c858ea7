"""NextcloudGateway against the stand-in: each change lands, replays are no-ops, reads match writes."""

from __future__ import annotations

import base64

import pytest

from lib.core.changes import (
    AddMember,
    AttachGroup,
    CreateFolder,
    CreateGroup,
    DetachGroup,
    RemoveMember,
    SetAcl,
    SetAclManager,
    SetAclRules,
)
from lib.core.ports import UserInfo
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState
from lib.nextcloud import gateway as gateway_module
from lib.nextcloud.errors import NextcloudError
from lib.nextcloud.gateway import NextcloudGateway
from tests import conftest_standin
from tests.conftest_standin import ADMIN, MOUNT, SECRET, make_client, managed, sample_plan, snapshot
from tests.standin import StandIn

RULE_PATHS = {MOUNT: {"Interne", "Interne/Secret"}}
standin = conftest_standin.standin
gateway = conftest_standin.gateway


async def apply_all(gateway: NextcloudGateway, changes: list) -> list[str]:
    return [await gateway.apply(change) for change in changes]


async def test_every_change_of_a_plan_shows_in_nextcloud(standin: StandIn, gateway: NextcloudGateway) -> None:
    await apply_all(gateway, sample_plan())

    assert standin.groups["gt-ops"] == {ADMIN}
    assert standin.groups["gt-com"] == {"alice", "bob"}
    assert standin.group_names["gt-ops"] == "Operations"
    folder = standin.folder_by_mount(MOUNT)
    assert folder is not None
    assert folder.groups == {"gt-ops": 31, "gt-com": 15}
    assert folder.acl is True
    assert folder.manage == [("group", "gt-ops")]
    assert folder.rules == {
        "Interne": [("group", "gt-com", 10, 0)],
        "Interne/Secret": sorted([("group", "gt-com", 31, 0), ("user", "alice", 1, 1)]),
    }
    assert {"Interne", "Interne/Secret"} <= folder.paths


async def test_detaching_a_group_and_removing_a_member_show_in_nextcloud(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())

    await apply_all(gateway, [DetachGroup(MOUNT, "gt-com"), RemoveMember("gt-com", "bob")])

    assert standin.folder_by_mount(MOUNT).groups == {"gt-ops": 31}
    assert standin.groups["gt-com"] == {"alice"}


async def test_disabling_acl_and_revoking_a_manager_show_in_nextcloud(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())

    await apply_all(gateway, [SetAclManager(MOUNT, "group", "gt-ops", False), SetAcl(MOUNT, False)])

    folder = standin.folder_by_mount(MOUNT)
    assert (folder.manage, folder.acl) == ([], False)


async def test_replaying_every_change_changes_nothing(standin: StandIn, gateway: NextcloudGateway) -> None:
    plan = sample_plan() + [DetachGroup(MOUNT, "gt-none"), RemoveMember("gt-com", "carol")]
    await apply_all(gateway, plan)
    before = snapshot(standin)

    answers = await apply_all(gateway, plan)

    assert snapshot(standin) == before
    assert "group already exists" in answers
    assert "folder already exists" in answers
    assert any(a.startswith("group already set") for a in answers)
    assert "rules already set" in answers


async def test_replaying_changes_lands_nothing_twice_and_reads_nothing_first(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())
    standin.reset_calls()

    await apply_all(gateway, sample_plan())

    folder = standin.folder_by_mount(MOUNT)
    assert folder.groups == {"gt-ops": 31, "gt-com": 15}  # the second attach is refused by Nextcloud
    assert folder.manage == [("group", "gt-ops")]  # the grant is a revoke then a grant: one row
    assert not [m for m, _ in standin.calls if m == "PROPPATCH"]
    # the outcome of each call was known: no folder is read again before writing
    assert not [p for m, p in standin.calls if m == "GET" and "/folders/" in p]


async def test_a_change_in_doubt_is_checked_before_it_is_sent_again(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())
    standin.reset_calls()

    answer = await gateway.apply(AttachGroup(MOUNT, "gt-com", 15), in_doubt=True)

    assert answer == "group already set, permissions 15"
    assert [m for m, p in standin.calls if p.endswith("/groups")] == []  # read, not sent
    assert [m for m, p in standin.calls if "/folders/" in p] == ["GET"]


async def test_attaching_a_group_the_plan_created_costs_one_call_per_fact(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, [CreateGroup("gt-com"), CreateGroup("gt-ops"), CreateFolder(MOUNT)])
    standin.reset_calls()

    await apply_all(gateway, [AttachGroup(MOUNT, "gt-ops", 31), AttachGroup(MOUNT, "gt-com", 15)])

    groups = "/index.php/apps/groupfolders/folders/1/groups"
    assert standin.calls == [("POST", groups), ("POST", groups), ("POST", f"{groups}/gt-com")]
    assert standin.folder_by_mount(MOUNT).groups == {"gt-ops": 31, "gt-com": 15}


async def test_read_state_after_applying_a_plan_is_what_was_applied(gateway: NextcloudGateway) -> None:
    await apply_all(gateway, sample_plan())

    state = await gateway.read_state(managed, [MOUNT], rule_paths=RULE_PATHS)

    expected_folder = FolderState(
        mount_point=MOUNT,
        groups={"gt-ops": 31, "gt-com": 15},
        acl=True,
        managers={AclManager("group", "gt-ops")},
        rules={
            "Interne": {AclRule("group", "gt-com", 10, 0)},
            "Interne/Secret": {AclRule("group", "gt-com", 31, 0), AclRule("user", "alice", 1, 1)},
        },
        folder_id=state.folders[MOUNT].folder_id,
        rules_reader=ADMIN,  # read as the app's account: gt-ops, attached, has it mounted for it
        mounted_for_app=True,
    )
    assert state == NextcloudState(
        groups={"gt-ops": {ADMIN}, "gt-com": {"alice", "bob"}},
        folders={MOUNT: expected_folder},
        display_names={"gt-ops": "Operations", "gt-com": "Communication"},
    )


async def test_read_state_leaves_out_groups_and_folders_the_app_does_not_manage(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    standin.add_group("operations", "bob")
    standin.new_folder("Private")
    await apply_all(gateway, sample_plan())

    state = await gateway.read_state(managed, [MOUNT, "Missing"])

    assert set(state.groups) == {"gt-ops", "gt-com"}
    assert set(state.folders) == {MOUNT}


def seed_folders(s: StandIn, count: int, members: int) -> list[str]:
    """``count`` ACL folders, each with its own group of ``members`` users and a rule on a sub-folder."""
    mounts = []
    for i in range(count):
        gid = f"gt-{i}"
        uids = [f"user{i}-{j}" for j in range(members)]
        for uid in uids:
            s.add_user(uid)
        s.add_group(gid, ADMIN, *uids)
        folder = s.new_folder(f"Folder {i}")
        folder.groups, folder.acl = {gid: 31}, True
        folder.add_path("Sub")
        folder.rules["Sub"] = [("group", gid, 2, 0)]
        mounts.append(folder.mount_point)
    return mounts


@pytest.mark.parametrize(("folders", "members"), [(3, 2), (9, 2), (9, 25)])
async def test_reading_state_takes_calls_per_folder_not_per_user(
    standin: StandIn, gateway: NextcloudGateway, folders: int, members: int
) -> None:
    mounts = seed_folders(standin, folders, members)
    standin.reset_calls()

    state = await gateway.read_state(managed, mounts)

    # group list + one page of users (fewer than a page) + folder list + the app account's
    # groups + one (Depth infinity) PROPFIND per ACL folder
    assert len(standin.calls) == 4 + folders
    assert len(state.groups["gt-0"]) == members + 1
    assert state.folders["Folder 0"].rules == {"Sub": {AclRule("group", "gt-0", 2, 0)}}


async def test_setting_rules_keeps_the_rules_the_app_does_not_own(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())
    folder = standin.folder_by_mount(MOUNT)
    folder.rules["Interne"] = [
        ("user", "dave", 31, 31),
        ("group", "gt-old", 4, 0),
        ("group", "gt-com", 10, 0),
    ]

    await gateway.apply(SetAclRules(MOUNT, "Interne", (AclRule("group", "gt-com", 1, 1),)))

    assert sorted(folder.rules["Interne"]) == [("group", "gt-com", 1, 1), ("user", "dave", 31, 31)]


async def test_attaching_an_unknown_group_is_refused_before_nextcloud_accepts_it(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await gateway.apply(CreateFolder(MOUNT))

    with pytest.raises(NextcloudError, match="group gt-ghost does not exist"):
        await gateway.apply(AttachGroup(MOUNT, "gt-ghost", 31))

    assert standin.folder_by_mount(MOUNT).groups == {}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (AddMember("gt-com", "nobody"), "user nobody does not exist"),
        (AddMember("gt-ghost", "alice"), "group gt-ghost does not exist"),
        (RemoveMember("gt-com", "nobody"), "user nobody does not exist"),
    ],
)
async def test_membership_errors_name_the_operation_and_the_reason(
    gateway: NextcloudGateway, change: AddMember, reason: str
) -> None:
    await gateway.apply(CreateGroup("gt-com"))

    with pytest.raises(NextcloudError) as caught:
        await gateway.apply(change)

    assert f"/cloud/users/{change.uid}/groups" in caught.value.operation
    assert reason in str(caught.value)


async def test_the_admin_must_see_the_folder_to_set_rules(gateway: NextcloudGateway) -> None:
    await apply_all(gateway, [CreateFolder(MOUNT), SetAcl(MOUNT, True)])

    with pytest.raises(NextcloudError):
        await gateway.apply(SetAclRules(MOUNT, "Interne", (AclRule("group", "gt-com", 1, 0),)))


async def test_calls_carry_the_appapi_headers_of_the_impersonated_user(standin: StandIn) -> None:
    seen: list[dict[str, str]] = []
    inner = standin.app

    async def spy(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        return await inner(scope, receive, send)

    standin.app = spy  # type: ignore[assignment]
    client = make_client(standin)
    await NextcloudGateway(client, ADMIN).get_user("alice")
    await client.aclose()

    headers = seen[-1]
    assert base64.b64decode(headers["authorization-app-api"]).decode() == f"{ADMIN}:{SECRET}"
    assert (headers["ex-app-id"], headers["ex-app-version"], headers["ocs-apirequest"]) == (
        "governance",
        "1.0.0",
        "true",
    )
    assert headers["accept"] == "application/json"


async def test_people_lookups(standin: StandIn, gateway: NextcloudGateway) -> None:
    assert await gateway.search_users("ali") == [UserInfo("alice", "Alice", "alice@example.org", "en")]
    assert await gateway.get_user("bob") == UserInfo("bob", "Bob", "bob@example.org", "en")
    assert await gateway.get_user("nobody") is None
    assert await gateway.is_admin(ADMIN) is True
    assert await gateway.is_admin("alice") is False
    assert await gateway.is_admin("nobody") is False


async def test_a_notification_reaches_its_user_and_can_be_withdrawn(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    params = {"request": {"type": "highlight", "id": "42", "name": "Access request #42"}}
    link = "http://cloud/index.php/apps/app_api/embedded/governance/main"

    object_id = await gateway.notify("carol", "New {request}", params, "Please decide", link)

    [note] = standin.notifications
    assert (note.user, note.object_id, len(object_id)) == ("carol", object_id, 56)
    assert (note.subject, note.message, note.link) == ("New Access request #42", "Please decide", link)
    await gateway.delete_notification("carol", object_id)
    await gateway.delete_notification("carol", object_id)  # already gone: still fine
    assert standin.notifications == []


@pytest.mark.parametrize("users", [5, 6, 7, 8, 9, 10, 11])
async def test_memberships_are_read_in_pages_of_users_whatever_their_number(
    standin: StandIn, gateway: NextcloudGateway, monkeypatch: pytest.MonkeyPatch, users: int
) -> None:
    monkeypatch.setattr(gateway_module, "USERS_PAGE", 2)
    monkeypatch.setattr(gateway_module, "PAGES_AT_ONCE", 2)
    uids = [f"u{i:02d}" for i in range(users - 1)]  # + the admin
    for uid in uids:
        standin.add_user(uid)
    standin.add_group("gt-odd", *uids[1::2])
    standin.add_group("gt-all", ADMIN, *uids)
    standin.add_group("gt-empty")
    standin.reset_calls()

    state = await gateway.read_state(managed, [])

    assert state.groups == {"gt-odd": set(uids[1::2]), "gt-all": {ADMIN, *uids}, "gt-empty": set()}
    pages = [p for _, p in standin.calls if p.endswith("/cloud/users/details")]
    full_pages = len(standin.users) // 2  # the fixture's own users and these
    # the first page alone, then two at a time until one is short: at most one page past the end
    assert full_pages + 1 <= len(pages) <= full_pages + 2


NEW_RULE = (AclRule("group", "gt-com", 1, 1),)


async def test_rules_written_right_after_a_reading_cost_one_call(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())
    await gateway.read_state(managed, [MOUNT], rule_paths=RULE_PATHS)
    standin.reset_calls()

    await gateway.apply(SetAclRules(MOUNT, "Interne/Secret", NEW_RULE))

    assert [m for m, _ in standin.calls] == ["PROPPATCH"]  # path and rules in place known from the reading
    # the user rule the app does not own is kept
    assert standin.folder_by_mount(MOUNT).rules["Interne/Secret"] == [
        ("group", "gt-com", 1, 1),
        ("user", "alice", 1, 1),
    ]


async def test_rules_in_doubt_or_after_an_old_reading_are_read_again_and_foreign_ones_kept(
    standin: StandIn, gateway: NextcloudGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await apply_all(gateway, sample_plan())
    await gateway.read_state(managed, [MOUNT], rule_paths=RULE_PATHS)
    standin.folder_by_mount(MOUNT).rules["Interne"].append(("user", "dave", 31, 31))  # by hand, since
    standin.reset_calls()

    await gateway.apply(SetAclRules(MOUNT, "Interne", NEW_RULE), in_doubt=True)
    monkeypatch.setattr(gateway_module, "RULES_FRESH", 0.0)  # the reading is now too old to stand
    await gateway.apply(SetAclRules(MOUNT, "Interne", (AclRule("group", "gt-com", 2, 2),)))

    assert [m for m, _ in standin.calls] == ["PROPFIND", "PROPPATCH", "PROPFIND", "PROPPATCH"]
    assert sorted(standin.folder_by_mount(MOUNT).rules["Interne"]) == [
        ("group", "gt-com", 2, 2),
        ("user", "dave", 31, 31),
    ]


async def test_a_path_deleted_since_the_reading_is_made_again(
    standin: StandIn, gateway: NextcloudGateway
) -> None:
    await apply_all(gateway, sample_plan())
    await gateway.read_state(managed, [MOUNT], rule_paths=RULE_PATHS)
    folder = standin.folder_by_mount(MOUNT)
    folder.paths -= {"Interne/Secret"}  # deleted by hand, with its rules
    folder.rules.pop("Interne/Secret")

    await gateway.apply(SetAclRules(MOUNT, "Interne/Secret", NEW_RULE))

    assert "Interne/Secret" in folder.paths
    assert folder.rules["Interne/Secret"] == [("group", "gt-com", 1, 1)]
