"""propose_org: describing an existing Nextcloud as an organisation."""

from datetime import date

from lib.core.adopt import propose_org, right_for, slugify
from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Naming, Right, Role
from lib.core.plan import plan
from lib.core.state import AclRule, FolderState, NextcloudState


def nextcloud() -> NextcloudState:
    return NextcloudState(
        groups={
            "gt-communication-animateurs": {"alice"},
            "gt-communication-membres": {"dave"},
            "Sport": {"erin", "frank"},
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
                    "Sport": 1,
                },
                acl=True,
                rules={"Interne": {AclRule("group", "gt-communication-membres", 10, 0)}},
            ),
            "Sport": FolderState("Sport", groups={"Sport": 15}),
        },
    )


def test_each_folder_becomes_a_working_group_named_after_its_groups_or_its_mount_point() -> None:
    org = propose_org(nextcloud(), Naming(), "Coop").organisation
    assert [(wg.slug, wg.folder) for wg in org.working_groups] == [
        ("communication", "Communication"),
        ("sport", "Sport"),
    ]


def test_members_come_from_group_membership_with_the_role_of_the_group() -> None:
    memberships = set(propose_org(nextcloud(), Naming(), "Coop").organisation.memberships)
    assert Membership("communication", "alice", Role.FACILITATOR) in memberships
    assert Membership("communication", "dave", Role.CONTRIBUTOR) in memberships
    assert Membership("sport", "erin", Role.CONTRIBUTOR) in memberships
    assert Membership("board", "carol") in memberships


def test_a_group_on_several_folders_gets_a_grant_where_it_is_not_at_home() -> None:
    com = propose_org(nextcloud(), Naming(), "Coop").organisation.working_groups[0]
    assert Grant("sport/contributor", Right.CONSULT) in com.grants


def test_what_cannot_be_mapped_is_noted() -> None:
    notes = " ".join(propose_org(nextcloud(), Naming(), "Coop").notes)
    assert "lonely" in notes
    assert "mask 10" in notes
    assert "admin" not in notes


def test_the_proposal_compiles_to_the_same_folder_permissions_for_adopted_groups() -> None:
    org = propose_org(nextcloud(), Naming(), "Coop").organisation
    desired = compile_org(org, "admin", date(2025, 1, 1))
    com = desired.folders["Communication"].groups
    assert (
        com["gt-communication-animateurs"] == 31 and com["gt-communication-membres"] == 15 and com["ca"] == 1
    )
    changes = plan(desired, nextcloud(), lambda gid: gid.startswith("gt-") or gid == "ca")
    assert not any(getattr(c, "gid", "") == "gt-communication-animateurs" for c in changes)


def test_slugs_are_ascii_lowercase_and_short() -> None:
    assert slugify("Administratif & Gestion — Équipe") == "administratif-gestion-equipe"
    assert len(slugify("x" * 80)) == 41
    assert slugify("!!!") == "groupe"


def test_right_for_keeps_the_highest_named_right_contained() -> None:
    assert [right_for(b) for b in (31, 15, 17, 3, 0)] == [
        Right.MANAGE,
        Right.MODIFY,
        Right.CONSULT,
        Right.CONSULT,
        Right.NONE,
    ]
