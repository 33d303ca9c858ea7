"""First run and the administrators' settings, through the running app and the Nextcloud stand-in.

The stand-in's ``admin`` account is Nextcloud's administrator (and the account the app acts as);
claire and nora are plain accounts until the set-up names claire in the operations team.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from ex_app.demo import demo_org
from lib.core.model import Organisation, OrgGroup, WorkingGroup
from lib.services.setup import (
    Check,
    SetupError,
    SetupService,
    Stage,
    TemplateForm,
    stage_of,
    template_org,
    with_operations,
)
from tests.conftest import RunningApp, make_settings
from tests.standin import StandIn

TEMPLATE = {
    "name": "La Coop des Communs",
    "group_name": "Jardins partagés",
    "folder": "Jardins",
    "users": "claire",
}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def confirmed(preview: str, **form: str) -> dict[str, str]:
    return {**form, "checksum": hidden(preview, "checksum"), "version": hidden(preview, "version")}


def with_demo_people(running: RunningApp) -> None:
    for uid in ("ines", "hugo", "lucas", "yann", "paul"):
        running.standin.add_user(uid, uid.title())


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# ---- the first run ----------------------------------------------------------------------------------


def test_an_administrator_opening_governance_first_is_offered_three_ways_to_start(
    running: RunningApp,
) -> None:
    with running.client("admin") as c:
        r = c.get("/ui/groups")
    assert r.status_code == 200
    page = text(r.text)
    assert "Set up Governance" in page
    assert "1. Adopt this Nextcloud" in page and "/ui/organisation/adopt" in r.text
    assert "2. Import an organisation file" in page and "/ui/organisation/import" in r.text
    assert "3. Start from a small template" in page and "/ui/setup/template" in r.text
    assert "Without them nobody can approve anything." in page
    assert ">Settings<" in r.text  # the administrator's navigation entry


def test_the_template_path_shows_the_plan_then_creates_the_organisation_with_its_operations_team(
    running: RunningApp,
) -> None:
    with running.client("admin") as c:
        preview = c.post("/ui/setup/template", data=TEMPLATE)
        assert preview.status_code == 200
        assert "Set up Governance for La Coop des Communs" in preview.text
        assert "What saving will change in Nextcloud" in preview.text
        plan = text(preview.text).split("What saving will change in Nextcloud", 1)[1]
        assert "“Jardins”" in plan and "Claire Dubois" in plan  # the folder, the operations team
        assert "Nothing is saved yet." in preview.text
        assert running.gov.orgs.version() == 0 and not running.standin.folders  # nothing yet
        done = c.post("/ui/setup/template", data=confirmed(preview.text, **TEMPLATE))
    assert done.status_code == 200, done.text
    assert "changes applied" in done.text
    org = running.gov.org()
    assert org.name == "La Coop des Communs"
    assert [(wg.slug, wg.name, wg.folder) for wg in org.working_groups] == [
        ("jardins-partages", "Jardins partagés", "Jardins")
    ]
    assert [m.user for m in org.members_of(OrgGroup.OPERATIONS)] == ["claire"]
    assert running.standin.folder_by_mount("Jardins") is not None
    assert "claire" in running.standin.groups["operations"]
    actions = [e.action for e in running.gov.audit.entries()]
    assert "organisation.changed" in actions


def test_the_template_path_refuses_an_unknown_person_and_an_existing_folder(running: RunningApp) -> None:
    running.standin.new_folder("Jardins")
    with running.client("admin") as c:
        nobody = c.post("/ui/setup/template", data={**TEMPLATE, "users": "claire, zorro"})
        empty = c.post("/ui/setup/template", data={**TEMPLATE, "users": " "})
        taken = c.post("/ui/setup/template", data=TEMPLATE)
        by_name = c.post(
            "/ui/setup/template", data={**TEMPLATE, "folder": "Potager", "users": "Claire Dubois"}
        )
    assert nobody.status_code == 422 and "No Nextcloud account matches “zorro”." in nobody.text
    assert (
        empty.status_code == 422 and "without the operations team nobody can approve anything" in empty.text
    )
    assert taken.status_code == 422
    assert "Nextcloud already has a Team folder “Jardins”. Adopt the existing Nextcloud instead" in taken.text
    assert by_name.status_code == 200 and 'name="users" value="claire"' in by_name.text  # a display name
    assert running.gov.orgs.version() == 0


def test_a_member_sees_who_to_ask_and_may_not_set_up(running: RunningApp) -> None:
    with running.client("nora") as c:
        page = c.get("/ui/groups")
        post = c.post("/ui/setup/template", data=TEMPLATE)
        settings = c.get("/ui/settings")
    assert page.status_code == 200
    assert "Governance is not set up yet" in page.text
    assert "Ask an administrator: Administrator." in page.text
    assert "Start from a small template" not in page.text and ">Settings<" not in page.text
    assert post.status_code == 403 and "Only a Nextcloud administrator may do this." in post.text
    assert settings.status_code == 403
    assert running.gov.orgs.version() == 0


def test_a_future_operator_waits_for_the_set_up_then_operates_but_does_not_see_the_settings(
    running: RunningApp,
) -> None:
    with running.client("claire") as c:
        before = c.get("/ui/groups")
        assert "Governance is not set up yet" in before.text
        assert c.post("/ui/setup/template", data=TEMPLATE).status_code == 403
    with running.client("admin") as c:
        preview = c.post("/ui/setup/template", data=TEMPLATE)
        assert c.post("/ui/setup/template", data=confirmed(preview.text, **TEMPLATE)).status_code == 200
        again = c.post("/ui/setup/template", data=TEMPLATE)
    assert again.status_code == 409 and "Governance is already set up" in again.text
    with running.client("claire") as c:
        after = c.get("/ui/groups")
        settings = c.get("/ui/settings")
        team = c.post("/ui/setup/operations", data={"users": "claire, nora"})
    assert "Jardins partagés" in after.text
    assert "To decide" in after.text and "Organisation" in after.text and ">Settings<" not in after.text
    assert settings.status_code == 403 and "Only a Nextcloud administrator may do this." in settings.text
    assert team.status_code == 403


def test_an_organisation_without_operations_team_asks_the_administrator_to_name_one(
    running: RunningApp,
) -> None:
    """As after adopting a Nextcloud that has no "operations" group."""
    org = demo_org(date.today())
    with_demo_people(running)
    running.seed(
        replace(org, memberships=tuple(m for m in org.memberships if m.group != OrgGroup.OPERATIONS))
    )
    with running.client("admin") as c:
        page = c.get("/ui/groups")
        assert "Name the operations team" in page.text and "has no operations team yet" in page.text
        preview = c.post("/ui/setup/operations", data={"users": "nora"})
        assert "Name the operations team" in preview.text and "Nothing is saved yet." in preview.text
        done = c.post("/ui/setup/operations", data=confirmed(preview.text, users="nora"))
    assert done.status_code == 200, done.text
    assert [m.user for m in running.gov.org().members_of(OrgGroup.OPERATIONS)] == ["nora"]
    with running.client("alice") as c:  # everyone else meanwhile used the app as usual
        assert "Communication" in c.get("/ui/groups").text


def test_the_administrator_answer_is_read_from_nextcloud_and_kept_briefly(running: RunningApp) -> None:
    now = [0.0]
    setup = SetupService(running.gov.ctx, running.gov.sync, clock=lambda: now[0])
    assert running.run(setup.is_admin("admin")) is True
    assert running.run(setup.is_admin("nora")) is False
    running.standin.groups["admin"].add("nora")
    assert running.run(setup.is_admin("nora")) is False  # kept for a minute
    now[0] = 61.0
    assert running.run(setup.is_admin("nora")) is True


# ---- settings ----------------------------------------------------------------------------------------


@pytest.fixture
def ready(running: RunningApp) -> RunningApp:
    """The demo organisation applied (claire operates), an administrator who is not in it."""
    with_demo_people(running)
    running.seed(demo_org(date.today()))
    _plan, result = running.run(running.gov.sync.apply("system"))
    assert result.ok, result.error
    return running


def test_an_administrator_reads_the_settings_as_a_person_would(ready: RunningApp) -> None:
    with ready.client("admin") as c:
        r = c.get("/ui/settings")
    assert r.status_code == 200
    page = text(r.text)
    assert "Nextcloud account Governance acts as admin" in page
    assert "Is this account an administrator? yes" in page
    assert "Days members have to object to a removal 5" in page
    assert "A decision link in a notification stays valid for 7 days" in page
    assert "Nextcloud is read again every 5 minutes" in page
    assert "Database SQLite (" in page
    assert ready.settings.app_secret not in r.text
    assert "Claire Dubois (claire)" in page and "Change the operations team" in page
    assert "Fine: The Team folders app is enabled." in page
    assert "Fine: The Notifications app is enabled." in page
    assert "Fine: The account “admin” exists and is an administrator." in page
    assert "Fine: Advanced permissions are on wherever rules are set." in page


def test_the_settings_speak_french(ready: RunningApp) -> None:
    with ready.client("admin", lang="fr") as c:
        r = c.get("/ui/settings")
    assert "Paramètres" in r.text and "7 jours" in r.text and "5 minutes" in r.text


def test_the_settings_are_refused_to_everyone_else(ready: RunningApp) -> None:
    for uid in ("claire", "sophie", "alice"):
        with ready.client(uid) as c:
            r = c.get("/ui/settings")
        assert r.status_code == 403 and "Only a Nextcloud administrator may do this." in r.text
        assert ">Settings<" not in r.text


def test_the_operations_team_changes_through_the_plan(ready: RunningApp) -> None:
    with ready.client("admin") as c:
        form = c.get("/ui/setup/operations")
        assert 'value="claire, malik"' in form.text and "Change the operations team" in form.text
        preview = c.post("/ui/setup/operations", data={"users": "claire, malik, nora"})
        assert "What saving will change in Nextcloud" in preview.text
        done = c.post("/ui/setup/operations", data=confirmed(preview.text, users="claire, malik, nora"))
    assert done.status_code == 200, done.text
    assert {m.user for m in ready.gov.org().members_of(OrgGroup.OPERATIONS)} == {"claire", "malik", "nora"}
    assert "nora" in ready.standin.groups["operations"]


def test_missing_team_folders_app_says_what_to_do(ready: RunningApp) -> None:
    ready.standin.disabled_apps.add("groupfolders")
    with ready.client("admin") as c:
        page = text(c.get("/ui/settings").text)
    assert "To do: The Team folders app (groupfolders) is not enabled" in page
    assert "Install and enable “Team folders” in Nextcloud's Apps, then reload this page." in page


def test_missing_team_folders_app_stops_the_template_with_what_to_do(running: RunningApp) -> None:
    running.standin.disabled_apps.add("groupfolders")
    with running.client("admin") as c:
        r = c.post("/ui/setup/template", data=TEMPLATE)
    assert r.status_code == 422 and "Install and enable “Team folders”" in r.text


def test_missing_notifications_app_says_what_to_do(ready: RunningApp) -> None:
    ready.standin.disabled_apps.add("notifications")
    with ready.client("admin", lang="fr") as c:
        page = text(c.get("/ui/settings").text)
    assert "À faire :" in page and "Notifications" in page
    assert "Activez « Notifications » dans les Applications de Nextcloud." in page


def test_folder_with_rules_and_acls_off_says_what_to_do(ready: RunningApp) -> None:
    folder = ready.standin.folder_by_mount("Communication")
    assert folder is not None
    folder.rules[""] = [("group", "gt-communication-membres", 2, 0)]
    folder.acl = False
    ready.gov.sync.readings.forget()
    with ready.client("admin") as c:
        page = text(c.get("/ui/settings").text)
    assert "To do: Advanced permissions are off on the Team folder “Communication”" in page
    assert "Turn on “Advanced permissions” for this folder in Administration settings → Team folders." in page


def account_check(standin: StandIn, tmp_path: Path, admin_user: str) -> Check:
    """The account check of an app configured to act as ``admin_user``."""
    db = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    settings = make_settings(standin, db, tmp_path).model_copy(update={"governance_admin_user": admin_user})
    app = RunningApp(standin, settings)
    try:
        admin = replace(app.gov.actor("admin"), is_admin=True)  # Nextcloud says so (the route asks it)
        return next(c for c in app.run(app.gov.setup.checks(admin)) if c.name == "account")
    finally:
        app.stop()


def test_an_admin_account_that_does_not_exist_says_what_to_do(standin: StandIn, tmp_path: Path) -> None:
    account = account_check(standin, tmp_path, "ghost")  # AppAPI refuses to act as an unknown account
    assert not account.ok and account.params == {"uid": "ghost"}
    assert "does not exist in Nextcloud. Create it as an administrator" in account.message


def test_an_admin_account_that_is_not_admin_says_what_to_do(standin: StandIn, tmp_path: Path) -> None:
    account = account_check(standin, tmp_path, "nora")
    assert not account.ok and account.params == {"uid": "nora"}
    assert "is not an administrator" in account.message and "Add it to the “admin” group" in account.message


# ---- the template and the stages, without Nextcloud ---------------------------------------------------


def test_the_template_names_the_group_after_its_name_and_keeps_the_folder_apart() -> None:
    form = TemplateForm(" La Coop ", "Jardins partagés", "Jardins partagés")
    org = template_org(form, ["claire", "claire"])
    assert [(wg.slug, wg.mount_point, wg.folder) for wg in org.working_groups] == [
        ("jardins-partages", "", "Jardins partagés")
    ]
    assert org.name == "La Coop" and [m.user for m in org.members_of(OrgGroup.OPERATIONS)] == ["claire"]
    with pytest.raises(SetupError) as refused:
        template_org(TemplateForm("La Coop", "!!!"), ["claire"])
    assert refused.value.field == "group_name"


def test_the_stage_follows_the_organisation() -> None:
    empty = Organisation(name="")
    assert stage_of(empty) is Stage.EMPTY
    adopted = Organisation(name="Organisation", working_groups=(WorkingGroup("com", "Com"),))
    assert stage_of(adopted) is Stage.NO_OPERATIONS
    assert stage_of(with_operations(adopted, ["claire"])) is Stage.READY


def test_the_template_takes_nobody_out_of_the_board_group_nextcloud_already_has(running: RunningApp) -> None:
    """A real Nextcloud often has a board group already: starting from the template keeps its members."""
    running.standin.add_group("ca", "sophie")
    with running.client("admin") as c:
        preview = c.post("/ui/setup/template", data=TEMPLATE)
        assert "Remove" not in text(preview.text).split("What saving will change in Nextcloud", 1)[1]
        done = c.post("/ui/setup/template", data=confirmed(preview.text, **TEMPLATE))
    assert done.status_code == 200, done.text
    assert running.standin.groups["ca"] == {"sophie"}
    assert [m.user for m in running.gov.org().members_of(OrgGroup.BOARD)] == ["sophie"]
