"""A new organisation or reading is moved out of the collector's sight (lib/services/heap.py)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from lib.core.state import NextcloudState
from lib.services.readings import Readings, Scope


def test_keeping_a_reading_freezes_it_so_full_collections_skip_it() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    readings = Readings()
    state = NextcloudState(groups={f"g{i}": frozenset({"u"}) for i in range(1000)})
    readings.keep(state, Scope.of([], {}, []), datetime(2026, 1, 1, tzinfo=UTC))
    assert gc.get_freeze_count() > 1000  # the reading, and what the process held besides
