"""A facilitator renews someone's access from the expiry notification (issue 15), in English and French.

The notification's "Request a renewal" link opens the group page with the renewal form for that
person; sending it makes a request that changes the end date only, once the operations team approves.
Each language has a demo of its own: the renewal moves emma's end date, the one the notice is about.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ex_app.dev import Demo, start_demo
from lib.core.request_kinds import RequestKind
from lib.services.expiry import run_expiry

from .language import day, english_in

pytestmark = pytest.mark.browser

NOTIFICATIONS = "/index.php/apps/notifications-ui"
WORDS = {
    "en": {
        "notice": "The access of Emma Fontaine to Communication ends on {soon}.",
        "link": "Request a renewal",
        "form": "Change the end of access of Emma Fontaine",
        "ends": "Access ends on {soon}.",
        "why": "Emma keeps the newsletter going",
        "sent": "Request sent to the operations team.",
        "asked": "Emma Fontaine (until {later})",
        "approve": "Approve and apply",
        "done": "Done.",
        "told": "Your request #{{id}} was approved and applied",
    },
    "fr": {
        "notice": "Emma Fontaine : l’accès à Communication prend fin le {soon}.",
        "link": "Demander une prolongation",
        "form": "Changer la fin d'accès de Emma Fontaine",
        "ends": "L'accès se termine le {soon}.",
        "why": "Emma continue la lettre d'information",
        "sent": "Demande envoyée à l'équipe opérationnelle.",
        "asked": "Emma Fontaine (jusqu'au {later})",
        "approve": "Valider et appliquer",
        "done": "C'est fait.",
        "told": "Votre demande #{{id}} a été approuvée et appliquée",
    },
}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    with ThreadPoolExecutor(1) as pool:  # as tests/browser/conftest.py, but one demo per test
        d = pool.submit(asyncio.run, start_demo(storage=tmp_path)).result(timeout=120)
    yield d
    d.stop()


def _notices(who: Any) -> str:
    who.page.goto(who.demo.standin.url + NOTIFICATIONS)
    return " ".join(who.page.inner_text("body").split())


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_renewal_from_the_expiry_notification_changes_the_end_date(person: Any, demo: Any, lang: str) -> None:
    alice, claire = person("alice", lang), person("claire", lang)  # logged in: notices come in their language
    soon = next(m.until for m in demo.gov.org().members_of("communication") if m.user == "emma")
    later = date.today() + timedelta(days=90)
    words = {k: v.format(soon=day(soon, lang), later=day(later, lang)) for k, v in WORDS[lang].items()}
    demo.server.run(run_expiry(demo.gov.requests, date.today()))  # emma's access ends within a week

    assert words["notice"] in _notices(alice)
    page = alice.page
    page.click(f"a:has-text('{words['link']}')")
    page.wait_for_selector("#renew-title")
    assert "renew=emma" in page.url
    form = page.inner_text("section[aria-labelledby=renew-title]")
    assert words["form"] in form and words["ends"] in form
    assert not (lang == "fr" and english_in(form)), form
    page.fill("#renew-until", later.isoformat())
    page.fill("#renew-justification", words["why"])
    page.click("section[aria-labelledby=renew-title] button[type=submit]")
    page.wait_for_selector(f"text={words['sent']}")
    assert words["asked"] in page.inner_text("#gov-main")
    alice.shot("renewal-sent")
    req = next(r for r in demo.gov.requests.repo.by_requester("alice") if r.kind is RequestKind.RENEW)

    decide = claire.open(f"/requests/{req.id}")
    shown = decide.inner_text("#gov-main")
    assert words["asked"] in shown
    assert not (lang == "fr" and english_in(shown)), shown
    decide.click(f"button:has-text('{words['approve']}')")
    decide.wait_for_selector(f"text={words['done']}")
    until = {m.until for m in demo.gov.org().members_of("communication") if m.user == "emma"}
    assert until == {later}

    members = alice.open("/groups/communication").locator("tr", has_text="Emma Fontaine").inner_text()
    assert day(later, lang) in members and day(soon, lang) not in members
    assert not (lang == "fr" and english_in(members)), members
    assert words["told"].format(id=req.id) in _notices(alice)
