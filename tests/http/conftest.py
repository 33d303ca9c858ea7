"""Fixtures shared by the HTTP tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ex_app.demo import demo_org
from lib.core.model import Membership, Role, WorkingGroup
from tests.conftest import RunningApp

EXTRA = 56  # with the 4 demo groups: 60 groups


@pytest.fixture
def many_groups(running: RunningApp) -> RunningApp:
    """The demo organisation and 56 workshops, each run by a facilitator with a Nextcloud account."""
    org = demo_org(date.today())
    workshops = tuple(
        WorkingGroup(f"atelier-{i:02d}", f"Atelier {i:02d}", f"Rencontre numéro {i:02d}")
        for i in range(EXTRA)
    )
    hosts = tuple(Membership(f"atelier-{i:02d}", f"host{i:02d}", Role.FACILITATOR) for i in range(EXTRA))
    for uid in ("yann", "ines", "hugo", "lucas", "paul"):
        running.standin.add_user(uid, uid.title())
    for i in range(EXTRA):
        running.standin.add_user(f"host{i:02d}", f"Host Number {i:02d}")
    running.standin.add_user("gaspard", "Gaspard Lemoine")
    gaspard = Membership("atelier-37", "gaspard", Role.FACILITATOR)
    running.seed(
        replace(
            org,
            working_groups=org.working_groups + workshops,
            memberships=org.memberships + hosts + (gaspard,),
        )
    )
    return running
