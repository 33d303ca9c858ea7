"""A facilitator renews someone's access from the expiry notification (issue 15).

The notification's "Request a renewal" link opens the group page with the renewal form for that
person; sending it makes a request that changes the end date only, once the operations team approves.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from lib.core.request_kinds import RequestKind
from lib.services.expiry import run_expiry

pytestmark = pytest.mark.browser

NOTIFICATIONS = "/index.php/apps/notifications-ui"


def test_renewal_from_the_expiry_notification_changes_the_end_date(person: Any, demo: Any) -> None:
    demo.server.run(run_expiry(demo.gov.requests, date.today()))  # emma's access ends within a week
    alice = person("alice")
    page = alice.page
    page.goto(demo.standin.url + NOTIFICATIONS)
    page.click("a:has-text('Request a renewal')")
    page.wait_for_selector("#renew-title")
    assert "renew=emma" in page.url
    later = date.today() + timedelta(days=90)
    page.fill("#renew-until", later.isoformat())
    page.fill("#renew-justification", "Emma keeps the newsletter going")
    page.click("section[aria-labelledby=renew-title] button[type=submit]")
    page.wait_for_selector("text=Request sent to the operations team.")
    alice.shot("renewal-sent")
    req = next(r for r in demo.gov.requests.repo.by_requester("alice") if r.kind is RequestKind.RENEW)

    claire = person("claire")
    decide = claire.open(f"/requests/{req.id}")
    decide.click("text=Approve and apply")
    decide.wait_for_selector("text=Done.")
    until = {m.until for m in demo.gov.org().members_of("communication") if m.user == "emma"}
    assert until == {later}
