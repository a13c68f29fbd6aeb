"""Understanding the caller's pick among offered slots (yes/no: :mod:`spoken_french.yes_no`).

Each thing the caller says about a slot is a *cue* (a rank, a time of day, a
weekday, a date, morning/afternoon, a Duckling time value); each cue keeps the
offers it fits, and a slot is picked only when all cues together keep exactly one.
So "le deuxième à 14h30" must agree, "le premier ou le deuxième" picks nothing.
What follows "pas" up to the next comma or "mais" is ignored ("pas le premier,
le deuxième"). Matching is done on lower-case text without accents or punctuation,
so chat and speech recognition read the same.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, Sequence

from text_to_num import alpha2digit

from spoken_french.normalize import without_accents as _plain
from spoken_french.say import FRENCH_MONTHS, FRENCH_WEEKDAYS

Cue = set[int]  # indices of the offers a cue fits


_WEEKDAYS = tuple(_plain(day) for day in FRENCH_WEEKDAYS)
_MONTHS = tuple(_plain(month) for month in FRENCH_MONTHS)
_MONTH = "|".join(_MONTHS)
_ORDINAL_WORDS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4,
    "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8, "neuvieme": 9, "dixieme": 10,
}
_NOT_A_RANK_AFTER = rf"(?!\s*(?:{_MONTH}|h|heures?)\b)"
_DATE = re.compile(rf"\b(\d{{1,2}}|premier)(?:er|ere)?\s+({_MONTH})\b")
_TIME = re.compile(
    r"\b(?:(?P<hour>\d{1,2})\s*(?:h|heures?)(?![a-z])|(?P<named>midi|minuit))"
    r"(?:\s*(?P<minute>\d{1,2})\b|\s+et\s+(?P<half>demie?)\b|\s+et\s+(?P<quarter>quart)\b"
    r"|\s+moins\s+le\s+(?P<less>quart)\b)?"
    r"|\b(?P<clock_hour>\d{1,2}):(?P<clock_minute>\d{2})\b"
)
_MORNING = re.compile(r"\bmatin(?:ee)?\b")
_AFTERNOON = re.compile(r"\bapres\s*midi\b|\baprem\b")
_BEFORE_LAST = re.compile(r"\bavant\s+derni(?:er|ere)\b")
_LAST = re.compile(r"\bderni(?:er|ere)\b")
_EARLIEST = re.compile(r"\bplus\s+tot\b")
_LATEST = re.compile(r"\bplus\s+tard\b")
_WORD_RANK = re.compile(rf"\b({'|'.join(_ORDINAL_WORDS)})\b{_NOT_A_RANK_AFTER}")
_SECOND = re.compile(r"(?:\b(?:le|la|au|du)\s+|^)second(?:e)?\b")
_NUMBER_RANK = re.compile(rf"\b(\d{{1,2}})\s*(?:er|ere|re|e|eme|ieme|nd|nde)\b{_NOT_A_RANK_AFTER}")
_LABELLED_NUMBER = re.compile(
    rf"(?:\b(?:le|la|numero|n|no|option|choix)\s+|^)(\d{{1,2}})\b{_NOT_A_RANK_AFTER}(?!\s*:)"
)
_RELATIVE_DAY = re.compile(
    r"\b(?:aujourd\s*hui|demain|apres\s+demain|ce\s+matin|cet\s+apres\s*midi)\b"
)
_NOT_NEGATIONS = re.compile(r"\bpas\s+de\s+(?:souci|soucis|probleme|problemes)\b")
_NEGATED = re.compile(r"\bpas\b.*?(?=[,;.!?]|\bmais\b|\bplutot\b|$)")


def pick_offered_slot(
    text: str, offered: list[datetime], time_entity_value: datetime | None = None
) -> datetime | None:
    """The offered slot the caller picked, or None when unclear or not offered.

    ``offered`` is in the order the bot said them (aware, on the clinic's clock);
    ``time_entity_value`` is Duckling's time value for the same message, if any.
    """
    if not offered:
        return None
    normalized = said = _normalize_choice(text)
    cues: list[Cue] = []
    for read in (_date_cues, _part_of_day_cues, _time_cues, _weekday_cues, _rank_cues):
        found, said = read(said, offered)  # each reader removes what it used
        cues.extend(found)
    if time_entity_value is not None:
        cues.extend(_entity_cues(time_entity_value, normalized, offered))
    return _single_pick(cues, offered)


# ---------------------------------------------------------------- offered slots


def _normalize_choice(text: str) -> str:
    """Numbers as digits, no accents, negated parts dropped, words split by spaces."""
    said = re.sub(r"[-‐‑–]", " ", text.lower().replace("’", "'"))
    said = alpha2digit(said, "fr", threshold=0)
    said = _NOT_NEGATIONS.sub(" ", _plain(said))
    said = _NEGATED.sub(" ", said)
    return " ".join(re.sub(r"[^a-z0-9:]+", " ", said).split())


def _single_pick(cues: list[Cue], offered: Sequence[datetime]) -> datetime | None:
    """The one offer all cues agree on (equal datetimes count as one)."""
    if not cues:
        return None
    kept = set(range(len(offered))).intersection(*cues)
    picked = {offered[index] for index in kept}
    return picked.pop() if len(picked) == 1 else None


def _offers_where(offered: Sequence[datetime], fits: Callable[[datetime], bool]) -> Cue:
    return {index for index, slot in enumerate(offered) if fits(slot)}


def _date_cues(said: str, offered: Sequence[datetime]) -> tuple[list[Cue], str]:
    """ "le 1er décembre", "le 26 novembre"."""
    cues = []
    for match in _DATE.finditer(said):
        day = 1 if match.group(1) == "premier" else int(match.group(1))
        month = _MONTHS.index(match.group(2)) + 1
        cues.append(_offers_where(offered, lambda s: (s.day, s.month) == (day, month)))
    return cues, _DATE.sub(" ", said)


def _part_of_day_cues(said: str, offered: Sequence[datetime]) -> tuple[list[Cue], str]:
    """ "le matin" (before noon), "l'après-midi" (from noon)."""
    cues = []
    if _AFTERNOON.search(said):
        cues.append(_offers_where(offered, lambda s: s.hour >= 12))
        said = _AFTERNOON.sub(" ", said)
    if _MORNING.search(said):
        cues.append(_offers_where(offered, lambda s: s.hour < 12))
    return cues, said


def _time_cues(said: str, offered: Sequence[datetime]) -> tuple[list[Cue], str]:
    """ "10h", "10 heures 30", "dix heures et demie", "14:30", "midi"."""
    cues = []
    for match in _TIME.finditer(said):
        hour, minute = _time_of(match)
        cue = _offers_where(offered, lambda s: (s.hour, s.minute) == (hour, minute))
        if not cue and match.group("hour") and hour < 12:  # "deux heures" for 14:00
            cue = _offers_where(offered, lambda s: (s.hour, s.minute) == (hour + 12, minute))
        cues.append(cue)
    return cues, _TIME.sub(" ", said)


def _time_of(match: re.Match[str]) -> tuple[int, int]:
    """Hour and minute of a ``_TIME`` match."""
    if match.group("clock_hour"):
        return int(match.group("clock_hour")), int(match.group("clock_minute"))
    named = match.group("named")
    hour = int(match.group("hour")) if not named else (12 if named == "midi" else 0)
    if match.group("less"):
        return (hour - 1) % 24, 45
    if match.group("half"):
        return hour, 30
    if match.group("quarter"):
        return hour, 15
    return hour, int(match.group("minute") or 0)


def _weekday_cues(said: str, offered: Sequence[datetime]) -> tuple[list[Cue], str]:
    """ "mardi": the offers on that weekday."""
    cues = [
        _offers_where(offered, lambda s: s.weekday() == weekday)
        for weekday, name in enumerate(_WEEKDAYS)
        if re.search(rf"\b{name}\b", said)
    ]
    return cues, said


def _rank_cues(said: str, offered: Sequence[datetime]) -> tuple[list[Cue], str]:
    """ "le deuxième", "le 2", "le dernier", "le plus tôt"; "le 27" is a day."""
    ranks, said = _ranks_said(said, len(offered))
    cues = [{rank - 1} if 1 <= rank <= len(offered) else set() for rank in ranks]
    cues += [_number_cue(int(number), offered) for number in _LABELLED_NUMBER.findall(said)]
    if _EARLIEST.search(said):
        cues.append({offered.index(min(offered))})
    if _LATEST.search(said):
        cues.append({offered.index(max(offered))})
    return cues, said


def _ranks_said(said: str, count: int) -> tuple[list[int], str]:
    """Ranks (1 = first) said as ordinals, and ``said`` without them."""
    ranks: list[int] = []
    for pattern, rank in ((_BEFORE_LAST, count - 1), (_LAST, count), (_SECOND, 2)):
        said, found = _consume(pattern, said)
        ranks += [rank] if found else []
    ranks += [_ORDINAL_WORDS[word] for word in _WORD_RANK.findall(said)]
    ranks += [int(number) for number in _NUMBER_RANK.findall(said)]
    return ranks, _NUMBER_RANK.sub(" ", _WORD_RANK.sub(" ", said))


def _number_cue(number: int, offered: Sequence[datetime]) -> Cue:
    """ "le 2" is a rank when there is a 2nd offer, else a day of the month."""
    if 1 <= number <= len(offered):
        return {number - 1}
    return _offers_where(offered, lambda s: s.day == number)


def _entity_cues(value: datetime, said: str, offered: Sequence[datetime]) -> list[Cue]:
    """Cues from Duckling's value: its time of day (midnight: its date instead).

    Duckling puts a date on every value ("à 10h" becomes today or tomorrow), so
    its date counts only when the caller named a day in words ("demain à 10h").
    """
    def local(slot: datetime) -> datetime:
        if value.tzinfo is None or slot.tzinfo is None:
            return value
        return value.astimezone(slot.tzinfo)

    same_date = _offers_where(offered, lambda s: local(s).date() == s.date())
    if (value.hour, value.minute) == (0, 0):
        return [same_date]
    # « huit heures et demie » after 8:30 is 20:30 to Duckling (its next one): the
    # offers settle morning or evening, so both halves of the day count.
    same_time = _offers_where(
        offered, lambda s: (local(s).hour % 12, local(s).minute) == (s.hour % 12, s.minute)
    )
    return [same_time, same_date] if _RELATIVE_DAY.search(said) else [same_time]


def _consume(pattern: re.Pattern[str], said: str) -> tuple[str, bool]:
    """``said`` without ``pattern``'s matches, and whether there was one."""
    rest, count = pattern.subn(" ", said)
    return rest, count > 0
