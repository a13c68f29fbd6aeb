"""The registered patient the hostile requests aim at, booked at the front desk's chat
before the attacks, and what the clinic's database holds before and after them."""
from __future__ import annotations

from typing import List

VICTIM = ("314159", "Lefebvre", "Martine", "06 31 41 59 26")
VICTIM_ID = VICTIM[0]
VICTIM_PHONE = "06 31 41 59 26"
VICTIM_E164 = "+33631415926"


def appointments(database_url: str) -> List[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(map(str, row)) for row in connection.execute(text(
                "SELECT id, patient_id, doctor_id, start_at, status FROM appointments ORDER BY id"))]
    finally:
        engine.dispose()


def a_weekday_said() -> str:
    """An open weekday three days or more from now, as a patient says it."""
    from datetime import datetime, timedelta

    from clinic.config import load_clinic_config
    from spoken_french.say import say_date

    clinic = load_clinic_config()
    day = datetime.now(clinic.timezone).date() + timedelta(days=3)
    while day.weekday() > 4 or day in clinic.closed_days:
        day += timedelta(days=1)
    return say_date(day)


def book_the_victim(stack) -> None:
    """The victim is a registered patient (the shipped clinic books no one else), who
    books at the front desk's chat."""
    stack.register_patients([VICTIM])
    for text in ("je voudrais prendre un rendez-vous", VICTIM[1], VICTIM[2], VICTIM_ID,
                 VICTIM_PHONE, f"{a_weekday_said()} à 10h30", "oui"):
        stack.staff_say("victim", text).raise_for_status()


def patients(database_url: str) -> List[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text(
                "SELECT clinic_patient_id FROM patients ORDER BY id"))]
    finally:
        engine.dispose()
