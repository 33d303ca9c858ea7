"""End dates: which memberships are past, which end soon, and the organisation without them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from .model import Membership, Organisation


def expired_memberships(org: Organisation, today: date) -> list[Membership]:
    """Memberships whose last day is before ``today``."""
    return [m for m in org.memberships if m.until is not None and m.until < today]


def expiring_soon(org: Organisation, today: date, days: int = 7) -> list[Membership]:
    """Memberships still valid whose last day falls within ``days`` from ``today`` (to warn people)."""
    horizon = today + timedelta(days=days)
    return [m for m in org.memberships if m.until is not None and today <= m.until <= horizon]


def org_without(org: Organisation, memberships: Iterable[Membership]) -> Organisation:
    gone = set(memberships)
    return replace(org, memberships=tuple(m for m in org.memberships if m not in gone))
