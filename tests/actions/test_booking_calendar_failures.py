"""The booking form when the calendar (the database) fails or cannot be reached.

Each test builds the tracker the action server receives for one caller's answer
(see ``tests/actions/booking_form_trackers.py``) and checks the exact slot events returned and
the exact French sentences the caller hears, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text as sql

from actions import slots
from clinic.operations import ClinicOperations
from actions.clinic_service import use_clinic_operations
from clinic.database import make_session_factory
from clinic.models import Patient
from actions.time_answers import CALENDAR_UNAVAILABLE
from tests.actions.booking_form_trackers import (
    booking_tracker, confirm_tracker, identity_until, rows, time_tracker, validate,
)
from tests.actions.tracker_builder import time_entity


# ----------------------------------------------------------------------- the calendar fails


def drop_appointments(database_url):
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            # CASCADE: the staff console's audit refers to appointments (PostgreSQL).
            cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
            connection.execute(sql(f"DROP TABLE appointments{cascade}"))
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_database_failure_at_confirmation(domain, operations, session_factory, database_url):
    session_factory.kw["bind"].dispose()  # no pooled connection holds the table
    drop_appointments(database_url)

    result, said_back = await validate(confirm_tracker(True), domain)

    assert result == {
        slots.BOOKING_CONFIRMED: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_CONFIRMED: 1},
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == [CALENDAR_UNAVAILABLE]
    assert said_back == [
        "Je suis désolé, l'agenda du cabinet ne répond pas pour le moment. "
        "Rien n'a été modifié. Vous pouvez réessayer dans un instant, "
        "ou demander à parler à quelqu'un."
    ]
    assert rows(session_factory, Patient) == []  # the new patient was rolled back too


@pytest.fixture
def unreachable_operations(database_url, clinic, fixed_now, tmp_path):
    """Operations whose database cannot be reached at all."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'clinic.db'}"
    else:
        url = "postgresql://clinic:clinic@127.0.0.1:9/clinic_test"
    engine = create_engine(url, future=True)
    ops = ClinicOperations(make_session_factory(engine), clinic, clock=lambda: fixed_now)
    use_clinic_operations(ops)
    yield ops
    use_clinic_operations(None)
    engine.dispose()


@pytest.mark.asyncio
async def test_database_unreachable_when_choosing_a_time(domain, unreachable_operations):
    entity = time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00")

    result, said_back = await validate(time_tracker("jeudi à 10h30", [entity]), domain)

    assert result == {
        slots.BOOKING_TIME: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == [CALENDAR_UNAVAILABLE]


@pytest.mark.asyncio
async def test_database_unreachable_when_checking_identity(domain, unreachable_operations):
    tracker = booking_tracker(
        slots.PHONE_NUMBER, "06 12 34 56 78", filled={slots.PHONE_NUMBER: "06 12 34 56 78"},
        slots_now=identity_until(slots.PHONE_NUMBER),
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PHONE_NUMBER: None,
        slots.VALIDATION_FAILURES: {slots.PHONE_NUMBER: 1},
        slots.REQUESTED_SLOT: slots.PHONE_NUMBER,
    }
    assert said_back == [CALENDAR_UNAVAILABLE]


@pytest.mark.asyncio
async def test_database_unreachable_at_confirmation(domain, unreachable_operations):
    result, said_back = await validate(confirm_tracker(True), domain)

    assert result[slots.BOOKING_CONFIRMED] is None
    assert said_back == [CALENDAR_UNAVAILABLE]
