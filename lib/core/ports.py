"""The small interfaces the service layer names; adapters implement them (lib/store, lib/nextcloud)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from lib.core.audit import AuditEntry, AuditFilter, ChainCheck
from lib.core.changes import Change
from lib.core.model import Organisation
from lib.core.request_kinds import AccessRequest, RequestState
from lib.core.state import NextcloudState


@dataclass(frozen=True)
class UserInfo:
    uid: str
    display_name: str
    email: str = ""
    language: str = ""  # the user's Nextcloud language (provisioning API ``language``), "" when unset
    groups: tuple[
        str, ...
    ] = ()  # every Nextcloud group of the account (``groups`` of GET /cloud/users/{uid})


class Gateway(Protocol):
    """Nextcloud as the app sees it. Every write is idempotent (safe to replay after a crash)."""

    async def read_state(
        self,
        managed: Callable[[str], bool],
        mount_points: Sequence[str],
        *,
        rule_paths: Mapping[str, Collection[str]] | None = None,
    ) -> NextcloudState:
        """Managed groups, the folders at ``mount_points``, and ACL rules of each folder's root, its
        children, and the deeper sub-paths in ``rule_paths`` (mount point -> paths)."""
        ...

    async def read_objects(
        self,
        managed: Callable[[str], bool],
        *,
        users: Collection[str] = (),
        groups: Collection[str] = (),
        mount_points: Collection[str] = (),
        rule_paths: Mapping[str, Collection[str]] | None = None,
    ) -> NextcloudState:
        """What one request touches: the groups of ``users`` among ``groups`` (each existing group
        with the named people in it), and the folders at ``mount_points`` with their rules."""
        ...

    async def mount_points(self) -> list[str]:
        """Every team folder's mount point (adoption of an existing Nextcloud)."""
        ...

    async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
        """Apply one change; return a short text of Nextcloud's answer for the audit log.
        ``in_doubt``: it may have reached Nextcloud already (begun by a process that died)."""
        ...

    async def search_users(self, query: str, limit: int = 10) -> list[UserInfo]: ...

    async def get_user(self, uid: str) -> UserInfo | None: ...

    async def everyone(self) -> list[UserInfo]:
        """Every account with its details, read in pages (a few calls for thousands of people)."""
        ...

    async def path_exists(self, mount: str, path: str) -> bool | None:
        """Whether a sub-path exists in a folder; None when the app's account cannot see the folder."""
        ...

    async def is_admin(self, uid: str) -> bool: ...

    async def group_members(self, gid: str) -> set[str]: ...

    async def capabilities(self) -> dict[str, Any]:
        """Nextcloud's capabilities: one key per enabled app declaring some (NEXTCLOUD.md §3.1)."""
        ...

    async def has_team_folders(self) -> bool:
        """Whether the groupfolders app answers (its routes are 404 when it is missing)."""
        ...

    async def notify(
        self, user: str, subject: str, subject_params: dict[str, Any], message: str, link: str
    ) -> str:
        """Create a notification for ``user``; return its object id (NEXTCLOUD.md §3.1)."""
        ...

    async def delete_notification(self, user: str, object_id: str) -> None: ...


class RunTakenOver(Exception):
    """Another process took the run over (this one was silent too long): stop applying it."""


class Journal(Protocol):
    """Write-ahead journal of plan runs: a crash resumes a run without applying anything twice.

    A run is held by the process applying it, which says so at each step and every few seconds
    (``beat``); another process may take it over (``claim``) only once that holder is silent.
    """

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        """Record a run and its changes, held by this process; a no-op when the run already exists."""
        ...

    def fresh(self, run_id: str) -> list[Change] | None:
        """Hold a run this process began and nobody applied yet, with no database trip: its changes,
        the first already marked running when it was begun. None: claim it instead."""
        ...

    def claim(self, run_id: str) -> bool:
        """Hold the run to apply it now: False when another process (or task) is applying it."""
        ...

    def beat(self, run_id: str) -> bool:
        """Say this process still applies the run; False when another took it over."""
        ...

    def release(self, run_id: str) -> None:
        """This process stopped applying the run (finished, failed or cancelled)."""
        ...

    def mark_skipped(self, run_id: str, change: Change, reason: str) -> None:
        """The change is not applied: the organisation no longer wants it (lib/core/still_wanted.py)."""
        ...

    def busy(self, request_id: int) -> bool:
        """Whether a run of the request is applied now, here or by a live process."""
        ...

    def pending(self, run_id: str) -> list[Change]:
        """Changes of the run not yet done (nor skipped), in plan order."""
        ...

    def started(self, run_id: str) -> set[str]:
        """Keys of the run's changes begun and not finished (running when their process died, or
        failed): whether they reached Nextcloud is unknown."""
        ...

    def mark_running(self, run_id: str, change: Change) -> None:
        """Raises RunTakenOver when another process holds the run now."""
        ...

    def mark_done(self, run_id: str, change: Change, answer: str) -> None: ...

    def mark_failed(self, run_id: str, change: Change, error: str) -> None: ...

    def unfinished_runs(self) -> list[str]:
        """Runs left running whose holder is silent (dead), oldest first: to resume."""
        ...

    def open_run_of(self, request_id: int) -> str | None:
        """The newest run of a request that did not finish (failed or interrupted)."""
        ...

    def run_status(self, run_id: str) -> str | None:
        """running | done | failed, None for an unknown run."""
        ...


class AuditLog(Protocol):
    """Append-only; nothing edits or deletes an entry."""

    def append(self, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Scope:
    """What a reading covered: the folders asked for, their rule paths, the groups the app owns."""

    folders: frozenset[str]
    rule_paths: frozenset[tuple[str, str]]
    groups: frozenset[str]

    @classmethod
    def of(
        cls, folders: Collection[str], rule_paths: Mapping[str, Collection[str]], groups: Collection[str]
    ) -> Scope:
        paths = frozenset((m, p) for m, ps in rule_paths.items() for p in ps)
        return cls(frozenset(folders), paths, frozenset(groups))

    def covers(self, other: Scope) -> bool:
        """Whether a reading of this scope says all ``other`` needs (else it would show false drift)."""
        return (
            other.folders <= self.folders
            and other.rule_paths <= self.rule_paths
            and other.groups <= self.groups
        )


@dataclass(frozen=True)
class Reading:
    actual: NextcloudState
    scope: Scope
    read_at: datetime


class ReadingStore(Protocol):
    """Where every worker finds the last reading (lib/store/readings_repo.SqlReadings)."""

    def save(self, kept: Reading) -> bool:
        """Store it unless a newer one is stored; True when stored."""
        ...

    def read_at(self) -> datetime | None:
        """When the stored reading was taken (cheap: asked on every page view)."""
        ...

    def load(self) -> Reading | None: ...

    def clear(self) -> None: ...


class AuditStore(AuditLog, Protocol):
    """The audit log as the pages read it: filtered pages, every entry, the chain of hashes."""

    def page(self, f: AuditFilter, offset: int = 0, limit: int = 50) -> tuple[list[AuditEntry], int]: ...

    def entries(
        self, f: AuditFilter | None = None, batch: int = 1000, after: int = 0
    ) -> Iterator[AuditEntry]: ...

    def chain_status(self, full: bool = False, newest: AuditEntry | None = None) -> ChainCheck:
        """Hashes only what was appended since the last check."""
        ...

    def verify_whole_chain(self) -> ChainCheck: ...

    def chain_checked(self) -> bool:
        """Whether the whole chain was checked once here: later checks hash only what is new."""
        ...


class JournalStore(Journal, Protocol):
    """The journal as the services use it: which process holds runs, when Nextcloud last changed."""

    holder: str

    def last_change_at(self) -> datetime | None:
        """When a change last started or ended in Nextcloud, by any process."""
        ...


class OrgStore(Protocol):
    """The organisation, versioned: a save names the version it was based on."""

    def load(self) -> Organisation: ...

    def version(self) -> int: ...

    def save(self, org: Organisation, expected_version: int | None = None) -> int:
        """The new version; StaleOrganisation when someone saved since ``expected_version``."""
        ...

    def begin_request(self) -> None:
        """One HTTP request begins: the version is read once for all of it."""
        ...

    def version_seen(self, version: int) -> None:
        """The request read ``version`` (perhaps in a worker thread): it holds for the request."""
        ...


class RequestStore(Protocol):
    """Access requests, the notifications sent about them, decision-link nonces and leases."""

    def add(self, r: AccessRequest) -> AccessRequest: ...

    def get(self, rid: int) -> AccessRequest | None: ...

    def save(self, r: AccessRequest, read_version: int) -> AccessRequest:
        """ConcurrentUpdate when the request changed since ``read_version``."""
        ...

    def by_requester(self, uid: str, limit: int = 200) -> list[AccessRequest]: ...

    def in_states(
        self, states: set[RequestState], limit: int = 200, offset: int = 0
    ) -> list[AccessRequest]: ...

    def for_group(self, slug: str, states: set[RequestState]) -> list[AccessRequest]: ...

    def all_rows(self) -> list[tuple[str, str, datetime, datetime]]:
        """(kind, state, created_at, updated_at) of every request, for statistics."""
        ...

    def record_notification(self, request_id: int, uid: str, object_id: str, purpose: str) -> None: ...

    def live_notifications(self, request_id: int, purpose: str) -> list[tuple[int, str, str]]: ...

    def notification_deleted(self, row_id: int) -> None: ...

    def was_notified(self, request_id: int, uid: str, purpose: str) -> bool: ...

    def use_nonce(self, nonce: str) -> bool: ...

    def nonce_used(self, nonce: str) -> bool: ...

    def try_lock(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Hold the lease ``name`` for ``ttl`` unless another holder has it."""
        ...
