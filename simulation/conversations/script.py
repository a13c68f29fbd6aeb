"""A conversation of ``bench/data/conversations.yml`` made concrete for today: the
patient's identity (file number and phone derived from the conversation's id, so that
each has its own), its words (numbers said in digits, in pairs of words or digit by
digit), its wish of time (:mod:`simulation.conversations.wishes`), the appointment to move
or cancel, and its scripted events. The data file's own header describes its fields.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

import yaml

from simulation.conversations.scoring import Row
from simulation.conversations.wishes import Wish, bookable_slots, wish_of

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "conversations.yml"
KINDS = ("book", "move", "cancel", "mixed")
# The request of a patient whose entry has none, or who changed its mind.
REQUESTS = {"book": "je voudrais prendre un rendez-vous", "move": "je voudrais déplacer mon "
            "rendez-vous", "cancel": "je voudrais annuler mon rendez-vous"}
PLACEHOLDER_FACTS = {"nom": "last_name", "prenom": "first_name", "dossier": "patient_id",
                     "telephone": "phone", "quand": "time"}
NUMBER_STYLES = ("chiffres", "paires", "un par un")
_UNITS = ("zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize "
          "quatorze quinze seize").split()
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def number_words(n: int) -> str:
    """0 to 99 in French words (« soixante et onze », « quatre-vingt-douze »)."""
    if n < 17:
        return _UNITS[n]
    if n < 20:
        return f"dix-{_UNITS[n - 10]}"
    tens, unit = divmod(n, 10)
    if tens in (7, 9):
        base, rest = ("soixante", n - 60) if tens == 7 else ("quatre-vingt", n - 80)
        return f"{base} et onze" if rest == 11 else f"{base}-{number_words(rest)}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{_UNITS[unit]}"
    if unit == 0:
        return _TENS[tens]
    return f"{_TENS[tens]} et un" if unit == 1 else f"{_TENS[tens]}-{_UNITS[unit]}"


def spoken_digits(digits: str, style: str) -> str:
    """A file or phone number as the patient says it: « 06 12 34 56 78 », « zéro six,
    douze, trente-quatre… » or « zéro six un deux… »."""
    if style == "un par un":
        return " ".join(_UNITS[int(d)] for d in digits)
    pairs = [digits[i:i + 2] for i in range(0, len(digits), 2)]
    if style == "chiffres":
        return " ".join(pairs) if digits.startswith("0") else digits
    words = [(f"zéro {_UNITS[int(p[1])]}" if p.startswith("0") and len(p) == 2
              else number_words(int(p))) for p in pairs]
    return ", ".join(words)


def spoken_hour(clock: time, style: str) -> str:
    """« 14h30 » in digits, else « quatorze heures trente », « dix heures et demie »."""
    if style == "chiffres":
        return f"{clock.hour}h{clock.minute:02d}" if clock.minute else f"{clock.hour}h"
    if clock.hour == 12 and clock.minute == 0:
        return "midi"
    hours = f"{number_words(clock.hour)} heure{'s' if clock.hour > 1 else ''}"
    if clock.minute == 30:
        return f"{hours} et demie"
    return f"{hours} {number_words(clock.minute)}" if clock.minute else hours


@dataclass(frozen=True)
class Event:
    """A scripted moment: said instead of the answer the first time ``when`` is asked."""
    when: str
    say: str
    gives: FrozenSet[str] = frozenset()
    then: Optional[str] = None
    then_gives: FrozenSet[str] = frozenset()
    goal: Optional[str] = None
    repeat: bool = False
    wrong: bool = False
    expects: Tuple[str, ...] = ()


@dataclass
class Script:
    """One conversation of the benchmark, made concrete for today."""
    id: str
    kind: str
    goal: str
    opening: str
    request: str
    wish: Wish
    words: Dict[str, str]
    numbers: str = "chiffres"
    hesitant: bool = False
    opening_expects: Tuple[str, ...] = ()
    questions: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    events: Tuple[Event, ...] = ()
    target_start: Optional[datetime] = None  # the appointment to move or cancel
    fallback_times: Tuple[datetime, ...] = ()  # slots that fit the wish, said when pressed


def gives_of(template: str) -> FrozenSet[str]:
    """The facts a template's placeholders carry."""
    return frozenset(PLACEHOLDER_FACTS[name] for name in re.findall(r"\{(\w+)\}", template)
                     if name in PLACEHOLDER_FACTS)


def load_entries(path: Path = DATA) -> List[Dict[str, Any]]:
    """The conversations of the data file, checked: unique ids, known kinds."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
    ids = Counter(e["id"] for e in entries)
    if any(n > 1 for n in ids.values()):
        raise ValueError(f"duplicate ids: {[i for i, n in ids.items() if n > 1]}")
    for entry in entries:
        if entry["kind"] not in KINDS or entry.get("numbers", "chiffres") not in NUMBER_STYLES:
            raise ValueError(f"{entry['id']}: bad kind or numbers style")
    return entries


def identity(entry: Dict[str, Any]) -> Tuple[str, str, str, str]:
    """(patient ID, last name, first name, phone digits) of a conversation, stable and
    its own: derived from its id."""
    from spoken_french.numbers import normalize_phone

    salt = 0
    while True:
        h = int(hashlib.sha256(f"{entry['id']}{salt or ''}".encode()).hexdigest(), 16)
        patient_id = str(100000 + h % 900000)
        phone = f"0{6 + h // 10**6 % 2}{h // 10**7 % 10**8:08d}"
        if normalize_phone(phone):  # a French mobile (not every 07… is one)
            break
        salt += 1
    last_name, first_name = entry["patient"]
    return patient_id, last_name, first_name, phone


def script_of(entry: Dict[str, Any], clinic: Any, seeded: Sequence[Tuple[Row, str]]) -> Script:
    """The conversation made concrete for today: words, wish, target. ``clinic``: its
    ``config`` and ``now()`` (:class:`simulation.conversations.runner.Clinic`); ``seeded``: the
    appointments booked for it, with the day expression of each."""
    patient_id, last_name, first_name, phone = identity(entry)
    style = entry.get("numbers", "chiffres")
    goal = entry.get("goal", entry["kind"])
    target = seeded[entry.get("target", 0)] if seeded else None
    wish = wish_of(entry.get("wish") or {}, clinic.now().date(), clinic.config, clinic.now())
    if target is not None:
        wish = replace(wish, not_at=target[0].start)
    wrong_id = patient_id[:-1] + str((int(patient_id[-1]) + 3) % 10)
    words = {"nom": last_name, "prenom": first_name, "dossier": spoken_digits(patient_id, style),
             "dossier_chiffres": patient_id, "dossier_faux": spoken_digits(wrong_id, style),
             "telephone": spoken_digits(phone, style), "telephone_chiffres": phone,
             "jour": wish.day_said, "rdv": target[1] if target else ""}
    words["quand"] = (entry.get("wish") or {}).get("said", "non, je veux juste l'annuler")
    words["quand"] = words["quand"].format_map(words)
    events = tuple(_event(e) for e in entry.get("events") or ())
    return Script(
        id=entry["id"], kind=entry["kind"], goal=goal, opening=entry["opening"],
        request=entry.get("request") or REQUESTS[goal], wish=wish, words=words, numbers=style,
        hesitant=bool(entry.get("hesitant")),
        opening_expects=tuple(entry.get("opening_expects") or ()),
        questions=tuple((q["say"], tuple(q.get("expects") or ())) for q in entry.get("questions") or ()),
        events=events, target_start=target[0].start if target else None,
        fallback_times=tuple(bookable_slots(wish, clinic.config, clinic.now())[::3][:4]))


def _event(spec: Dict[str, Any]) -> Event:
    return Event(when=spec["when"], say=spec["say"], gives=frozenset(spec.get("gives") or ()),
                 then=spec.get("then"), then_gives=frozenset(spec.get("then_gives") or ()),
                 goal=spec.get("goal"), repeat=bool(spec.get("repeat")),
                 wrong=bool(spec.get("wrong")), expects=tuple(spec.get("expects") or ()))


def registration(entry: Dict[str, Any]) -> Tuple[str, str, str, str]:
    """The row the clinic registers the conversation's patient with."""
    patient_id, last_name, first_name, phone = identity(entry)
    return patient_id, last_name, first_name, " ".join(phone[i:i + 2] for i in range(0, 10, 2))
