"""Connection to the clinic database and its migrations.

``DATABASE_URL`` selects the database (any SQLAlchemy URL; PostgreSQL in
production). Without it, a SQLite file at ``var/clinic.db`` beside the project
(outside ``data/``, which holds training data). Nothing connects at import.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "clinic.db"
SQLITE_BUSY_TIMEOUT_S = 30


def database_url() -> str:
    """The configured database URL, defaulting to the SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: Optional[str] = None) -> Engine:
    """An engine for ``url`` with settings that keep concurrent writers safe."""
    url = url or database_url()
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, future=True)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so that each one can
        # take the write lock at BEGIN: two deferred transactions that read and then
        # write would otherwise deadlock and fail at once instead of waiting.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> "sessionmaker[Session]":
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def migrate(url: Optional[str] = None) -> None:
    """Bring the database schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url or database_url()
    command.upgrade(config, "head")


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    migrate()
    logging.getLogger(__name__).info("Database schema is up to date")
