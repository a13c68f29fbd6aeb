"""The clinic database keeps personal data to itself: no parameters in error logs,
owner-only SQLite files, and database calls that cannot hang for long.

On SQLite and PostgreSQL (``database_url`` fixture); PostgreSQL-only tests use
``TEST_POSTGRES_URL``.
"""
from __future__ import annotations

import logging
import os
import stat

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from actions import slots
from actions.booking import ValidateBookingForm
from clinic.database import make_engine, make_external_engine, migrate
from actions.time_answers import CALENDAR_UNAVAILABLE
from tests.conftest import postgres_url
from tests.actions.tracker_builder import (
    make_tracker, new_dispatcher, run_form_validation,
    slot_value, texts,
)

CHOSEN = slot_value("2026-11-26T10:30:00", "martin")
SECRETS = ("482913", "Dupont", "Marie", "+33612345678", "612345678")


def refuse_new_patients(database_url: str) -> None:
    """Make every INSERT into ``patients`` fail with a database error (not an
    IntegrityError, which the operations retry), as a broken database would."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                # The trigger's table is gone: each INSERT fails with "no such table".
                connection.execute(text("CREATE TABLE doomed (x INTEGER)"))
                connection.execute(text(
                    "CREATE TRIGGER patients_broken BEFORE INSERT ON patients "
                    "BEGIN INSERT INTO doomed VALUES (1); END"
                ))
                connection.execute(text("DROP TABLE doomed"))
            else:
                connection.execute(text(
                    "CREATE OR REPLACE FUNCTION patients_broken() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$"
                ))
                connection.execute(text(
                    "CREATE TRIGGER patients_broken BEFORE INSERT ON patients "
                    "FOR EACH ROW EXECUTE FUNCTION patients_broken()"
                ))
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_database_errors_are_logged_without_personal_data(
    domain, operations, session_factory, database_url, caplog
):
    session_factory.kw["bind"].dispose()
    refuse_new_patients(database_url)
    tracker = make_tracker(
        slots={
            slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie", slots.PATIENT_ID: "482913",
            slots.PHONE_NUMBER: "+33612345678", slots.BOOKING_TIME: CHOSEN["start"],
            slots.CHOSEN_SLOT: CHOSEN,
        },
        text="oui", intent="affirm", active_loop=slots.BOOKING_FORM,
        requested_slot=slots.BOOKING_CONFIRMED, filled={slots.BOOKING_CONFIRMED: True},
    )
    caplog.set_level(logging.INFO)
    dispatcher = new_dispatcher()

    await run_form_validation(ValidateBookingForm(), tracker, dispatcher, domain)

    assert texts(dispatcher) == [CALENDAR_UNAVAILABLE]
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.exc_info is not None  # logged with the exception and its traceback
    assert "INSERT INTO patients" in caplog.text  # the statement is there...
    for secret in SECRETS:  # ... but none of its values
        assert secret not in caplog.text


def test_every_engine_hides_parameters(database_url):
    for engine in (make_engine(database_url), make_external_engine(database_url)):
        try:
            assert engine.hide_parameters is True
        finally:
            engine.dispose()


# ----------------------------------------------------------------------- SQLite files


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_files_are_readable_by_their_owner_only(tmp_path):
    old_umask = os.umask(0o022)  # the usual umask would give 0644 files
    try:
        path = tmp_path / "var" / "clinic.db"
        migrate(f"sqlite:///{path}")
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect() as connection:  # WAL mode: -wal and -shm exist while open
            connection.execute(text("SELECT count(*) FROM patients"))
            assert mode(path.parent) == 0o700
            for name in ("clinic.db", "clinic.db-wal", "clinic.db-shm"):
                assert mode(path.parent / name) == 0o600, name
        engine.dispose()
    finally:
        os.umask(old_umask)


def test_an_existing_directory_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    engine = make_engine(f"sqlite:///{shared / 'clinic.db'}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert mode(shared) == 0o755
    assert mode(shared / "clinic.db") == 0o600


def test_sqlite_waits_for_a_busy_database_well_under_ten_seconds(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    try:
        with engine.connect() as connection:
            busy_ms = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        engine.dispose()
    assert 0 < busy_ms <= 5000


# ----------------------------------------------------------------------- PostgreSQL timeouts


def test_postgres_statement_timeout_cancels_a_hung_query(monkeypatch):
    url = postgres_url()
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT_MS", "50")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "50ms"
            with pytest.raises(OperationalError) as cancelled:
                connection.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": 30})
        assert "statement timeout" in str(cancelled.value)
    finally:
        engine.dispose()


def test_postgres_timeouts_have_safe_defaults(monkeypatch):
    url = postgres_url()
    monkeypatch.delenv("DATABASE_STATEMENT_TIMEOUT_MS", raising=False)
    monkeypatch.delenv("DATABASE_CONNECT_TIMEOUT_S", raising=False)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
            dsn = connection.connection.dbapi_connection.get_dsn_parameters()
        assert dsn["connect_timeout"] == "5"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "name, value", [("DATABASE_STATEMENT_TIMEOUT_MS", "soon"), ("DATABASE_CONNECT_TIMEOUT_S", "0")]
)
def test_a_bad_timeout_setting_is_refused_with_its_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        make_engine("postgresql://clinic:clinic@127.0.0.1:9/clinic_test")

