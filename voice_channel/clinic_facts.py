"""The two facts of ``clinic.yml`` the voice channel needs, read without the actions package.

The Rasa server process serves the voice channel; it must not load ``actions`` (the
action server's code, its database and its validation of the whole file). The channel
needs only the front desk's number (the apology of a late turn, the transfer of a slow
call) and the patient ID's length (the recognition hint). Both are read here from the
same file the action server reads (``CLINIC_CONFIG``, else ``clinic.yml`` at the
project root), checked the same way, once per process. ``make check-config`` and the
action server validate the rest of the file.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

import phonenumbers
import yaml

from voice_channel.settings import environment

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "clinic.yml"
PATIENT_ID_DIGITS_RANGE = (4, 12)  # as clinic.config checks it


class ClinicFactsError(ValueError):
    """clinic.yml is missing, unreadable, or holds a bad value for one of the facts."""


def clinic_file() -> Path:
    return Path(environment().clinic_config or DEFAULT_PATH)


@lru_cache(maxsize=None)
def _read(path: Path) -> Dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ClinicFactsError(f"{path} could not be read ({type(error).__name__})") from None
    if not isinstance(raw, dict):
        raise ClinicFactsError(f"{path} must hold a mapping of settings")
    return raw


def reception_phone() -> str:
    """The front desk's number in E.164 ("+33184801234"), as a transfer dials it."""
    value = _read(clinic_file()).get("reception_phone")
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException:
        raise ClinicFactsError("reception_phone is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ClinicFactsError("reception_phone is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def patient_id_digits() -> int:
    """How many digits a patient ID has."""
    section = _read(clinic_file()).get("patient_id")
    digits = section.get("digits") if isinstance(section, dict) else None
    low, high = PATIENT_ID_DIGITS_RANGE
    if not isinstance(digits, int) or isinstance(digits, bool) or not low <= digits <= high:
        raise ClinicFactsError(f"patient_id.digits must be a whole number from {low} to {high}")
    return digits
