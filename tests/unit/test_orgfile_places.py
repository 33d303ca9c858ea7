"""An organisation file's error says where in words, in the reader's language (issue 14).

A person who edited the file reads "Membership 1 (group), line 4: there is no working group
“nowhere”.", never ``memberships[0].group``, a path they would have to ask a technician about.
"""

from __future__ import annotations

import pytest

from ex_app.org_yaml import line_of, load
from lib.core.errors import InvalidOrganisation
from lib.core.orgfile import org_from_data
from lib.core.orgfile_places import place
from lib.i18n import error_text, organisation_error, say


def refused(text: str) -> InvalidOrganisation:
    with pytest.raises(InvalidOrganisation) as caught:
        org_from_data(load(text))
    return caught.value


@pytest.mark.parametrize(
    ("field", "english", "french"),
    [
        ("organisation", "the whole file", "le fichier entier"),
        ("name", "organisation name", "nom de l’organisation"),
        ("naming.role_pattern", "naming (role pattern)", "nommage (modèle des groupes de rôle)"),
        ("naming.org_groups.board", "naming (the group of the board)", "nommage (groupe : CA)"),
        (
            "naming.role_names.reader",
            "naming (name given to readers)",
            "nommage (nom du groupe : lecteur·ices)",
        ),
        ("working_groups", "working groups", "groupes de travail"),
        ("working_groups[2]", "working group 3", "groupe de travail n° 3"),
        ("working_groups[2].slug", "working group 3 (identifier)", "groupe de travail n° 3 (identifiant)"),
        ("working_groups[0].mount_point", "working group 1 (folder)", "groupe de travail n° 1 (dossier)"),
        (
            "working_groups[1].grants[0].group",
            "working group 2, folder access 1 (group)",
            "groupe de travail n° 2, accès n° 1 (groupe)",
        ),
        (
            "working_groups[0].slug (contributor)",
            "working group 1 (the group of its contributors)",
            "groupe de travail n° 1 (son groupe : contributeur·ices)",
        ),
        ("memberships[0].group", "membership 1 (group)", "adhésion n° 1 (groupe)"),
        ("memberships[4].until", "membership 5 (end date)", "adhésion n° 5 (date de fin)"),
    ],
)
def test_every_place_in_the_file_is_said_in_words(field: str, english: str, french: str) -> None:
    assert say("en", place(field)) == english
    assert say("fr", place(field)) == french


def test_a_path_of_another_shape_is_said_as_it_is_rather_than_guessed() -> None:
    assert say("en", place("working_groups[0].colour")) == "working_groups[0].colour"


UNKNOWN_GROUP = (
    "name: Coop\nworking_groups:\n  - {slug: com, name: Com}\nmemberships:\n  - {group: nowhere, user: ann}\n"
)


def test_an_unknown_group_says_which_membership_on_which_line_in_english_and_french() -> None:
    error = refused(UNKNOWN_GROUP)
    line = line_of(UNKNOWN_GROUP, error.field)
    assert line == 5
    assert organisation_error("en", error, line) == (
        "Membership 1 (group), line 5: there is no working group “nowhere”."
    )
    assert organisation_error("fr", error, line) == (
        "Adhésion n° 1 (groupe), ligne 5 : il n’y a pas de groupe de travail « nowhere »."
    )


def test_without_a_line_the_place_alone_is_said() -> None:
    error = refused("name: Coop\nnaming: {role_pattern: x}\n")
    assert organisation_error("en", error) == "Naming (role pattern): must contain {slug} and {role}."
    assert (
        organisation_error("fr", error)
        == "Nommage (modèle des groupes de rôle) : doit contenir {slug} et {role}."
    )


def test_a_group_id_taken_twice_names_the_other_place_in_words_too() -> None:
    text = (
        "name: Coop\nnaming:\n  org_groups: {board: gt-com-membres}\n"
        "working_groups:\n  - {slug: com, name: C}\n"
    )
    error = refused(text)
    said = organisation_error("en", error, line_of(text, error.field))
    assert said == (
        "Working group 1 (identifier), line 5: its Nextcloud group “gt-com-membres” is already the one"
        " given in naming (the group of the board)."
    )
    assert "org_groups" not in error_text("fr", error) and "CA" in error_text("fr", error)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- just a list\n", "The whole file, line 1: must be written as names and values (name: value)."),
        ("name: Coop\ncolour: red\n", "The whole file, line 1: nothing called colour is expected here."),
        ("name: Coop\nworking_groups: 3\n", "Working groups, line 2: must be a list"),
        (
            "name: Coop\nworking_groups:\n  - {slug: com, name: A}\n  - {slug: com, name: B}\n",
            "Working group 2 (identifier), line 4: another working group already has the identifier “com”.",
        ),
        (
            "name: Coop\nworking_groups:\n  - slug: com\n    name: A\n"
            "    grants:\n      - {group: nobody, right: consult}\n",
            "Working group 1, folder access 1 (group), line 6: there is no group “nobody”.",
        ),
    ],
)
def test_no_sentence_names_a_field_path(text: str, words: str) -> None:
    error = refused(text)
    said = organisation_error("en", error, line_of(text, error.field))
    assert said.startswith(words)
    assert "[" not in said and "_" not in said


def test_the_line_of_a_missing_entry_is_that_of_the_entry_around_it() -> None:
    text = "name: Coop\nmemberships:\n  - {group: board}\n"
    error = refused(text)
    assert error.field == "memberships[0].user" and line_of(text, error.field) == 3


def test_a_text_yaml_cannot_read_has_no_line() -> None:
    assert line_of("name: [unclosed", "name") is None
