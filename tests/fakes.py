"""In-memory fakes of the service ports (the SQL versions live in lib/store/)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lib.core.changes import Change


@dataclass
class JournalEntry:
    change: Change
    status: str = "pending"  # pending | running | done | failed
    answer: str = ""
    error: str = ""
    attempts: int = 0


@dataclass
class JournalRun:
    actor: str
    request_id: int | None
    entries: list[JournalEntry] = field(default_factory=list)

    def entry(self, change: Change) -> JournalEntry:
        return next(e for e in self.entries if e.change.key == change.key)


class FakeJournal:
    """The ``Journal`` port in memory: runs keep their changes in plan order."""

    def __init__(self) -> None:
        self.runs: dict[str, JournalRun] = {}

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        if run_id not in self.runs:
            self.runs[run_id] = JournalRun(actor, request_id, [JournalEntry(c) for c in changes])

    def pending(self, run_id: str) -> list[Change]:
        return [e.change for e in self.runs[run_id].entries if e.status != "done"]

    def mark_running(self, run_id: str, change: Change) -> None:
        entry = self.runs[run_id].entry(change)
        entry.status, entry.attempts = "running", entry.attempts + 1

    def mark_done(self, run_id: str, change: Change, answer: str) -> None:
        entry = self.runs[run_id].entry(change)
        entry.status, entry.answer = "done", answer

    def mark_failed(self, run_id: str, change: Change, error: str) -> None:
        entry = self.runs[run_id].entry(change)
        entry.status, entry.error = "failed", error

    def unfinished_runs(self) -> list[str]:
        return [run_id for run_id, run in self.runs.items() if any(e.status != "done" for e in run.entries)]

    def statuses(self, run_id: str) -> list[str]:
        return [e.status for e in self.runs[run_id].entries]


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class FakeAudit:
    """The ``AuditLog`` port in memory: append-only list."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        self.entries.append(AuditEntry(actor, action, subject, detail))

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]
