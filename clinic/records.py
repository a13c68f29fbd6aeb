"""What the clinic's operations take and give: a patient's and an appointment's details,
names compared as people say them, and the refusals a caller must hear about.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

# Writes something of its own (e.g. the staff audit) in the transaction of a change, which
# then commits both or neither.
ChangeRecord = Callable[[Session, "AppointmentDetails"], None]


class SlotTaken(Exception):
    """Somebody else holds this slot (possibly booked a moment ago)."""


class PatientMismatch(Exception):
    """The patient ID exists but the name or phone given does not match the file."""


class PatientNotRegistered(Exception):
    """The patient ID is unknown and clinic.yml accepts registered patients only."""

    def __init__(self) -> None:
        super().__init__("this patient ID is not registered at the clinic")


class PatientAlreadyBooked(Exception):
    """The patient already has an appointment at that time."""


class TooManyUpcoming(Exception):
    """The patient (``scope`` "patient") or the phone number (``scope`` "phone")
    already holds ``limit`` upcoming appointments, the most clinic.yml allows."""

    def __init__(self, limit: int, scope: str) -> None:
        holder = "patient" if scope == "patient" else "phone number"
        super().__init__(f"the {holder} already has {limit} upcoming appointment(s), the limit")
        self.limit = limit
        self.scope = scope


class TooManyBookingsToday(TooManyUpcoming):
    """The caller (a web address, or the keyed hash of a phone number) has booked
    ``limit`` appointments in the last 24 hours, the most clinic.yml allows: a script
    with fresh patient IDs and numbers cannot fill the calendar from one line."""

    def __init__(self, limit: int) -> None:
        Exception.__init__(self, f"this caller booked {limit} appointment(s) today, the limit")
        self.limit = limit
        self.scope = "caller"


class AppointmentNotFound(Exception):
    """No upcoming appointment with this id belongs to this patient."""


@dataclass(frozen=True)
class PatientDetails:
    clinic_patient_id: str
    first_name: str
    last_name: str
    phone_e164: str


@dataclass(frozen=True)
class AppointmentDetails:
    id: int
    clinic_patient_id: str
    doctor_id: str
    start: datetime
    end: datetime
    status: str


def same_name(a: str, b: str) -> bool:
    """Names match whatever the case, accents, hyphens or spacing."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if c.isalnum())
    return letters
