"""A resumed run replays only what the organisation still wants (issue 13, item 4)."""

from dataclasses import replace
from datetime import date

import pytest

from lib.core.changes import (
    AddMember,
    AttachGroup,
    Change,
    CreateFolder,
    CreateGroup,
    DetachGroup,
    RemoveMember,
    RenameFolder,
    SetAcl,
    SetAclManager,
    SetAclRules,
    SetGroupPermissions,
)
from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Organisation, Right, Role, WorkingGroup
from lib.core.plan import plan
from lib.core.state import AclRule, FolderState, NextcloudState
from lib.core.still_wanted import still_wanted

TODAY = date(2025, 6, 1)
ADMIN = "gov-admin"
COM = WorkingGroup("com", "Com", grants=(Grant("all", Right.NONE, "RH"),))
ORG = Organisation(
    "Coop",
    (COM, WorkingGroup("sport", "Sport")),
    (
        Membership("com", "alice", Role.FACILITATOR),
        Membership("com", "dave", Role.CONTRIBUTOR),
        Membership("sport", "bob", Role.FACILITATOR),
    ),
)


def desired(org: Organisation = ORG) -> NextcloudState:
    return compile_org(org, ADMIN, TODAY)


def without(org: Organisation, uid: str) -> Organisation:
    return replace(org, memberships=tuple(m for m in org.memberships if m.user != uid))


def test_every_change_of_a_fresh_plan_is_still_wanted_by_the_organisation_it_came_from() -> None:
    want = desired()

    changes = plan(want, NextcloudState(), lambda gid: gid != "admin").changes

    assert changes and all(still_wanted(c, want) for c in changes)


def test_adding_a_person_whose_access_was_revoked_meanwhile_is_no_longer_wanted() -> None:
    was, now = desired(), desired(without(ORG, "dave"))
    add = next(
        c
        for c in plan(was, NextcloudState(), lambda g: True).changes
        if c == AddMember("gt-com-membres", "dave")
    )

    assert still_wanted(add, was)
    assert not still_wanted(add, now)
    assert still_wanted(AddMember("gt-com-animateurs", "alice"), now)  # the others' access stays


def test_removing_a_person_given_access_again_meanwhile_is_no_longer_wanted() -> None:
    assert not still_wanted(RemoveMember("gt-com-membres", "dave"), desired())
    assert still_wanted(RemoveMember("gt-com-membres", "dave"), desired(without(ORG, "dave")))


def test_nothing_is_wanted_on_the_folder_of_a_group_archived_meanwhile_but_revocations() -> None:
    archived = replace(ORG, working_groups=(replace(COM, archived=True), ORG.working_groups[1]))
    now = desired(archived)
    mount = COM.folder

    assert not still_wanted(CreateFolder(mount), now)
    assert not still_wanted(AttachGroup(mount, "gt-com", 31), now)
    assert not still_wanted(SetAclManager(mount, "group", "gt-com-animateurs", True), now)
    assert still_wanted(SetAclManager(mount, "group", "gt-com-animateurs", False), now)
    assert still_wanted(DetachGroup(mount, "gt-com"), now)


@pytest.mark.parametrize(
    ("change", "wanted"),
    [
        (AttachGroup("F", "gt-a", 31), True),
        (AttachGroup("F", "gt-a", 15), False),  # the mask changed meanwhile: the newer run sets it
        (AttachGroup("F", "app", 31), True),  # the app's access to write the folder's rules
        (SetGroupPermissions("F", "gt-a", 31, previous=15), True),
        (SetGroupPermissions("F", "gt-a", 1, previous=31), False),
        (DetachGroup("F", "gt-a"), False),
        (DetachGroup("F", "gt-old"), True),
        (DetachGroup("F", "app"), False),
        (CreateGroup("gt-a"), True),
        (CreateGroup("gt-gone"), False),
        (SetAcl("F", True), True),
        (SetAcl("F", False), False),
        (RenameFolder("F", "Old"), True),
        (RenameFolder("Gone", "F"), False),
    ],
    ids=str,
)
def test_a_change_is_wanted_when_it_writes_what_the_desired_state_holds(change: Change, wanted: bool) -> None:
    rules = {"RH": {AclRule("group", "gt-a", 31, 0), AclRule("group", "app", 31, 31)}}
    state = NextcloudState(
        groups={"gt-a": {"alice"}, "app": {ADMIN}},
        folders={"F": FolderState("F", groups={"gt-a": 31}, acl=True, rules=rules)},
        app_group="app",
        app_account=ADMIN,
    )

    assert still_wanted(change, state) is wanted


def test_rules_are_wanted_when_they_differ_only_by_groups_nobody_is_in() -> None:
    rule, mark = AclRule("group", "gt-a", 31, 0), AclRule("group", "app", 31, 31)
    empty = AclRule("group", "gt-empty", 1, 0)
    state = NextcloudState(
        groups={"gt-a": {"alice"}, "gt-empty": set(), "app": {ADMIN}},
        folders={"F": FolderState("F", rules={"RH": {rule, mark, empty}})},
        app_group="app",
    )

    assert still_wanted(SetAclRules("F", "RH", (mark, rule)), state)
    assert not still_wanted(SetAclRules("F", "RH", (mark,)), state)  # would take gt-a's rule away
    assert not still_wanted(SetAclRules("F", "RH", (rule,)), state)  # without the app's mark
    assert not still_wanted(SetAclRules("F", "Other", (mark, rule)), state)
