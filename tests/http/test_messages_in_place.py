"""Errors said where they happen: beside the field, in the reader's language, with names, not ids.

A volunteer who typed a past end date reads "La date de fin pour Nora Haddad est déjà passée." under
the date field, with what they typed still there; a page they may not see, or that does not exist,
says so inside the app with a way back.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import RunningApp


def field_error(page: str, form: str, name: str) -> str:
    found = re.search(rf'<p class="gov-field-error" id="err-{form}-{name}">([^<]*)</p>', page)
    return found.group(1) if found else ""


def add(app: RunningApp, lang: str, **fields: str) -> str:
    data = {"kind": "add_member", "group": "communication", "role": "contributor",
            "justification": "Helps with the newsletter", **fields}  # fmt: skip
    with app.client("alice", lang) as c:
        answer = c.post("/ui/requests", data=data)
    assert answer.status_code == 422
    return answer.text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "La date de fin pour Nora Haddad est déjà passée."),
        ("en", "The end date for Nora Haddad is already past."),
    ],
)
def test_a_past_end_date_is_said_beside_the_date_with_the_persons_name(
    demo: RunningApp, lang: str, expected: str
) -> None:
    page = add(demo, lang, users="nora", until="2020-01-01")
    assert field_error(page, "add", "until") == expected
    assert 'value="2020-01-01"' in page and "Helps with the newsletter</textarea>" in page
    assert 'aria-describedby="err-add-until"' in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Personne n’a le compte « zed »."), ("en", "Nobody has the account “zed”.")],
)
def test_an_unknown_account_is_said_beside_the_people_field(
    demo: RunningApp, lang: str, expected: str
) -> None:
    page = add(demo, lang, users="zed")
    assert field_error(page, "add", "lines") == expected
    assert "request.unknown_user" not in page and 'value="zed"' in page


def test_a_bad_e_mail_address_is_said_beside_the_invitation_field_in_french(demo: RunningApp) -> None:
    page = add(demo, "fr", emails="not-an-address")
    assert field_error(page, "add", "email") == "« not-an-address » n’est pas une adresse e-mail."
    assert "La demande n’a pas été envoyée : voyez le message à côté du champ." in page


def test_a_missing_justification_asks_to_fill_in_the_field(demo: RunningApp) -> None:
    page = add(demo, "fr", users="nora", justification="  ")
    assert field_error(page, "add", "justification") == "Remplissez ce champ."
    assert 'value="nora"' in page


def test_a_person_named_twice_is_named_by_their_display_name(demo: RunningApp) -> None:
    page = add(demo, "en", users="nora,nora")
    assert field_error(page, "add", "lines") == "Nora Haddad is named twice."


def test_an_archive_request_without_justification_keeps_its_error_in_its_own_form(demo: RunningApp) -> None:
    with demo.client("alice", "en") as c:
        page = c.post(
            "/ui/requests", data={"kind": "archive_group", "group": "communication", "justification": ""}
        )
    assert page.status_code == 422
    assert field_error(page.text, "archive", "justification") == "Fill in this field."
    assert field_error(page.text, "add", "justification") == ""


def test_a_rejection_without_reason_is_said_beside_the_reason_in_french(demo: RunningApp) -> None:
    with demo.client("alice", "fr") as c:
        data = {"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor"}
        sent = c.post("/ui/requests", data={**data, "justification": "Aide"})
    rid = re.search(r"/ui/requests/(\d+)/", sent.text)
    assert rid, sent.text
    with demo.client("claire", "fr") as c:
        page = c.post(f"/ui/requests/{rid.group(1)}/reject", data={"reason": " "})
    assert page.status_code == 422
    assert field_error(page.text, "reject", "reason") == "Remplissez ce champ."
    assert "Rien n’a été fait : voyez le message à côté du champ." in page.text


@pytest.mark.parametrize(
    ("lang", "path", "status", "texts"),
    [
        (
            "fr",
            "/ui/no-such-page",
            404,
            ["Page introuvable", "Cette page n’existe pas.", "Retour aux groupes"],
        ),
        ("en", "/ui/groups/no-such-group", 404, ["Page not found", "This working group does not exist."]),
        ("fr", "/ui/decide", 403, ["Accès refusé", "Seule l'équipe opérationnelle peut faire cela."]),
        ("en", "/ui/decide", 403, ["Not allowed", "Only the operations team may do this."]),
    ],
)
def test_refusals_are_pages_of_the_app_that_say_what_happened_and_where_to_go(
    demo: RunningApp, lang: str, path: str, status: int, texts: list[str]
) -> None:
    with demo.client("dave", lang) as c:
        page = c.get(path)
    assert page.status_code == status and page.headers["content-type"].startswith("text/html")
    assert 'id="gov-app"' in page.text and "/ui/groups" in page.text
    for text in texts:
        assert text in html.unescape(page.text)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            "Groupes de travail, ligne 1 : doit être une liste"
            " (une ligne par élément, commençant par « - »).",
        ),
        ("en", "Working groups, line 1: must be a list (one line per item, starting with “- ”)."),
    ],
)
def test_an_organisation_file_error_is_said_beside_the_file_in_the_readers_language(
    demo: RunningApp, lang: str, expected: str
) -> None:
    with demo.client("claire", lang) as c:
        page = c.post("/ui/organisation/import", data={"yaml_text": "working_groups: 3\n"})
    assert page.status_code == 422
    assert html.unescape(field_error(page.text, "import", "yaml_text")) == expected
    assert "working_groups: 3" in page.text  # what was typed is still there


def test_a_duplicate_working_group_in_the_file_is_named_in_french(demo: RunningApp) -> None:
    text = "working_groups:\n  - {slug: a, name: A}\n  - {slug: a, name: B}\n"
    with demo.client("claire", "fr") as c:
        page = c.post("/ui/organisation/import", data={"yaml_text": text})
    said = html.unescape(field_error(page.text, "import", "yaml_text"))
    assert said == (
        "Groupe de travail n° 2 (identifiant), ligne 3 :"
        " un autre groupe de travail a déjà l’identifiant « a »."
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Membership 1 (group), line 5: there is no working group “nowhere”."),
        ("fr", "Adhésion n° 1 (groupe), ligne 5 : il n’y a pas de groupe de travail « nowhere »."),
    ],
)
def test_an_organisation_file_error_says_where_in_words_and_on_which_line(
    demo: RunningApp, lang: str, expected: str
) -> None:
    text = (
        "name: Coop\nworking_groups:\n  - {slug: com, name: Com}\n"
        "memberships:\n  - {group: nowhere, user: nora}\n"
    )
    version = demo.gov.orgs.version()
    with demo.client("claire", lang) as c:
        page = c.post("/ui/organisation/import", data={"yaml_text": text})
    assert page.status_code == 422
    said = html.unescape(field_error(page.text, "import", "yaml_text"))
    assert said == expected
    assert "memberships[" not in html.unescape(page.text)
    assert demo.gov.orgs.version() == version  # nothing imported


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "This request was already approved by Claire Dubois and applied; nothing more to do."),
        (
            "fr",
            "Cette demande a déjà été validée par Claire Dubois et appliquée ; il n’y a plus rien à faire.",
        ),
    ],
)
def test_rejecting_a_request_another_operator_approved_says_who_approved_it(
    demo: RunningApp, lang: str, expected: str
) -> None:
    with demo.client("alice", lang) as c:
        data = {"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor"}
        sent = c.post("/ui/requests", data={**data, "justification": "Helps with the newsletter"})
    rid = re.search(r"/ui/requests/(\d+)/", sent.text)
    assert rid, sent.text
    with demo.client("claire", lang) as c:
        page = c.get(f"/ui/requests/{rid.group(1)}")
        checksum = re.search(r'name="checksum" value="([0-9a-f]+)"', page.text)
        assert checksum, page.text
        assert c.post(f"/ui/requests/{rid.group(1)}/approve", data={"checksum": checksum.group(1)}).is_success
    with demo.client("malik", lang) as c:
        late = c.post(f"/ui/requests/{rid.group(1)}/reject", data={"reason": "Not this time"})
    assert late.status_code == 409
    assert expected in html.unescape(late.text)
    assert "current state" not in late.text and "état actuel" not in late.text
