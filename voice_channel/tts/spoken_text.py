"""Make the bot's French read well aloud, before any speech engine.

The bot already writes for the ear ("le mardi 1er décembre à 10 heures 30",
"téléphone 06 12 34 56 78", "dossier 4 8 2 9 1 3", see
``spoken_french/say.py``). Each rule below fixes something that
espeak-ng 1.51 (voice ``fr``) was seen to get wrong with ``espeak-ng -q --ipa``;
what it already reads right is left alone:

=============================  ==============================  =====================
input                          espeak-ng reads                 rewritten as
=============================  ==============================  =====================
``10h30``, ``9 h 05``          "dix hache trente"              ``10 heures 30``
``8h-12h``                     "huit hache douze hache"        ``8 heures à 12 heures``
``1 heure``, ``21 heures``     "un heure", "vingt-et-un heure"  ``une heure`` ...
``10 heures 21``               "dix heures vingt-et-un"        ``10 heures vingt et une``
``06 12 34 56 78``             pairs, but "zéro si douze" run  ``06, 12, 34, 56, 78``
                               together (~3 s, "six" elided)
``0612345678``                  digits run in threes            ``06, 12, 34, 56, 78``
``+33612345678``               "trente-trois milliards..."     ``06, 12, 34, 56, 78``
``4 8 2 9 1 3`` (dictated)     "quatre hui deux..." in 1.5 s   ``4, 8, 2, 9, 1, 3``
``1re``                        "un re"                         ``première``
``2e``                         "deux e"                        ``2ème``
``RDV``, ``rdv``               "R D V"                         ``rendez-vous``
``Dr.``, ``Pr.``, ``Mme.``     the word, then a full stop      ``docteur``, ...
``M. Dupont``                  "M" + full stop                 ``monsieur Dupont``
``Dre``                        "dr"                            ``docteure``
``N° 12``                      "N douze"                       ``numéro 12``
``« ... »``, quotes            silent (dropped for other       dropped
                               engines)
=============================  ==============================  =====================

Already right, so untouched: "1er" (premier), "1ère", "3ème", "10 heures 30",
"10:30", "le 15", "le 112" (cent douze), "11 heures", two single digits
("4 2"), "…", "€", "l’accueil". "Dr", "Pr", "Mme", "Mlle" without a full stop
are read right by espeak-ng but spelled out all the same, for other engines.
Punctuation (``, . ; : ? !``) is kept: espeak-ng pauses on it.

Control characters are neutralized: they, line breaks and the no-break or thin
spaces become plain spaces; invisible format characters (zero-width, bidi) and
lone surrogates are dropped.
"""
from __future__ import annotations

import re
import unicodedata

from spoken_french.say import FRENCH_MONTHS

_FEMININE_ONES = {
    "1": "une",
    "21": "vingt et une",
    "31": "trente et une",
    "41": "quarante et une",
    "51": "cinquante et une",
}


def neutralize_control_characters(text: str) -> str:
    """NFC; control characters and odd spaces -> space; invisible format characters dropped."""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zs", "Zl", "Zp"):
            kept.append(" ")  # incl. the no-break and thin spaces of French typography
        elif category in ("Cf", "Cs", "Co", "Cn"):
            continue  # invisible: zero-width and bidi marks, lone surrogates, unassigned
        else:
            kept.append(char)
    return "".join(kept)


# "« », “ ”, „ and straight double quotes; the apostrophes stay (l'accueil).
_QUOTES = re.compile(r"[«»“”„\"]")

_ABBREVIATIONS = [
    (re.compile(r"\bRDVs?\b", re.IGNORECASE), "rendez-vous"),
    (re.compile(r"\bDre\b\.?(?=\s|$)"), "docteure"),
    (re.compile(r"\bDr\b\.?(?=\s|$)"), "docteur"),
    (re.compile(r"\bPr\b\.?(?=\s|$)"), "professeur"),
    (re.compile(r"\bMme\b\.?(?=\s|$)"), "madame"),
    (re.compile(r"\bMlle\b\.?(?=\s|$)"), "mademoiselle"),
    (re.compile(r"\bM\.(?=\s+[A-ZÀ-ÖØ-Þ])"), "monsieur"),
    (re.compile(r"\b[Nn]°\s*"), "numéro "),
    (re.compile(r"\b[Tt]él\.(?=\s)"), "téléphone"),
]

# A French phone number: 0X XX XX XX XX (spaces, dots, dashes or nothing between
# pairs), or +33 X XX XX XX XX.
_PHONE = re.compile(
    r"(?<![\d+])(?:(?P<intl>\+33\s?(?:\(0\)\s?)?[1-9])|0[1-9])(?:[ .\-]?\d{2}){4}(?!\d)"
)

# "10h30", "10 h 30", "9h05", "14h", "14 h" (but not "10 heures", "10 ha").
_CLOCK = re.compile(r"(?<![\w:.,])(?P<hour>[01]?\d|2[0-4])\s?[hH](?:\s?(?P<minute>[0-5]\d))?(?!\w)")
_TIME_RANGE = re.compile(r"(?P<left>\bheures?(?: \d{1,2})?)\s*[-–]\s*(?=\d)")
_FEMININE_HOURS = re.compile(r"(?<![\d,.])(?P<number>1|21)\s(?P<noun>heures?|minutes?)\b")
_MONTHS = "|".join(FRENCH_MONTHS)
_FEMININE_MINUTES = re.compile(
    rf"\b(?P<noun>heures?) (?P<number>1|21|31|41|51)(?![\w,.]?\d)(?!\s?(?:heures?|h|{_MONTHS})\b)"
)

_FIRST_FEMININE = re.compile(r"\b1(?:re|ère|ere)(?P<plural>s?)\b")
_ORDINAL_E = re.compile(r"\b(?P<number>[2-9]|[1-9]\d+)e\b")

# Three or more single digits separated by single spaces ("4 8 2 9 1 3"): dictated.
_DICTATED_DIGITS = re.compile(r"(?<![\w,.])\d(?: \d){2,}(?![\w]|[,.]\d)")

_SPACES = re.compile(r"[ ]{2,}")
_SPACE_BEFORE_COMMA = re.compile(r" +(?=[,.])")


def _say_phone(match: "re.Match[str]") -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if match.group("intl"):
        digits = "0" + digits[2:]  # +33 6... -> 06...
        if digits.startswith("00"):  # "+33 (0)6": the (0) was a digit too
            digits = digits[1:]
    return ", ".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def _say_clock(match: "re.Match[str]") -> str:
    hour = int(match.group("hour"))
    words = f"{hour} heure" if hour <= 1 else f"{hour} heures"
    minute = match.group("minute")
    if minute and int(minute):
        words += f" {int(minute)}"
    return words


def to_spoken_text(text: str) -> str:
    """The text rewritten for speech (see the module docstring for each rule)."""
    text = neutralize_control_characters(text)
    text = _QUOTES.sub(" ", text)
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    text = _PHONE.sub(_say_phone, text)
    text = _CLOCK.sub(_say_clock, text)
    text = _TIME_RANGE.sub(lambda m: f"{m.group('left')} à ", text)
    text = _FEMININE_HOURS.sub(
        lambda m: f"{_FEMININE_ONES[m.group('number')]} {m.group('noun')}", text
    )
    text = _FEMININE_MINUTES.sub(
        lambda m: f"{m.group('noun')} {_FEMININE_ONES[m.group('number')]}", text
    )
    text = _FIRST_FEMININE.sub(lambda m: "première" + m.group("plural"), text)
    text = _ORDINAL_E.sub(lambda m: m.group("number") + "ème", text)
    text = _DICTATED_DIGITS.sub(lambda m: ", ".join(m.group(0).split(" ")), text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_COMMA.sub("", text)
    return text.strip()
