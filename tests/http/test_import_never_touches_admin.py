"""An operator cannot make anyone a Nextcloud administrator by importing an organisation file (issue 13.1)."""

from __future__ import annotations

import yaml

from tests.conftest import RunningApp


def test_importing_a_file_that_maps_operations_to_admin_is_refused_and_changes_nothing(
    demo: RunningApp,
) -> None:
    running = demo  # the demo organisation, applied
    admins = set(running.standin.groups["admin"])
    version, before = running.gov.orgs.version(), running.gov.org()
    with running.client("claire") as c:
        data = yaml.safe_load(c.get("/api/organisation.yaml").text)
        data["naming"]["org_groups"]["operations"] = "admin"
        hijack = yaml.safe_dump(data, allow_unicode=True)
        r = c.post("/ui/organisation/import", data={"yaml_text": hijack})
        fr = running.client("claire", lang="fr").post("/ui/organisation/import", data={"yaml_text": hijack})
    assert r.status_code == 422
    assert "Naming (the group of the operations team), line " in r.text
    assert ": must not be Nextcloud&#39;s admin group" in r.text
    assert 'id="err-import-yaml_text"' in r.text
    assert fr.status_code == 422 and "groupe admin de Nextcloud" in fr.text
    assert running.gov.orgs.version() == version and running.gov.org() == before
    assert set(running.standin.groups["admin"]) == admins
