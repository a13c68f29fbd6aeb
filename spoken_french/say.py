"""French the caller hears: dates, times, phone numbers, digits and lists.

Everything is written to read well aloud by a speech engine and in a chat:
"mardi 1er décembre à 9 heures 5" (not "09:05", which engines read "zéro neuf").
Own weekday and month tables: the server locale may be "C".
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Iterable

import phonenumbers

FRENCH_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def say_date(day: date, today: date | None = None) -> str:
    """ "mardi 24 novembre", "mardi 1er décembre"; the year only when not ``today``'s.

    Without ``today`` the year is never said.
    """
    number = "1er" if day.day == 1 else str(day.day)
    words = f"{FRENCH_WEEKDAYS[day.weekday()]} {number} {FRENCH_MONTHS[day.month - 1]}"
    if today is not None and day.year != today.year:
        words += f" {day.year}"
    return words


def say_time(moment: time | datetime) -> str:
    """ "10 heures 30", "10 heures", "9 heures 5", "1 heure", "midi", "minuit"."""
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour == 12:
        return "midi"
    if minute == 0 and hour == 0:
        return "minuit"
    words = f"{hour} heure" if hour <= 1 else f"{hour} heures"
    return words if minute == 0 else f"{words} {minute}"


def say_datetime(moment: datetime, today: date | None = None) -> str:
    """ "mardi 24 novembre à 10 heures 30", read on ``moment``'s own wall clock.

    Convert to the clinic's timezone first; the year is said as in ``say_date``.
    """
    return f"{say_date(moment.date(), today)} à {say_time(moment)}"


def say_phone(e164: str) -> str:
    """A French number in pairs ("06 12 34 56 78"), others internationally.

    Text that is no phone number is returned unchanged.
    """
    try:
        number = phonenumbers.parse(e164, "FR")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        national = "0" + phonenumbers.national_significant_number(number)
        return " ".join(national[i:i + 2] for i in range(0, len(national), 2))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def say_digits(value: str) -> str:
    """One character at a time: "123456" -> "1 2 3 4 5 6" (separators dropped)."""
    return " ".join(char for char in value if char.isalnum())


def say_list(items: Iterable[str], last_word: str = "et") -> str:
    """ "a, b et c"; ``last_word="ou"`` for a choice: "a, b ou c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last_word} {items[-1]}"
