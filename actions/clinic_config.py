"""The clinic's configuration (``clinic.yml``): hours, doctors, appointment length,
security limits, how long conversations are kept, how often a question is asked and
the practical information callers ask for (address, access, what to bring, price).

Loaded once per process and validated at start: a bad value raises
:class:`ClinicConfigError` with a message that names the field, so that
``make run`` stops before any service answers a call.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Literal, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from pydantic import BaseModel, Extra, StrictBool, StrictStr, ValidationError, conint, validator

WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "clinic.yml"


class ClinicConfigError(ValueError):
    """``clinic.yml`` is missing or holds a bad value."""


@dataclass(frozen=True)
class Period:
    """One opening period of a day, e.g. 08:30 to 12:30."""

    start: time
    end: time


WeekHours = Dict[str, Tuple[Period, ...]]


def _parse_clock(value: str) -> time:
    try:
        return datetime.strptime(str(value), "%H:%M").time()
    except ValueError:
        raise ValueError(f"'{value}' is not a time of day like 08:30") from None


def _parse_week(raw: Dict[str, List[List[str]]]) -> WeekHours:
    unknown = set(raw) - set(WEEKDAYS)
    if unknown:
        raise ValueError(
            f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}"
        )
    week: WeekHours = {}
    for day in WEEKDAYS:
        periods = []
        for pair in raw.get(day) or []:
            if len(pair) != 2:
                raise ValueError(f"{day}: each period is [start, end], got {pair}")
            start, end = _parse_clock(pair[0]), _parse_clock(pair[1])
            if end <= start:
                raise ValueError(f"{day}: period {pair[0]}-{pair[1]} ends before it starts")
            periods.append(Period(start, end))
        periods.sort(key=lambda p: p.start)
        for before, after in zip(periods, periods[1:]):
            if after.start < before.end:
                raise ValueError(f"{day}: periods overlap")
        week[day] = tuple(periods)
    return week


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class _PatientIdModel(_Strict):
    digits: conint(ge=4, le=12)  # type: ignore[valid-type]


class _DoctorModel(_Strict):
    id: str
    first_name: str
    last_name: str
    title: str = "docteur"
    specialty: str
    hours: Optional[Dict[str, List[List[str]]]] = None

    @validator("id")
    def _id_is_slug(cls, value: str) -> str:
        if not value.isascii() or not value.replace("_", "").isalnum() or not value.islower():
            raise ValueError("doctor id must be lowercase letters, digits or _")
        return value

    @validator("title")
    def _known_title(cls, value: str) -> str:
        if value not in ("docteur", "docteure"):
            raise ValueError("title must be 'docteur' or 'docteure'")
        return value

    @validator("hours")
    def _hours_parse(cls, value):
        if value is not None:
            _parse_week(value)
        return value


class _SecurityModel(_Strict):
    identity_max_failures: conint(strict=True, ge=1, le=100) = 5  # type: ignore[valid-type]
    identity_lockout_minutes: conint(strict=True, ge=1, le=1440) = 15  # type: ignore[valid-type]
    max_upcoming_per_patient: conint(strict=True, ge=1, le=100) = 2  # type: ignore[valid-type]
    max_upcoming_per_phone: conint(strict=True, ge=1, le=100) = 2  # type: ignore[valid-type]
    max_bookings_per_caller_per_day: conint(strict=True, ge=1, le=1000) = 3  # type: ignore[valid-type]
    registered_patients_only: StrictBool = True
    identity_without_file_number: Literal["name_and_phone", "none"] = "name_and_phone"


class _PrivacyModel(_Strict):
    conversation_retention_days: conint(strict=True, ge=1, le=3650) = 30  # type: ignore[valid-type]


class _ConversationModel(_Strict):
    max_asks_per_slot: conint(strict=True, ge=1, le=10) = 3  # type: ignore[valid-type]


# Characters a speech engine spells out or reads badly in practical texts: write them
# in words ("30 euros", "bâtiment A ou B").
_UNSPOKEN = "€$%&@#*/\\<>[]{}|~^_=+"
_SPOKEN_MAX_CHARS = 300


class _PracticalModel(_Strict):
    """Texts the caller hears as they are: short French, no URL, no symbol."""

    address: StrictStr
    access: Optional[StrictStr] = None
    what_to_bring: Optional[StrictStr] = None
    consultation_price: Optional[StrictStr] = None

    @validator("*")
    def _speakable(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return value
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
        if len(value) > _SPOKEN_MAX_CHARS:
            raise ValueError(f"too long to be read aloud ({_SPOKEN_MAX_CHARS} characters at most)")
        lowered = value.lower()
        if "http" in lowered or "www." in lowered or "://" in lowered:
            raise ValueError("no web address: the caller hears this text")
        for char in value:
            if char in _UNSPOKEN:
                raise ValueError(f"'{char}' does not read well aloud; write it in words")
        return value


class _ClinicModel(_Strict):
    name: str
    timezone: str
    reception_phone: str
    appointment_minutes: conint(ge=5, le=240)  # type: ignore[valid-type]
    booking_horizon_days: conint(ge=1, le=730) = 90  # type: ignore[valid-type]
    opening_hours: Dict[str, List[List[str]]]
    closed_days: List[date] = []
    patient_id: _PatientIdModel
    doctors: List[_DoctorModel]
    security: _SecurityModel = _SecurityModel()
    privacy: _PrivacyModel = _PrivacyModel()
    conversation: _ConversationModel = _ConversationModel()
    practical: Optional[_PracticalModel] = None

    @validator("timezone")
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone '{value}'") from None
        return value

    @validator("reception_phone")
    def _valid_phone(cls, value: str) -> str:
        try:
            number = phonenumbers.parse(value, "FR")
        except phonenumbers.NumberParseException:
            raise ValueError(f"'{value}' is not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError(f"'{value}' is not a valid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @validator("opening_hours")
    def _hours_parse(cls, value):
        _parse_week(value)
        return value

    @validator("doctors")
    def _doctors_unique(cls, value: List[_DoctorModel]) -> List[_DoctorModel]:
        if not value:
            raise ValueError("at least one doctor is needed")
        ids = [d.id for d in value]
        if len(set(ids)) != len(ids):
            raise ValueError("doctor ids must be unique")
        return value


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
        model = _ClinicModel.parse_obj(raw or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ClinicConfigError(f"clinic.yml is invalid: {problems}") from None
    opening = _parse_week(model.opening_hours)
    doctors = tuple(
        Doctor(
            id=d.id,
            first_name=d.first_name,
            last_name=d.last_name,
            title=d.title,
            specialty=d.specialty,
            hours=_parse_week(d.hours) if d.hours is not None else None,
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
    path = Path(path or os.environ.get("CLINIC_CONFIG") or DEFAULT_PATH)
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
