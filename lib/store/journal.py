"""The apply journal in the database (implements lib.core.ports.Journal).

Liveness (issue 13): each run names the process applying it (``holder``, one id per journal, that
is per process) and when that process last said so (``heartbeat``: every journal step, and every
few seconds while a Nextcloud call runs, lib/services/apply.py). A run is taken over only by an
``UPDATE ... WHERE`` its holder is silent for ``stale_after`` seconds, so two processes never apply
one run at once, and a dead process's run is resumed within seconds, not after a 10-minute lease.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from lib.core.changes import Change, change_from_data
from lib.core.ports import RunTakenOver

from .db import reader
from .tables import journal_changes, journal_runs
from .unit import guard, reading, writing

STALE_AFTER = 15.0  # seconds of silence after which a run's holder counts as dead
FINISHED = ("done", "skipped")


def _now() -> datetime:
    return datetime.now(UTC)


class SqlJournal:
    """Every change is written before it runs and marked after: a restart resumes, never repeats."""

    def __init__(self, engine: Engine, stale_after: float = STALE_AFTER) -> None:
        self._engine = engine
        self._reads = reader(engine)  # single-statement reads
        self.holder = uuid.uuid4().hex  # this process
        self.stale_after = stale_after
        self._reserved: dict[str, list[Change]] = {}  # begun here: the task that began it applies it
        self._applying: set[str] = set()  # claimed (or being claimed) by a task of this process
        self._lock = threading.Lock()  # the two sets: journal steps run in worker threads

    def _stale_before(self) -> datetime:
        return _now() - timedelta(seconds=self.stale_after)

    def _silent(self) -> ColumnElement[bool]:
        """The run's holder is silent: dead, or none (released runs, runs from before revision 0005)."""
        c = journal_runs.c
        return or_(c.holder.is_(None), c.heartbeat.is_(None), c.heartbeat < self._stale_before())

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        """Record the run and its changes, held by this process (whose task applies it): the first
        "running" (write-ahead: its Nextcloud call follows, with no step between: :meth:`fresh`), the
        others "pending".

        Inside a unit of work the run is written with the unit (the decision and its journal are
        one commit); each later step (:meth:`mark_running`, :meth:`mark_done`) is a short
        transaction of its own. Calling it again for an existing run writes nothing: applying it
        starts with :meth:`claim`.
        """
        with reading(self._engine, self._reads) as conn:
            status = conn.execute(
                select(journal_runs.c.status).where(journal_runs.c.run_id == run_id)
            ).scalar()
        if status is None:
            with self._lock:  # before the row exists: no other task of this process resumes it
                self._reserved[run_id] = list(changes)
            try:
                with writing(self._engine) as conn, guard(self._engine, conn):
                    self._write_run(conn, run_id, changes, actor, request_id, self.holder)
            except IntegrityError:  # another process wrote it meanwhile: it holds it
                with self._lock:
                    self._reserved.pop(run_id, None)

    def fresh(self, run_id: str) -> list[Change] | None:
        """The changes of a run begun here that no task applies yet, now held by the caller (in memory:
        the row says so since ``begin``, and each step checks the run is still ours)."""
        with self._lock:
            changes = self._reserved.pop(run_id, None)
            if changes is not None:
                self._applying.add(run_id)
            return changes

    def claim(self, run_id: str) -> bool:
        """Hold the run to apply it: begun here and not yet applied, failed (a retry), or held by a
        silent process (resume). Atomic: of two processes claiming at once, one wins."""
        with self._lock:
            if run_id in self._applying:
                return False
            self._applying.add(run_id)  # being claimed: no other task of this process claims it too
            if self._reserved.pop(run_id, None) is not None:  # held since begin: no write
                return True
        c = journal_runs.c
        mine_idle = c.holder == self.holder  # held here, yet no task of this process applies it
        takeable = or_(c.status == "failed", mine_idle, self._silent())
        taken = 0
        try:
            with writing(self._engine) as conn:
                taken = conn.execute(
                    update(journal_runs)
                    .where(c.run_id == run_id, c.status != "done", takeable)
                    .values(status="running", holder=self.holder, heartbeat=_now())
                ).rowcount
        finally:
            if not taken:
                with self._lock:
                    self._applying.discard(run_id)
        return bool(taken)

    def beat(self, run_id: str) -> bool:
        with writing(self._engine) as conn:
            return bool(self._beat(conn, run_id))

    def _beat(self, conn: Connection, run_id: str) -> int:
        c = journal_runs.c
        return conn.execute(
            update(journal_runs).where(c.run_id == run_id, c.holder == self.holder).values(heartbeat=_now())
        ).rowcount

    def release(self, run_id: str) -> None:
        """In this process only: the heartbeat stops and other processes take over once it is stale
        (the request of a finished run is settled by whoever applied it, or by settle_interrupted)."""
        with self._lock:
            self._applying.discard(run_id)
            self._reserved.pop(run_id, None)

    def _busy_here(self) -> set[str]:
        with self._lock:
            return self._applying | self._reserved.keys()

    def busy(self, request_id: int) -> bool:
        c = journal_runs.c
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(c.run_id, c.holder).where(
                    c.request_id == request_id, c.holder.is_not(None), ~self._silent()
                )
            ).all()
        here = self._busy_here()
        return any(r.holder != self.holder or r.run_id in here for r in rows)

    @staticmethod
    def _write_run(
        conn: Connection,
        run_id: str,
        changes: Sequence[Change],
        actor: str,
        request_id: int | None,
        holder: str,
    ) -> None:
        now = _now()
        conn.execute(
            insert(journal_runs).values(
                run_id=run_id,
                actor=actor,
                request_id=request_id,
                created_at=now,
                # nothing to apply: done now, or no change's mark would ever end it and every
                # process would "resume" it each RESUME_INTERVAL for good (an apply with no changes)
                status="running" if changes else "done",
                holder=holder,
                heartbeat=now,
            )
        )
        if changes:
            conn.execute(
                insert(journal_changes),
                [
                    {
                        "run_id": run_id,
                        "seq": i,
                        "change": c.data,
                        "change_key": c.key,
                        "status": "running" if i == 0 else "pending",
                        "answer": "",
                        "updated_at": now if i == 0 else None,
                    }
                    for i, c in enumerate(changes)
                ],
            )

    def pending(self, run_id: str) -> list[Change]:
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(journal_changes.c.change)
                .where(journal_changes.c.run_id == run_id, journal_changes.c.status.not_in(FINISHED))
                .order_by(journal_changes.c.seq)
            )
            return [change_from_data(r.change) for r in rows]

    def _mark(self, run_id: str, change: Change, status: str, answer: str = "") -> None:
        with writing(self._engine) as conn:
            if not self._beat(conn, run_id):  # another process took the run over: it applies it now
                raise RunTakenOver(run_id)
            conn.execute(
                update(journal_changes)
                .where(journal_changes.c.run_id == run_id, journal_changes.c.change_key == change.key)
                .values(status=status, answer=answer, updated_at=_now())
            )
            if status == "failed":
                conn.execute(
                    update(journal_runs).where(journal_runs.c.run_id == run_id).values(status="failed")
                )
            elif status in FINISHED:
                left = conn.execute(
                    select(journal_changes.c.id).where(
                        journal_changes.c.run_id == run_id, journal_changes.c.status.not_in(FINISHED)
                    )
                ).first()
                if left is None:
                    conn.execute(
                        update(journal_runs).where(journal_runs.c.run_id == run_id).values(status="done")
                    )

    def started(self, run_id: str) -> set[str]:
        """Keys of the run's changes begun and not finished: "running" (the process died during
        the call) or "failed" (a timeout may have reached Nextcloud); one query per run."""
        c = journal_changes.c
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(c.change_key).where(c.run_id == run_id, c.status.in_(("running", "failed")))
            )
            return {r.change_key for r in rows}

    def mark_running(self, run_id: str, change: Change) -> None:
        self._mark(run_id, change, "running")

    def mark_done(self, run_id: str, change: Change, answer: str) -> None:
        self._mark(run_id, change, "done", answer)

    def mark_failed(self, run_id: str, change: Change, error: str) -> None:
        self._mark(run_id, change, "failed", error)

    def mark_skipped(self, run_id: str, change: Change, reason: str) -> None:
        self._mark(run_id, change, "skipped", reason)

    def unfinished_runs(self) -> list[str]:
        """Runs left running by a silent holder, or held here with no task applying them; one cheap
        indexed query (lib/services/background.py asks every few seconds). A run begun here is left
        to the task that began it, unless it stayed silent since (that task is gone: cancelled
        between its decision's commit and its first call)."""
        c = journal_runs.c
        mine_idle = c.holder == self.holder
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(c.run_id, self._silent().label("silent"))
                .where(c.status == "running", or_(self._silent(), mine_idle))
                .order_by(c.created_at)
            ).all()
        with self._lock:
            applying, reserved = set(self._applying), set(self._reserved)
        return [r.run_id for r in rows if r.run_id not in applying and (r.silent or r.run_id not in reserved)]

    def open_run_of(self, request_id: int) -> str | None:
        """The newest run of a request that did not finish (failed or interrupted): a retry resumes it."""
        with reading(self._engine, self._reads) as conn:
            row = conn.execute(
                select(journal_runs.c.run_id)
                .where(journal_runs.c.request_id == request_id, journal_runs.c.status != "done")
                .order_by(journal_runs.c.created_at.desc())
                .limit(1)
            ).first()
        return row.run_id if row else None

    def run_status(self, run_id: str) -> str | None:
        with reading(self._engine, self._reads) as conn:
            return conn.execute(select(journal_runs.c.status).where(journal_runs.c.run_id == run_id)).scalar()

    def last_change_at(self) -> datetime | None:
        """When a change last started or ended in Nextcloud, by any process (a reading taken before
        is out of date: lib/services/sync.SyncService.last_view)."""
        with self._reads.connect() as conn:
            at = conn.execute(select(func.max(journal_changes.c.updated_at))).scalar()
        return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at  # SQLite: naive
