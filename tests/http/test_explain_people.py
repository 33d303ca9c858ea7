"""Who has access and why: a person by account, name or e-mail; unknowns said so (issue 15)."""

from __future__ import annotations

import re

from tests.conftest import RunningApp


def _explain(app: RunningApp, user: str, path: str = "", viewer: str = "claire") -> str:
    with app.client(viewer) as c:
        r = c.get("/ui/explain", params={"user": user, "folder": "Communication", "path": path})
    assert r.status_code == 200, r.text
    return r.text


def _result(html: str) -> str:
    found = re.search(r"Result:</strong> ([^<(—]+)", html)
    return found.group(1).strip() if found else ""


def test_a_display_name_or_an_account_in_any_case_is_the_same_person(demo: RunningApp) -> None:
    name = demo.run(demo.gov.gateway.get_user("sophie")).display_name
    by_id = _result(_explain(demo, "sophie"))
    assert by_id == "consult"
    assert _result(_explain(demo, "Sophie")) == by_id
    assert _result(_explain(demo, name)) == by_id
    assert _result(_explain(demo, name.upper())) == by_id


def test_an_e_mail_address_names_its_account_for_the_operations_team(demo: RunningApp) -> None:
    demo.standin.users["sophie"].email = "sophie@coop.example"
    assert _result(_explain(demo, "Sophie@Coop.example")) == "consult"


def test_an_unknown_person_is_said_to_be_unknown_not_without_access(demo: RunningApp) -> None:
    html = _explain(demo, "zorro")
    assert "Nobody has the account, name or e-mail “zorro”." in html
    assert "Result:" not in html


def test_a_sub_folder_that_does_not_exist_is_said_so(demo: RunningApp) -> None:
    html = _explain(demo, "yann", "Nulle/Part")
    assert "The folder Communication has no sub-folder Nulle/Part." in html
    assert "Result:" not in html


def test_the_steps_speak_of_the_rights_the_person_really_had(demo: RunningApp) -> None:
    """A reader only ever consults: a rule hiding a sub-folder takes consult away, not manage."""
    html = _explain(demo, "yann", "Interne")
    assert _result(html) == "none"
    assert "change consult into none" in html
    assert "manage into" not in html
