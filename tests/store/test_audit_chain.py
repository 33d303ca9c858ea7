"""The audit chain check the log remembers: new entries are hashed once, a full check re-reads all.

A tampered entry the cached check already trusted is only found by the full check, which is why
the page says when the whole chain was last read.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, inspect, update

from lib.store.audit_repo import AuditFilter, SqlAuditLog
from lib.store.db import make_engine, migrate
from lib.store.tables import audit_log


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = make_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit(engine: Engine, clock: Clock) -> SqlAuditLog:
    return SqlAuditLog(engine, clock=clock)


def append(audit: SqlAuditLog, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        audit.append("claire", "request.approved", f"request:{i}", {"n": i})


def tamper(engine: Engine, seq: int, actor: str = "mallory") -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(actor=actor))


def test_the_first_check_reads_the_whole_chain_and_says_when(audit: SqlAuditLog) -> None:
    append(audit, 3)
    check = audit.chain_status()
    assert check.ok and check.checked == 3 and check.since_whole == 0
    assert check.whole_checked_at == "2026-03-02T09:00:00+00:00"


def test_entries_appended_after_the_last_check_are_verified_and_counted(
    audit: SqlAuditLog, clock: Clock
) -> None:
    append(audit, 3)
    audit.chain_status()
    clock.now += timedelta(hours=1)
    append(audit, 2, start=3)
    check = audit.chain_status()
    assert check.ok and check.checked == 5 and check.since_whole == 2
    assert check.whole_checked_at == "2026-03-02T09:00:00+00:00"  # the whole chain was not re-read


def test_a_tampered_entry_appended_after_the_last_check_is_caught(audit: SqlAuditLog, engine: Engine) -> None:
    append(audit, 3)
    audit.chain_status()
    append(audit, 2, start=3)
    tamper(engine, 5)
    check = audit.chain_status()
    assert not check.ok and check.first_broken_seq == 5 and check.checked == 4


def test_an_empty_log_is_checked_from_its_first_entry_once_it_has_one(
    audit: SqlAuditLog, engine: Engine
) -> None:
    assert audit.chain_status().ok and audit.chain_status().checked == 0
    append(audit, 2)
    tamper(engine, 1)
    check = audit.chain_status()
    assert not check.ok and check.first_broken_seq == 1


def test_tampering_an_entry_already_verified_is_caught_by_the_full_check(
    audit: SqlAuditLog, engine: Engine, clock: Clock
) -> None:
    append(audit, 5)
    audit.chain_status()
    tamper(engine, 2)
    trusted = audit.chain_status()
    assert trusted.ok and trusted.whole_checked_at == "2026-03-02T09:00:00+00:00"  # it says how old
    clock.now += timedelta(hours=6)
    full = audit.chain_status(full=True)
    assert not full.ok and full.first_broken_seq == 2 and full.checked == 1
    assert full.whole_checked_at == "2026-03-02T15:00:00+00:00"


def test_the_last_entry_found_sound_is_read_again_at_each_check(audit: SqlAuditLog, engine: Engine) -> None:
    append(audit, 4)
    audit.chain_status()
    tamper(engine, 4)
    check = audit.chain_status()
    assert not check.ok and check.first_broken_seq == 4 and check.reason == "changed after it was checked"


def test_removing_the_newest_entries_is_caught(audit: SqlAuditLog, engine: Engine) -> None:
    append(audit, 4)
    audit.chain_status()
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq >= 3))
    check = audit.chain_status()
    assert not check.ok and check.first_broken_seq == 4 and check.reason == "removed after it was checked"


def test_a_broken_chain_stays_reported_broken_until_a_full_check(audit: SqlAuditLog, engine: Engine) -> None:
    append(audit, 3)
    tamper(engine, 2)
    assert audit.chain_status().first_broken_seq == 2
    append(audit, 3, start=3)  # sound entries after the break do not mend it
    again = audit.chain_status()
    assert not again.ok and again.first_broken_seq == 2
    tamper(engine, 2, actor="claire")  # put back as it was written
    assert not audit.chain_status().ok
    mended = audit.verify_whole_chain()
    assert mended.ok and mended.checked == 6
    assert audit.chain_status().ok


def test_a_full_check_keeps_counting_from_where_it_stopped(audit: SqlAuditLog, clock: Clock) -> None:
    append(audit, 2)
    audit.verify_whole_chain()
    clock.now += timedelta(minutes=5)
    append(audit, 1, start=2)
    check = audit.chain_status()
    assert check.ok and check.checked == 3 and check.since_whole == 1


def test_checks_from_several_threads_agree_with_a_full_check(audit: SqlAuditLog) -> None:
    append(audit, 20)

    def work(i: int) -> bool:
        audit.append("claire", "request.approved", f"thread:{i}", {})
        return audit.chain_status(full=i % 5 == 0).ok

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(40)))
    final = audit.chain_status()
    assert final.ok and final.checked == 60
    assert audit.verify_whole_chain().checked == 60


def test_each_log_instance_keeps_its_own_check(engine: Engine, audit: SqlAuditLog) -> None:
    append(audit, 3)
    audit.chain_status()
    tamper(engine, 1)
    assert audit.chain_status().ok  # trusted from this instance's earlier check
    assert not SqlAuditLog(engine).chain_status().ok  # another process starts with a full check


def test_the_audit_time_is_indexed_for_the_date_filters(engine: Engine) -> None:
    assert "ix_audit_at" in {ix["name"] for ix in inspect(engine).get_indexes("audit_log")}


def test_a_page_past_the_last_is_empty_but_still_counts(audit: SqlAuditLog) -> None:
    append(audit, 3)
    entries, total = audit.page(AuditFilter(), offset=50, limit=50)
    assert entries == [] and total == 3
    entries, total = audit.page(AuditFilter(since="2026-03-02", until="2026-03-02"), offset=0, limit=2)
    assert [e.seq for e in entries] == [3, 2] and total == 3
    assert audit.page(AuditFilter(until="2026-03-01"))[1] == 0


def newest(audit: SqlAuditLog):  # type: ignore[no-untyped-def]
    entries, _total = audit.page(AuditFilter(), limit=1)
    return entries[0]


def test_the_audit_pages_newest_entry_spares_the_chain_its_query_when_nothing_was_added(
    audit: SqlAuditLog, engine: Engine
) -> None:
    from sqlalchemy import event

    append(audit, 3)
    assert audit.chain_status().ok
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    shown = newest(audit)
    asked = len(queries)
    assert audit.chain_status(newest=shown).checked == 3 and len(queries) == asked
    append(audit, 2, start=3)
    check = audit.chain_status(newest=newest(audit))  # two more: read and hashed
    assert check.ok and check.checked == 5


def test_the_newest_entry_shown_edited_since_it_was_checked_breaks_the_chain(
    audit: SqlAuditLog, engine: Engine
) -> None:
    append(audit, 3)
    assert audit.chain_status().ok
    tamper(engine, 3)
    check = audit.chain_status(newest=newest(audit))
    assert not check.ok and check.first_broken_seq == 3 and check.reason == "changed after it was checked"


def test_two_processes_appending_at_once_keep_one_unbroken_chain(engine: Engine) -> None:
    """Two logs on one database stand for two workers: they race for each next seq and retry."""
    logs = [SqlAuditLog(engine), SqlAuditLog(engine)]

    def work(i: int) -> None:
        logs[i % 2].append("claire", "request.approved", f"worker:{i}", {})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(60)))
    check = SqlAuditLog(engine).verify_whole_chain()
    assert check.ok and check.checked == 60
