"""The audit log table: append-only, each entry chained to the previous one by its hash."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from lib.core.audit import GENESIS, AuditEntry, chain_hash

from .tables import audit_log


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    text: str = ""  # matched against the subject
    since: str = ""  # ISO date
    until: str = ""


class SqlAuditLog:
    """Implements lib.services.ports.AuditLog. No method edits or deletes an entry."""

    def __init__(self, engine: Engine, clock: Any = None) -> None:
        self._engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    def append(self, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        for _ in range(20):  # two processes may race for the next seq: the primary key decides
            try:
                with self._engine.begin() as conn:
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
                return
            except IntegrityError:
                continue
        raise RuntimeError("could not append to the audit log")

    def _where(self, f: AuditFilter) -> list[Any]:
        c = audit_log.c
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
        conds = self._where(f)
        with self._engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(audit_log).where(*conds)).scalar_one()
            rows = conn.execute(
                select(audit_log).where(*conds).order_by(audit_log.c.seq.desc()).offset(offset).limit(limit)
            )
            return [_entry(r) for r in rows], int(total)

    def entries(self, f: AuditFilter | None = None, batch: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in order, streamed in batches (chain check, CSV export)."""
        conds = self._where(f) if f else []
        after = 0
        while True:
            with self._engine.connect() as conn:
                rows = list(
                    conn.execute(
                        select(audit_log)
                        .where(audit_log.c.seq > after, *conds)
                        .order_by(audit_log.c.seq)
                        .limit(batch)
                    )
                )
            if not rows:
                return
            yield from (_entry(r) for r in rows)
            after = rows[-1].seq

    def csv(self, f: AuditFilter | None = None) -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["seq", "at", "actor", "action", "subject", "hash"])
        for e in self.entries(f):
            # a leading =,+,-,@ would make a spreadsheet run a formula: quote it as text
            w.writerow([e.seq, e.at, csv_cell(e.actor), e.action, csv_cell(e.subject), e.hash])
            if buf.tell() > 65536:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


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
