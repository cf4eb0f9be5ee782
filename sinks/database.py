"""Database connection and schema migrations (Alembic, run programmatically)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from marsad.config import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached."""


def make_engine(settings: Settings) -> Engine:
    """An engine for ``MARSAD_DATABASE_URL`` (psycopg 3), with connection health checks."""
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2,
                         connect_args={"connect_timeout": 5, "application_name": "marsad"})


def check(engine: Engine, settings: Settings) -> None:
    """Raise ``DatabaseUnavailable`` with a clear message if the database is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {settings.database_url_safe}: {reason}. Start the "
            "local one with `marsad up`, or set MARSAD_DATABASE_URL to a running server."
        ) from exc


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


def migrate(engine: Engine, settings: Settings) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = alembic_config(settings)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
