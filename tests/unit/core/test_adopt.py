"""propose_org: describing an existing Nextcloud as an organisation, so that the next plan is empty."""

from dataclasses import replace
from datetime import date

from lib.core.adopt import Planner, propose_org, right_for, slugify
from lib.core.changes import SetAclRules
from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Naming, Organisation, Right, Role
from lib.core.plan import Plan, apply_to_state, plan
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState
from lib.services.sync import managed_by

TODAY = date(2025, 1, 1)
ADMIN = "admin"


def nextcloud() -> NextcloudState:
    return NextcloudState(
        groups={
            "gt-communication-animateurs": {"alice"},
            "gt-communication-membres": {"dave"},
            "gt-sport-membres": {"erin", "frank"},
            "Sport": {"gina"},
            "ca": {"carol"},
            "admin": {"root"},
            "lonely": {"x"},
        },
        folders={
            "Communication": FolderState(
                "Communication",
                groups={
                    "gt-communication-animateurs": 31,
                    "gt-communication-membres": 15,
                    "ca": 1,
                    "gt-sport-membres": 1,
                    "operations": 1,
                },
                acl=True,
                managers={AclManager("group", "gt-communication-animateurs")},
                rules={"Interne": {AclRule("group", "gt-communication-membres", 10, 0)}},
            ),
            "Sport": FolderState("Sport", groups={"gt-sport-membres": 15, "Sport": 15}),
        },
    )


def planner_for(actual: NextcloudState) -> Planner:
    """What the app plans for an organisation against ``actual`` (lib/services/sync.py)."""

    def planned(org: Organisation) -> Plan:
        desired = compile_org(org, ADMIN, TODAY)
        return plan(desired, actual, managed_by(org, desired))

    return planned


def adopt(actual: NextcloudState) -> Organisation:
    return propose_org(actual, Naming(), "Coop", planner_for(actual)).organisation


def test_each_folder_becomes_a_working_group_named_after_its_groups_or_its_mount_point() -> None:
    org = adopt(nextcloud())
    assert [(wg.slug, wg.folder) for wg in org.working_groups] == [
        ("communication", "Communication"),
        ("sport", "Sport"),
    ]


def test_members_come_from_the_organisations_groups_with_their_role() -> None:
    memberships = set(adopt(nextcloud()).memberships)
    assert Membership("communication", "alice", Role.FACILITATOR) in memberships
    assert Membership("communication", "dave", Role.CONTRIBUTOR) in memberships
    assert Membership("sport", "erin", Role.CONTRIBUTOR) in memberships
    assert Membership("board", "carol") in memberships


def test_a_group_not_named_like_the_organisations_stays_outside_it_untouched() -> None:
    adoption = propose_org(nextcloud(), Naming(), "Coop", planner_for(nextcloud()))
    assert not any(m.user == "gina" for m in adoption.organisation.memberships)
    assert any("Group Sport is not named like" in n for n in adoption.notes)


def test_a_group_on_several_folders_gets_a_grant_where_it_is_not_at_home() -> None:
    com = adopt(nextcloud()).working_groups[0]
    assert Grant("sport/contributor", Right.CONSULT) in com.grants


def test_defaults_a_folder_lacks_or_exceeds_become_none_grants() -> None:
    com, sport = adopt(nextcloud()).working_groups
    assert {Grant("operations", Right.NONE), Grant("operations", Right.CONSULT)} <= set(com.grants)
    assert {Grant("board", Right.NONE), Grant("operations", Right.NONE)} <= set(sport.grants)


def test_what_cannot_be_mapped_is_noted() -> None:
    notes = " ".join(propose_org(nextcloud(), Naming(), "Coop").notes)
    assert "lonely" in notes
    assert "sets only some rights (change, delete)" in notes  # mask 10, in words
    assert "admin" not in notes


def test_right_after_adopting_an_unchanged_nextcloud_the_plan_is_empty() -> None:
    actual = nextcloud()
    adoption = propose_org(actual, Naming(), "Coop", planner_for(actual))
    assert adoption.first_plan == ()
    assert planner_for(actual)(adoption.organisation).is_empty


def test_rules_the_app_wrote_become_sub_path_grants_and_still_plan_nothing() -> None:
    org = adopt(nextcloud())
    com = org.working_groups[0]
    ruled = replace(
        org,
        working_groups=(replace(com, grants=(*com.grants, Grant("sport/contributor", Right.NONE, "RH"))),)
        + org.working_groups[1:],
    )
    desired = compile_org(ruled, ADMIN, TODAY)
    actual = apply_to_state(nextcloud(), plan(desired, nextcloud(), managed_by(ruled, desired)))
    assert "governance-admins" in actual.folders["Communication"].groups  # attached to write the rules
    adoption = propose_org(actual, Naming(), "Coop", planner_for(actual))
    assert Grant("sport/contributor", Right.NONE, "RH") in adoption.organisation.working_groups[0].grants
    assert adoption.first_plan == ()


def test_rules_the_app_wrote_then_changed_by_hand_are_adopted_and_their_rewrite_is_shown() -> None:
    actual = nextcloud()
    actual.folders["Communication"].rules["Presse"] = {  # the app's mark, but not what it would write
        AclRule("group", "governance-admins", 31, 31),
        AclRule("group", "gt-communication-membres", 31, 1),
    }
    adoption = propose_org(actual, Naming(), "Coop", planner_for(actual))
    assert (
        Grant("communication/contributor", Right.CONSULT, "Presse")
        in adoption.organisation.working_groups[0].grants
    )
    rewrites = [c for c in adoption.first_plan if isinstance(c, SetAclRules)]
    assert [c.path for c in rewrites] == ["Presse"]
    assert AclRule("group", "gt-communication-membres", 31, 1) in rewrites[0].rules


def test_a_folder_whose_rules_could_not_be_read_is_adopted_without_rules_and_said_so() -> None:
    actual = nextcloud()
    folder = actual.folders["Communication"]
    folder.rules, folder.rules_readable, folder.rules_problem = {}, False, "no_reader"
    adoption = propose_org(actual, Naming(), "Coop", planner_for(actual))
    assert adoption.unreadable == (("Communication", "no_reader"),)
    assert adoption.first_plan == ()


def test_slugs_are_ascii_lowercase_and_short() -> None:
    assert slugify("Administratif & Gestion — Équipe") == "administratif-gestion-equipe"
    assert len(slugify("x" * 80)) == 40
    assert slugify("!!!") == "groupe"


def test_right_for_keeps_the_highest_named_right_contained() -> None:
    assert [right_for(b) for b in (31, 15, 17, 3, 0)] == [
        Right.MANAGE,
        Right.MODIFY,
        Right.CONSULT,
        Right.CONSULT,
        Right.NONE,
    ]
