"""orgfile: an organisation as plain data, and the checks on a hand-edited file."""

from datetime import date
from typing import Any

import pytest

from lib.core.errors import InvalidOrganisation
from lib.core.model import Grant, Membership, Organisation, Right, Role, WorkingGroup
from lib.core.orgfile import org_from_data, org_to_data

ORG = Organisation(
    "Coop des Communs",
    (
        WorkingGroup("com", "Communication", "Tell the world", grants=(Grant("all", Right.NONE, "RH"),)),
        WorkingGroup(
            "sport", "Sport", mount_point="Sport 2025", grants=(Grant("com/reader", Right.CONSULT),)
        ),
        WorkingGroup("old", "Old", archived=True),
    ),
    (Membership("com", "alice", Role.FACILITATOR, date(2026, 1, 31)), Membership("board", "carol")),
)


def data() -> dict[str, Any]:
    return org_to_data(ORG)


def test_an_organisation_survives_the_round_trip() -> None:
    assert org_from_data(data()) == ORG


def test_the_data_is_plain_and_leaves_defaults_out() -> None:
    d = data()
    assert d["working_groups"][2] == {"slug": "old", "name": "Old", "archived": True}
    assert d["working_groups"][0]["grants"] == [{"group": "all", "right": "none", "path": "RH"}]
    assert d["memberships"][0] == {
        "group": "com",
        "user": "alice",
        "role": "facilitator",
        "until": "2026-01-31",
    }


def test_a_yaml_date_object_is_accepted_for_until() -> None:
    d = data()
    d["memberships"][0]["until"] = date(2026, 1, 31)
    assert org_from_data(d).memberships[0].until == date(2026, 1, 31)


def invalid(mutate: Any) -> InvalidOrganisation:
    d = data()
    mutate(d)
    with pytest.raises(InvalidOrganisation) as caught:
        org_from_data(d)
    return caught.value


def test_an_unknown_role_is_refused() -> None:
    error = invalid(lambda d: d["memberships"][0].update(role="boss"))
    assert error.field == "memberships[0].role" and "boss" in error.message


def test_a_duplicate_slug_is_refused() -> None:
    error = invalid(lambda d: d["working_groups"][1].update(slug="com"))
    assert error.field == "working_groups[1].slug" and "already has the identifier" in error.message


@pytest.mark.parametrize("slug", ["Com", "-com", "com_x", "a" * 42, ""])
def test_a_slug_outside_the_pattern_is_refused(slug: str) -> None:
    assert invalid(lambda d: d["working_groups"][0].update(slug=slug)).field == "working_groups[0].slug"


def test_a_path_climbing_out_of_the_folder_is_refused() -> None:
    error = invalid(lambda d: d["working_groups"][0]["grants"][0].update(path="RH/../../etc"))
    assert error.field == "working_groups[0].grants[0].path"


def test_a_grant_to_an_unknown_group_is_refused() -> None:
    error = invalid(lambda d: d["working_groups"][1]["grants"][0].update(group="nope/reader"))
    assert error.field == "working_groups[1].grants[0].group"


def test_a_membership_of_an_unknown_group_is_refused() -> None:
    assert invalid(lambda d: d["memberships"][1].update(group="friends")).field == "memberships[1].group"


def test_an_organisation_wide_membership_cannot_have_a_role() -> None:
    assert invalid(lambda d: d["memberships"][1].update(role="reader")).field == "memberships[1].role"


def test_an_unknown_right_a_bad_date_and_a_typo_in_a_key_are_refused() -> None:
    assert invalid(lambda d: d["working_groups"][0]["grants"][0].update(right="all")).field.endswith(".right")
    assert invalid(lambda d: d["memberships"][0].update(until="31/01/2026")).field == "memberships[0].until"
    assert "purpos" in invalid(lambda d: d["working_groups"][0].update(purpos="x")).message


def test_two_groups_sharing_one_folder_are_refused() -> None:
    error = invalid(lambda d: d["working_groups"][1].update(mount_point="Communication"))
    assert error.field == "working_groups[1].mount_point"


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidOrganisation):
        org_from_data(["not", "an", "organisation"])
