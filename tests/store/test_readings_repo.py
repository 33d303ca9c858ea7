"""The last reading of Nextcloud in the database: every worker shows the same one, one reads for all."""

from __future__ import annotations

import asyncio
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ex_app.main import build
from lib.core.changes import AddMember
from lib.core.model import Membership, Organisation, Role, WorkingGroup
from lib.core.ports import Reading, Scope
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState
from lib.services.background import _read
from lib.services.governance import Governance
from lib.services.readings import Readings
from lib.settings import Settings
from lib.store.db import make_engine, migrate
from lib.store.journal import SqlJournal
from lib.store.readings_repo import SqlReadings, state_data, state_from
from tests.fakes import FakeGateway

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SCOPE = Scope.of(["Communication"], {"Communication": {"Interne"}}, ["gt-com"])


def every_field_set() -> NextcloudState:
    folder = FolderState(
        mount_point="Communication",
        groups={"gt-com": 15, "gt-com-animateurs": 31},
        acl=True,
        managers={AclManager("group", "gt-com-animateurs"), AclManager("user", "alice")},
        rules={"Interne": {AclRule("group", "gt-com", 10, 0), AclRule("user", "bob", 1, 1)}},
        folder_id=7,
        rules_readable=False,
        rules_problem="read_failed",
        rules_reader="alice",
        mounted_for_app=True,
        owners=frozenset({"gt-com"}),
    )
    return NextcloudState(
        groups={"gt-com": {"alice", "bob"}, "gt-empty": set()},
        folders={"Communication": folder},
        users={"alice", "bob"},
        display_names={"gt-com": "Communication"},
        app_group="governance-admins",
        app_account="admin",
    )


def test_a_state_comes_back_from_its_stored_form_unchanged() -> None:
    state = every_field_set()
    assert state_from(state_data(state)) == state
    # a field added to the state without being stored would be lost silently
    assert set(state_data(state)) == {f.name for f in fields(NextcloudState)}
    stored_folder = state_data(state)["folders"]["Communication"]
    assert set(stored_folder) == {f.name for f in fields(FolderState)}


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    e = make_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


def test_an_older_reading_never_replaces_a_newer_one(engine) -> None:  # type: ignore[no-untyped-def]
    store = SqlReadings(engine)
    newer = Reading(every_field_set(), SCOPE, T0)

    assert store.save(newer)
    assert not store.save(Reading(NextcloudState(), SCOPE, T0 - timedelta(seconds=5)))

    assert store.read_at() == T0
    assert store.load() == newer
    store.clear()
    assert store.read_at() is None and store.load() is None


def test_every_worker_shows_the_reading_another_worker_kept(engine) -> None:  # type: ignore[no-untyped-def]
    one, other = Readings(store=SqlReadings(engine)), Readings(store=SqlReadings(engine))
    assert other.last is None

    one.keep(every_field_set(), SCOPE, T0)

    assert other.last is not None
    assert (other.last.actual, other.last.scope, other.last.read_at) == (every_field_set(), SCOPE, T0)
    one.forget()  # Nextcloud half-changed: nobody shows the old reading
    assert other.last is None


def test_a_started_change_is_known_after_its_process_died(engine) -> None:  # type: ignore[no-untyped-def]
    changes = [AddMember("gt-com", "alice"), AddMember("gt-com", "bob"), AddMember("gt-com", "carol")]
    journal = SqlJournal(engine)
    journal.begin("r1", changes, "op", None)
    assert journal.claim("r1")
    journal.mark_running("r1", changes[0])
    journal.mark_done("r1", changes[0], "ok")
    journal.mark_running("r1", changes[1])  # the process dies during this call

    assert SqlJournal(engine).started("r1") == {changes[1].key}


ORG = Organisation(
    name="Coop",
    working_groups=(WorkingGroup("com", "Communication"),),
    memberships=(Membership("com", "alice", Role.CONTRIBUTOR),),
)


def worker(tmp_path: Path, gateway: FakeGateway) -> Governance:
    settings = Settings(
        app_secret="s" * 40,
        nextcloud_url="http://nextcloud.invalid",
        app_persistent_storage=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gov.sqlite3'}",
        governance_admin_user="admin",
    )
    gov = build(settings, lambda s: gateway)  # type: ignore[arg-type,return-value]
    gov.migrate()
    return gov


def test_four_workers_read_nextcloud_once_per_interval_and_show_the_same_reading(tmp_path: Path) -> None:
    gateway = FakeGateway(NextcloudState(), {"alice": "Alice", "admin": "Admin"})
    workers = [worker(tmp_path, gateway) for _ in range(4)]
    workers[0].orgs.save(ORG)
    interval = timedelta(seconds=workers[0].settings.governance_read_interval)

    async def intervals(count: int) -> list[list[bool]]:
        return [
            list(await asyncio.gather(*(_read(w.requests, now=T0 + k * interval) for w in workers)))
            for k in range(count)
        ]

    read = asyncio.run(intervals(3))

    assert [sum(each) for each in read] == [1, 1, 1]  # one reading per interval for the deployment
    assert gateway.calls.count("read_state") == 3
    assert len({w.sync.readings.last.read_at for w in workers if w.sync.readings.last}) == 1
    assert all(w.sync.last_view() is not None for w in workers)  # every worker's pages show it
