"""Pooled connections: one the database dropped while idle is replaced, with no ping on busy ones."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from lib.store import db
from lib.store.db import make_engine


def _drop_idle_connection(url: str) -> object:
    """An engine whose only pooled connection PostgreSQL has just terminated (as a restart does)."""
    if not url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    engine = make_engine(url)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = make_engine(url)
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    return engine


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING", 0.0)
    engine = _drop_idle_connection(db_url)
    with engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()  # type: ignore[attr-defined]


def test_a_connection_used_moments_ago_is_not_pinged(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost saved: without a ping, a dropped connection is only found by the query itself."""
    monkeypatch.setattr(db, "IDLE_PING", 3600.0)
    engine = _drop_idle_connection(db_url)
    with pytest.raises(exc.OperationalError), engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text("SELECT 1"))
    engine.dispose()  # type: ignore[attr-defined]


def test_a_pinged_connection_serves_reads_and_writes(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ping must leave no transaction open (a read in autocommit could not start then)."""
    from lib.store.db import migrate, reader
    from lib.store.org_repo import OrgRepository

    monkeypatch.setattr(db, "IDLE_PING", 0.0)
    engine = make_engine(db_url)
    migrate(engine)
    with reader(engine).connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert OrgRepository(engine).version() == 0
    engine.dispose()
