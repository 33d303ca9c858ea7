"""How many database transactions a piece of work costs, for the bench and the tests.

An approval used to run about 22 transactions (issue 12); with a unit of work it should be one for
the decision plus one per change applied. Counting them from SQLAlchemy's connection events sees
every transaction on the engine, whichever repository or thread opened it::

    with count_transactions(gov.engine) as counted:
        await service.approve(...)
    print(counted.writes, counted.reads)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, event

# A transaction that ran only these is a read; SELECT ... FOR UPDATE/SHARE and the audit chain's
# advisory lock take locks for a write (lib/store/audit_repo.py).
_READ_VERBS = ("SELECT", "WITH", "PRAGMA", "SHOW", "SAVEPOINT", "RELEASE", "ROLLBACK TO")
_LOCKING = ("FOR UPDATE", "FOR SHARE", "FOR NO KEY UPDATE", "PG_ADVISORY")


def is_write(statement: str) -> bool:
    """Whether a statement writes or takes a write lock (``BEGIN IMMEDIATE`` does on SQLite)."""
    text = statement.lstrip().upper()
    if not text.startswith(_READ_VERBS):
        return True
    return any(lock in text for lock in _LOCKING)


@dataclass
class TransactionCount:
    """Transactions ended while counting.

    ``writes``: transactions that wrote or locked for writing, committed or not (``rolled_back``
    of them were rolled back). ``reads``: those that only read, including each use of an
    autocommit reader connection (lib/store/db.reader), where the database opens none of its own.
    A savepoint inside a transaction is part of it, not one more.
    """

    writes: int = 0
    reads: int = 0
    rolled_back: int = 0
    _open: dict[int, bool] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _begin(self, conn: Connection) -> None:
        with self._lock:
            self._open[id(conn)] = False

    def _statement(self, conn: Connection, statement: str) -> None:
        if is_write(statement):
            with self._lock:
                self._open[id(conn)] = True

    def _end(self, conn: Connection, committed: bool) -> None:
        with self._lock:
            wrote = self._open.pop(id(conn), None)
            if wrote is None:  # begun before counting started
                return
            if wrote:
                self.writes += 1
                self.rolled_back += not committed
            else:
                self.reads += 1


@contextmanager
def count_transactions(engine: Engine) -> Iterator[TransactionCount]:
    """Count the transactions begun and ended on ``engine`` (any thread) inside the block."""
    counted = TransactionCount()

    def begin(conn: Connection) -> None:
        counted._begin(conn)

    def statement(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        counted._statement(conn, statement)

    def commit(conn: Connection) -> None:
        counted._end(conn, committed=True)

    def rollback(conn: Connection) -> None:  # an autocommit connection "rolls back" nothing
        autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        counted._end(conn, committed=autocommit)

    listeners: list[tuple[str, Callable[..., Any]]] = [
        ("begin", begin),
        ("before_cursor_execute", statement),
        ("commit", commit),
        ("rollback", rollback),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield counted
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)
