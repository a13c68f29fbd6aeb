"""The clinic's calendar grid: which slots exist, before looking at bookings.

Pure functions of the configuration and of "now": a slot is one appointment
length that starts on the grid of an opening period, lies in the future and
inside the booking horizon.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator, List, Optional

from clinic.config import ClinicConfig, Doctor


@dataclass(frozen=True, order=True)
class Slot:
    """One bookable appointment time with one doctor (aware datetimes)."""

    start: datetime
    end: datetime
    doctor_id: str


class SlotRejected(ValueError):
    """A wished time is not a bookable slot; ``reason`` says why, for the caller."""

    PAST = "past"
    TOO_FAR = "too_far"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    OFF_GRID = "off_grid"
    UNKNOWN_DOCTOR = "unknown_doctor"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def doctor_slots_on(
    config: ClinicConfig, doctor: Doctor, day: date, now: datetime
) -> List[Slot]:
    """Every slot of ``doctor`` on ``day`` that starts after ``now``."""
    tz = config.timezone
    length = config.appointment_length
    horizon_end = now + config.booking_horizon
    slots = []
    for period in config.hours_of(doctor, day):
        start = datetime.combine(day, period.start, tzinfo=tz)
        period_end = datetime.combine(day, period.end, tzinfo=tz)
        while start + length <= period_end:
            if now < start <= horizon_end:
                slots.append(Slot(start, start + length, doctor.id))
            start += length
    return slots


def slots_between(
    config: ClinicConfig,
    start: datetime,
    end: datetime,
    now: datetime,
    doctor_id: Optional[str] = None,
) -> List[Slot]:
    """All slots starting in ``[start, end)``, by time then doctor order."""
    doctors = _doctors(config, doctor_id)
    found = []
    for day in _days(start.astimezone(config.timezone).date(), end.astimezone(config.timezone).date()):
        for doctor in doctors:
            found.extend(
                s for s in doctor_slots_on(config, doctor, day, now) if start <= s.start < end
            )
    order = {d.id: i for i, d in enumerate(config.doctors)}
    return sorted(found, key=lambda s: (s.start, order[s.doctor_id]))


def check_slot(
    config: ClinicConfig, doctor_id: str, start: datetime, now: datetime
) -> Slot:
    """The slot of ``doctor_id`` starting at ``start``, or :class:`SlotRejected`."""
    try:
        doctor = config.doctor(doctor_id)
    except KeyError:
        raise SlotRejected(SlotRejected.UNKNOWN_DOCTOR) from None
    start = start.astimezone(config.timezone)
    if start <= now:
        raise SlotRejected(SlotRejected.PAST)
    if start > now + config.booking_horizon:
        raise SlotRejected(SlotRejected.TOO_FAR)
    day = start.date()
    if not config.hours_of(doctor, day):
        raise SlotRejected(SlotRejected.CLOSED_DAY)
    for slot in doctor_slots_on(config, doctor, day, now):
        if slot.start == start:
            return slot
    inside = any(
        datetime.combine(day, p.start, tzinfo=config.timezone)
        <= start
        < datetime.combine(day, p.end, tzinfo=config.timezone)
        for p in config.hours_of(doctor, day)
    )
    raise SlotRejected(SlotRejected.OFF_GRID if inside else SlotRejected.OUTSIDE_HOURS)


def _doctors(config: ClinicConfig, doctor_id: Optional[str]) -> List[Doctor]:
    if doctor_id is None:
        return list(config.doctors)
    try:
        return [config.doctor(doctor_id)]
    except KeyError:
        raise SlotRejected(SlotRejected.UNKNOWN_DOCTOR) from None


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
