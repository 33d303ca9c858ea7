"""Values derived from immutable objects, kept until those objects change.

The organisation repository hands out the same frozen ``Organisation`` until its version changes
(lib/store/org_repo.py), and a reading of Nextcloud is never modified: so the *identity* of such
objects says whether what was derived from them still holds, with no hashing of 20,000 memberships.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    """The last ``size`` values built, each for some objects (by identity) and plain values (by equality)."""

    def __init__(self, size: int = 1) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[Hashable, ...], tuple[tuple[object, ...], T]] = OrderedDict()
        self._lock = threading.Lock()  # asked from the event loop and from worker threads

    def get(self, objects: tuple[object, ...], values: tuple[Hashable, ...], build: Callable[[], T]) -> T:
        key = (*map(id, objects), *values)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and all(a is b for a, b in zip(kept[0], objects, strict=True)):
                self._kept.move_to_end(key)
                return kept[1]
        value = build()  # not under the lock: two callers may both build it, one is kept
        with self._lock:
            self._kept[key] = (objects, value)  # holding the objects keeps their ids from being reused
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return value
