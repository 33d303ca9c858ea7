"""A renamed working group keeps its folder: the plan renames it instead of creating another."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from lib.core.changes import CreateFolder, RenameFolder, RenameGroup, change_from_data
from lib.core.compile import compile_org
from lib.core.drift import drift
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.plan import apply_to_state, plan
from lib.core.state import FolderState, NextcloudState

TODAY = date(2026, 11, 30)


def _org(name: str) -> Organisation:
    return Organisation("Coop", (WorkingGroup("com", name),), (Membership("com", "alice", Role.FACILITATOR),))


def _nextcloud_for(org: Organisation) -> NextcloudState:
    """Nextcloud as the last apply left it, with a folder id and the groups' display names."""
    desired = compile_org(org, "admin", TODAY)
    actual = apply_to_state(NextcloudState(), plan(desired, NextcloudState(), lambda g: True))
    for folder in actual.folders.values():
        folder.folder_id = 7
    return actual


def _managed(gid: str) -> bool:
    return gid != "admin"


def test_a_renamed_working_group_has_its_folder_renamed_not_a_new_one() -> None:
    actual = _nextcloud_for(_org("Com"))
    changes = plan(compile_org(_org("Communication"), "admin", TODAY), actual, _managed).changes
    assert RenameFolder("Communication", "Com") in changes
    assert not [c for c in changes if isinstance(c, CreateFolder)]


def test_a_rename_gives_the_groups_their_new_display_names() -> None:
    actual = _nextcloud_for(_org("Com"))
    changes = plan(compile_org(_org("Communication"), "admin", TODAY), actual, _managed).changes
    assert RenameGroup("gt-com-animateurs", "Communication – animateurs") in changes


def test_once_renamed_the_plan_is_empty() -> None:
    desired = compile_org(_org("Communication"), "admin", TODAY)
    actual = _nextcloud_for(_org("Com"))
    after = apply_to_state(actual, plan(desired, actual, _managed))
    assert after.folders["Communication"].folder_id == 7 and "Com" not in after.folders
    assert plan(desired, after, _managed).is_empty


def test_a_folder_of_another_group_is_never_taken_for_a_renamed_one() -> None:
    actual = _nextcloud_for(_org("Com"))
    other = replace(_org("Sport"), working_groups=(WorkingGroup("sport", "Sport"),), memberships=())
    changes = plan(compile_org(other, "admin", TODAY), actual, _managed).changes
    assert CreateFolder("Sport") in changes
    assert not [c for c in changes if isinstance(c, RenameFolder)]


def test_an_old_folder_beside_the_new_one_is_drift() -> None:
    """What an earlier rename left: the new folder exists, the old one still holds the group."""
    actual = _nextcloud_for(_org("Com"))
    actual.folders["Communication"] = FolderState("Communication")
    found = drift(compile_org(_org("Communication"), "admin", TODAY), actual, _managed)
    assert ("unmanaged_folder", ("Com",)) in [(d.kind, d.subject) for d in found]


def test_renames_survive_the_journal() -> None:
    for change in (RenameFolder("New", "Old"), RenameGroup("gt-com-membres", "Com – membres")):
        assert change_from_data(change.data) == change
        assert change.phase < CreateFolder("x").phase


def test_a_folder_holding_two_groups_is_renamed_for_one_of_them_only() -> None:
    org = Organisation("Coop", (WorkingGroup("com", "Com"), WorkingGroup("sport", "Sport")))
    shared = FolderState("Rh", groups={"gt-com-animateurs": 31, "gt-com-membres": 15, "gt-sport-lecteurs": 1})
    changes = plan(compile_org(org, "admin", TODAY), NextcloudState(folders={"Rh": shared}), _managed).changes
    assert [c for c in changes if isinstance(c, RenameFolder)] == [RenameFolder("Com", "Rh")]
    assert CreateFolder("Sport") in changes
