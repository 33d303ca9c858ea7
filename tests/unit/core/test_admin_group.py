"""Nextcloud's admin group is never the app's: the organisation file cannot name it, no plan touches it."""

from datetime import date
from typing import Any

import pytest

from lib.core.changes import AddMember, AttachGroup, DetachGroup, RemoveMember, SetAclRules
from lib.core.compile import compile_org
from lib.core.errors import InvalidOrganisation
from lib.core.model import Membership, Naming, Organisation, Role, WorkingGroup
from lib.core.orgfile import org_from_data
from lib.core.plan import plan
from lib.core.state import AclRule, FolderState, NextcloudState
from lib.services.sync import managed_by

TODAY = date(2025, 6, 1)


def refused(data: dict[str, Any]) -> InvalidOrganisation:
    with pytest.raises(InvalidOrganisation) as caught:
        org_from_data({"name": "Coop", **data})
    return caught.value


@pytest.mark.parametrize("gid", ["admin", "Admin", "ADMIN"])
def test_an_organisation_group_mapped_to_admin_is_refused_naming_the_field(gid: str) -> None:
    error = refused({"naming": {"org_groups": {"operations": gid}}})
    assert error.field == "naming.org_groups.operations"
    assert "admin group" in error.message


def test_the_apps_own_group_cannot_be_admin_either() -> None:
    assert refused({"naming": {"org_groups": {"app": "admin"}}}).field == "naming.org_groups.app"


def test_a_role_group_named_admin_is_refused() -> None:
    error = refused(
        {
            "naming": {"role_pattern": "ad{slug}{role}", "role_names": {"reader": "in"}},
            "working_groups": [{"slug": "m", "name": "M"}],
        }
    )
    assert error.field == "working_groups[0].slug" and "admin group" in error.message


def test_two_organisation_groups_sharing_one_nextcloud_group_are_refused() -> None:
    error = refused({"naming": {"org_groups": {"operations": "CA"}}})
    assert error.field == "naming.org_groups.operations"
    assert "naming.org_groups.board" in error.message


def test_a_role_group_that_is_an_organisation_group_is_refused() -> None:
    error = refused(
        {
            "naming": {"role_pattern": "wg-{role}-{slug}", "org_groups": {"board": "wg-membres-com"}},
            "working_groups": [{"slug": "com", "name": "Com"}],
        }
    )
    assert error.field == "working_groups[0].slug" and "naming.org_groups.board" in error.message


def test_two_roles_sharing_one_group_are_refused() -> None:
    error = refused(
        {"naming": {"role_names": {"reader": "membres"}}, "working_groups": [{"slug": "com", "name": "Com"}]}
    )
    assert "gt-com-membres" in error.message and "contributor" in error.message


def test_the_default_naming_is_accepted() -> None:
    assert org_from_data({"name": "Coop", "working_groups": [{"slug": "com", "name": "Com"}]}).working_groups


# ---- the planner, whatever the organisation says ------------------------------------------------

HIJACKED = Organisation(
    "Coop",
    (WorkingGroup("com", "Com"),),
    (Membership("operations", "mallory"), Membership("com", "alice", Role.FACILITATOR)),
    Naming(org_groups={**Naming().org_groups, "operations": "admin"}),  # saved before validation existed
)


def test_an_organisation_saved_with_admin_in_its_naming_still_never_manages_admin() -> None:
    desired = compile_org(HIJACKED, "gov-admin", TODAY)
    assert desired.groups["admin"] == {"mallory"}  # what the hijacked naming asks for
    managed = managed_by(HIJACKED, desired)
    assert not managed("admin") and not managed("Admin")
    actual = NextcloudState(groups={"admin": {"root", "it-lead"}}, users={"mallory", "root", "it-lead"})
    changes = plan(desired, actual, managed)
    assert [c for c in changes if getattr(c, "gid", "").lower() == "admin"] == []
    assert AddMember("operations", "mallory") not in changes.changes


def test_the_planner_never_touches_admin_even_if_told_the_app_manages_every_group() -> None:
    rule = AclRule("group", "admin", 1, 1)
    desired = NextcloudState(
        groups={"admin": {"mallory"}, "gt-com-membres": {"alice"}},
        folders={"Com": FolderState("Com", {"admin": 31, "gt-com-membres": 15}, rules={"RH": {rule}})},
    )
    actual = NextcloudState(
        groups={"admin": {"root"}, "gt-com-membres": set()},
        folders={"Com": FolderState("Com", {"Admin": 31})},
    )
    changes = list(plan(desired, actual, lambda gid: True))
    assert AddMember("gt-com-membres", "alice") in changes
    assert not [c for c in changes if isinstance(c, AddMember | RemoveMember) and c.gid == "admin"]
    assert not [c for c in changes if isinstance(c, AttachGroup | DetachGroup) and c.gid.lower() == "admin"]
    assert not [c for c in changes if isinstance(c, SetAclRules) and rule in c.rules]


def test_a_naming_pattern_without_a_fixed_prefix_is_refused() -> None:
    """``{slug}{role}`` would make the app own (and empty) almost every group of Nextcloud."""
    import pytest

    from lib.core.errors import InvalidOrganisation
    from lib.core.orgfile import org_from_data

    for pattern in ("{slug}{role}", "-{slug}-{role}", "{slug}-{role}-x"):
        with pytest.raises(InvalidOrganisation) as caught:
            org_from_data({"name": "Coop", "naming": {"role_pattern": pattern}})
        assert caught.value.field == "naming.role_pattern"
    assert org_from_data({"name": "Coop", "naming": {"role_pattern": "wg_{slug}_{role}"}}).naming.role_pattern
