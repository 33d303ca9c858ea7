"""The last reading of Nextcloud: which one is kept, and how many reads run at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from lib.core.ports import Scope
from lib.core.state import NextcloudState
from lib.services.readings import RETRY_AFTER, Readings

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_reading_covers_a_smaller_scope_but_not_a_new_folder() -> None:
    read = Scope.of(["A", "B"], {"A": ["Interne"]}, ["gt-a-membres"])
    assert read.covers(Scope.of(["A"], {"A": ["Interne"]}, ["gt-a-membres"]))
    assert not read.covers(Scope.of(["A", "C"], {}, []))
    assert not read.covers(Scope.of(["A"], {"A": ["Compta"]}, []))
    assert not read.covers(Scope.of(["A"], {}, ["gt-new-membres"]))


def test_a_slow_read_does_not_replace_a_newer_one() -> None:
    readings = Readings(clock=lambda: T0)
    scope = Scope.of([], {}, [])
    newer = NextcloudState(groups={"g": {"after-apply"}})
    readings.keep(newer, scope, T0)
    readings.keep(NextcloudState(groups={"g": set()}), scope, T0 - timedelta(seconds=5))  # started before
    assert readings.last is not None and readings.last.actual is newer


async def test_many_viewers_start_one_read() -> None:
    readings, calls = Readings(), []

    async def read() -> None:
        calls.append(1)
        await asyncio.sleep(0.01)

    for _ in range(5):
        readings.refresh_soon(read)
    assert readings.refreshing
    await readings.wait()
    assert calls == [1] and not readings.refreshing


async def test_after_a_failed_read_pages_wait_before_reading_again_unless_asked() -> None:
    now = [T0]
    readings, calls = Readings(clock=lambda: now[0]), []

    async def broken() -> None:
        calls.append(1)
        raise RuntimeError("Nextcloud answered 503")

    readings.refresh_soon(broken)
    await readings.wait()
    assert readings.error == "Nextcloud answered 503"
    readings.refresh_soon(broken)  # a page polling
    await readings.wait()
    assert len(calls) == 1
    readings.refresh_soon(broken, force=True)  # someone clicked "Read Nextcloud again"
    await readings.wait()
    now[0] += RETRY_AFTER
    readings.refresh_soon(broken)
    await readings.wait()
    assert len(calls) == 3
