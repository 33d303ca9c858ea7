"""Engine creation and migrations: SQLite file by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

MIGRATIONS = Path(__file__).parent / "migrations"
IDLE_PING = 10.0  # seconds


def make_engine(url: str) -> Engine:
    """One engine per process; SQLite gets WAL and foreign keys so two readers never block a writer."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, hide_parameters=True)  # request texts and names stay out of error logs
    _ping_when_idle(engine)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

    return engine


def reader(engine: Engine) -> Engine:
    """The same pool for reads of one statement, in autocommit: no BEGIN before nor ROLLBACK after.

    On PostgreSQL those are two more round trips around every query a page makes; a statement on
    its own sees one consistent snapshot anyway. Reads of several statements that must agree (the
    organisation) and every write keep a transaction (``engine.begin()``).
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle for IDLE_PING seconds.

    A restarted database drops idle connections; pinging each checkout (``pool_pre_ping``) would
    add a round trip to every query, which under load costs PostgreSQL as much as the queries.
    A connection that fails the ping is replaced (the pool retries on ``DisconnectionError``).
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(conn, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING:
            return
        try:
            cur = conn.cursor()
            cur.execute("SELECT 1")
            cur.close()
            conn.rollback()  # psycopg began a transaction: leave the connection as the pool gave it
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (Alembic upgrade), on the given engine's connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
