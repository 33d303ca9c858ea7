"""The apply journal in the database (implements lib.services.ports.Journal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lib.core.changes import Change, change_from_data

from .db import reader
from .tables import journal_changes, journal_runs
from .unit import guard, reading, writing


def _now() -> datetime:
    return datetime.now(UTC)


class SqlJournal:
    """Every change is written before it runs and marked after: a restart resumes, never repeats."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = reader(engine)  # single-statement reads

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        """Record the run and each change "pending"; an existing run is resumed ("running").

        Inside a unit of work the run is written with the unit (the decision and its journal are
        one commit); each later step (:meth:`mark_running`, :meth:`mark_done`) is a short
        transaction of its own. Calling it again for a run that is running writes nothing.
        """
        with reading(self._engine, self._reads) as conn:
            status = conn.execute(
                select(journal_runs.c.status).where(journal_runs.c.run_id == run_id)
            ).scalar()
        if status is None:
            try:
                with writing(self._engine) as conn, guard(self._engine, conn):
                    self._write_run(conn, run_id, changes, actor, request_id)
                return
            except IntegrityError:  # another process wrote it meanwhile: resume it
                status = "?"
        if status != "running":
            with writing(self._engine) as conn:
                conn.execute(
                    update(journal_runs).where(journal_runs.c.run_id == run_id).values(status="running")
                )

    @staticmethod
    def _write_run(
        conn: Connection, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None
    ) -> None:
        conn.execute(
            insert(journal_runs).values(
                run_id=run_id, actor=actor, request_id=request_id, created_at=_now(), status="running"
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
                        "status": "pending",
                        "answer": "",
                    }
                    for i, c in enumerate(changes)
                ],
            )

    def pending(self, run_id: str) -> list[Change]:
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(journal_changes.c.change)
                .where(journal_changes.c.run_id == run_id, journal_changes.c.status != "done")
                .order_by(journal_changes.c.seq)
            )
            return [change_from_data(r.change) for r in rows]

    def _mark(self, run_id: str, change: Change, status: str, answer: str = "") -> None:
        with writing(self._engine) as conn:
            conn.execute(
                update(journal_changes)
                .where(journal_changes.c.run_id == run_id, journal_changes.c.change_key == change.key)
                .values(status=status, answer=answer, updated_at=_now())
            )
            if status == "failed":
                conn.execute(
                    update(journal_runs).where(journal_runs.c.run_id == run_id).values(status="failed")
                )
            elif status == "done":
                left = conn.execute(
                    select(journal_changes.c.id).where(
                        journal_changes.c.run_id == run_id, journal_changes.c.status != "done"
                    )
                ).first()
                if left is None:
                    conn.execute(
                        update(journal_runs).where(journal_runs.c.run_id == run_id).values(status="done")
                    )

    def mark_running(self, run_id: str, change: Change) -> None:
        self._mark(run_id, change, "running")

    def mark_done(self, run_id: str, change: Change, answer: str) -> None:
        self._mark(run_id, change, "done", answer)

    def mark_failed(self, run_id: str, change: Change, error: str) -> None:
        self._mark(run_id, change, "failed", error)

    def unfinished_runs(self) -> list[str]:
        with reading(self._engine, self._reads) as conn:
            return [
                r.run_id for r in conn.execute(select(journal_runs).where(journal_runs.c.status == "running"))
            ]

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
