"""plan: the smallest ordered set of changes, safe to approve, that brings Nextcloud to the desired state."""

from collections.abc import Callable
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    change_from_data,
)
from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Organisation, Right, Role, WorkingGroup, role_ref
from lib.core.plan import Plan, app_users, apply_to_state, is_revocation, plan, rule_owner
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState

TODAY = date(2025, 6, 1)
ADMIN = "gov-admin"
ORG_GIDS = {"ca", "operations", "membres", "tous", "governance-admins"}


def managed(gid: str) -> bool:
    return gid.startswith("gt-") or gid in ORG_GIDS


def desired_of(org: Organisation) -> NextcloudState:
    return compile_org(org, ADMIN, TODAY)


COM = Organisation(
    "Coop",
    (WorkingGroup("com", "Com", grants=(Grant("all", Right.NONE, "RH"),)),),
    (Membership("com", "alice", Role.FACILITATOR), Membership("board", "carol")),
)


def test_nothing_to_do_when_nextcloud_is_in_sync() -> None:
    desired = desired_of(COM)
    assert plan(
        desired, apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed)), managed
    ).is_empty


def test_an_empty_nextcloud_gets_groups_members_folder_attachments_acl_and_rules_in_that_order() -> None:
    kinds = [c.kind for c in plan(desired_of(COM), NextcloudState(), managed)]
    first = {kind: kinds.index(kind) for kind in reversed(kinds)}
    order = [
        "CreateGroup",
        "AddMember",
        "CreateFolder",
        "SetAcl",
        "AttachGroup",
        "SetAclManager",
        "SetAclRules",
    ]
    assert [first[k] for k in order] == sorted(first[k] for k in order)
    assert "DetachGroup" not in kinds and "RemoveMember" not in kinds


def test_a_new_folder_gets_its_groups_attached_with_their_permissions_directly() -> None:
    changes = plan(desired_of(COM), NextcloudState(), managed).changes
    assert AttachGroup("Com", "ca", 1) in changes
    assert AttachGroup("Com", "gt-com-animateurs", 31) in changes
    assert not any(isinstance(c, SetGroupPermissions) for c in changes)


def test_admin_and_foreign_groups_are_never_touched() -> None:
    actual = NextcloudState(groups={"admin": {"root"}, "sport": {"zoe"}, "gt-com-animateurs": {"mallory"}})
    actual.folders["Com"] = FolderState("Com", groups={"sport": 15, "admin": 31})
    changes = plan(desired_of(COM), actual, managed).changes
    touched = {getattr(c, "gid", None) for c in changes}
    assert "admin" not in touched and "sport" not in touched
    assert RemoveMember("gt-com-animateurs", "mallory") in changes


def test_folders_outside_the_desired_state_are_ignored() -> None:
    actual = NextcloudState(folders={"Old": FolderState("Old", groups={"ca": 1})})
    changes = plan(desired_of(COM), actual, managed).changes
    assert not any(getattr(c, "mount_point", None) == "Old" for c in changes)


def test_a_changed_permission_is_set_back_with_the_previous_value_shown() -> None:
    desired = desired_of(COM)
    actual = apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed))
    actual.folders["Com"].groups["ca"] = 15
    assert plan(desired, actual, managed).changes == (SetGroupPermissions("Com", "ca", 1, previous=15),)


def test_only_app_owned_rules_are_compared_and_foreign_rules_are_left_in_place() -> None:
    desired = desired_of(COM)
    actual = apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed))
    actual.folders["Com"].rules["RH"].add(AclRule("user", "zoe", 31, 1))
    assert plan(desired, actual, managed).is_empty
    actual.folders["Com"].rules["RH"].discard(AclRule("group", "ca", 31, 0))
    (change,) = plan(desired, actual, managed).changes
    assert isinstance(change, SetAclRules) and AclRule("group", "ca", 31, 0) in change.rules
    assert AclRule("user", "zoe", 31, 1) not in change.rules


def test_user_managers_the_desired_state_names_are_app_owned_and_no_other_user() -> None:
    desired = desired_of(COM)
    assert app_users(desired) == frozenset()  # the app's account is an admin: never a manager by name
    desired.folders["Com"].managers.add(AclManager("user", "rita"))
    owned = rule_owner(managed, app_users(desired))
    assert owned(AclRule("user", "rita", 31, 0))
    assert not owned(AclRule("user", ADMIN, 31, 0))
    assert not owned(AclRule("group", "sport", 31, 0))


def test_plan_counts_its_changes_by_kind_and_serialises_to_rebuildable_data() -> None:
    p = plan(desired_of(COM), NextcloudState(), managed)
    assert p.counts()["CreateFolder"] == 1
    assert len(p) == sum(p.counts().values())
    assert tuple(change_from_data(d) for d in p.data) == p.changes


def test_checksum_changes_when_the_plan_changes_and_not_otherwise() -> None:
    desired = desired_of(COM)
    one = plan(desired, NextcloudState(), managed)
    assert one.checksum == plan(desired, NextcloudState(), managed).checksum
    assert one.checksum == Plan(one.changes).checksum
    other = plan(desired, NextcloudState(groups={"tous": {"x"}}), managed)
    assert other.checksum != one.checksum


# --- properties -------------------------------------------------------------------------

SLUGS = ("com", "sport", "rh")
USERS = ("alice", "bob", "carol", "dave")
PATHS = ("A", "A/B", "C")
REFS = ("board", "operations", "members", "all") + tuple(role_ref(s, r) for s in SLUGS for r in Role)

grants = st.builds(Grant, st.sampled_from(REFS), st.sampled_from(list(Right)), st.sampled_from(("",) + PATHS))
working_groups = st.builds(
    lambda slug, g, archived: WorkingGroup(slug, slug.title(), grants=tuple(g), archived=archived),
    st.sampled_from(SLUGS),
    st.lists(grants, max_size=4),
    st.booleans(),
)
memberships = st.one_of(
    st.builds(
        Membership,
        st.sampled_from(SLUGS),
        st.sampled_from(USERS),
        st.sampled_from(list(Role)),
        st.sampled_from((None, date(2025, 1, 1), TODAY)),
    ),
    st.builds(Membership, st.sampled_from(("board", "operations", "members", "all")), st.sampled_from(USERS)),
)
orgs = st.builds(
    lambda wgs, ms: Organisation("Coop", tuple({w.slug: w for w in wgs}.values()), tuple(ms)),
    st.lists(working_groups, max_size=3),
    st.lists(memberships, max_size=8),
)
GIDS = (
    "gt-com-animateurs",
    "gt-com-membres",
    "gt-sport-lecteurs",
    "ca",
    "tous",
    "operations",
    "admin",
    "sport",
)
rules = st.builds(
    AclRule, st.just("group"), st.sampled_from(GIDS), st.sampled_from((31, 10)), st.integers(0, 31)
)
folders = st.builds(
    lambda mount, groups, acl, managers, by_path: FolderState(mount, groups, acl, set(managers), by_path),
    st.sampled_from(("Com", "Sport", "Rh", "Other")),
    st.dictionaries(st.sampled_from(GIDS), st.sampled_from((1, 3, 15, 31))),
    st.booleans(),
    st.sets(st.builds(AclManager, st.sampled_from(("group", "user")), st.sampled_from(GIDS + (ADMIN,)))),
    st.dictionaries(st.sampled_from(PATHS), st.sets(rules, min_size=1, max_size=3), max_size=2),
)
actuals = st.builds(
    lambda groups, fs: NextcloudState(groups, {f.mount_point: f for f in fs}),
    st.dictionaries(st.sampled_from(GIDS), st.sets(st.sampled_from(USERS + ("mallory",)))),
    st.lists(folders, max_size=3),
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def foreign(desired: NextcloudState) -> Callable[[AclRule], bool]:
    owned = rule_owner(managed, app_users(desired))
    return lambda rule: not owned(rule)


@PROPERTY
@given(orgs, actuals)
def test_applying_the_plan_yields_the_desired_state_on_what_the_app_manages(
    org: Organisation, actual: NextcloudState
) -> None:
    desired = desired_of(org)
    changes = plan(desired, actual, managed)
    result = apply_to_state(actual, changes, is_foreign=foreign(desired))
    renamed = {c.mount_point: c.previous for c in changes if isinstance(c, RenameFolder)}
    owned = rule_owner(managed, app_users(desired))
    app = desired.app_group
    unborn = {g for g, m in desired.groups.items() if not m and g not in actual.groups and g != app}
    for gid, members in desired.groups.items():
        if gid in unborn:  # nobody in it, not in Nextcloud: neither created nor attached
            assert gid not in result.groups
        elif gid != app:  # the app's group: only where rules are written (test_app_group_*)
            assert result.groups[gid] == members
    for mount, want in desired.folders.items():
        got, before = result.folders[mount], actual.folders.get(renamed.get(mount, mount), FolderState(mount))
        wanted = {g: b for g, b in want.groups.items() if g not in unborn}
        assert {g: b for g, b in got.groups.items() if managed(g) and g not in unborn | {app}} == wanted
        if want.rules:  # ACL flag and managers are the app's where it sets rules; never switched off
            managers = {m for m in want.managers if m.mapping_id not in unborn}
            assert (
                got.acl and {m for m in got.managers if owned(m) and m.mapping_id not in unborn} == managers
            )
        else:
            assert got.acl == before.acl and got.managers == before.managers
        marked = {p for p, rs in before.rules.items() if any(r.mapping_id == app for r in rs)}
        ours = want.rules.keys() | marked

        def born(rules: set[AclRule]) -> set[AclRule]:
            return {r for r in rules if owned(r) and r.mapping_id not in unborn}

        got_rules = {p: born(rs) for p, rs in got.rules.items() if p in ours}
        want_rules = {p: born(rs) for p, rs in want.rules.items()}
        assert {p: rs for p, rs in got_rules.items() if rs} == {p: rs for p, rs in want_rules.items() if rs}
        assert {p: rs for p, rs in got.rules.items() if p not in ours} == {
            p: rs for p, rs in before.rules.items() if p not in ours
        }


@PROPERTY
@given(orgs, actuals)
def test_a_second_plan_is_empty(org: Organisation, actual: NextcloudState) -> None:
    desired = desired_of(org)
    result = apply_to_state(actual, plan(desired, actual, managed), is_foreign=foreign(desired))
    assert plan(desired, result, managed).is_empty


@PROPERTY
@given(orgs, actuals)
def test_the_plan_never_takes_away_a_right_the_desired_state_grants(
    org: Organisation, actual: NextcloudState
) -> None:
    desired = desired_of(org)
    for change in plan(desired, actual, managed):
        match change:
            case RemoveMember(gid=gid, uid=uid):
                assert uid not in desired.groups.get(gid, set())
            case DetachGroup(mount_point=mount, gid=gid):
                assert gid not in desired.folders[mount].groups
            case SetGroupPermissions(mount_point=mount, gid=gid, permissions=bits):
                assert bits == desired.folders[mount].groups[gid]
            case SetAclManager(mount_point=mount, mapping_type=kind, mapping_id=mid, manage=False):
                assert AclManager(kind, mid) not in desired.folders[mount].managers
            case SetAcl(enabled=False):
                raise AssertionError("a plan never switches ACL off")


@PROPERTY
@given(orgs, actuals)
def test_every_grant_comes_before_every_revocation(org: Organisation, actual: NextcloudState) -> None:
    changes: tuple[Change, ...] = plan(desired_of(org), actual, managed).changes
    revoking = [is_revocation(c) for c in changes]
    assert revoking == sorted(revoking)
    folders_created = [i for i, c in enumerate(changes) if isinstance(c, CreateFolder)]
    groups_attached = [i for i, c in enumerate(changes) if isinstance(c, AttachGroup)]
    if folders_created and groups_attached:
        assert max(folders_created) < min(groups_attached)


def test_change_data_is_what_dataclasses_asdict_gives() -> None:
    from dataclasses import asdict

    rules = SetAclRules("Com", "RH", (AclRule("group", "ca", 31, 0),))
    for change in (rules, SetGroupPermissions("Com", "ca", 1, 15), AttachGroup("Com", "ca", 1)):
        assert change.data == {"kind": change.kind, **asdict(change)}


# --- what a plan leaves as it found it (issue 11) -------------------------------------------

APP_GID = "governance-admins"


def in_sync(org: Organisation) -> NextcloudState:
    desired = desired_of(org)
    return apply_to_state(NextcloudState(), plan(desired, NextcloudState(), managed))


def unreadable(state: NextcloudState, mount: str) -> NextcloudState:
    """``state`` as read when nobody who sees all the folder's rules has it mounted."""
    folder = state.folders[mount]
    folder.rules, folder.rules_readable, folder.rules_problem = {}, False, "no_reader"
    return state


def test_a_folder_whose_rules_could_not_be_read_gets_no_rule_no_acl_switch_and_loses_no_manager() -> None:
    actual = unreadable(in_sync(COM), "Com")
    actual.groups["operations"] = set()  # it exists: it can be made a manager
    actual.folders["Com"].acl = False
    actual.folders["Com"].managers = {AclManager("group", "gt-com-animateurs"), AclManager("group", "gt-x")}
    changes = plan(desired_of(COM), actual, managed).changes
    assert not any(isinstance(c, (SetAclRules, SetAcl)) for c in changes)
    assert not any(isinstance(c, SetAclManager) and not c.manage for c in changes)
    assert SetAclManager("Com", "group", "operations", True) in changes  # adding a manager is safe


def test_an_unreadable_folder_still_gets_its_memberships_and_attachments() -> None:
    actual = unreadable(in_sync(COM), "Com")
    actual.groups["gt-com-animateurs"].add("zoe")
    actual.folders["Com"].groups["ca"] = 15
    changes = plan(desired_of(COM), actual, managed).changes
    assert set(changes) == {RemoveMember("gt-com-animateurs", "zoe"), SetGroupPermissions("Com", "ca", 1, 15)}


def test_acl_is_never_switched_off_even_when_the_organisation_has_no_rules_left() -> None:
    actual = in_sync(COM)
    no_rules = Organisation("Coop", (WorkingGroup("com", "Com"),), COM.memberships)
    changes = plan(desired_of(no_rules), actual, managed).changes
    assert not any(isinstance(c, SetAcl) for c in changes)
    assert not any(isinstance(c, SetAclManager) for c in changes)  # managers left as they are
    assert SetAclRules("Com", "RH", ()) in changes  # the app's own rules go: the path carries its mark


def test_rules_on_a_path_the_app_never_wrote_are_left_even_for_its_groups() -> None:
    actual = in_sync(COM)
    actual.folders["Com"].rules["Presse"] = {AclRule("group", "gt-com-animateurs", 31, 1)}
    assert plan(desired_of(COM), actual, managed).is_empty


def test_app_group_is_attached_only_to_a_folder_whose_rules_it_must_write_and_cannot_see() -> None:
    changes = plan(desired_of(COM), NextcloudState(), managed).changes
    assert CreateGroup(APP_GID, APP_GID) in changes and AddMember(APP_GID, ADMIN) in changes
    assert AttachGroup("Com", APP_GID, 31) in changes
    plain = Organisation("Coop", (WorkingGroup("com", "Com"),), COM.memberships)
    without_rules = plan(desired_of(plain), NextcloudState(), managed)
    assert not any(getattr(c, "gid", "") == APP_GID for c in without_rules)


def test_app_group_is_not_attached_where_the_account_already_sees_the_folder() -> None:
    actual = in_sync(COM)
    folder = actual.folders["Com"]
    del folder.groups[APP_GID]
    folder.mounted_for_app = True  # through another group it is in
    folder.rules["RH"] = {r for r in folder.rules["RH"] if r.mapping_id != "ca"}
    changes = plan(desired_of(COM), actual, managed).changes
    assert [c.kind for c in changes] == ["SetAclRules"]


def test_app_group_found_attached_is_never_detached_nor_its_members_changed() -> None:
    actual = in_sync(COM)
    actual.groups[APP_GID].add("someone")
    actual.folders["Other"] = FolderState("Other")
    plain = Organisation("Coop", (WorkingGroup("com", "Com"),), COM.memberships)
    changes = plan(desired_of(plain), actual, managed).changes
    assert not any(getattr(c, "gid", "") == APP_GID for c in changes)


def test_a_group_nobody_is_in_and_nextcloud_lacks_is_neither_created_nor_attached_nor_ruled() -> None:
    changes = plan(desired_of(COM), NextcloudState(), managed).changes
    created = {c.gid for c in changes if isinstance(c, CreateGroup)}
    assert "membres" not in created and "tous" not in created and "ca" in created  # carol is on the board
    assert not any(isinstance(c, AttachGroup) and c.gid == "operations" for c in changes)
    (rules,) = [c for c in changes if isinstance(c, SetAclRules)]
    assert not any(r.mapping_id in ("tous", "operations") for r in rules.rules)
    existing = NextcloudState(groups={"operations": set()})
    assert AttachGroup("Com", "operations", 15) in plan(desired_of(COM), existing, managed).changes


def test_an_unreadable_folder_the_organisation_rules_gets_the_apps_group_so_the_next_reading_sees_it() -> (
    None
):
    actual = unreadable(in_sync(COM), "Com")
    del actual.folders["Com"].groups[APP_GID]
    changes = plan(desired_of(COM), actual, managed).changes
    assert changes == (AttachGroup("Com", APP_GID, 31),)
    actual.folders["Com"].mounted_for_app = True  # through another group: nothing to attach
    assert plan(desired_of(COM), actual, managed).is_empty
