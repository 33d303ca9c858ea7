"""The audit log table: append-only, each entry chained to the previous one by its hash."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, false, func, insert, select

from lib.core.audit import GENESIS, AuditEntry, AuditFilter, ChainCheck, chain_hash, csv_cell, verify_chain

from .db import reader
from .tables import audit_log
from .unit import current_unit, unit_of_work

# The PostgreSQL advisory lock appenders take turns on (any 64-bit number no other lock uses):
# the first eight bytes of sha256("governance.audit_log.head"), as a signed bigint.
CHAIN_HEAD_LOCK = -0x3AC2_C650_D448_A213
MAX_OFFSET = 2**62  # beyond any log's length, within the databases' 64-bit integers


@dataclass(frozen=True)
class _Verified:
    """What this process knows of the chain: the last check's result, the last entry found sound."""

    result: ChainCheck
    last: AuditEntry | None


class SqlAuditLog:
    """Implements lib.core.ports.AuditLog. No method edits or deletes an entry.

    It remembers (per instance, so per process) how far the hash chain was found sound, so that
    showing the chain's state only hashes what was appended since.
    """

    def __init__(self, engine: Engine, clock: Any = None) -> None:
        self._engine = engine
        self._reads = reader(engine)  # single-statement reads
        self._clock = clock or (lambda: datetime.now(UTC))
        self._verified: _Verified | None = None
        self._stored = 0  # results remembered so far: a full check keeps a failure found while it ran
        self._lock = threading.Lock()  # guards the two above; held through a (short) incremental check
        self._whole_lock = threading.Lock()  # one full check at a time

    def append(self, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        """Chain one entry to the head of the log.

        Inside a unit of work (lib/store/unit.py) the entry is chained just before the unit
        commits, with the unit; alone, in a transaction of its own. Either way appenders of every
        thread and process take turns on the chain head in the database (:func:`_chain`).
        """
        unit = current_unit(self._engine)
        if unit is not None:
            unit.before_commit(lambda conn: self._chain(conn, actor, action, subject, detail))
            return
        with unit_of_work(self._engine) as own:
            self._chain(own.conn, actor, action, subject, detail)

    def _chain(self, conn: Connection, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        """Read the head and insert the next entry, holding the chain head until commit.

        PostgreSQL: a transaction-scoped advisory lock (released by the commit or rollback);
        SQLite: the unit's ``BEGIN IMMEDIATE`` already holds the database's write lock. The head
        read after taking it is the last committed entry, so no two appenders get the same seq.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(CHAIN_HEAD_LOCK)))
        last = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        seq = last.seq + 1 if last else 1
        prev = last.hash if last else GENESIS
        at = self._clock().isoformat(timespec="seconds")
        digest = chain_hash(prev, seq, at, actor, action, subject, detail)
        conn.execute(
            insert(audit_log).values(
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                detail=detail,
                prev_hash=prev,
                hash=digest,
            )
        )

    def _where(self, f: AuditFilter) -> list[Any]:
        c = audit_log.c
        if "\x00" in f.actor + f.action + f.text + f.since + f.until:
            return [false()]  # PostgreSQL refuses a NUL in a query (and stores none): nothing matches
        conds: list[Any] = []
        if f.actor:
            conds.append(c.actor == f.actor)
        if f.action:
            conds.append(c.action == f.action)
        if f.text:
            conds.append(c.subject.contains(f.text, autoescape=True))
        if f.since:
            conds.append(c.at >= f.since)
        if f.until:
            conds.append(c.at <= f.until + "T23:59:59")
        return conds

    def page(self, f: AuditFilter, offset: int = 0, limit: int = 50) -> tuple[list[AuditEntry], int]:
        offset = min(offset, MAX_OFFSET)  # any page number: past the end is an empty page, not an overflow
        conds = self._where(f)
        with self._reads.connect() as conn:
            if not conds:  # seq runs 1..N (append takes the next one): the index answers, no count scan
                top = select(func.coalesce(func.max(audit_log.c.seq), 0)).scalar_subquery()
                rows = list(
                    conn.execute(
                        select(audit_log, top.label("total"))
                        .where(audit_log.c.seq <= top - offset)
                        .order_by(audit_log.c.seq.desc())
                        .limit(limit)
                    )
                )
                total = rows[0].total if rows else conn.execute(select(top)).scalar_one()
                return [_entry(r) for r in rows], int(total)
            total = int(conn.execute(select(func.count()).select_from(audit_log).where(*conds)).scalar_one())
            if offset >= total:  # the newest-first scan would read the whole log to find nothing
                return [], total
            found = conn.execute(
                select(audit_log).where(*conds).order_by(audit_log.c.seq.desc()).offset(offset).limit(limit)
            )
            return [_entry(r) for r in found], total

    def entries(
        self, f: AuditFilter | None = None, batch: int = 1000, after: int = 0
    ) -> Iterator[AuditEntry]:
        """Every entry in order (those after seq ``after``), streamed in batches (chain check, CSV)."""
        conds = self._where(f) if f else []
        while True:
            with self._reads.connect() as conn:
                rows = list(
                    conn.execute(
                        select(audit_log)
                        .where(audit_log.c.seq > after, *conds)
                        .order_by(audit_log.c.seq)
                        .limit(batch)
                    )
                )
            yield from (_entry(r) for r in rows)
            if len(rows) < batch:  # the last batch: no query to find nothing more
                return
            after = rows[-1].seq

    # ---- the hash chain -------------------------------------------------------------------------

    def chain_checked(self) -> bool:
        """Whether this process checked the whole chain once (later checks hash only what is new)."""
        return self._verified is not None

    def chain_status(self, full: bool = False, newest: AuditEntry | None = None) -> ChainCheck:
        """The chain's state, hashing only the entries appended since the last check.

        Entries found sound before are trusted, but the last of them is re-read and must be
        unchanged; an edit further back is found by the next full check (``full=True``, what
        :meth:`verify_whole_chain` runs, and what the first call runs). A broken chain is reported
        as broken until a full check finds it whole again.
        """
        with self._lock:
            known = self._verified
            if known is not None and not full:
                if known.result.ok:
                    known = self._extend(known, newest)
                    self._remember(known)
                return known.result
        return self._whole_chain(again=full)

    def verify_whole_chain(self) -> ChainCheck:
        """Re-hash every entry from the first (the periodic check); later checks continue from it.

        About a second per 50,000 entries: call it from a worker thread, not the event loop.
        """
        return self._whole_chain(again=True)

    def _whole_chain(self, again: bool) -> ChainCheck:
        """The full check; unless ``again``, one that just finished in another thread will do."""
        with self._whole_lock:
            with self._lock:
                if not again and self._verified is not None:
                    return self._verified.result
                started = self._stored
            at = self._clock().isoformat(timespec="seconds")
            seen = _Tail(self.entries())
            check = verify_chain(seen)
            found = _Verified(
                ChainCheck(check.ok, check.checked, check.first_broken_seq, check.reason, at),
                seen.last if check.ok else None,
            )
            with self._lock:
                current = self._verified
                if current is None or current.result.ok or self._stored == started:
                    self._remember(found)
                    current = found
                return current.result

    def _remember(self, found: _Verified) -> None:
        self._verified = found
        self._stored += 1

    @staticmethod
    def _broken(before: ChainCheck, last: AuditEntry, why: str) -> _Verified:
        return _Verified(ChainCheck(False, last.seq - 1, last.seq, why, before.whole_checked_at), None)

    def _extend(self, known: _Verified, newest: AuditEntry | None) -> _Verified:
        """``known`` carried on to the entries appended since (a failure is a new result).

        One query from the last entry found sound: it must read the same, the rest are new. No query
        when the caller just read the newest entry and it is that one (the audit page's first page).
        """
        before, last = known.result, known.last
        if last is not None and newest is not None and newest.seq == last.seq:
            changed = _changed(last, newest)
            return known if not changed else self._broken(before, last, changed)
        stream = iter(self.entries(after=last.seq - 1 if last else 0))
        if last is not None and (changed := _changed(last, next(stream, None))):
            return self._broken(before, last, changed)
        seen = _Tail(stream)
        check = verify_chain(seen, after=last)
        result = ChainCheck(
            check.ok,
            before.checked + check.checked,
            check.first_broken_seq,
            check.reason,
            before.whole_checked_at,
            before.since_whole + check.checked,
        )
        return _Verified(result, (seen.last or last) if check.ok else None)

    # ---- export ----------------------------------------------------------------------------------

    def csv(self, f: AuditFilter | None = None) -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["seq", "at", "actor", "action", "subject", "hash"])
        for row in self.csv_rows(f):
            w.writerow(row)
            if buf.tell() > 65536:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    def csv_rows(self, f: AuditFilter | None = None) -> Iterator[list[str]]:
        """Each entry as CSV cells (seq, at, actor, action, subject, hash); a leading =,+,-,@ would
        make a spreadsheet run a formula: such a cell is quoted as text."""
        for e in self.entries(f):
            yield [str(e.seq), e.at, csv_cell(e.actor), e.action, csv_cell(e.subject), e.hash]


def _changed(last: AuditEntry, now: AuditEntry | None) -> str:
    """Why the last entry found sound no longer reads the same ("" when it does)."""
    if now is None or now.seq != last.seq:
        return "removed after it was checked"
    return "" if now == last else "changed after it was checked"


class _Tail:
    """Passes entries through, remembering the last one that went by."""

    def __init__(self, entries: Iterable[AuditEntry]) -> None:
        self._entries = entries
        self.last: AuditEntry | None = None

    def __iter__(self) -> Iterator[AuditEntry]:
        for entry in self._entries:
            self.last = entry
            yield entry


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        seq=r.seq,
        at=r.at,
        actor=r.actor,
        action=r.action,
        subject=r.subject,
        detail=r.detail,
        prev_hash=r.prev_hash,
        hash=r.hash,
    )
