"""Plans in words: people by name, groups by working group and role, rights in words, in both languages."""

from lib.core.changes import AddMember, AttachGroup, SetAcl, SetAclRules
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.safety import Concern, Impact
from lib.core.state import AclRule
from lib.core.wording import Words
from lib.i18n import say

ORG = Organisation(
    "Coop", (WorkingGroup("com", "Communication"),), (Membership("com", "alice", Role.FACILITATOR),)
)
WORDS = Words(ORG, {"erin": "Erin Leroy"})


def test_an_addition_names_the_person_and_the_working_group_role() -> None:
    change = AddMember("gt-com-membres", "erin")
    assert say("en", WORDS.change(change)) == "Add Erin Leroy to Communication (contributors)"
    assert (
        say("fr", WORDS.change(change))
        == "Ajouter Erin Leroy au groupe « Communication (contributeur·ices) »"
    )


def test_rights_are_words_not_numbers() -> None:
    change = AttachGroup("Communication", "gt-com-lecteurs", 1)
    assert say("fr", WORDS.change(change)) == (
        "Donner au groupe « Communication (lecteur·ices) » l'accès à « Communication » : Consultation"
    )
    odd = AttachGroup("Communication", "ca", 17)
    assert say("en", WORDS.change(odd)) == "Give the board access to “Communication”: read, share"


def test_rules_on_a_sub_folder_list_each_group_with_its_right() -> None:
    change = SetAclRules(
        "Communication",
        "Interne",
        (AclRule("group", "gt-com-membres", 31, 15), AclRule("group", "tous", 31, 0)),
    )
    assert say("en", WORDS.change(change)) == (
        "Set the rights on “Communication/Interne”: "
        "Communication (contributors): Modification; everyone: None"
    )


def test_turning_acls_off_says_what_it_opens() -> None:
    assert "reaches every sub-folder" in say("en", WORDS.change(SetAcl("Communication", False)))


def test_concerns_and_impacts_read_as_sentences() -> None:
    assert say("fr", WORDS.concern(Concern("people_removed", count=5))) == "5 personnes perdent leur accès"
    assert say("en", WORDS.impact(Impact("erin", False, "gt-com-membres"))) == (
        "Erin Leroy loses access to Communication (contributors)"
    )
