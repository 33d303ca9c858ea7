"""The last reading of Nextcloud in the database, so every worker shows the same one (issue 16).

One row: the actual state as read (``NextcloudState`` as JSON), what it covered (``Scope``) and
when it was read. A reading replaces the row only if it is not older than the one there (a slow
read must not undo an apply's newer state, as in lib/services/readings.Readings.keep).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from lib.core.ports import Reading, Scope
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState

from .db import reader
from .tables import nextcloud_readings
from .unit import guard, reading, writing

NAME = "nextcloud"


class SqlReadings:
    """Implements lib.services.readings.ReadingStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = reader(engine)

    def save(self, kept: Reading) -> bool:
        """Store ``kept`` unless a newer reading is stored; True when stored."""
        t = nextcloud_readings.c
        values = {
            "state": state_data(kept.actual),
            "scope": scope_data(kept.scope),
            "read_at": kept.read_at.astimezone(UTC),
        }
        with writing(self._engine) as conn:
            if conn.execute(
                update(nextcloud_readings)
                .where(t.name == NAME, t.read_at <= values["read_at"])
                .values(**values)
            ).rowcount:
                return True
            try:
                with guard(self._engine, conn):
                    conn.execute(insert(nextcloud_readings).values(name=NAME, **values))
                return True
            except IntegrityError:  # a newer reading is there
                return False

    def read_at(self) -> datetime | None:
        """When the stored reading was taken: one small query (pages ask it on every view)."""
        with reading(self._engine, self._reads) as conn:
            at = conn.execute(
                select(nextcloud_readings.c.read_at).where(nextcloud_readings.c.name == NAME)
            ).scalar()
        return _utc(at)

    def load(self) -> Reading | None:
        t = nextcloud_readings.c
        with reading(self._engine, self._reads) as conn:
            row = conn.execute(select(t.state, t.scope, t.read_at).where(t.name == NAME)).first()
        if row is None:
            return None
        return Reading(state_from(row.state), scope_from(row.scope), _utc(row.read_at) or datetime.now(UTC))

    def clear(self) -> None:
        with writing(self._engine) as conn:
            conn.execute(delete(nextcloud_readings).where(nextcloud_readings.c.name == NAME))


def _utc(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at  # SQLite: naive


def scope_data(scope: Scope) -> dict[str, Any]:
    return {
        "folders": sorted(scope.folders),
        "rule_paths": sorted([m, p] for m, p in scope.rule_paths),
        "groups": sorted(scope.groups),
    }


def scope_from(data: dict[str, Any]) -> Scope:
    return Scope(
        frozenset(data["folders"]),
        frozenset((m, p) for m, p in data["rule_paths"]),
        frozenset(data["groups"]),
    )


def state_data(state: NextcloudState) -> dict[str, Any]:
    return {
        "groups": {gid: sorted(members) for gid, members in state.groups.items()},
        "folders": {mount: folder_data(f) for mount, f in state.folders.items()},
        "users": sorted(state.users),
        "display_names": dict(state.display_names),
        "app_group": state.app_group,
        "app_account": state.app_account,
    }


def state_from(data: dict[str, Any]) -> NextcloudState:
    return NextcloudState(
        groups={gid: set(members) for gid, members in data["groups"].items()},
        folders={mount: folder_from(f) for mount, f in data["folders"].items()},
        users=set(data["users"]),
        display_names=dict(data["display_names"]),
        app_group=data["app_group"],
        app_account=data["app_account"],
    )


def folder_data(f: FolderState) -> dict[str, Any]:
    return {
        "mount_point": f.mount_point,
        "groups": dict(f.groups),
        "acl": f.acl,
        "managers": sorted([m.mapping_type, m.mapping_id] for m in f.managers),
        "rules": {path: sorted(_rule(r) for r in rules) for path, rules in f.rules.items()},
        "folder_id": f.folder_id,
        "rules_readable": f.rules_readable,
        "rules_problem": f.rules_problem,
        "rules_reader": f.rules_reader,
        "mounted_for_app": f.mounted_for_app,
        "owners": sorted(f.owners),
    }


def folder_from(d: dict[str, Any]) -> FolderState:
    return FolderState(
        mount_point=d["mount_point"],
        groups={gid: int(p) for gid, p in d["groups"].items()},
        acl=bool(d["acl"]),
        managers={AclManager(t, i) for t, i in d["managers"]},
        rules={
            path: {AclRule(t, i, int(m), int(p)) for t, i, m, p in rules}
            for path, rules in d["rules"].items()
        },
        folder_id=d["folder_id"],
        rules_readable=bool(d["rules_readable"]),
        rules_problem=d["rules_problem"],
        rules_reader=d["rules_reader"],
        mounted_for_app=bool(d["mounted_for_app"]),
        owners=frozenset(d["owners"]),
    )


def _rule(r: AclRule) -> list[Any]:
    return [r.mapping_type, r.mapping_id, r.mask, r.permissions]
