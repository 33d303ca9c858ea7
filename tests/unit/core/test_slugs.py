"""One identifier rule for every entry point: the organisation file, the forms, requests, adoption."""

from __future__ import annotations

import pytest

from lib.core import orgfile
from lib.core.errors import InvalidOrganisation, InvalidRequest
from lib.core.request_checks import slug
from lib.core.slugs import is_slug, slugify


def test_a_name_becomes_an_identifier_without_accents_or_signs() -> None:
    assert slugify("Équipe « Com » 2025 !") == "equipe-com-2025"
    assert slugify("!!!") == ""


def test_a_long_name_is_cut_to_forty_characters_without_a_trailing_dash() -> None:
    cut = slugify("a" * 39 + " b")
    assert cut == "a" * 39 and is_slug(cut)
    assert len(slugify("x" * 80)) == 40


@pytest.mark.parametrize("value", ["a", "a" * 40, "com-2", "0-a"])
def test_identifiers_of_one_to_forty_characters_are_accepted(value: str) -> None:
    assert is_slug(value)


@pytest.mark.parametrize("value", ["", "a" * 41, "-com", "com-", "Com", "c_m", "cöm"])
def test_the_file_and_a_request_refuse_the_same_identifiers(value: str) -> None:
    assert not is_slug(value)
    with pytest.raises(InvalidRequest):
        slug("group", value)
    with pytest.raises(InvalidOrganisation):
        orgfile.org_from_data({"name": "X", "working_groups": [{"slug": value, "name": "G"}]})
