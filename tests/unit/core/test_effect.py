"""A request's plan is the request's effect: it touches the people and folders it names, nothing else."""

from dataclasses import replace
from datetime import date

from lib.core.changes import AddMember, AttachGroup, CreateGroup, RemoveMember, SetAcl, SetAclRules
from lib.core.compile import compile_org
from lib.core.effect import request_plan, touched
from lib.core.model import Grant, Membership, Organisation, Right, Role, WorkingGroup
from lib.core.plan import apply_to_state, plan
from lib.core.state import AclRule, NextcloudState

TODAY = date(2025, 6, 1)
ADMIN = "gov-admin"
ORG = {"ca", "operations", "membres", "tous", "governance-admins"}


def managed(gid: str) -> bool:
    return gid.startswith("gt-") or gid in ORG


COM = WorkingGroup("com", "Com", grants=(Grant("all", Right.NONE, "RH"),))
SPORT = WorkingGroup("sport", "Sport")
BEFORE = Organisation(
    "Coop",
    (COM, SPORT),
    (
        Membership("com", "alice", Role.FACILITATOR),
        Membership("com", "dave", Role.CONTRIBUTOR),
        Membership("sport", "bob", Role.FACILITATOR),
        Membership("board", "carol"),
    ),
)


def compiled(org: Organisation) -> NextcloudState:
    return compile_org(org, ADMIN, TODAY)


def in_sync(org: Organisation) -> NextcloudState:
    desired = compiled(org)
    actual = apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed))
    for folder in actual.folders.values():
        folder.mounted_for_app = True  # as a reading says once the app's group is attached
    return actual


def with_member(org: Organisation, m: Membership) -> Organisation:
    return replace(org, memberships=(*org.memberships, m))


def test_adding_a_person_adds_them_and_nothing_else_despite_drift_elsewhere() -> None:
    actual = in_sync(BEFORE)
    actual.groups["gt-sport-animateurs"].add("mallory")  # drift in another group
    actual.groups["gt-com-membres"].add("eve")  # drift in the very group the request touches
    actual.folders["Sport"].acl = True  # drift on another folder
    after = with_member(BEFORE, Membership("com", "erin", Role.CONTRIBUTOR))
    p = request_plan(compiled(BEFORE), compiled(after), actual, managed)
    assert list(p.changes) == [AddMember("gt-com-membres", "erin")]


def test_only_the_people_whose_membership_changes_are_read() -> None:
    after = with_member(BEFORE, Membership("com", "erin", Role.CONTRIBUTOR))
    scope = touched(compiled(BEFORE), compiled(after))
    assert scope.users == {"erin"}
    assert scope.groups == {"gt-com-membres"}
    assert not scope.folders and not scope.new_groups


def test_a_person_already_in_the_group_needs_no_change() -> None:
    actual = in_sync(BEFORE)
    actual.groups["gt-com-membres"].add("erin")
    after = with_member(BEFORE, Membership("com", "erin", Role.CONTRIBUTOR))
    assert request_plan(compiled(BEFORE), compiled(after), actual, managed).is_empty


def test_the_first_reader_creates_the_role_group_attaches_it_and_rules_it_on_every_ruled_path() -> None:
    actual = in_sync(BEFORE)
    foreign = AclRule("group", "someone-else", 31, 0)
    actual.folders["Com"].rules["RH"].add(foreign)  # not the app's: kept, and not "repaired"
    after = with_member(BEFORE, Membership("com", "erin", Role.READER))
    p = request_plan(compiled(BEFORE), compiled(after), actual, managed)
    kinds = [c.kind for c in p.changes]
    assert kinds == ["CreateGroup", "AddMember", "AttachGroup", "SetAclRules"]
    assert p.changes[0] == CreateGroup("gt-com-lecteurs", "Com – lecteurs")
    assert p.changes[2] == AttachGroup("Com", "gt-com-lecteurs", 1)
    rules = p.changes[3]
    assert isinstance(rules, SetAclRules) and rules.path == "RH"
    assert AclRule("group", "gt-com-lecteurs", 31, 0) in rules.rules


def test_a_drifted_rule_on_a_touched_path_is_not_put_back_by_a_request() -> None:
    actual = in_sync(BEFORE)
    rh = actual.folders["Com"].rules["RH"]
    drifted = next(r for r in rh if r.mapping_id == "gt-com-membres")
    rh.discard(drifted)
    rh.add(AclRule("group", "gt-com-membres", 31, 1))  # someone opened RH to the members by hand
    after = with_member(BEFORE, Membership("com", "erin", Role.READER))
    p = request_plan(compiled(BEFORE), compiled(after), actual, managed)
    rules = next(c for c in p.changes if isinstance(c, SetAclRules))
    assert AclRule("group", "gt-com-membres", 31, 1) in rules.rules  # left as found: drift, not the request


def test_removing_a_person_removes_only_them() -> None:
    actual = in_sync(BEFORE)
    actual.groups["gt-com-membres"].add("eve")
    after = replace(BEFORE, memberships=tuple(m for m in BEFORE.memberships if m.user != "dave"))
    p = request_plan(compiled(BEFORE), compiled(after), actual, managed)
    # the contributor role is no longer used: its group leaves the desired state, dave leaves the group
    assert RemoveMember("gt-com-membres", "dave") in p.changes
    assert all(getattr(c, "uid", "dave") == "dave" for c in p.changes)


def test_a_request_never_disables_acls_it_did_not_change() -> None:
    actual = in_sync(BEFORE)
    after = with_member(BEFORE, Membership("sport", "erin", Role.CONTRIBUTOR))
    p = request_plan(compiled(BEFORE), compiled(after), actual, managed)
    assert not any(isinstance(c, SetAcl) for c in p.changes)
