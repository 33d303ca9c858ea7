"""Reading an organisation file: hostile YAML is refused with a reason, never a crash (issue 13.7)."""

from __future__ import annotations

import pytest

from ex_app import org_yaml
from ex_app.org_yaml import MAX_BYTES, UnreadableYaml, load
from lib.core.errors import InvalidOrganisation
from lib.core.orgfile import org_from_data
from lib.store.audit_repo import csv_cell


def refusal(text: str) -> UnreadableYaml:
    with pytest.raises(UnreadableYaml) as caught:
        load(text)
    return caught.value


def test_yaml_nested_thousands_deep_is_refused_with_its_line() -> None:
    refused = refusal("name: " + "[" * 5000 + "]" * 5000)
    assert (refused.reason, refused.line) == ("too deep", 1)
    indented = "a:\n" + "".join("  " * i + "-\n" for i in range(1, 200))
    refused = refusal(indented)
    assert refused.reason == "too deep" and refused.line == org_yaml.MAX_DEPTH + 1


def test_an_organisation_file_is_not_too_deep() -> None:
    text = "working_groups:\n  - slug: com\n    grants:\n      - {group: all, right: none, path: RH}\n"
    assert load(text)["working_groups"][0]["grants"][0]["path"] == "RH"


def test_a_file_over_two_megabytes_is_refused_before_it_is_parsed() -> None:
    assert refusal("#" * (MAX_BYTES + 1)).reason == "too large"
    assert refusal("é" * (MAX_BYTES // 2 + 1)).reason == "too large"  # bytes, not characters


def test_an_impossible_date_is_left_to_the_fields_own_check() -> None:
    data = load("name: Coop\nmemberships:\n  - {group: board, user: ann, until: 2025-02-30}\n")
    assert data["memberships"][0]["until"] == "2025-02-30"
    with pytest.raises(InvalidOrganisation) as refused:
        org_from_data(data)
    assert refused.value.field == "memberships[0].until"


def test_a_real_date_is_still_read_as_one() -> None:
    org = org_from_data(load("name: Coop\nmemberships:\n  - {group: board, user: ann, until: 2025-06-30}\n"))
    assert str(org.memberships[0].until) == "2025-06-30"


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: !!int abc\n", 2), ("a: !!float x", 1), ("a: !!timestamp 2025-02-30", 1), ("a: [x", 1)],
)
def test_values_yaml_cannot_build_are_refused_with_their_line(text: str, line: int) -> None:
    refused = refusal(text)
    assert (refused.reason, refused.line) == ("invalid", line)


def test_a_nul_byte_is_refused() -> None:
    assert refusal("name: X\x00").reason == "invalid"


def test_an_integer_beyond_64_bits_is_just_a_number_the_fields_refuse() -> None:
    data = load(f"name: Coop\nworking_groups: {2**70}\n")
    with pytest.raises(InvalidOrganisation, match="working_groups: must be a list"):
        org_from_data(data)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(1)", "\tcmd", "\rcmd"])
def test_a_csv_cell_that_a_spreadsheet_would_run_is_quoted(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


def test_an_ordinary_csv_cell_is_left_alone() -> None:
    assert csv_cell("alice") == "alice" and csv_cell("") == ""
