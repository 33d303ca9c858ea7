"""drift: changes made by hand in Nextcloud, and accepting them into the organisation."""

from datetime import date

from lib.core.compile import compile_org
from lib.core.drift import Drift, adopt_changes, drift
from lib.core.model import Grant, Membership, Organisation, Right, Role, WorkingGroup
from lib.core.plan import apply_to_state, plan
from lib.core.state import AclRule, FolderState, NextcloudState

TODAY = date(2025, 6, 1)
ORG = Organisation(
    "Coop",
    (WorkingGroup("com", "Com", grants=(Grant("all", Right.NONE, "RH"),)),),
    (
        Membership("com", "alice", Role.FACILITATOR),
        Membership("com", "bob", Role.CONTRIBUTOR),
        Membership("board", "carol"),
        Membership("operations", "otto"),
    ),
)


def managed(gid: str) -> bool:
    return gid.startswith("gt-") or gid in {"ca", "operations", "membres", "tous", "governance-admins"}


def in_sync() -> tuple[NextcloudState, NextcloudState]:
    desired = compile_org(ORG, "admin", TODAY)
    return desired, apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed))


def kinds(found: tuple[Drift, ...]) -> set[tuple[str, tuple[str, ...]]]:
    return {(d.kind, d.subject) for d in found}


def test_no_drift_when_in_sync() -> None:
    desired, actual = in_sync()
    assert drift(desired, actual, managed) == ()


def test_members_added_or_removed_by_hand_show_up() -> None:
    desired, actual = in_sync()
    actual.groups["gt-com-membres"] = {"zoe"}
    assert kinds(drift(desired, actual, managed)) == {
        ("extra_member", ("gt-com-membres", "zoe")),
        ("missing_member", ("gt-com-membres", "bob")),
    }


def test_folder_changes_show_up_with_expected_and_actual_values() -> None:
    desired, actual = in_sync()
    folder = actual.folders["Com"]
    folder.groups["ca"] = 15
    folder.acl = False
    folder.managers.clear()
    folder.rules["RH"].discard(AclRule("group", "ca", 31, 0))
    actual.folders["Hand made"] = FolderState("Hand made")
    found = {d.kind: d for d in drift(desired, actual, managed)}
    assert (found["permission_changed"].expected, found["permission_changed"].actual) == (1, 15)
    assert (found["acl_flag_changed"].expected, found["acl_flag_changed"].actual) == (True, False)
    assert "manager_changed" in found
    assert "group ca 31/0" in str(found["acl_rules_changed"].expected)
    assert "group ca 31/0" not in str(found["acl_rules_changed"].actual)
    assert found["unmanaged_folder"].subject == ("Hand made",)


def test_missing_groups_and_folders_show_up() -> None:
    desired, _ = in_sync()
    found = kinds(drift(desired, NextcloudState(), managed))
    assert ("missing_group", ("gt-com-animateurs",)) in found
    assert ("missing_folder", ("Com",)) in found


def test_accepting_member_drift_updates_the_organisation_memberships() -> None:
    desired, actual = in_sync()
    actual.groups["gt-com-membres"] = {"zoe"}
    adopted = adopt_changes(ORG, drift(desired, actual, managed))
    assert Membership("com", "zoe", Role.CONTRIBUTOR) in adopted.memberships
    assert not any(m.user == "bob" for m in adopted.memberships)
    assert drift(compile_org(adopted, "admin", TODAY), actual, managed) == ()


def test_accepting_a_raised_permission_becomes_a_whole_folder_grant() -> None:
    desired, actual = in_sync()
    actual.folders["Com"].groups["ca"] = 15
    adopted = adopt_changes(ORG, drift(desired, actual, managed))
    assert Grant("board", Right.MODIFY) in adopted.working_groups[0].grants
    new_desired = compile_org(adopted, "admin", TODAY)
    assert not [d for d in drift(new_desired, actual, managed) if d.kind == "permission_changed"]


def test_a_permission_below_the_groups_default_is_not_accepted() -> None:
    desired, actual = in_sync()
    actual.folders["Com"].groups["operations"] = 1
    adopted = adopt_changes(ORG, drift(desired, actual, managed))
    assert adopted.working_groups == ORG.working_groups


def test_a_folder_whose_rules_could_not_be_read_shows_up_as_such_not_as_rules_removed() -> None:
    desired, actual = in_sync()
    folder = actual.folders["Com"]
    folder.rules, folder.rules_readable, folder.rules_problem = {}, False, "no_reader"
    found = drift(desired, actual, managed)
    assert [(d.kind, d.subject, d.actual) for d in found] == [("rules_unreadable", ("Com",), "no_reader")]


def test_a_role_group_its_last_member_left_is_no_difference_while_it_gives_nothing() -> None:
    """After the last contributor goes, their role's group stays empty and off the folder: it gives
    no access, so the matrix does not report it as changed by hand (it did, on a real Nextcloud)."""
    org = Organisation(ORG.name, ORG.working_groups, tuple(m for m in ORG.memberships if m.user != "bob"))
    before, actual = in_sync()
    desired = compile_org(org, "admin", TODAY)
    left = apply_to_state(actual, plan(desired, actual, managed))
    gone = set(before.groups) - set(desired.groups)
    for g in gone:  # the approved removal took bob out of it (lib/core/effect.request_plan)
        left.groups[g].discard("bob")
    assert gone and all(g in left.groups and not left.groups[g] for g in gone)
    assert drift(desired, left, managed) == ()
    left.groups[sorted(gone)[0]] = {"zoe"}  # someone put a person in it by hand: that is a difference
    assert ("extra_group", (sorted(gone)[0],)) in kinds(drift(desired, left, managed))
