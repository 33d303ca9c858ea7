"""The statistics page's figures, from plain values (lib/core/figures.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lib.core.figures import counts_page, member_counts, org_figures, request_stats
from lib.core.model import Membership, Organisation, Role, WorkingGroup

TODAY = date(2026, 3, 2)
ORG = Organisation(
    "Coop",
    working_groups=(WorkingGroup("a", "A"), WorkingGroup("gone", "Gone", archived=True)),
    memberships=(
        Membership("a", "yann", Role.FACILITATOR),
        Membership("a", "yann", Role.CONTRIBUTOR),  # one person, two roles
        Membership("a", "ines", Role.READER, until=TODAY),  # last day: still in
        Membership("a", "hugo", Role.READER, until=date(2026, 3, 1)),  # ended
        Membership("a", "lea", Role.READER, until=date(2026, 3, 20)),
        Membership("gone", "yann", Role.CONTRIBUTOR),
        Membership("members", "yann"),
        Membership("members", "hugo", until=date(2026, 3, 1)),
    ),
)


def test_member_counts_leave_out_ended_access_and_archived_groups() -> None:
    rows = {r["slug"]: r for r in member_counts(ORG, TODAY)}
    assert set(rows) == {"a", "board", "operations", "members", "all"}
    assert rows["a"]["total"] == 3 and rows["a"]["roles"] == {"facilitator": 1, "contributor": 1, "reader": 2}
    assert rows["members"]["total"] == 1 and rows["board"]["total"] == 0


def test_access_ending_soon_is_listed_soonest_first_and_ended_access_is_not() -> None:
    soon = org_figures(ORG, TODAY).soon
    assert [(m.user, m.until) for m in soon] == [("ines", TODAY), ("lea", date(2026, 3, 20))]


def test_the_counts_are_searched_by_name_or_slug_without_the_organisation_wide_groups() -> None:
    counts = member_counts(ORG, TODAY)
    assert [c["slug"] for c in counts_page(counts, "", 1).items] == ["a"]
    assert not counts_page(counts, "members", 1).items  # an organisation-wide group has its own table


def test_requests_per_month_and_the_median_wait_count_decided_requests_only() -> None:
    at = datetime(2026, 2, 10, 9)
    rows = [
        ("add_member", "applied", at, at + timedelta(hours=2)),
        ("add_member", "rejected", at, at + timedelta(hours=4)),
        ("add_member", "pending", datetime(2026, 3, 1), datetime(2026, 3, 30)),  # not decided: no wait
    ]
    months, median = request_stats(rows)
    assert months == [("2026-03", 1), ("2026-02", 2)]
    assert median == timedelta(hours=3)
    assert request_stats([]) == ([], None)
