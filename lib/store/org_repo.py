"""The organisation in the database, loaded whole and cached until its version changes."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine, ScalarSelect, delete, insert, select, update

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
        """The stored version; inside a unit of work that saved the organisation, the saved one."""
        if (unit := current_unit(self._engine)) is not None and (saved := unit.find(_SAVED)) is not None:
            return int(saved[0])
        with self._reads.connect() as conn:
            v = conn.execute(select(_VERSION)).scalar()
        return int(v or 0)

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
        with writing(self._engine) as conn:
            row = conn.execute(
                select(org_settings.c.value).where(org_settings.c.key == "version").with_for_update()
            ).first()
            current = int(row[0]) if row else 0
            if expected_version is not None and current != expected_version:
                raise StaleOrganisation(expected_version, current)
            conn.execute(delete(memberships))
            conn.execute(delete(working_groups))
            conn.execute(delete(org_settings))
            if org.working_groups:
                conn.execute(
                    insert(working_groups),
                    [
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
                    ],
                )
            if org.memberships:
                conn.execute(
                    insert(memberships),
                    [
                        {
                            "grp": m.group,
                            "uid": m.user,
                            "role": m.role.value if m.role else None,
                            "until": m.until,
                        }
                        for m in dict.fromkeys(org.memberships)
                    ],
                )
            conn.execute(
                insert(org_settings),
                [
                    {"key": "name", "value": org.name},
                    {"key": "naming", "value": asdict(org.naming)},
                    {"key": "version", "value": current + 1},
                ],
            )
            if (unit := current_unit(self._engine)) is not None:
                unit.saved[_SAVED] = (current + 1, org)
        return current + 1

    def bump(self) -> None:
        """A new version of the same organisation (every cache reads it again)."""
        _forget_view()
        with writing(self._engine) as conn:
            version = conn.execute(select(_VERSION)).scalar()
            conn.execute(
                update(org_settings)
                .where(org_settings.c.key == "version")
                .values(value=int(version or 0) + 1)
            )
            if (unit := current_unit(self._engine)) is not None and (saved := unit.find(_SAVED)) is not None:
                unit.saved[_SAVED] = (int(version or 0) + 1, saved[1])


class StaleOrganisation(Exception):
    """Someone else saved the organisation since it was read."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"organisation changed (version {current}, expected {expected})")
        self.expected = expected
        self.current = current
