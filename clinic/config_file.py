"""``clinic.yml`` as written: the file's schema, checked strictly (unknown keys, wrong
types, a bad time zone or phone number, overlapping hours, text that cannot be spoken
are refused with the field's name), and the weekly hours it describes.

:mod:`clinic.config` turns a checked file into the configuration the processes use.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Dict, List, Literal, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, Extra, StrictBool, StrictStr, conint, validator

WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


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


def parse_week(raw: Dict[str, List[List[str]]]) -> WeekHours:
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
            parse_week(value)
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


class ClinicFile(_Strict):
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
        parse_week(value)
        return value

    @validator("doctors")
    def _doctors_unique(cls, value: List[_DoctorModel]) -> List[_DoctorModel]:
        if not value:
            raise ValueError("at least one doctor is needed")
        ids = [d.id for d in value]
        if len(set(ids)) != len(ids):
            raise ValueError("doctor ids must be unique")
        return value
