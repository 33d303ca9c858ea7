"""explain: what a person can do on a folder or path, and why (groupfolders' ACL arithmetic)."""

from lib.core.explain import explain
from lib.core.model import Organisation, Right, WorkingGroup
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState

ORG = Organisation("Coop", (WorkingGroup("com", "Com"),))


def state(folder: FolderState, **groups: set[str]) -> NextcloudState:
    return NextcloudState(groups=dict(groups), folders={folder.mount_point: folder})


def test_folder_permission_is_the_union_of_the_persons_groups() -> None:
    s = state(
        FolderState("Com", groups={"ca": 1, "gt-com-membres": 15}),
        ca={"carol"},
        **{"gt-com-membres": {"carol"}},
    )
    why = explain(ORG, s, "carol", "Com", "")
    assert why.effective == 15 and why.right is Right.MODIFY
    assert [(src.gid, src.ref, src.permissions) for src in why.sources] == [
        ("ca", "board", 1),
        ("gt-com-membres", "com/contributor", 15),
    ]


def test_someone_in_no_attached_group_does_not_have_the_folder() -> None:
    why = explain(ORG, state(FolderState("Com", groups={"ca": 1}), ca={"carol"}), "zoe", "Com", "")
    assert not why.mounted and why.effective == 0
    assert "no access" in why.lines()[0]


def test_rules_of_one_path_merge_with_allow_winning() -> None:
    rules = {"RH": {AclRule("group", "ca", 31, 0), AclRule("group", "gt-com-membres", 31, 15)}}
    folder = FolderState("Com", groups={"ca": 1, "gt-com-membres": 15}, acl=True, rules=rules)
    s = state(folder, ca={"carol", "dave"}, **{"gt-com-membres": {"carol"}})
    assert explain(ORG, s, "carol", "Com", "RH").effective == 15
    assert explain(ORG, s, "dave", "Com", "RH").effective == 0


def test_a_child_rule_overrides_only_the_bits_in_its_mask() -> None:
    rules = {"A": {AclRule("group", "g", 31, 1)}, "A/B": {AclRule("group", "g", 2, 2)}}
    s = state(FolderState("Com", groups={"g": 31}, acl=True, rules=rules), g={"u"})
    why = explain(ORG, s, "u", "Com", "A/B/file.txt")
    assert [(st.path, st.before, st.after) for st in why.steps] == [("A", 31, 1), ("A/B", 1, 3)]
    assert why.labels == ("read", "update")
    assert why.right is None


def test_without_read_nothing_is_allowed() -> None:
    rules = {"A": {AclRule("group", "g", 1, 0)}}
    s = state(FolderState("Com", groups={"g": 31}, acl=True, rules=rules), g={"u"})
    why = explain(ORG, s, "u", "Com", "A")
    assert why.effective == 0 and why.labels == ()
    assert any("hidden" in line for line in why.lines())


def test_the_acl_result_is_cut_by_the_folder_permission() -> None:
    rules = {"A": {AclRule("group", "g", 31, 31)}}
    s = state(FolderState("Com", groups={"g": 1}, acl=True, rules=rules), g={"u"})
    assert explain(ORG, s, "u", "Com", "A").effective == 1


def test_rules_are_ignored_while_acl_is_off() -> None:
    rules = {"A": {AclRule("group", "g", 31, 0)}}
    s = state(FolderState("Com", groups={"g": 15}, acl=False, rules=rules), g={"u"})
    why = explain(ORG, s, "u", "Com", "A")
    assert why.effective == 15 and why.steps == ()


def test_user_rules_apply_to_that_user_and_managers_are_reported() -> None:
    rules = {"A": {AclRule("user", "u", 31, 1)}}
    folder = FolderState("Com", groups={"g": 15}, acl=True, rules=rules, managers={AclManager("group", "g")})
    s = state(folder, g={"u", "v"})
    assert explain(ORG, s, "u", "Com", "A").effective == 1
    assert explain(ORG, s, "v", "Com", "A").effective == 15
    assert explain(ORG, s, "v", "Com", "A").can_manage_acl


def test_an_unknown_folder_gives_nothing() -> None:
    assert explain(ORG, NextcloudState(), "u", "Nope", "").effective == 0


def test_a_path_hidden_from_all_but_the_steering_committee_is_the_union_of_each_persons_groups() -> None:
    from datetime import date

    from lib.core.compile import compile_org
    from lib.core.model import Grant, Membership, Role

    grants = (Grant("all", Right.NONE, "Copil"), Grant("com/steering", Right.MODIFY, "Copil"))
    org = Organisation(
        "Coop",
        (WorkingGroup("com", "Com", grants=grants),),
        (
            Membership("com", "sam", Role.STEERING),
            Membership("com", "sam", Role.READER),
            Membership("com", "rita", Role.READER),
            Membership("board", "carol"),
            Membership("operations", "otto"),
        ),
    )
    desired = compile_org(org, "gov-admin", date(2025, 6, 1))
    can = {
        u: explain(org, desired, u, "Com", "Copil/PV.odt").effective for u in ("sam", "rita", "carol", "otto")
    }
    assert can == {"sam": 15, "rita": 0, "carol": 0, "otto": 15}
    assert explain(org, desired, "rita", "Com", "Public").effective == 1
    # the app's account reads nothing by the organisation: its group is attached only to write rules
    assert explain(org, desired, "gov-admin", "Com", "Copil").effective == 0
