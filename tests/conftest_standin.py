"""Fixtures and helpers for tests against the Nextcloud stand-in (tests/conftest.py is the lead's).

Usage in a test module: ``standin = conftest_standin.standin`` (and ``gateway``) makes the fixtures
available there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from lib.core.changes import (
    AddMember,
    AttachGroup,
    Change,
    CreateFolder,
    CreateGroup,
    SetAcl,
    SetAclManager,
    SetAclRules,
    SetGroupPermissions,
)
from lib.core.state import AclRule
from lib.nextcloud.client import AppAPIClient
from lib.nextcloud.gateway import NextcloudGateway
from tests.standin import StandIn

SECRET = "standin-secret"
ADMIN = "admin"
PEOPLE = ("alice", "bob", "carol", "dave")
MOUNT = "Communication"


def managed(gid: str) -> bool:
    """The app's groups in these tests."""
    return gid.startswith("gt-")


@pytest.fixture
def standin() -> Iterator[StandIn]:
    s = StandIn(app_secret=SECRET)
    s.add_user(ADMIN, admin=True)
    for uid in PEOPLE:
        s.add_user(uid, display_name=uid.title(), email=f"{uid}@example.org")
    s.start()
    yield s
    s.stop()


def make_client(s: StandIn, **kwargs: Any) -> AppAPIClient:
    """A client with fast retries: 4 attempts, milliseconds apart."""
    options: dict[str, Any] = {"attempts": 4, "backoff": 0.001, "max_backoff": 0.005, "timeout": 5.0}
    return AppAPIClient(
        s.url, app_id="governance", app_version="1.0.0", app_secret=SECRET, **(options | kwargs)
    )


@pytest.fixture
async def gateway(standin: StandIn) -> AsyncIterator[NextcloudGateway]:
    client = make_client(standin)
    yield NextcloudGateway(client, ADMIN, managed=managed)
    await client.aclose()


def sample_plan() -> list[Change]:
    """One of each granting change: groups, members, a folder with ACL, a manager, rules two levels deep.

    The admin is in ``gt-ops``, attached to the folder: the admin's WebDAV tree only shows folders
    mounted for the admin (NEXTCLOUD.md §5.4).
    """
    plan: list[Change] = [
        CreateGroup("gt-ops", "Operations"),
        CreateGroup("gt-com", "Communication"),
        AddMember("gt-ops", ADMIN),
        AddMember("gt-com", "alice"),
        AddMember("gt-com", "bob"),
        CreateFolder(MOUNT),
        SetAcl(MOUNT, True),
        AttachGroup(MOUNT, "gt-ops", 31),
        AttachGroup(MOUNT, "gt-com", 31),
        SetGroupPermissions(MOUNT, "gt-com", 15, previous=31),
        SetAclManager(MOUNT, "group", "gt-ops", True),
        SetAclRules(MOUNT, "Interne", (AclRule("group", "gt-com", 10, 0),)),
        SetAclRules(
            MOUNT, "Interne/Secret", (AclRule("group", "gt-com", 31, 0), AclRule("user", "alice", 1, 1))
        ),
    ]
    return sorted(plan, key=Change.sort_key)


def snapshot(s: StandIn) -> dict[str, Any]:
    """What a person would see in Nextcloud: groups, members, folders with groups, ACL, managers, rules."""
    folders = {
        f.mount_point: (
            dict(f.groups),
            f.acl,
            sorted(f.manage),
            len(f.manage),
            {p: sorted(r) for p, r in f.rules.items()},
        )
        for f in s.folders.values()
    }
    return {
        "groups": {g: sorted(m) for g, m in s.groups.items()},
        "names": dict(s.group_names),
        "folders": folders,
        "folder_count": len(s.folders),
    }
