"""The clinic's configuration (``clinic.yml``): hours, doctors, appointment length,
security limits, how long conversations are kept, how often a question is asked and
the practical information callers ask for (address, access, what to bring, price).

Loaded once per process and validated at start: a bad value raises
:class:`ClinicConfigError` with a message that names the field, so that
``make run`` stops before any service answers a call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from clinic.config_file import WEEKDAYS, ClinicFile, Period, WeekHours, parse_week
from clinic.settings import clinic_config_path

class ClinicConfigError(ValueError):
    """``clinic.yml`` is missing or holds a bad value."""


@dataclass(frozen=True)
class Doctor:
    id: str
    first_name: str
    last_name: str
    title: str
    specialty: str
    hours: Optional[WeekHours]  # None: the clinic's own hours

    @property
    def spoken_name(self) -> str:
        """How the assistant names the doctor: "la docteure Martin"."""
        article = "la" if self.title == "docteure" else "le"
        return f"{article} {self.title} {self.last_name}"


@dataclass(frozen=True)
class SecuritySettings:
    """Limits against guessing patient IDs and flooding the calendar."""

    identity_max_failures: int = 5  # failed identity checks before a lockout
    identity_lockout_minutes: int = 15  # window counted, and lockout length
    max_upcoming_per_patient: int = 2
    max_upcoming_per_phone: int = 2
    max_bookings_per_caller_per_day: int = 3  # per web address or phone number, 24 h
    registered_patients_only: bool = True  # an unknown patient ID is refused
    # A caller without their file number: "name_and_phone" checks the name and phone
    # on file instead (same lockout); "none" offers only the reception.
    identity_without_file_number: str = "name_and_phone"

    @property
    def identity_lockout(self) -> timedelta:
        return timedelta(minutes=self.identity_lockout_minutes)


@dataclass(frozen=True)
class PrivacySettings:
    """How long personal data is kept."""

    conversation_retention_days: int = 30


@dataclass(frozen=True)
class ConversationSettings:
    """How the dialogue keeps from looping."""

    max_asks_per_slot: int = 3  # rejected answers to one question before the offer


@dataclass(frozen=True)
class PracticalInfo:
    """What callers ask about the clinic, as spoken text; None when not configured."""

    address: Optional[str] = None
    access: Optional[str] = None  # sentences separated by ";"
    what_to_bring: Optional[str] = None
    consultation_price: Optional[str] = None


@dataclass(frozen=True)
class ClinicConfig:
    name: str
    timezone: ZoneInfo
    reception_phone: str
    appointment_length: timedelta
    booking_horizon: timedelta
    opening_hours: WeekHours
    closed_days: frozenset
    patient_id_digits: int
    doctors: Tuple[Doctor, ...]
    security: SecuritySettings = SecuritySettings()
    privacy: PrivacySettings = PrivacySettings()
    conversation: ConversationSettings = ConversationSettings()
    practical: PracticalInfo = PracticalInfo()

    def doctor(self, doctor_id: str) -> Doctor:
        for doctor in self.doctors:
            if doctor.id == doctor_id:
                return doctor
        raise KeyError(doctor_id)

    def hours_of(self, doctor: Doctor, day: date) -> Tuple[Period, ...]:
        """Periods in which ``doctor`` sees patients on ``day`` (none when closed)."""
        if day in self.closed_days:
            return ()
        weekday = WEEKDAYS[day.weekday()]
        clinic = self.opening_hours[weekday]
        own = doctor.hours.get(weekday, ()) if doctor.hours is not None else clinic
        return tuple(
            Period(max(o.start, c.start), min(o.end, c.end))
            for o in own
            for c in clinic
            if max(o.start, c.start) < min(o.end, c.end)
        )

    def is_valid_patient_id(self, value: str) -> bool:
        return value.isdigit() and len(value) == self.patient_id_digits


def parse_clinic_config(raw: dict) -> ClinicConfig:
    """Validate a parsed ``clinic.yml`` mapping and build the configuration."""
    try:
        model = ClinicFile.parse_obj(raw or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ClinicConfigError(f"clinic.yml is invalid: {problems}") from None
    opening = parse_week(model.opening_hours)
    doctors = tuple(
        Doctor(
            id=d.id,
            first_name=d.first_name,
            last_name=d.last_name,
            title=d.title,
            specialty=d.specialty,
            hours=parse_week(d.hours) if d.hours is not None else None,
        )
        for d in model.doctors
    )
    return ClinicConfig(
        name=model.name,
        timezone=ZoneInfo(model.timezone),
        reception_phone=model.reception_phone,
        appointment_length=timedelta(minutes=model.appointment_minutes),
        booking_horizon=timedelta(days=model.booking_horizon_days),
        opening_hours=opening,
        closed_days=frozenset(model.closed_days),
        patient_id_digits=model.patient_id.digits,
        doctors=doctors,
        security=SecuritySettings(**model.security.dict()),
        privacy=PrivacySettings(**model.privacy.dict()),
        conversation=ConversationSettings(**model.conversation.dict()),
        practical=PracticalInfo(**model.practical.dict()) if model.practical else PracticalInfo(),
    )


def load_clinic_config(path: Optional[Path] = None) -> ClinicConfig:
    """Read and validate ``clinic.yml`` (``CLINIC_CONFIG`` overrides the path)."""
    path = Path(path) if path else clinic_config_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClinicConfigError(f"clinic configuration not found: {path}") from None
    except yaml.YAMLError as error:
        raise ClinicConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ClinicConfigError(f"{path} must hold a mapping of settings")
    return parse_clinic_config(raw)


@lru_cache(maxsize=None)
def clinic_config() -> ClinicConfig:
    """The process-wide configuration, read on first use."""
    return load_clinic_config()


if __name__ == "__main__":
    import sys

    try:
        config = load_clinic_config(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    except ClinicConfigError as error:
        sys.exit(f"error: {error}")
    print(f"clinic.yml OK: {config.name}, {len(config.doctors)} doctor(s)")
