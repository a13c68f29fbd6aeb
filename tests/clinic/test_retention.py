"""Retention: old conversations leave Rasa's tracker store, expired identity failures
leave the clinic database (``python -m clinic.retention``).

The ``events`` table is Rasa's own (``SQLTrackerStore.SQLEvent``), on SQLite and on
PostgreSQL (``TEST_POSTGRES_URL``).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from clinic.operations import ClinicOperations
from clinic.models import IdentityFailure
from clinic.retention import main, purge_conversations, purge_identity_failures
from tests.conftest import PROJECT_ROOT, postgres_url, reset_schema

DAY = 24 * 3600
NOW = 1_795_000_000.0  # a fixed "now" (unix seconds) for the in-process purges
# Conversation ids can hold a caller's number: none may reach the logs.
OLD_PHONE = "phone:+33612345678"


def rasa_events_table():
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore.SQLEvent.__table__


def create_events_table(url: str) -> None:
    engine = create_engine(url)
    try:
        rasa_events_table().create(engine, checkfirst=True)
    finally:
        engine.dispose()


def add_conversation(url: str, sender_id: str, ages_in_days: List[float], now: float = NOW) -> None:
    """Events of one conversation, ``ages_in_days`` before ``now`` (as Rasa writes them)."""
    table = rasa_events_table()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for age in ages_in_days:
                connection.execute(table.insert().values(
                    sender_id=sender_id, type_name="user", timestamp=now - age * DAY,
                    intent_name="inform", action_name=None,
                    data=json.dumps({"event": "user", "text": "06 12 34 56 78"}),
                ))
    finally:
        engine.dispose()


def events_per_sender(url: str) -> Dict[str, int]:
    table = rasa_events_table()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(table.c.sender_id, func.count()).group_by(table.c.sender_id)
            ).all()
    finally:
        engine.dispose()
    return dict(rows)


def drop_events_table(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS events"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request, tmp_path) -> Iterator[str]:
    """An empty tracker store of each kind, with Rasa's ``events`` table."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if request.param == "sqlite" else postgres_url()
    drop_events_table(url)
    create_events_table(url)
    yield url
    drop_events_table(url)


def fill(url: str) -> None:
    add_conversation(url, "phone:0a1b2c", [40, 39.5, 35])
    add_conversation(url, OLD_PHONE, [31])
    add_conversation(url, "web:recent", [1, 0.5])
    add_conversation(url, "phone:resumed", [60, 45, 2])  # old, but spoke again lately


# ----------------------------------------------------------------------- conversations


def test_old_conversations_are_deleted_whole_and_recent_ones_kept(tracker_url, caplog):
    fill(tracker_url)
    caplog.set_level(logging.INFO)

    purged = purge_conversations(tracker_url, days=30, now=NOW)

    assert (purged.conversations, purged.events) == (2, 4)
    assert events_per_sender(tracker_url) == {"web:recent": 2, "phone:resumed": 3}
    assert "2 conversation(s)" in caplog.text and "4 event(s)" in caplog.text
    for sender in ("phone:0a1b2c", OLD_PHONE, "web:recent", "phone:resumed", "612345678"):
        assert sender not in caplog.text


def test_nothing_old_nothing_deleted(tracker_url):
    add_conversation(tracker_url, "web:recent", [1])

    purged = purge_conversations(tracker_url, days=30, now=NOW)

    assert (purged.conversations, purged.events) == (0, 0)
    assert events_per_sender(tracker_url) == {"web:recent": 1}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_tracker_store_without_events_table_is_left_alone(kind, tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if kind == "sqlite" else postgres_url()
    if kind == "sqlite":
        create_engine(url).connect().close()  # an empty database file
    else:
        drop_events_table(url)
    caplog.set_level(logging.INFO)

    purged = purge_conversations(url, days=30, now=NOW)

    assert (purged.conversations, purged.events) == (0, 0)
    assert "no conversations table yet" in caplog.text
    engine = create_engine(url)
    try:
        assert not inspect(engine).has_table("events")
    finally:
        engine.dispose()


def test_a_missing_sqlite_tracker_store_is_not_created(tmp_path, caplog):
    path = tmp_path / "var" / "tracker.db"
    caplog.set_level(logging.INFO)

    purged = purge_conversations(f"sqlite:///{path}", days=30, now=NOW)

    assert purged.conversations == 0
    assert not path.exists() and not path.parent.exists()
    assert "no conversations table yet" in caplog.text


# ----------------------------------------------------------------------- identity failures


def test_identity_failures_older_than_the_lockout_window_are_deleted(
    operations, session_factory, database_url, clinic, fixed_now
):
    earlier = ClinicOperations(session_factory, clinic, clock=lambda: fixed_now - timedelta(minutes=16))
    earlier.record_identity_failure("482913", "phone:a")
    operations.record_identity_failure("482913", "phone:b")

    assert purge_identity_failures(database_url, clinic, now=fixed_now) == 2

    with session_factory() as session:
        kept = session.scalar(select(func.count()).select_from(IdentityFailure))
    assert kept == 2
    assert operations.identity_failures("482913", "phone:b").patient == 1


# ----------------------------------------------------------------------- command line


def test_days_default_to_clinic_yml(tmp_path, monkeypatch):
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    clinic_db = f"sqlite:///{tmp_path / 'clinic.db'}"
    reset_schema(clinic_db)
    create_events_table(tracker)
    now = time.time()
    add_conversation(tracker, "phone:month-old", [31], now=now)
    add_conversation(tracker, "phone:weeks-old", [29], now=now)
    monkeypatch.setenv("TRACKER_STORE_URL", tracker)
    monkeypatch.setenv("DATABASE_URL", clinic_db)
    monkeypatch.delenv("CLINIC_CONFIG", raising=False)

    assert main([]) == 0  # clinic.yml: privacy.conversation_retention_days 30

    assert events_per_sender(tracker) == {"phone:weeks-old": 1}


@pytest.mark.parametrize("argv", [["--days", "0"], ["--every", "-5"], ["--days", "trente"]])
def test_bad_arguments_are_refused(argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


def test_command_purges_at_start_then_stops_cleanly_on_sigterm(tmp_path):
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    clinic_db = f"sqlite:///{tmp_path / 'clinic.db'}"
    reset_schema(clinic_db)
    create_events_table(tracker)
    now = time.time()
    add_conversation(tracker, OLD_PHONE, [10, 8], now=now)
    add_conversation(tracker, "web:recent", [1], now=now)
    env = {**os.environ, "TRACKER_STORE_URL": tracker, "DATABASE_URL": clinic_db,
           "PYTHONPATH": str(PROJECT_ROOT)}
    log = tmp_path / "retention.log"

    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "clinic.retention", "--days", "7", "--every", "3600"],
            cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60  # a hang fails the test; nothing measures speed
        while "identity failure(s)" not in log.read_text() and process.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert process.poll() is None, log.read_text()  # still running: it loops
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    output = log.read_text()
    assert events_per_sender(tracker) == {"web:recent": 1}
    assert "1 conversation(s)" in output and "2 event(s)" in output
    assert "stopped" in output
    assert OLD_PHONE not in output and "612345678" not in output
