"""Access requests in the database: a JSON document per request plus indexed columns.

``save`` is optimistic locking on ``version`` (cosmicpython's version_number): of two operators
deciding one request at once, exactly one succeeds. Inside a unit of work (lib/store/unit.py)
writes join its transaction and reads see them; a failed ``save`` rolls the whole unit back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, ScalarSelect, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from lib.core.faults import ConcurrentUpdate
from lib.core.model import Role
from lib.core.request_kinds import (
    AccessRequest,
    Objection,
    RequestKind,
    RequestLine,
    RequestState,
    Transition,
)

from .db import reader
from .tables import access_requests, locks, sent_notifications, used_tokens
from .unit import guard, reading, writing


def _dt(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def iso(d: date | datetime | None) -> str | None:
    return d.isoformat() if d else None


def request_to_data(r: AccessRequest) -> dict[str, Any]:
    return {
        "kind": r.kind.value,
        "requester": r.requester,
        "group": r.group,
        "lines": [
            {
                "user": ln.user,
                "email": ln.email,
                "role": ln.role.value if ln.role else None,
                "until": iso(ln.until),
            }
            for ln in r.lines
        ],
        "justification": r.justification,
        "new_group_name": r.new_group_name,
        "purpose": r.purpose,
        "state": r.state.value,
        "decided_by": r.decided_by,
        "decided_at": iso(r.decided_at),
        "reason": r.reason,
        "error": r.error,
        "objection_until": iso(r.objection_until),
        "objections": [{"member": o.member, "at": iso(o.at), "reason": o.reason} for o in r.objections],
        "plan_checksum": r.plan_checksum,
        "history": [
            {
                "from": t.from_state.value if t.from_state else None,
                "to": t.to_state.value,
                "actor": t.actor,
                "at": iso(t.at),
                "note": t.note,
            }
            for t in r.history
        ],
    }


def request_from_data(rid: int, version: int, d: dict[str, Any]) -> AccessRequest:
    return AccessRequest(
        id=rid,
        version=version,
        kind=RequestKind(d["kind"]),
        requester=d["requester"],
        group=d["group"],
        lines=tuple(
            RequestLine(
                user=ln["user"],
                email=ln["email"],
                role=Role(ln["role"]) if ln["role"] else None,
                until=date.fromisoformat(ln["until"]) if ln["until"] else None,
            )
            for ln in d["lines"]
        ),
        justification=d["justification"],
        new_group_name=d["new_group_name"],
        purpose=d["purpose"],
        state=RequestState(d["state"]),
        decided_by=d["decided_by"],
        decided_at=_dt(d["decided_at"]),
        reason=d["reason"],
        error=d["error"],
        objection_until=_dt(d["objection_until"]),
        objections=tuple(
            Objection(o["member"], _dt(o["at"]) or datetime.min, o["reason"]) for o in d["objections"]
        ),
        plan_checksum=d["plan_checksum"],
        history=tuple(
            Transition(
                RequestState(t["from"]) if t["from"] else None,
                RequestState(t["to"]),
                t["actor"],
                _dt(t["at"]) or datetime.min,
                t["note"],
            )
            for t in d["history"]
        ),
    )


class RequestRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = reader(engine)  # single-statement reads

    def add(self, r: AccessRequest) -> AccessRequest:
        now = datetime.now(UTC)
        with writing(self._engine) as conn:
            rid = conn.execute(
                insert(access_requests)
                .values(
                    kind=r.kind.value,
                    state=r.state.value,
                    grp=r.group,
                    requester=r.requester,
                    version=r.version,
                    created_at=now,
                    updated_at=now,
                    data=request_to_data(r),
                )
                .returning(access_requests.c.id)
            ).scalar_one()
        return replace(r, id=int(rid))

    def get(self, rid: int) -> AccessRequest | None:
        if not 0 < rid < 2**63:  # no such id (a URL may carry any integer); the database would overflow
            return None
        with reading(self._engine, self._reads) as conn:
            row = conn.execute(select(access_requests).where(access_requests.c.id == rid)).first()
        return request_from_data(row.id, row.version, row.data) if row else None

    def save(self, r: AccessRequest, read_version: int) -> AccessRequest:
        """Store ``r`` if the stored version is still ``read_version``; else ConcurrentUpdate."""
        assert r.id is not None
        with writing(self._engine) as conn:
            done = conn.execute(
                update(access_requests)
                .where(access_requests.c.id == r.id, access_requests.c.version == read_version)
                .values(
                    state=r.state.value,
                    version=r.version,
                    updated_at=datetime.now(UTC),
                    data=request_to_data(r),
                )
            ).rowcount
        if done != 1:
            raise ConcurrentUpdate(r.id)
        return r

    def _list(
        self, *conds: Any, newest_first: bool = True, limit: int = 200, offset: int = 0
    ) -> list[AccessRequest]:
        order = access_requests.c.id.desc() if newest_first else access_requests.c.id
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(access_requests).where(*conds).order_by(order).limit(limit).offset(offset)
            )
            return [request_from_data(r.id, r.version, r.data) for r in rows]

    def by_requester(self, uid: str, limit: int = 200) -> list[AccessRequest]:
        return self._list(access_requests.c.requester == uid, limit=limit)

    def in_states(self, states: set[RequestState], limit: int = 200, offset: int = 0) -> list[AccessRequest]:
        cond = access_requests.c.state.in_([s.value for s in states])
        return self._list(cond, newest_first=False, limit=limit, offset=offset)

    def for_group(self, slug: str, states: set[RequestState]) -> list[AccessRequest]:
        return self._list(
            access_requests.c.grp == slug, access_requests.c.state.in_([s.value for s in states])
        )

    @staticmethod
    def count_query(states: set[RequestState]) -> ScalarSelect[int]:
        """How many requests are in ``states``, as a subquery (asked with another in one round trip)."""
        q = select(func.count()).select_from(access_requests)
        return q.where(access_requests.c.state.in_([s.value for s in states])).scalar_subquery()

    def all_rows(self) -> list[tuple[str, str, datetime, datetime]]:
        """(kind, state, created_at, updated_at) of every request, for statistics."""
        c = access_requests.c
        with reading(self._engine, self._reads) as conn:
            return [
                (r[0], r[1], r[2], r[3])
                for r in conn.execute(select(c.kind, c.state, c.created_at, c.updated_at))
            ]

    # ---- notifications sent about a request (to retract them once decided) ----------------------

    def record_notification(self, request_id: int, uid: str, object_id: str, purpose: str) -> None:
        with writing(self._engine) as conn:
            conn.execute(
                insert(sent_notifications).values(
                    request_id=request_id, uid=uid, object_id=object_id, purpose=purpose, deleted=False
                )
            )

    def live_notifications(self, request_id: int, purpose: str) -> list[tuple[int, str, str]]:
        c = sent_notifications.c
        with reading(self._engine, self._reads) as conn:
            rows = conn.execute(
                select(c.id, c.uid, c.object_id).where(
                    c.request_id == request_id, c.purpose == purpose, c.deleted.is_(False)
                )
            )
            return [(r.id, r.uid, r.object_id) for r in rows]

    def notification_deleted(self, row_id: int) -> None:
        with writing(self._engine) as conn:
            conn.execute(
                update(sent_notifications).where(sent_notifications.c.id == row_id).values(deleted=True)
            )

    def was_notified(self, request_id: int, uid: str, purpose: str) -> bool:
        c = sent_notifications.c
        with reading(self._engine, self._reads) as conn:
            q = select(c.id).where(c.request_id == request_id, c.uid == uid, c.purpose == purpose)
            return conn.execute(q).first() is not None

    # ---- single-use decision links and cross-process locks ---------------------------------------

    def use_nonce(self, nonce: str) -> bool:
        """True the first time a nonce is used, False ever after (inside a unit: unless it rolls back)."""
        try:
            with writing(self._engine) as conn, guard(self._engine, conn):
                conn.execute(insert(used_tokens).values(nonce=nonce, used_at=datetime.now(UTC)))
            return True
        except IntegrityError:
            return False

    def nonce_used(self, nonce: str) -> bool:
        """Whether a decision link was used, without using it (a click that decides nothing)."""
        with reading(self._engine, self._reads) as conn:
            found = conn.execute(select(used_tokens.c.nonce).where(used_tokens.c.nonce == nonce)).first()
        return found is not None

    def try_lock(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """A lease in the database: one process at a time runs a periodic task, on SQLite or PostgreSQL."""
        with writing(self._engine) as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.until < now))
            taken = conn.execute(
                update(locks)
                .where(locks.c.name == name, or_(locks.c.holder == holder, and_(locks.c.until < now)))
                .values(holder=holder, until=now + ttl)
            ).rowcount
            if taken:
                return True
            try:
                with conn.begin_nested():
                    conn.execute(insert(locks).values(name=name, holder=holder, until=now + ttl))
                return True
            except IntegrityError:
                return False
