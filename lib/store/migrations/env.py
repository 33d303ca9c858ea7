"""Alembic environment: the URL comes from the caller (lib/store/db.py), never from a file."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from lib.store.tables import metadata

config = context.config
connectable = config.attributes.get("connection")

if connectable is None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connectable, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
