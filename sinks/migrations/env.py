"""Alembic environment: migrations run online against MARSAD_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from sinks.tables import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    """Run the migrations in one transaction."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
