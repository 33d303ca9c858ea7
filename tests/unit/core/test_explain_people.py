"""Naming the person to explain, and steps said in the person's own rights (issue 15)."""

from __future__ import annotations

from lib.core.explain import Person, explain, find_person
from lib.core.model import Organisation, WorkingGroup
from lib.core.state import AclRule, FolderState, NextcloudState

SOPHIE = Person("sophie", "Sophie Lefèvre", "sophie@coop.example")
SOPHIA = Person("sophia", "Sophia Martin")


def test_an_account_id_wins_whatever_the_case() -> None:
    assert find_person("Sophie", [SOPHIA, SOPHIE]) == (SOPHIE,)


def test_a_display_name_or_e_mail_names_the_account_case_and_accents_aside() -> None:
    for typed in ("Sophie Lefèvre", "sophie lefevre", "SOPHIE@coop.example"):
        assert find_person(typed, [SOPHIA, SOPHIE]) == (SOPHIE,)


def test_nobody_matching_is_nobody_and_several_are_all_offered() -> None:
    assert find_person("zorro", [SOPHIE]) == ()
    twins = [Person("m1", "Marie Dupont"), Person("m2", "Marie Dupont")]
    assert find_person("marie dupont", twins) == tuple(twins)


def test_a_rule_over_a_consulting_group_takes_consult_away_not_manage() -> None:
    org = Organisation("Coop", (WorkingGroup("com", "Com"),))
    folder = FolderState(
        "Com", groups={"readers": 1}, acl=True, rules={"Interne": {AclRule("group", "readers", 31, 0)}}
    )
    why = explain(org, NextcloudState({"readers": {"yann"}}, {"Com": folder}), "yann", "Com", "Interne")
    assert [(before, after) for _step, before, after in why.shown_steps()] == [(1, 0)]
    assert "read -> nothing" in " ".join(why.lines())


def test_a_person_reaches_each_folder_of_their_groups_and_the_sub_paths_that_differ() -> None:
    from lib.core.explain import reach

    org = Organisation("Coop", (WorkingGroup("com", "Com"),))
    folder = FolderState(
        "Com", groups={"readers": 1}, acl=True, rules={"Interne": {AclRule("group", "readers", 31, 0)}}
    )
    other = FolderState("Sport", groups={"sport": 15})
    state = NextcloudState({"readers": {"yann"}, "sport": {"nora"}}, {"Com": folder, "Sport": other})
    assert [(r.mount_point, r.path, r.effective) for r in reach(org, state, "yann")] == [
        ("Com", "", 1),
        ("Com", "Interne", 0),
    ]
    assert reach(org, state, "zorro") == ()
