"""Renaming a working group renames its Team folder and groups; it never makes a second folder (issue 15)."""

from __future__ import annotations

import re
from dataclasses import replace

from tests.conftest import RunningApp

FORM = {"mode": "update", "slug": "communication", "name": "Communication externe", "purpose": ""}


def _save(app: RunningApp, form: dict[str, str]) -> str:
    with app.client("claire") as c:
        preview = c.post("/ui/organisation/groups", data=form)
        assert preview.status_code == 200, preview.text
        fields = {k: re.search(rf'name="{k}" value="([^"]*)"', preview.text) for k in ("checksum", "version")}
        saved = c.post(
            "/ui/organisation/groups", data={**form, **{k: m.group(1) for k, m in fields.items() if m}}
        )
    assert saved.status_code == 200, saved.text
    assert "changes applied" in saved.text
    return preview.text


def test_renaming_a_working_group_renames_its_folder_and_keeps_its_files_and_rights(demo: RunningApp) -> None:
    before = demo.standin.folder_by_mount("Communication")
    assert before is not None
    folder_id, groups, rules = before.id, dict(before.groups), dict(before.rules)
    count = len(demo.standin.folders)

    preview = _save(demo, FORM)

    assert "Rename the Team folder “Communication” to “Communication externe”" in preview
    assert "Create the Team folder" not in preview
    after = demo.standin.folder_by_mount("Communication externe")
    assert after is not None and after.id == folder_id
    assert demo.standin.folder_by_mount("Communication") is None
    assert len(demo.standin.folders) == count
    assert after.groups == groups and after.rules == rules
    assert demo.standin.group_display("gt-communication-membres") == "Communication externe – membres"


def test_after_a_rename_nothing_is_left_to_do_and_no_drift_shows(demo: RunningApp) -> None:
    _save(demo, FORM)
    snap = demo.run(demo.gov.sync.snapshot())
    assert snap.plan.is_empty, [str(c) for c in snap.plan]
    assert snap.drifts == ()


def test_an_old_folder_left_by_an_earlier_rename_shows_as_drift(demo: RunningApp) -> None:
    """A Nextcloud where a rename once made a second, empty folder: the old one, with the files and
    the group's rights, is no longer the organisation's, and drift says so."""
    org = demo.gov.org()
    groups = tuple(
        replace(wg, name="Communication externe") if wg.slug == "communication" else wg
        for wg in org.working_groups
    )
    demo.seed(replace(org, working_groups=groups))
    demo.standin.new_folder("Communication externe")
    drifts = demo.run(demo.gov.sync.drift())
    assert ("unmanaged_folder", ("Communication",)) in [(d.kind, d.subject) for d in drifts]
    with demo.client("claire") as c:
        page = c.get("/ui/matrix", params={"fresh": "1"})
    assert "Folder Communication is not described by the organisation." in page.text


def test_renaming_twice_after_a_lost_answer_is_harmless(demo: RunningApp) -> None:
    """The journal replays a change whose answer was lost: the folder is found renamed already."""
    from lib.core.changes import RenameFolder, RenameGroup

    gateway = demo.gov.gateway
    change = RenameFolder("Com externe", "Communication")
    assert "renamed" in demo.run(gateway.apply(change))
    assert demo.run(gateway.apply(change)) == "folder already renamed"
    demo.run(gateway.apply(RenameGroup("gt-communication-membres", "Com externe – membres")))
    assert demo.standin.group_display("gt-communication-membres") == "Com externe – membres"
