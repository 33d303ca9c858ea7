"""Every kind of invalid input, typed in the browser in French and in English (issue 14).

What a volunteer must see: a sentence in their language beside the field that caused it (the
field points to it with ``aria-describedby``), no markup shown as text, and the form still holding
what they typed. A conflict (a request decided meanwhile), a page they may not see and one that does
not exist are said inside the app, with a way back. The HTTP side is tests/http/test_messages_in_place.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.browser.conftest import Person
from tests.browser.test_first_run import start_fresh

pytestmark = pytest.mark.browser

ADD = "form[aria-labelledby='add-title']"
CREATE = "form[aria-labelledby='create-title']"
IMPORT = "form[hx-post$='/ui/organisation/import']"
# What the page says at the top when the sentence is beside a field.
SEE_FIELD = {
    "en": "The request was not sent: see the message next to the field.",
    "fr": "La demande n’a pas été envoyée : voyez le message à côté du champ.",
}
EN_ONLY = ("The request", "is not", "Nobody", "This is", "Use 1 to 40", "there is no", "not valid")


def shown_as_words(page: Any, lang: str) -> str:
    """The app's text, asserted free of markup pasted as text and, in French, of the English sentences."""
    text = page.inner_text("#gov-main")
    assert not re.search(r"</?[a-z][^>]*>|&lt;|&gt;|&amp;|&#\d+;", text), text[:500]
    for marker in ("Traceback", "Internal Server Error", "{", "%("):
        assert marker not in text, (marker, text[:500])
    assert not re.search(r"\b(request|policy|organisation)\.[a-z_]+\b", text), text[:500]  # a code, not words
    if lang == "fr":
        assert not [s for s in EN_ONLY if s in text], text[:500]
    return text


def beside(page: Any, field: str, error_id: str, lang: str) -> str:
    """The sentence of ``#error_id``, checked to belong to ``field``: described by it, in its form."""
    error = page.wait_for_selector(f"#{error_id}", timeout=15000)
    assert error.is_visible()
    described = (page.get_attribute(field, "aria-describedby") or "").split()
    assert error_id in described, (field, described)
    assert page.get_attribute(field, "aria-invalid") == "true"
    same_form = page.eval_on_selector(
        field, "(f, id) => !!f.form && f.form.contains(document.getElementById(id))", error_id
    )
    assert same_form, f"#{error_id} is not in the form of {field}"
    shown_as_words(page, lang)
    return str(error.inner_text())


def add_member(page: Any, **typed: str) -> None:
    for name, value in typed.items():
        page.fill(f"#add-{name}", value)
    page.click(f"{ADD} button[type=submit]")


# ---- a request to add people to a working group ---------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Personne n’a le compte « zed »."), ("en", "Nobody has the account “zed”.")],
)
def test_an_unknown_person_is_said_beside_the_people_field(person: Any, lang: str, expected: str) -> None:
    page = person("alice", lang).open("/groups/communication")
    add_member(page, users="zed", until="2099-01-31", justification="Lettre d'information")
    assert beside(page, "#add-users", "err-add-lines", lang) == expected
    assert SEE_FIELD[lang] in page.inner_text("#gov-main")
    assert page.input_value("#add-users") == "zed"
    assert page.input_value("#add-until") == "2099-01-31"
    assert page.input_value("#add-justification") == "Lettre d'information"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "La date de fin pour Nora Haddad est déjà passée."),
        ("en", "The end date for Nora Haddad is already past."),
    ],
)
def test_an_end_date_in_the_past_is_said_beside_the_date(person: Any, lang: str, expected: str) -> None:
    page = person("alice", lang).open("/groups/communication")
    page.select_option("#add-role", "reader")
    add_member(page, users="nora", until="2020-01-01", justification="Relecture")
    assert beside(page, "#add-until", "err-add-until", lang) == expected
    assert page.input_value("#add-until") == "2020-01-01"
    assert page.input_value("#add-users") == "nora"
    assert page.input_value("#add-role") == "reader"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "C’est trop long : 2000 caractères au plus."),
        ("en", "This is too long: at most 2000 characters."),
    ],
)
def test_a_justification_too_long_is_said_beside_it(person: Any, lang: str, expected: str) -> None:
    page = person("alice", lang).open("/groups/communication")
    long_text = "Une très longue justification. " * 80  # 2,480 characters
    add_member(page, users="nora", justification=long_text)
    assert beside(page, "#add-justification", "err-add-justification", lang) == expected
    assert page.input_value("#add-justification") == long_text
    assert page.input_value("#add-users") == "nora"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "« pas-une-adresse » n’est pas une adresse e-mail."),
        ("en", "“pas-une-adresse” is not an e-mail address."),
    ],
)
def test_a_bad_e_mail_is_said_beside_the_invitation_field(person: Any, lang: str, expected: str) -> None:
    page = person("alice", lang).open("/groups/communication")
    add_member(page, emails="pas-une-adresse", justification="Bénévole du jardin")
    assert beside(page, "#add-emails", "err-add-email", lang) == expected
    assert page.input_value("#add-emails") == "pas-une-adresse"
    assert page.input_value("#add-justification") == "Bénévole du jardin"


@pytest.mark.parametrize(
    ("lang", "uid", "name", "expected"),
    [
        ("fr", "hugo", "Hugo Lambert",
         "La demande nº {id} concernant {name} dans Communication n'est pas encore terminée : suivez-la là."),
        ("en", "ines", "Inès Chevalier",
         "Request #{id} about {name} in Communication is not finished yet: follow it there."),
    ],
)  # fmt: skip
def test_a_duplicate_request_is_said_beside_the_people_with_a_link_to_the_first(
    person: Any, lang: str, uid: str, name: str, expected: str
) -> None:
    who = person("alice", lang)
    page = who.open("/groups/communication")
    add_member(page, users=uid, justification="Première demande")
    page.wait_for_selector("#gov-main h2:has-text('#')", timeout=15000)
    rid = re.search(r"#\s*(\d+)", page.inner_text("#gov-main h2")).group(1)  # type: ignore[union-attr]
    page = who.open("/groups/communication")
    add_member(page, users=uid, justification="Deuxième demande")
    said = beside(page, "#add-users", "err-add-lines", lang)
    assert said == expected.format(id=rid, name=name), said
    assert page.input_value("#add-users") == uid
    assert page.input_value("#add-justification") == "Deuxième demande"
    page.click(f"#gov-main a[href$='/requests/{rid}']")  # the first request, one click away
    page.wait_for_selector("text=Première demande", timeout=15000)
    assert name in page.inner_text("#gov-main")


# ---- the organisation: a YAML file, a new working group ----------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("fr", "working_groups: [\n  {slug: a\n", "Ce n'est pas du YAML valide (ligne 3)."),
        ("en", "working_groups: [\n  {slug: a\n", "This is not valid YAML (line 3)."),
        (
            "fr",
            "working_groups:\n  - {slug: a, name: A}\nmemberships:\n  - {group: nulle-part, user: nora}\n",
            "Adhésion n° 1 (groupe), ligne 4 : il n’y a pas de groupe de travail « nulle-part ».",
        ),
        (
            "en",
            "working_groups:\n  - {slug: a, name: A}\nmemberships:\n  - {group: nulle-part, user: nora}\n",
            "Membership 1 (group), line 4: there is no working group “nulle-part”.",
        ),
    ],
    ids=["unreadable-fr", "unreadable-en", "unknown-group-fr", "unknown-group-en"],
)
def test_an_organisation_file_error_is_said_beside_the_file(
    person: Any, lang: str, text: str, expected: str
) -> None:
    page = person("claire", lang).open("/organisation")
    page.fill("#import-yaml", text)
    page.click(f"{IMPORT} button[type=submit]")
    assert beside(page, "#import-yaml", "err-import-yaml_text", lang) == expected
    assert page.input_value("#import-yaml") == text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Le fichier doit être du texte UTF-8."), ("en", "The file must be UTF-8 text.")],
)
def test_a_file_not_in_utf8_is_said_beside_the_file(person: Any, lang: str, expected: str) -> None:
    page = person("claire", lang).open("/organisation")
    latin1 = "working_groups:\n  - {slug: fete, name: Fête}\n".encode("latin-1")
    chosen = {"name": "organisation.yaml", "mimeType": "text/yaml", "buffer": latin1}
    page.set_input_files("#import-file", chosen)
    page.click(f"{IMPORT} button[type=submit]")
    assert beside(page, "#import-yaml", "err-import-yaml_text", lang) == expected
    assert "err-import-yaml_text" in (page.get_attribute("#import-file", "aria-describedby") or "")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Utilisez de 1 à 40 lettres minuscules, chiffres ou tirets."),
        ("en", "Use 1 to 40 lowercase letters, digits or hyphens."),
    ],
)
def test_a_bad_working_group_identifier_is_said_beside_it(person: Any, lang: str, expected: str) -> None:
    page = person("claire", lang).open("/organisation")
    page.fill("#create-slug", "Fête des voisins!")
    page.fill("#create-name", "Fête des voisins")
    page.fill("#create-purpose", "Une fois par an")
    page.click(f"{CREATE} button[type=submit]")
    assert beside(page, "#create-slug", "err-create-slug", lang) == expected
    assert page.input_value("#create-slug") == "Fête des voisins!"
    assert page.input_value("#create-name") == "Fête des voisins"
    assert page.input_value("#create-purpose") == "Une fois par an"


# ---- a conflict, a refusal, a page that does not exist -------------------------------------------


@pytest.mark.parametrize(
    ("lang", "uid", "expected"),
    [
        (
            "fr",
            "lucas",
            "Cette demande a déjà été validée par Malik Benali et appliquée ; il n’y a plus rien à faire.",
        ),
        ("en", "paul", "This request was already approved by Malik Benali and applied; nothing more to do."),
    ],
)
def test_rejecting_a_request_approved_meanwhile_says_so_in_the_readers_language(
    person: Any, lang: str, uid: str, expected: str
) -> None:
    alice = person("alice", lang)
    page = alice.open("/groups/communication")
    add_member(page, users=uid, justification="Aide ponctuelle")
    page.wait_for_selector("#gov-main h2:has-text('#')", timeout=15000)
    rid = re.search(r"#\s*(\d+)", page.inner_text("#gov-main h2")).group(1)  # type: ignore[union-attr]

    late = person("claire", lang).open(f"/requests/{rid}")  # open, read, not decided yet
    first = person("malik", lang).open(f"/requests/{rid}")
    first.click("#gov-main form[hx-post$='/approve'] button[type=submit]")
    first.wait_for_selector(".gov-flash-ok", timeout=15000)

    late.fill("#reject-reason", "Pas cette fois")
    with late.expect_response(re.compile(rf"/ui/requests/{rid}/reject$")) as answer:
        late.click("#gov-main form[hx-post$='/reject'] button[type=submit]")
    assert answer.value.status == 409
    flash = late.wait_for_selector("#gov-main .gov-flash-error:not([hidden])", timeout=15000)
    assert flash.inner_text() == expected
    text = shown_as_words(late, lang)
    assert ("appliquée" if lang == "fr" else "applied") in text  # the outcome it lost to, shown
    assert late.locator("#reject-reason").count() == 0  # nothing left to reject


@pytest.mark.parametrize(
    ("lang", "uid", "sub", "texts"),
    [
        (
            "fr",
            "dave",
            "/decide",
            [
                "Accès refusé",
                "Seule l'équipe opérationnelle peut faire cela.",
                "Retour aux groupes de travail",
            ],
        ),
        (
            "en",
            "dave",
            "/decide",
            ["Not allowed", "Only the operations team may do this.", "Back to the working groups"],
        ),
        ("fr", "dave", "/audit", ["Accès refusé", "Retour aux groupes de travail"]),
        ("en", "dave", "/audit", ["Not allowed", "Back to the working groups"]),
        ("fr", "alice", "/pas-de-page", ["Page introuvable", "Cette page n’existe pas."]),
        ("en", "alice", "/no-such-page", ["Page not found", "This page does not exist."]),
        ("fr", "alice", "/groups/nulle-part", ["Page introuvable", "Ce groupe de travail n'existe pas."]),
        ("en", "alice", "/groups/nowhere", ["Page not found", "This working group does not exist."]),
        ("fr", "alice", "/requests/99999", ["Cette demande n'existe pas."]),
        ("en", "alice", "/requests/99999", ["This request does not exist."]),
    ],
)
def test_a_refused_or_missing_page_says_what_happened_and_where_to_go(
    person: Any, lang: str, uid: str, sub: str, texts: list[str]
) -> None:
    page = person(uid, lang).open(sub)
    text = shown_as_words(page, lang)
    assert text.strip(), "the page is blank"
    for expected in texts:
        assert expected in text, (expected, text[:400])
    page.click("#gov-main a[href$='/groups']")
    page.wait_for_selector("#gov-main .gov-card", timeout=15000)


# ---- the first run: an organisation file pasted on the set-up page -------------------------------


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh install (nothing set up): the set-up page is what an administrator sees."""
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        d = pool.submit(asyncio.run, start_fresh(tmp_path_factory.mktemp("fresh"))).result(timeout=120)
    yield d
    d.stop()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Ce n'est pas du YAML valide (ligne 3)."), ("en", "This is not valid YAML (line 3).")],
)
def test_a_bad_file_on_the_set_up_page_is_said_beside_it_on_the_set_up_page(
    browser: Any, fresh: Any, lang: str, expected: str
) -> None:
    admin = Person(browser, fresh, "admin", lang)
    try:
        page = admin.open("/setup")
        text = "working_groups: [\n  {slug: a\n"
        page.fill("#setup-yaml", text)
        page.click("form[aria-labelledby='setup-import'] button[type=submit]")
        assert beside(page, "#setup-yaml", "err-setup-yaml_text", lang) == expected
        assert page.input_value("#setup-yaml") == text
        title = "Mettre en place Gouvernance" if lang == "fr" else "Set up Governance"
        assert title in page.inner_text("#gov-main h2")  # still the set-up page, not another one
    finally:
        admin.close()
