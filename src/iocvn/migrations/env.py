"""Alembic environment: runs migrations on the URL given by ``iocvn.db.alembic_config``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from iocvn.migrations.metadata import metadata

config = context.config


def run_migrations_online() -> None:
    """Run against a live connection (the only mode iocvn uses)."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
