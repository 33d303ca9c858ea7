"""Oversight and administration pages, through the running app and the Nextcloud stand-in."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import update

from ex_app.demo import demo_org
from lib.store.tables import audit_log
from tests.conftest import RunningApp

MORE_PEOPLE = [
    ("yann", "Yann Morel"),
    ("ines", "Inès Roux"),
    ("hugo", "Hugo Blanc"),
    ("lucas", "Lucas Faure"),
    ("paul", "Paul Girard"),
]


@pytest.fixture
def app(running: RunningApp) -> RunningApp:
    """The demo organisation, every demo person with a Nextcloud account, the admin routes served."""
    for uid, name in MORE_PEOPLE:
        running.standin.add_user(uid, name, email=f"{uid}@example.org")
    running.seed(demo_org(date.today()))
    return running


def synced(app: RunningApp) -> RunningApp:
    _plan, result = app.run(app.gov.sync.apply("claire"))
    assert result.ok, result.error
    return app


def confirmed(preview: str, **form: str) -> dict[str, str]:
    """The form again, with the plan checksum and organisation version the preview carries."""
    return {**form, "checksum": hidden(preview, "checksum"), "version": hidden(preview, "version")}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def folder_names(app: RunningApp) -> set[str]:
    return {f.mount_point for f in app.standin.folders.values()}


# ---- who may see what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/ui/matrix", "/ui/explain?user=yann&folder=Communication", "/ui/audit", "/ui/organisation", "/ui/stats",
     "/ui/organisation/adopt", "/api/audit.csv", "/api/plan", "/api/organisation.yaml",
     "/api/groups/communication/members.csv"],
)  # fmt: skip
def test_a_facilitator_is_refused_the_oversight_pages(app: RunningApp, path: str) -> None:
    with app.client("alice") as c:
        r = c.get(path)
    assert r.status_code == 403
    assert "Dave" not in r.text and "gt-" not in r.text


def test_the_board_reads_but_may_not_repair_nor_edit(app: RunningApp) -> None:
    with app.client("sophie") as c:
        page = c.get("/ui/matrix")
        assert page.status_code == 200
        assert "Repair" not in page.text and "Adopt into the organisation" not in page.text
        assert c.post("/ui/matrix/repair").status_code == 403
        assert c.get("/ui/organisation").status_code == 403
        r = c.post("/ui/organisation/groups", data={"mode": "create", "slug": "sport", "name": "Sport"})
    assert r.status_code == 403
    assert app.gov.org().group("sport") is None


def test_state_changing_admin_routes_refuse_a_request_without_the_page_token(app: RunningApp) -> None:
    with app.client("claire") as c:
        r = c.post("/ui/organisation/groups", data={"mode": "create", "slug": "sport", "name": "Sport"},
                   headers={"X-Governance-CSRF": "forged"})  # fmt: skip
    assert r.status_code == 403
    assert app.gov.org().group("sport") is None


# ---- matrix and explain ----------------------------------------------------------------------------


def test_the_board_sees_rights_per_group_and_folder_with_sub_folders_folded(app: RunningApp) -> None:
    synced(app)
    with app.client("sophie") as c:
        r = c.get("/ui/matrix")
    assert r.status_code == 200
    html = r.text
    assert "Administratif et gestion" in html and "gt-communication-animateurs" in html
    row = html[
        html.index("gt-communication-lecteurs") : html.index("</tr>", html.index("gt-communication-lecteurs"))
    ]
    assert "consult" in row and "Interne: none" in row
    assert "<details><summary>Sub-folders</summary>" in html
    assert "None: Nextcloud matches the organisation." in html


def test_the_explanation_says_a_reader_is_denied_a_sub_folder_and_the_facilitator_manages_it(
    app: RunningApp,
) -> None:
    with app.client("sophie") as c:
        yann = c.get("/ui/explain", params={"user": "yann", "folder": "Communication", "path": "Interne"})
        alice = c.get("/ui/explain", params={"user": "alice", "folder": "Communication", "path": "Interne"})
    assert yann.status_code == 200
    assert "Result:</strong> none" in yann.text
    assert "The group Communication (readers) gives" in yann.text and "the sub-folder is hidden" in yann.text
    assert "This is the desired state" in yann.text
    assert "Result:</strong> manage" in alice.text
    assert yann.headers["HX-Push-Url"].endswith("/explain?user=yann&folder=Communication&path=Interne")


def test_an_unknown_folder_is_said_next_to_the_field(app: RunningApp) -> None:
    with app.client("claire") as c:
        r = c.get("/ui/explain", params={"user": "yann", "folder": "<script>x</script>"})
    assert "The organisation has no folder &lt;script&gt;x&lt;/script&gt;." in r.text
    assert "<script>x</script>" not in r.text


def test_the_matrix_shows_the_last_reading_until_asked_to_read_nextcloud_again(app: RunningApp) -> None:
    synced(app)
    app.standin.groups["gt-communication-membres"].add("nora")  # by hand, after the app's last reading
    with app.client("claire") as c:
        kept = c.get("/ui/matrix")
        again = c.get("/ui/matrix?refresh=1")
    assert "As Nextcloud was read at" in kept.text and "Read Nextcloud again" in kept.text
    assert "None: Nextcloud matches the organisation." in kept.text
    assert "Nora Haddad is in Communication (contributors) in Nextcloud, not in the" in again.text


def test_operations_repair_a_member_added_by_hand(app: RunningApp) -> None:
    synced(app)
    app.standin.groups["gt-communication-membres"].add("nora")
    with app.client("claire") as c:
        page = c.get("/ui/matrix?refresh=1")
        assert "Nora Haddad is in Communication (contributors) in Nextcloud, not in the" in page.text
        assert 'class="gov-drift"' in page.text
        r = c.post("/ui/matrix/repair", data={"checksum": hidden(page.text, "checksum")})
    assert r.status_code == 200
    assert "1 change applied." in r.text
    assert "nora" not in app.standin.groups["gt-communication-membres"]
    assert "None: Nextcloud matches the organisation." in r.text


def test_repair_refuses_a_plan_other_than_the_one_shown(app: RunningApp) -> None:
    synced(app)
    app.standin.groups["gt-communication-membres"].add("nora")
    with app.client("claire") as c:
        page = c.get("/ui/matrix?refresh=1")
        app.standin.groups["gt-jardins-membres"].discard("yann")  # Nextcloud changes meanwhile
        r = c.post("/ui/matrix/repair", data={"checksum": hidden(page.text, "checksum")})
    assert r.status_code == 409
    assert "nora" in app.standin.groups["gt-communication-membres"]


def test_operations_adopt_a_member_added_by_hand_into_the_organisation(app: RunningApp) -> None:
    synced(app)
    app.standin.groups["gt-communication-membres"].add("nora")
    with app.client("claire") as c:
        page = c.get("/ui/matrix?refresh=1")
        r = c.post("/ui/matrix/adopt", data={"key": hidden(page.text, "key")})
    assert r.status_code == 200
    assert ("communication", "nora", "contributor") in {
        (m.group, m.user, m.role) for m in app.gov.org().memberships
    }
    assert "nora" in app.standin.groups["gt-communication-membres"]  # Nextcloud is left as it is
    assert "drift.adopted" in [e.action for e in app.gov.audit.entries()]
    assert "None: Nextcloud matches the organisation." in r.text


def test_the_matrix_still_shows_when_nextcloud_cannot_be_read(app: RunningApp) -> None:
    app.standin.fail("GET", r"/groups/details", "500", times=4)
    with app.client("sophie") as c:
        first = c.get("/ui/matrix")
        app.run(app.gov.sync.readings.wait())
        r = c.get("/ui/matrix")  # what the page's poll shows once the reading gave up
    assert first.status_code == r.status_code == 200
    assert "Nextcloud could not be read" in r.text
    assert "gt-communication-animateurs" in r.text


def test_the_plan_is_available_as_json_to_operations(app: RunningApp) -> None:
    with app.client("claire") as c:
        r = c.get("/api/plan")
    data = r.json()
    assert r.status_code == 200 and data["count"] == len(data["changes"]) > 0
    assert {"kind": "CreateFolder", "mount_point": "Communication"} in data["changes"]
    assert len(data["checksum"]) == 64


# ---- organisation ----------------------------------------------------------------------------------


def test_creating_a_group_shows_the_plan_first_then_creates_its_folder(app: RunningApp) -> None:
    synced(app)
    form = {"mode": "create", "slug": "sport", "name": "Sport", "purpose": "Matchs du dimanche"}
    with app.client("claire") as c:
        preview = c.post("/ui/organisation/groups", data=form)
        assert preview.status_code == 200
        assert "Create the Team folder “Sport”" in preview.text and "Save and apply" in preview.text
        assert app.gov.org().group("sport") is None and "Sport" not in folder_names(app)
        r = c.post("/ui/organisation/groups", data=confirmed(preview.text, **form))
    assert r.status_code == 200
    assert "changes applied" in r.text
    assert app.gov.org().group("sport") is not None
    assert "Sport" in folder_names(app)
    assert "organisation.changed" in [e.action for e in app.gov.audit.entries()]


def test_an_invalid_identifier_is_refused_next_to_the_field_and_nothing_is_saved(app: RunningApp) -> None:
    version = app.gov.orgs.version()
    with app.client("claire") as c:
        bad = c.post("/ui/organisation/groups", data={"mode": "create", "slug": "Bad Slug!", "name": "Sport"})
        twice = c.post(
            "/ui/organisation/groups", data={"mode": "create", "slug": "jardins", "name": "Potagers"}
        )
    assert bad.status_code == 422
    assert re.search(r'id="err-create-slug">Use 1 to 40 lowercase letters', bad.text)
    assert 'value="Bad Slug!"' in bad.text
    assert twice.status_code == 422
    assert re.search(r'id="err-create-slug">A working group with this identifier already exists', twice.text)
    assert app.gov.orgs.version() == version
    assert folder_names(app) == set()


def test_moving_a_group_onto_another_groups_folder_is_refused_in_its_own_form(app: RunningApp) -> None:
    version = app.gov.orgs.version()
    form = {"mode": "update", "slug": "jardins", "name": "Jardins partagés", "mount_point": "Communication"}
    with app.client("claire") as c:
        r = c.post("/ui/organisation/groups", data=form)
    assert r.status_code == 422
    assert re.search(
        r'id="err-wg-jardins-mount_point">Another working group already uses this folder', r.text
    )
    assert "err-create-" not in r.text
    assert app.gov.orgs.version() == version


def test_a_stale_confirmation_saves_nothing(app: RunningApp) -> None:
    form = {
        "mode": "update",
        "slug": "jardins",
        "name": "Jardins partagés",
        "purpose": "Autre",
        "mount_point": "",
    }
    with app.client("claire") as c:
        preview = c.post("/ui/organisation/groups", data=form)
        app.gov.orgs.bump()  # someone saved meanwhile
        r = c.post("/ui/organisation/groups", data=confirmed(preview.text, **form))
    assert r.status_code == 409
    assert app.gov.org().group("jardins").purpose != "Autre"  # type: ignore[union-attr]


def test_the_organisation_exports_to_yaml_and_imports_back_unchanged(app: RunningApp) -> None:
    before = app.gov.org()
    with app.client("claire") as c:
        export = c.get("/api/organisation.yaml")
        assert export.status_code == 200
        assert export.headers["content-disposition"].startswith("attachment")
        preview = c.post("/ui/organisation/import", data={"yaml_text": export.text})
        assert preview.status_code == 200 and "Save and apply" in preview.text
        r = c.post("/ui/organisation/import", data=confirmed(preview.text, yaml_text=export.text))
    assert r.status_code == 200
    assert app.gov.org() == before
    assert "Communication" in folder_names(app)


def test_an_import_file_upload_that_is_not_valid_is_refused_in_place(app: RunningApp) -> None:
    version = app.gov.orgs.version()
    with app.client("claire") as c:
        broken = c.post(
            "/ui/organisation/import", files={"file": ("org.yaml", b"name: [unclosed", "application/yaml")}
        )
        wrong = c.post(
            "/ui/organisation/import",
            data={"yaml_text": "name: X\nworking_groups:\n  - slug: Bad!\n    name: B\n"},
        )
    assert broken.status_code == 422 and "This is not valid YAML" in broken.text
    assert wrong.status_code == 422 and "Working group 1 (identifier), line 3: use 1 to 40" in wrong.text
    assert 'id="err-import-yaml_text"' in wrong.text
    assert app.gov.orgs.version() == version


def test_adopting_nextcloud_proposes_an_organisation_and_changes_nothing_there(app: RunningApp) -> None:
    synced(app)
    groups_before = {g: set(m) for g, m in app.standin.groups.items()}
    with app.client("claire") as c:
        preview = c.get("/ui/organisation/adopt")
        assert preview.status_code == 200
        assert "Jardins partagés" in preview.text
        r = c.post("/ui/organisation/adopt", data=confirmed(preview.text))
    assert r.status_code == 200
    assert {wg.slug for wg in app.gov.org().working_groups} == {
        "communication",
        "administratif",
        "jardins",
        "education",
    }
    assert "organisation.adopted" in [e.action for e in app.gov.audit.entries()]
    assert {g: set(m) for g, m in app.standin.groups.items()} == groups_before


# ---- audit -----------------------------------------------------------------------------------------


def test_the_audit_log_shows_an_intact_chain_and_filters_by_actor(app: RunningApp) -> None:
    app.gov.audit.append("claire", "request.approved", "request:1", {})
    app.gov.audit.append("malik", "request.rejected", "request:2", {"reason": "no"})
    with app.client("sophie") as c:
        everything = c.get("/ui/audit")
        malik = c.get("/ui/audit", params={"actor": "malik"})
        bad_date = c.get("/ui/audit", params={"since": "yesterday"})
    assert "Chain check OK: the 2 entries are intact" in everything.text
    assert "Request #1" in everything.text and "Request #2" in everything.text
    assert "Request approved" in everything.text and "Claire Dubois" in everything.text  # words, names
    assert "Request #2" in malik.text and "Request #1" not in malik.text
    assert bad_date.status_code == 422 and 'id="err-audit-since"' in bad_date.text


def test_the_audit_log_says_when_an_entry_was_altered(app: RunningApp) -> None:
    app.gov.audit.append("claire", "request.approved", "request:1", {})
    app.gov.audit.append("claire", "request.applied", "request:1", {})
    with app.gov.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 1).values(actor="mallory"))
    with app.client("sophie") as c:
        r = c.get("/ui/audit")
    assert "Chain check FAILED at entry 1" in r.text


def test_the_audit_csv_lists_the_entries_and_defuses_formula_cells(app: RunningApp) -> None:
    app.gov.audit.append("claire", "request.approved", "request:1", {})
    app.gov.audit.append('=HYPERLINK("http://x")', "test.action", "@SUM(1)", {})
    with app.client("sophie") as c:
        r = c.get("/api/audit.csv")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="governance-audit.csv"'
    assert r.text.startswith("\ufeff")  # a spreadsheet reads it as UTF-8
    lines = r.text.removeprefix("\ufeff").splitlines()
    header = "No.,When (UTC),Who,E-mail,Account,Action,Subject,Action code,Subject code,Hash"
    assert lines[0] == header and len(lines) == 3
    words = ",Claire Dubois,claire@example.org,claire,Request approved,Request #1,"  # names, e-mail, words
    assert words + "request.approved,request:1," in lines[1]
    assert "'=HYPERLINK" in lines[2] and "'@SUM(1)" in lines[2]


def test_the_audit_log_pages_by_fifty(app: RunningApp) -> None:
    for i in range(55):
        app.gov.audit.append("claire", "test.action", f"item:{i}", {})
    with app.client("claire") as c:
        first = c.get("/ui/audit")
        second = c.get("/ui/audit", params={"page": 2})
    assert "Page 1 of 2" in first.text and "item:54" in first.text and "item:4<" not in first.text
    assert "item:4<" in second.text and "item:5<" not in second.text


# ---- statistics ------------------------------------------------------------------------------------


def test_statistics_show_members_per_group_and_access_ending_soon(app: RunningApp) -> None:
    with app.client("sophie") as c:
        r = c.get("/ui/stats")
    assert r.status_code == 200
    assert re.search(r"Communication</th>\s*<td>1</td><td>2</td><td>1</td><td>0</td>\s*<td>4</td>", r.text)
    soon = r.text[r.text.index("Access ending in the next 30 days") :]
    assert "Emma Petit" in soon
    assert "No request yet" in r.text


def test_the_member_list_csv_has_names_and_roles_and_defuses_formulas(app: RunningApp) -> None:
    app.standin.users["yann"].display_name = "=Yann"
    with app.client("paul") as c:
        r = c.get("/api/groups/communication/members.csv")
        missing = c.get("/api/groups/nowhere/members.csv")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    lines = r.text.removeprefix("\ufeff").splitlines()
    assert lines[0] == "Account,Name,E-mail,Role,Until"
    assert "alice,Alice Martin,alice@example.org,facilitator," in lines
    assert "yann,'=Yann,yann@example.org,reader," in lines
    assert missing.status_code == 404


def test_pages_answer_in_french_too(app: RunningApp) -> None:
    with app.client("claire", lang="fr") as c:
        for path in ("/ui/matrix", "/ui/audit", "/ui/organisation", "/ui/stats"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert 'lang="fr"' in r.text
