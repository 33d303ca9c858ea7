"""One unit of work: several repository writes committed in one database transaction, or none.

An approval changes the request, the organisation, the journal of Nextcloud operations and the
audit log. Each repository opens a transaction of its own when called alone; inside
``unit_of_work(engine)`` they all join the unit's transaction instead, so a failure anywhere
(an optimistic check, a crash, a bug) stores nothing of it::

    from lib.store.unit import unit_of_work

    with unit_of_work(gov.engine):                        # SQLite: BEGIN IMMEDIATE
        requests.save(decided, read_version=old.version)  # ConcurrentUpdate -> nothing stored
        orgs.save(org, expected_version=version)          # StaleOrganisation -> nothing stored
        journal.begin(run_id, plan.changes, actor, decided.id)  # the run, every change "pending"
        audit.append(actor, "request.approved", f"request:{decided.id}", detail)
    # committed here; now the Nextcloud calls, each journal step in its own short transaction:
    await apply_plan(plan.changes, gateway, journal, audit, actor=actor, run_id=run_id)

Rules a caller keeps:

- No Nextcloud call (no ``await`` on the network) inside a unit: on SQLite it holds the write lock.
- The unit belongs to the calling context (a ContextVar): the same thread or asyncio task. A plain
  thread started inside it does not see it; ``asyncio.to_thread`` and a task created inside it
  copy the context and do (one at a time, not while the unit's own code also uses it). Once the
  unit has ended, such a copy writes on its own again.
- Repositories join a unit on the same database pool: build them on the unit's engine (one engine
  per process). On SQLite a write on another engine to the same file would wait for the unit.
- ``unit.after_commit(fn)`` runs ``fn`` once the outermost unit has committed, never on rollback
  (e.g. forget a reading of Nextcloud, send what must not be sent for a decision that failed).
- Inside a unit, requests and journal reads see the unit's own writes; ``OrgRepository.load`` and
  ``version`` see an organisation saved in it. Audit entries appended in it are written just before
  the commit (see ``before_commit``), so reads of the audit log do not see them until then.
- A unit opened inside another on the same engine is a savepoint: if it raises, its writes (and
  the audit entries it appended) are undone and the outer unit may go on.

Why the audit entries are written last: appending takes the chain-head lock (PostgreSQL advisory
lock, lib/store/audit_repo.py). Taken last, after every row lock of the unit, two units can never
wait on each other in a cycle (a unit holding the chain head takes no further lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine


class Unit:
    """The transaction in progress and what its repositories leave to do before it commits."""

    def __init__(self, engine: Engine, conn: Connection, parent: Unit | None = None) -> None:
        self.engine = engine
        self.conn = conn
        self.parent = parent
        self.open = True
        self._before_commit: list[Callable[[Connection], None]] = []
        self._after_commit: list[Callable[[], None]] = []
        self.saved: dict[str, Any] = {}  # what a repository wrote and reads back (OrgRepository)

    def before_commit(self, step: Callable[[Connection], None]) -> None:
        """Run ``step`` on the unit's connection just before the outermost commit, in order."""
        self._before_commit.append(step)

    def after_commit(self, step: Callable[[], None]) -> None:
        """Run ``step`` once the outermost unit has committed (e.g. fill a cache); never on rollback."""
        self._after_commit.append(step)

    def find(self, key: str) -> Any:
        """What this unit or an enclosing one saved under ``key`` (None: nothing)."""
        unit: Unit | None = self
        while unit is not None:
            if key in unit.saved:
                return unit.saved[key]
            unit = unit.parent
        return None

    def _hand_up(self, parent: Unit) -> None:
        parent._before_commit.extend(self._before_commit)
        parent._after_commit.extend(self._after_commit)
        parent.saved.update(self.saved)


_current: ContextVar[Unit | None] = ContextVar("store_unit", default=None)


def current_unit(engine: Engine) -> Unit | None:
    """The unit of work open in this context on ``engine``'s database (its pool), if any."""
    unit = _current.get()
    if unit is None or not unit.open or unit.engine.pool is not engine.pool:
        return None
    return unit


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Unit]:
    """One transaction for every repository write made in the block: commit at the end, or none.

    SQLite: ``BEGIN IMMEDIATE``, so units of several threads or processes take turns from the
    start (a deferred transaction that reads then writes may fail instead of waiting). PostgreSQL:
    an ordinary READ COMMITTED transaction; conflicting rows and the audit chain head are locked
    as they are written. Inside another unit on the same engine: a savepoint.
    """
    outer = current_unit(engine)
    if outer is not None:
        with _savepoint(outer) as unit:
            yield unit
        return
    with engine.connect() as conn:
        with conn.begin():
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            unit = Unit(engine, conn)
            token = _current.set(unit)
            try:
                yield unit
                for step in unit._before_commit:
                    step(conn)
            finally:
                unit.open = False
                _current.reset(token)
    for done in unit._after_commit:
        done()


@contextmanager
def _savepoint(outer: Unit) -> Iterator[Unit]:
    unit = Unit(outer.engine, outer.conn, parent=outer)
    token = _current.set(unit)
    try:
        with outer.conn.begin_nested():
            yield unit
        unit._hand_up(outer)
    finally:
        unit.open = False
        _current.reset(token)


@contextmanager
def writing(engine: Engine, reads_first: bool = False) -> Iterator[Connection]:
    """The connection a repository writes with: the open unit's, else a transaction of its own
    (``engine.begin()``, as when the repository is called alone).

    ``reads_first``: the write depends on what it reads first (a version check). On SQLite the
    driver starts a transaction only at the first INSERT/UPDATE/DELETE, so such a read would run
    outside it, unlocked; a transaction of its own then starts with ``BEGIN IMMEDIATE`` instead.
    """
    unit = current_unit(engine)
    if unit is not None:
        yield unit.conn
        return
    if reads_first and engine.dialect.name == "sqlite":
        with unit_of_work(engine) as own:
            yield own.conn
        return
    with engine.begin() as conn:
        yield conn


@contextmanager
def reading(engine: Engine, reads: Engine) -> Iterator[Connection]:
    """The connection a repository reads with: the open unit's (it sees the unit's own writes),
    else one from ``reads`` (lib/store/db.reader: one statement, autocommit)."""
    unit = current_unit(engine)
    if unit is not None:
        yield unit.conn
        return
    with reads.connect() as conn:
        yield conn


def guard(engine: Engine, conn: Connection) -> AbstractContextManager[Any]:
    """Around a statement whose failure the repository expects and handles (an IntegrityError):
    inside a unit, a savepoint, so that on PostgreSQL the unit's transaction stays usable after
    it; alone, nothing (the repository's own transaction ends with the error anyway)."""
    return conn.begin_nested() if current_unit(engine) is not None else nullcontext()
