"""The organisation in the database, loaded whole and cached until its version changes."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, ScalarSelect, delete, insert, select, update

from lib.core.faults import StaleOrganisation
from lib.core.model import Grant, Membership, Naming, Organisation, Right, Role, WorkingGroup

from .db import reader
from .tables import memberships, org_settings, working_groups
from .unit import current_unit, writing


def _grant_data(g: Grant) -> dict[str, Any]:
    return {"group": g.group, "right": g.right.name.lower(), "path": g.path}


def _grant(d: dict[str, Any]) -> Grant:
    return Grant(group=d["group"], right=Right[d["right"].upper()], path=d.get("path", ""))


_SAVED = "organisation"  # Unit.saved key: (version, Organisation) saved in the unit

_VERSION = select(org_settings.c.value).where(org_settings.c.key == "version").scalar_subquery()


class _View:
    """The organisation version one HTTP request has seen (None: ask the database)."""

    version: int | None = None


_view: ContextVar[_View | None] = ContextVar("org_view", default=None)


def one_version_per_request(version: int | None = None) -> None:
    """From here on, the calling context (one HTTP request) asks the database for the version once
    (or never, when the caller just read it: ``version``).

    A page calls ``load`` several times (the caller's role, then the page's own data); each call
    was a query. A long-lived context (a background loop) never calls this: it checks every time.
    Saving in the request forgets the version seen, so the request then sees its own save.
    """
    view = _View()
    view.version = version
    _view.set(view)


def _forget_view() -> None:
    if (view := _view.get()) is not None:
        view.version = None


class OrgRepository:
    """Loads and saves the Organisation; a version counter makes the cache safe across processes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = reader(engine)  # single-statement reads
        self._cache: tuple[int, Organisation] | None = None
        self._lock = threading.Lock()

    def version(self) -> int:
        """The version this context works on. Inside a unit of work that saved the organisation, the
        saved one; within an HTTP request, the one ``load`` gave it (a save expecting it then fails
        if anybody saved since, instead of overwriting their change); elsewhere, the database's."""
        if (unit := current_unit(self._engine)) is not None and (saved := unit.find(_SAVED)) is not None:
            return int(saved[0])
        view = _view.get()
        if view is not None and view.version is not None:
            return view.version
        with self._reads.connect() as conn:
            v = conn.execute(select(_VERSION)).scalar()
        return int(v or 0)

    def begin_request(self) -> None:
        one_version_per_request()

    def version_seen(self, version: int) -> None:
        """The request read ``version``: it holds for the rest of the request. From a worker thread
        (a copy of the request's context) this fills in the view the request began, rather than
        setting a new one the request would never see."""
        if (view := _view.get()) is not None:
            view.version = version
        else:
            one_version_per_request(version)

    def version_and(self, other: ScalarSelect[int]) -> tuple[int, int]:
        """The version and ``other``'s number in one round trip (every page needs both)."""
        with self._reads.connect() as conn:
            row = conn.execute(select(_VERSION.label("version"), other.label("other"))).one()
        return int(row.version or 0), int(row.other or 0)

    def load(self) -> Organisation:
        """The organisation; inside a unit of work that saved one, that one (it is not cached
        before the unit commits: a rollback would leave a version that names nothing stored)."""
        if (unit := current_unit(self._engine)) is not None and (saved := unit.find(_SAVED)) is not None:
            return saved[1]  # type: ignore[no-any-return]
        view = _view.get()
        version = view.version if view is not None else None
        if version is None:
            version = self.version()
            if view is not None:
                view.version = version
        with self._lock:
            if self._cache and self._cache[0] == version:
                return self._cache[1]
        version, org = self._read()
        if view is not None:
            view.version = version
        with self._lock:
            self._cache = (version, org)
        return org

    def _read(self) -> tuple[int, Organisation]:
        """The organisation and its version, from one snapshot (a save may run meanwhile)."""
        with self._engine.connect() as conn:  # PostgreSQL: a snapshot that never fails a reader
            snapshot = "REPEATABLE READ" if self._engine.dialect.name == "postgresql" else "SERIALIZABLE"
            conn.execution_options(isolation_level=snapshot)
            settings = {r.key: r.value for r in conn.execute(select(org_settings))}
            wgs = tuple(
                WorkingGroup(
                    slug=r.slug,
                    name=r.name,
                    purpose=r.purpose,
                    mount_point=r.mount_point,
                    grants=tuple(_grant(g) for g in r.grants),
                    archived=r.archived,
                )
                for r in conn.execute(select(working_groups).order_by(working_groups.c.position))
            )
            ms = tuple(
                Membership(group=r.grp, user=r.uid, role=Role(r.role) if r.role else None, until=r.until)
                for r in conn.execute(select(memberships).order_by(memberships.c.id))
            )
        naming = Naming(**settings["naming"]) if "naming" in settings else Naming()
        org = Organisation(name=settings.get("name", ""), working_groups=wgs, memberships=ms, naming=naming)
        return int(settings.get("version") or 0), org

    def save(self, org: Organisation, expected_version: int | None = None) -> int:
        """Replace the stored organisation; refuse (StaleOrganisation) if someone saved in between.

        Inside a unit of work it is written with the unit; a refusal rolls the whole unit back.
        """
        _forget_view()
        with writing(self._engine, reads_first=True) as conn:
            row = conn.execute(
                select(org_settings.c.value).where(org_settings.c.key == "version").with_for_update()
            ).first()
            current = int(row[0]) if row else 0
            if expected_version is not None and current != expected_version:
                raise StaleOrganisation(expected_version, current)
            with self._lock:
                stored = self._cache[1] if self._cache and self._cache[0] == current else None
            if stored is None or not _write_difference(conn, stored, org):
                _write_whole(conn, org)
            # The version row is updated, never deleted: a save waiting on its lock (PostgreSQL)
            # then reads the version just written, not a missing row taken for version 0.
            if row is None:
                conn.execute(insert(org_settings).values(key="version", value=current + 1))
            else:
                conn.execute(
                    update(org_settings).where(org_settings.c.key == "version").values(value=current + 1)
                )
            if (unit := current_unit(self._engine)) is not None:
                unit.saved[_SAVED] = (current + 1, org)
                unit.after_commit(lambda: self._keep(current + 1, org))
                return current + 1
        self._keep(current + 1, org)
        return current + 1

    def _keep(self, version: int, org: Organisation) -> None:
        """Cache what was just saved: reading 20,000 memberships back cost a fifth of a second, and
        the same object keeps what was derived from it (its compiled state) valid."""
        with self._lock:
            if self._cache is None or self._cache[0] < version:
                self._cache = (version, org)

    def bump(self) -> None:
        """A new version of the same organisation (every cache reads it again)."""
        _forget_view()
        with writing(self._engine, reads_first=True) as conn:
            version = conn.execute(select(_VERSION)).scalar()
            conn.execute(
                update(org_settings)
                .where(org_settings.c.key == "version")
                .values(value=int(version or 0) + 1)
            )
            if (unit := current_unit(self._engine)) is not None and (saved := unit.find(_SAVED)) is not None:
                unit.saved[_SAVED] = (int(version or 0) + 1, saved[1])


def _write_whole(conn: Connection, org: Organisation) -> None:
    """Replace every row: an import, or a save whose starting point is not the cached organisation."""
    conn.execute(delete(memberships))
    conn.execute(delete(working_groups))
    conn.execute(delete(org_settings).where(org_settings.c.key != "version"))
    _insert_working_groups(conn, org)
    if org.memberships:
        conn.execute(insert(memberships), [_membership_row(m) for m in dict.fromkeys(org.memberships)])
    _insert_settings(conn, org)


def _insert_working_groups(conn: Connection, org: Organisation) -> None:
    if not org.working_groups:
        return
    rows = [
        {
            "slug": wg.slug,
            "name": wg.name,
            "purpose": wg.purpose,
            "mount_point": wg.mount_point,
            "grants": [_grant_data(g) for g in wg.grants],
            "archived": wg.archived,
            "position": i,
        }
        for i, wg in enumerate(org.working_groups)
    ]
    conn.execute(insert(working_groups), rows)


def _membership_row(m: Membership) -> dict[str, Any]:
    return {"grp": m.group, "uid": m.user, "role": m.role.value if m.role else None, "until": m.until}


def _insert_settings(conn: Connection, org: Organisation) -> None:
    rows: list[dict[str, Any]] = [
        {"key": "name", "value": org.name},
        {"key": "naming", "value": asdict(org.naming)},
    ]
    conn.execute(insert(org_settings), rows)


T = TypeVar("T")
MAX_ROW_CHANGES = 2000  # beyond this many membership changes, rewriting everything is as quick


def _between_common_ends(old: tuple[T, ...], new: tuple[T, ...]) -> tuple[tuple[T, ...], tuple[T, ...]]:
    """``old`` and ``new`` without the longest start and end they share (the same objects, in order).

    A request's organisation keeps the stored one's memberships in place around the few it changes,
    so only those are left to compare: sets of 20,000 ids cost 10-30 ms (measured in the approval
    bench), the walk along both ends 1-2 ms.
    """
    n = min(len(old), len(new))
    start = 0
    while start < n and old[start] is new[start]:
        start += 1
    end = 0
    while end < n - start and old[-1 - end] is new[-1 - end]:
        end += 1
    return old[start : len(old) - end], new[start : len(new) - end]


def _write_difference(conn: Connection, stored: Organisation, org: Organisation) -> bool:
    """Write only what differs from ``stored`` (the organisation at the version being replaced).

    An approval adds or removes a few memberships of 20,000: rewriting them all took a quarter of a
    second. False when the difference is too large to be worth it (the caller rewrites all).
    """
    # By identity first (a request's organisation shares the stored one's memberships), then by value
    # among the few left: hashing 20,000 memberships cost more than the writes saved.
    was, now = _between_common_ends(stored.memberships, org.memberships)
    old_ids, new_ids = {id(m) for m in was}, {id(m) for m in now}
    maybe_gone = {m for m in was if id(m) not in new_ids}
    maybe_added = dict.fromkeys(m for m in now if id(m) not in old_ids)
    gone = [m for m in maybe_gone if m not in maybe_added]
    added = [m for m in maybe_added if m not in maybe_gone]
    if len(gone) + len(added) > MAX_ROW_CHANGES:
        return False
    for m in gone:
        conn.execute(
            delete(memberships).where(
                memberships.c.grp == m.group,
                memberships.c.uid == m.user,
                memberships.c.role.is_(None) if m.role is None else memberships.c.role == m.role.value,
                memberships.c.until.is_(None) if m.until is None else memberships.c.until == m.until,
            )
        )
    if added:
        conn.execute(insert(memberships), [_membership_row(m) for m in added])
    if stored.working_groups != org.working_groups:
        conn.execute(delete(working_groups))
        _insert_working_groups(conn, org)
    if (stored.name, stored.naming) != (org.name, org.naming):
        conn.execute(delete(org_settings).where(org_settings.c.key != "version"))
        _insert_settings(conn, org)
    return True
