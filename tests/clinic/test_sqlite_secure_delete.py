"""What a purge deletes from a SQLite file is gone from the file's bytes: every SQLite
engine the project makes sets ``PRAGMA secure_delete=ON`` (the clinic database's, the
purge's, Rasa's tracker store of ``endpoints.yml``).

Debian builds SQLite with secure_delete on by default, most others (Python.org, Homebrew)
do not: the fixture :func:`sqlite_keeps_deleted_content` makes every new SQLite connection
start with it off, as those builds do, so that only the project's own setting counts.
"""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import delete

from clinic.database import make_engine, make_session_factory, migrate
from clinic.models import Patient
from clinic.retention import purge_conversations
from tests.rasa_server.test_tracker_store_safety import store_from_endpoints

MARKER = "Zorglubvandermeersch"


@pytest.fixture
def sqlite_keeps_deleted_content(monkeypatch):
    """SQLite connections that start with ``secure_delete`` off (SQLite's own default)."""
    connect = sqlite3.dbapi2.connect

    def connect_without_secure_delete(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect_without_secure_delete)


def file_bytes(path: Path) -> bytes:
    """The database file with its journal and WAL, if any are left."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_deleted_patient_is_not_left_in_the_clinic_database_file(
        tmp_path, sqlite_keeps_deleted_content):
    path = tmp_path / "clinic.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        session.add(Patient(clinic_patient_id="482913", first_name="Ghislaine",
                            last_name=MARKER, phone_e164="+33612345678"))
    with sessions() as session, session.begin():
        session.execute(delete(Patient).where(Patient.last_name == MARKER))
    engine.dispose()  # the last connection checkpoints the WAL into the file
    assert MARKER.encode() not in file_bytes(path)


def test_a_purged_conversation_is_not_left_in_the_tracker_store_file(
        tmp_path, monkeypatch, sqlite_keeps_deleted_content):
    path = tmp_path / "tracker.db"
    store = store_from_endpoints(f"sqlite:///{path}", monkeypatch)
    said = f"je m'appelle Ghislaine {MARKER}"
    tracker = DialogueStateTracker.from_events("web:ancien", [UserUttered(said, timestamp=1000.0)])
    asyncio.run(store.save(tracker))
    store.engine.dispose()
    assert MARKER.encode() in file_bytes(path)
    assert purge_conversations(f"sqlite:///{path}", days=30).conversations == 1
    assert MARKER.encode() not in file_bytes(path)


def test_the_tracker_store_overwrites_what_it_deletes(
        tmp_path, monkeypatch, sqlite_keeps_deleted_content):
    store = store_from_endpoints(f"sqlite:///{tmp_path / 'tracker.db'}", monkeypatch)
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        store.engine.dispose()
