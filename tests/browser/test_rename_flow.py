"""An operator renames a working group from the Organisation page (issue 15), in English and French.

Claire opens the group's card, types the new name, reads the plan in words (the Team folder is
renamed, its files and rights stay; no folder is created) and saves. Nextcloud then has one folder
under the new name, the same one (its id, files and per-path rules), and the working group's
Nextcloud groups carry the new name. Each language renames Communication from whatever it is called.
"""

from __future__ import annotations

from typing import Any

import pytest

from .language import english_in

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "new": "Communication externe",
        "edit": "Edit",
        "help": "A new name renames the Team folder in Nextcloud: its files and rights stay",
        "preview": "Preview the changes",
        "title": "Change the working group {new}",
        "folder": "Rename the Team folder “{old}” to “{new}”: its files and rights stay",
        "group": "Rename the Nextcloud group ",
        "create": "Create",
        "save": "Save and apply",
        "saved": "Saved; 4 changes applied.",
        "folder_title": "Folder: {new}",
    },
    "fr": {
        "new": "Communication et presse",
        "edit": "Modifier",
        "help": "Un nouveau nom renomme le dossier d'équipe dans Nextcloud : ses fichiers et ses droits",
        "preview": "Prévisualiser les changements",
        "title": "Modifier le groupe de travail {new}",
        "folder": "Renommer le dossier d'équipe « {old} » en « {new} » : ses fichiers et ses droits restent",
        "group": "Renommer le groupe Nextcloud ",
        "create": "Créer",
        "save": "Enregistrer et appliquer",
        "saved": "Enregistré ; 4 changements appliqués.",
        "folder_title": "Dossier : {new}",
    },
}
ROLE_GROUPS = {"gt-communication-animateurs": "animateurs", "gt-communication-lecteurs": "lecteurs",
               "gt-communication-membres": "membres"}  # fmt: skip


def _french(lang: str, text: str) -> bool:
    return lang != "fr" or not english_in(text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_renaming_a_working_group_renames_its_one_folder_and_its_groups(
    person: Any, demo: Any, lang: str
) -> None:
    words = WORDS[lang]
    old, new = demo.gov.org().group("communication").folder, words["new"]
    before = demo.standin.folder_by_mount(old)
    before.add_path("Interne/budget.ods", is_file=True)  # a file the folder must keep
    folder_id, groups, rules, files = before.id, dict(before.groups), dict(before.rules), set(before.files)
    count = len(demo.standin.folders)

    claire = person("claire", lang)
    page = claire.open("/organisation")
    card = page.locator("li.gov-card", has=page.locator("#wg-communication-name"))
    card.locator(f"summary:text-is('{words['edit']}')").click()
    assert words["help"] in card.inner_text() and _french(lang, card.inner_text())
    page.fill("#wg-communication-name", new)
    card.locator(f"button:has-text('{words['preview']}')").click()
    page.wait_for_selector(f"h2:text-is('{words['title'].format(new=new)}')")

    plan = [" ".join(t.split()) for t in page.locator(".gov-plan li").all_inner_texts()]
    assert words["folder"].format(old=old, new=new) in plan, plan
    assert len([line for line in plan if line.startswith(words["group"])]) == len(ROLE_GROUPS), plan
    assert len(plan) == 1 + len(ROLE_GROUPS) and not [line for line in plan if words["create"] in line], plan
    assert _french(lang, page.inner_text("#gov-main")), english_in(page.inner_text("#gov-main"))
    claire.shot("rename-plan")
    page.click(f"button:has-text('{words['save']}')")
    page.wait_for_selector(f"text={words['saved']}")
    assert page.locator("li.gov-card h4", has_text="(communication)").inner_text().startswith(new)

    after = demo.standin.folder_by_mount(new)
    assert after is not None and after.id == folder_id
    assert demo.standin.folder_by_mount(old) is None and len(demo.standin.folders) == count
    assert (after.groups, after.rules, after.files) == (groups, rules, files)
    assert {gid: demo.standin.group_display(gid) for gid in ROLE_GROUPS} == {
        gid: f"{new} – {suffix}" for gid, suffix in ROLE_GROUPS.items()
    }
    group = claire.open("/groups/communication").inner_text("#gov-main")
    assert group.startswith(new) and words["folder_title"].format(new=new) in group
