"""Connection to the clinic database and its migrations.

``DATABASE_URL`` selects the database (any SQLAlchemy URL; PostgreSQL in
production). Without it, a SQLite file at ``var/clinic.db`` beside the project
(outside ``data/``, which holds training data). Nothing connects at import.

Every engine keeps personal data out of error messages (``hide_parameters``: a
failed statement is logged without its values) and no call waits long: on
PostgreSQL a connect timeout (``DATABASE_CONNECT_TIMEOUT_S``, 5 s) and a statement
timeout (``DATABASE_STATEMENT_TIMEOUT_MS``, 5000 ms); on SQLite a busy timeout of
5 s. SQLite files are created readable by their owner only (0600, directory 0700),
and every SQLite connection overwrites what it deletes (``PRAGMA secure_delete``): a
purged conversation or patient is not left in the file's free pages.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from clinic.settings import (  # noqa: F401  (database_url: the engine's URL, for callers)
    PROJECT_ROOT,
    connect_timeout_s,
    database_url,
    statement_timeout_ms,
)

# Longest wait for another writer's lock. Writes hold it for milliseconds: 50
# simultaneous bookings of one slot pass well within it.
SQLITE_BUSY_TIMEOUT_S = 5


def make_engine(url: Optional[str] = None) -> Engine:
    """An engine for ``url`` with settings that keep concurrent writers safe."""
    url = url or database_url()
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return _server_engine(url)


def make_external_engine(url: str) -> Engine:
    """An engine for a database the clinic does not manage (Rasa's tracker store):
    the same privacy and timeouts, but a SQLite file is neither created nor tuned."""
    if url.startswith("sqlite"):
        return erase_deleted_content(create_engine(
            url,
            future=True,
            hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
        ))
    return _server_engine(url)


def erase_deleted_content(engine: Engine) -> Engine:
    """``engine`` (SQLite), each of its connections overwriting deleted rows with zeros
    (``PRAGMA secure_delete=ON``) instead of leaving them in free space in the file."""

    @event.listens_for(engine, "connect")
    def _secure_delete(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


def _server_engine(url: str) -> Engine:
    options: Dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_timeout = connect_timeout_s()
        statement_timeout = statement_timeout_ms()
        options = {
            "connect_args": {
                "connect_timeout": connect_timeout,
                "options": f"-c statement_timeout={statement_timeout}",
            },
            # Waiting for a pooled connection is bounded too.
            "pool_timeout": connect_timeout,
        }
    return create_engine(url, pool_pre_ping=True, future=True, hide_parameters=True, **options)


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        _create_private_file(Path(path))
    engine = erase_deleted_content(create_engine(
        url,
        future=True,
        hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
    ))

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


def _create_private_file(path: Path) -> None:
    """Create the database file 0600 (its missing directories 0700) before SQLite
    does; SQLite gives its -wal and -shm files the database file's mode."""
    missing = []
    directory = path.parent
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            pass
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


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
