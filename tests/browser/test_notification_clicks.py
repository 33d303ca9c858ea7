"""An operator clicks Approve or Reject in their Nextcloud notifications and lands on a working page.

The click is a plain navigation to the proxy URL (notifications_links_click.json); the stand-in's proxy,
like AppAPI's, follows any redirect itself (appapi_proxy_redirects.json), so what shows is the ExApp's own
answer at /proxy/...: here the outcome page, with its way back into the embedded page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

NOTIFICATIONS = "/index.php/apps/notifications-ui"


def _ask(alice: Any, who: str) -> str:
    page = alice.open("/groups/communication")
    page.fill("#add-users", who)
    page.fill("#add-justification", f"{who} joins the newsletter team")
    page.click("form[aria-labelledby=add-title] button[type=submit]")
    page.wait_for_selector("text=Request sent to the operations team.")
    return re.search(r"Request #(\d+)", page.inner_text("#gov-main")).group(1)  # type: ignore[union-attr]


def _click(operator: Any, decision: str, rid: str) -> Any:
    page = operator.page
    page.goto(operator.demo.standin.url + NOTIFICATIONS)
    page.click(f"a[href*='/actions/{decision}/{rid}?t=']")
    page.wait_for_selector("#gov-main")
    assert f"/apps/app_api/proxy/governance/actions/{decision}/{rid}" in page.url
    return page


def _serious_violations(page: Any) -> list[Any]:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"]})
    return [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_approve_in_a_notification_shows_the_outcome_and_leads_to_the_request(person: Any, demo: Any) -> None:
    claire = person("claire")
    rid = _ask(person("alice"), "nora")
    page = _click(claire, "approve", rid)
    assert "Approved and applied" in page.inner_text("#gov-outcome")
    assert not _serious_violations(page)
    claire.shot("notification-approved")
    page.click("text=Open the request in Governance")
    page.wait_for_selector("#gov-main h2")
    assert f"/embedded/governance/main/requests/{rid}" in page.url
    assert "applied" in page.inner_text("#gov-main")
    assert "nora" in demo.standin.groups["gt-communication-membres"]


def test_reject_in_a_notification_asks_the_reason_then_rejects_in_french(person: Any, demo: Any) -> None:
    claire = person("claire", "fr")  # logged in first: her notification is written in French
    rid = _ask(person("alice"), "hugo")
    page = _click(claire, "reject", rid)
    assert page.get_attribute("html", "lang") == "fr"
    assert "Pourquoi refusez-vous cette demande" in page.inner_text("form")
    assert not _serious_violations(page)
    claire.shot("notification-reject-form")
    page.fill("#reject-reason", "Hugo rejoint un autre groupe")
    page.click("form button[type=submit]")
    page.wait_for_selector("#gov-outcome")
    assert "Refusée ; la personne qui l'a demandée a été prévenue." in page.inner_text("#gov-outcome")
    assert "hugo" not in demo.standin.groups.get("gt-communication-membres", set())
