"""compile_org: the Nextcloud state an organisation implies."""

from datetime import date

from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Organisation, Right, Role, WorkingGroup
from lib.core.state import AclManager, AclRule

TODAY = date(2025, 6, 1)
COM = WorkingGroup("communication", "Communication")


def org(*groups: WorkingGroup, members: tuple[Membership, ...] = ()) -> Organisation:
    return Organisation("Coop", groups or (COM,), members)


def test_each_used_role_becomes_a_group_and_the_facilitator_group_always_exists() -> None:
    state = compile_org(org(members=(Membership("communication", "alice", Role.READER),)), "admin", TODAY)
    assert {"gt-communication-animateurs", "gt-communication-lecteurs"} <= state.groups.keys()
    assert "gt-communication-membres" not in state.groups
    assert state.groups["gt-communication-lecteurs"] == {"alice"}


def test_organisation_wide_groups_exist_and_the_app_group_holds_the_admin_account() -> None:
    state = compile_org(org(members=(Membership("board", "carol"),)), "gov-admin", TODAY)
    assert {"ca", "operations", "membres", "tous", "governance-admins"} <= state.groups.keys()
    assert state.groups["ca"] == {"carol"}
    assert state.groups["governance-admins"] == {"gov-admin"}


def test_expired_membership_is_dropped_but_one_ending_today_is_kept() -> None:
    members = (
        Membership("communication", "old", Role.CONTRIBUTOR, until=date(2025, 5, 31)),
        Membership("communication", "last-day", Role.CONTRIBUTOR, until=TODAY),
    )
    state = compile_org(org(members=members), "admin", TODAY)
    assert state.groups["gt-communication-membres"] == {"last-day"}


def test_folder_gives_role_rights_board_consult_operations_modify_and_not_the_apps_group() -> None:
    """The app's group is attached by the plan only where it must write rules (compile.py docstring)."""
    members = (Membership("communication", "alice", Role.FACILITATOR),)
    folder = compile_org(org(members=members), "admin", TODAY).folders["Communication"]
    assert folder.groups == {"gt-communication-animateurs": 31, "ca": 1, "operations": 15}
    assert folder.acl is False and not folder.managers and not folder.rules


def test_whole_folder_grants_add_to_a_groups_permissions_bitwise() -> None:
    sport = WorkingGroup("sport", "Sport", grants=(Grant("board", Right.MODIFY), Grant("all", Right.CONSULT)))
    folder = compile_org(org(sport), "admin", TODAY).folders["Sport"]
    assert folder.groups["ca"] == 15
    assert folder.groups["tous"] == 1


def test_a_none_grant_on_the_whole_folder_attaches_nothing() -> None:
    sport = WorkingGroup("sport", "Sport", grants=(Grant("members", Right.NONE),))
    assert "membres" not in compile_org(org(sport), "admin", TODAY).folders["Sport"].groups


def test_archived_group_has_no_folder_and_its_groups_stay_empty() -> None:
    archived = WorkingGroup("old", "Old", archived=True)
    state = compile_org(org(archived, members=(Membership("old", "bob", Role.FACILITATOR),)), "admin", TODAY)
    assert "Old" not in state.folders
    assert state.groups["gt-old-animateurs"] == set()


def test_sub_path_grants_turn_acl_on_with_facilitators_and_operations_as_managers() -> None:
    wg = WorkingGroup("communication", "Communication", grants=(Grant("all", Right.NONE, "Interne/RH"),))
    folder = compile_org(org(wg), "gov-admin", TODAY).folders["Communication"]
    assert folder.acl is True
    assert folder.managers == {  # the app's account is an admin: it manages every folder it sees
        AclManager("group", "gt-communication-animateurs"),
        AclManager("group", "operations"),
    }


def test_a_none_grant_on_the_whole_folder_takes_away_the_board_or_operations_default() -> None:
    wg = WorkingGroup("communication", "Communication", grants=(Grant("board", Right.NONE),))
    groups = compile_org(org(wg), "admin", TODAY).folders["Communication"].groups
    assert "ca" not in groups and groups["operations"] == 15


def test_hiding_a_path_from_all_but_one_role_denies_every_other_attached_group() -> None:
    grants = (Grant("all", Right.NONE, "RH"), Grant("communication/steering", Right.MODIFY, "RH"))
    members = (Membership("communication", "alice", Role.CONTRIBUTOR),)
    folder = compile_org(
        org(WorkingGroup("communication", "Communication", grants=grants), members=members), "admin", TODAY
    ).folders["Communication"]
    rights = {r.mapping_id: r.permissions for r in folder.rules["RH"]}
    assert rights["gt-communication-copil"] == 15
    assert rights["gt-communication-membres"] == 0
    assert rights["gt-communication-animateurs"] == 0
    assert rights["ca"] == 0
    assert rights["tous"] == 0


def test_operations_and_the_app_keep_their_rights_under_an_all_baseline() -> None:
    wg = WorkingGroup("communication", "Communication", grants=(Grant("all", Right.NONE, "RH"),))
    rules = compile_org(org(wg), "admin", TODAY).folders["Communication"].rules["RH"]
    rights = {r.mapping_id: r.permissions for r in rules}
    assert rights["operations"] == 15
    assert rights["governance-admins"] == 31


def test_every_rule_has_a_full_mask_so_a_persons_right_is_the_union_of_their_groups() -> None:
    wg = WorkingGroup(
        "communication", "Communication", grants=(Grant("communication/reader", Right.NONE, "A"),)
    )
    rules = compile_org(org(wg), "admin", TODAY).folders["Communication"].rules["A"]
    assert {r.mask for r in rules} == {31}
    assert AclRule("group", "gt-communication-animateurs", 31, 31) in rules


def test_a_child_path_inherits_each_groups_right_from_the_nearest_ruled_parent() -> None:
    grants = (
        Grant("board", Right.NONE, "Interne"),
        Grant("communication/facilitator", Right.CONSULT, "Interne/RH"),
    )
    rules = (
        compile_org(org(WorkingGroup("communication", "Communication", grants=grants)), "admin", TODAY)
        .folders["Communication"]
        .rules
    )
    child = {r.mapping_id: r.permissions for r in rules["Interne/RH"]}
    assert child["ca"] == 0
    assert child["gt-communication-animateurs"] == 1


def test_a_rule_never_gives_more_than_the_groups_folder_permissions() -> None:
    wg = WorkingGroup("communication", "Communication", grants=(Grant("board", Right.MANAGE, "Budget"),))
    rules = compile_org(org(wg), "admin", TODAY).folders["Communication"].rules["Budget"]
    assert AclRule("group", "ca", 31, 1) in rules


def test_sub_paths_are_normalised() -> None:
    wg = WorkingGroup("communication", "Communication", grants=(Grant("board", Right.NONE, "/Interne//RH/"),))
    assert set(compile_org(org(wg), "admin", TODAY).folders["Communication"].rules) == {"Interne/RH"}


def test_mount_point_defaults_to_the_group_name() -> None:
    wg = WorkingGroup("communication", "Communication", mount_point="Équipe Com")
    assert set(compile_org(org(wg), "admin", TODAY).folders) == {"Équipe Com"}
