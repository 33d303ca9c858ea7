"""End dates: access is removed when it ends (time injected, not slept), facilitators warned 7 days before."""

from __future__ import annotations

from datetime import date, timedelta

from ex_app.demo import demo_org
from lib.services.expiry import run_expiry
from tests.conftest import RunningApp


def _ready(running: RunningApp, today: date) -> None:
    running.gov.today = lambda: today
    running.seed(demo_org(today))  # emma's access to communication ends on today + 5
    for uid in ("ines", "hugo", "lucas", "yann", "paul"):
        running.standin.add_user(uid, uid.title())
    _plan, result = running.run(running.gov.sync.apply("system"))
    assert result.ok, result.error
    assert "emma" in running.standin.groups["gt-communication-membres"]


def test_facilitators_are_warned_once_seven_days_before_access_ends(running: RunningApp) -> None:
    today = date(2026, 11, 23)
    _ready(running, today)
    first = running.run(run_expiry(running.gov.requests, today))
    assert [m.user for m in first.warned] == ["emma"]
    alice = [n for n in running.standin.notifications if n.user == "alice"]
    assert len(alice) == 1 and "renew=emma" in str(alice[0].subject_params)
    again = running.run(run_expiry(running.gov.requests, today))
    assert again.warned == []
    assert len([n for n in running.standin.notifications if n.user == "alice"]) == 1


def test_access_is_removed_in_nextcloud_the_day_after_it_ends(running: RunningApp) -> None:
    today = date(2026, 11, 23)
    _ready(running, today)
    on_last_day = running.run(run_expiry(running.gov.requests, today + timedelta(days=5)))
    assert on_last_day.removed == []
    assert "emma" in running.standin.groups["gt-communication-membres"]
    after = running.run(run_expiry(running.gov.requests, today + timedelta(days=6)))
    assert [m.user for m in after.removed] == ["emma"] and after.error == ""
    assert "emma" not in running.standin.groups["gt-communication-membres"]
    assert "emma" in running.standin.groups["gt-education-animateurs"]  # her other group stays
    assert any(e.action == "membership.expired" for e in running.gov.audit.entries())
