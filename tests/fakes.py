"""In-memory fakes of the service ports (the SQL versions live in lib/store/)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lib.core.changes import Change


@dataclass
class JournalEntry:
    change: Change
    status: str = "pending"  # pending | running | done | failed | skipped
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


FINISHED = ("done", "skipped")


class FakeJournal:
    """The ``Journal`` port in memory: runs keep their changes in plan order.

    One process: a run is busy while a task of it claimed it and did not release it; ``taken``
    lets a test play another process taking a run over (the next step raises RunTakenOver).
    """

    def __init__(self) -> None:
        self.runs: dict[str, JournalRun] = {}
        self.applying: set[str] = set()
        self.taken: set[str] = set()
        self.beats: list[str] = []

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        if run_id not in self.runs:
            self.runs[run_id] = JournalRun(actor, request_id, [JournalEntry(c) for c in changes])

    def fresh(self, run_id: str) -> list[Change] | None:
        return None  # every run is claimed, as a run begun by another process is

    def claim(self, run_id: str) -> bool:
        if run_id in self.applying or run_id in self.taken or self.run_status(run_id) == "done":
            return False
        self.applying.add(run_id)
        return True

    def beat(self, run_id: str) -> bool:
        self.beats.append(run_id)
        return run_id not in self.taken

    def release(self, run_id: str) -> None:
        self.applying.discard(run_id)

    def busy(self, request_id: int) -> bool:
        return any(self.runs[r].request_id == request_id for r in self.applying)

    def pending(self, run_id: str) -> list[Change]:
        return [e.change for e in self.runs[run_id].entries if e.status not in FINISHED]

    def _step(self, run_id: str, change: Change) -> JournalEntry:
        from lib.core.ports import RunTakenOver

        if run_id in self.taken:
            raise RunTakenOver(run_id)
        return self.runs[run_id].entry(change)

    def started(self, run_id: str) -> set[str]:
        return {e.change.key for e in self.runs[run_id].entries if e.status in ("running", "failed")}

    def mark_running(self, run_id: str, change: Change) -> None:
        entry = self._step(run_id, change)
        entry.status, entry.attempts = "running", entry.attempts + 1

    def mark_done(self, run_id: str, change: Change, answer: str) -> None:
        entry = self._step(run_id, change)
        entry.status, entry.answer = "done", answer

    def mark_failed(self, run_id: str, change: Change, error: str) -> None:
        entry = self._step(run_id, change)
        entry.status, entry.error = "failed", error

    def mark_skipped(self, run_id: str, change: Change, reason: str) -> None:
        entry = self._step(run_id, change)
        entry.status, entry.error = "skipped", reason

    def unfinished_runs(self) -> list[str]:
        return [
            run_id
            for run_id, run in self.runs.items()
            if run_id not in self.applying and any(e.status not in FINISHED for e in run.entries)
        ]

    def open_run_of(self, request_id: int) -> str | None:
        runs = [r for r, run in self.runs.items() if run.request_id == request_id]
        return next((r for r in reversed(runs) if self.run_status(r) != "done"), None)

    def run_status(self, run_id: str) -> str | None:
        run = self.runs.get(run_id)
        if run is None:
            return None
        statuses = {e.status for e in run.entries}
        return "failed" if "failed" in statuses else "done" if statuses <= set(FINISHED) else "running"

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


class FakeGateway:
    """The ``Gateway`` port over a ``NextcloudState`` in memory, counting calls as Nextcloud would.

    Call counts follow lib/nextcloud/gateway.py: a person's groups is one call, the folder list one,
    one PROPFIND per folder with ACLs, one call per write (the real adapter may check first).
    """

    def __init__(self, state: Any, users: dict[str, str] | None = None) -> None:
        from lib.core.state import NextcloudState

        self.state: NextcloudState = state
        self.users = users or {}
        self.calls: list[str] = []
        self.notes: list[tuple[str, str, dict[str, Any], str]] = []
        self.fail_on: set[str] = set()  # change kinds whose apply raises as Nextcloud refusing

    async def read_state(self, managed: Any, mount_points: Any, *, rule_paths: Any = None) -> Any:
        from lib.core.plan import copy_state

        self.calls.append("read_state")
        whole = copy_state(self.state)
        whole.groups = {g: m for g, m in whole.groups.items() if managed(g)}
        whole.folders = {m: f for m, f in whole.folders.items() if m in mount_points}
        return whole

    async def read_objects(
        self,
        managed: Any,
        *,
        users: Any = (),
        groups: Any = (),
        mount_points: Any = (),
        rule_paths: Any = None,
    ) -> Any:
        from lib.core.plan import copy_state
        from lib.core.state import NextcloudState

        users, groups = list(users), list(groups)
        await asyncio.sleep(0)  # a real read lets other requests run meanwhile
        self.calls += [f"groups_of:{u}" for u in users]
        seen = {g for g, members in self.state.groups.items() if set(users) & members}
        if set(groups) - seen:
            self.calls.append("group_search")
        found = NextcloudState()
        for gid in groups:
            if gid in self.state.groups:
                found.groups[gid] = self.state.groups[gid] & set(users)
        if mount_points:
            self.calls.append("folders")
            copy = copy_state(self.state)
            found.folders = {m: copy.folders[m] for m in mount_points if m in copy.folders}
            self.calls += [f"propfind:{m}" for m, f in found.folders.items() if f.acl]
        return found

    async def mount_points(self) -> list[str]:
        return list(self.state.folders)

    async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
        from lib.core.plan import apply_to_state
        from lib.nextcloud.errors import NextcloudError

        self.calls.append(f"apply:{change.kind}")
        if change.kind in self.fail_on:
            raise NextcloudError(str(change), 400, 102, "refused")
        self.state = apply_to_state(self.state, [change])
        return "ok"

    async def search_users(self, query: str, limit: int = 10) -> list[Any]:
        from lib.core.ports import UserInfo

        return [UserInfo(u, n) for u, n in self.users.items() if query in u][:limit]

    async def everyone(self) -> list[Any]:
        from lib.core.ports import UserInfo

        self.calls.append("everyone")
        return [UserInfo(u, n) for u, n in self.users.items()]

    async def get_user(self, uid: str) -> Any:
        from lib.core.ports import UserInfo

        return UserInfo(uid, self.users[uid]) if uid in self.users else None

    async def is_admin(self, uid: str) -> bool:
        return uid in self.state.groups.get("admin", set())

    async def path_exists(self, mount: str, path: str) -> bool | None:
        return True if mount in self.state.folders else None

    async def notify(
        self, user: str, subject: str, subject_params: dict[str, Any], message: str, link: str
    ) -> str:
        self.notes.append((user, subject, subject_params, message))
        return f"note-{len(self.notes)}"

    async def delete_notification(self, user: str, object_id: str) -> None:
        return None
