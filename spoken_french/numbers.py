"""Digits, phone numbers and patient IDs from what a French caller typed or said.

Speech recognition gives "zéro six douze trente-quatre…", chat gives "06 12 34…":
both become the same digit string. Number words are converted by text2num's
``alpha2digit``; this module fixes around what it does on its own:

* it converts isolated numbers below 3 ("zéro", "un", "une", "deux") only inside a
  run of numbers, to keep the article "un" a word: we turn such a word into a
  digit when it sits next to other digits ("06 12 un" -> "06121");
* it drops the zero of "zéro-six" and ignores "un-deux-trois": hyphens become spaces
  (compounds such as "quatre vingt dix neuf" still read as 99);
* it reads "quatre-vingts douze" as 92: "quatre-vingts" with an s is a whole
  number, so it is cut off from what follows (80, 12);
* it does not know "zero" without an accent, hesitations ("euh") split a number,
  and "double zéro" is not a number: these are handled before conversion.

Each spoken group contributes its digits as said: "zéro six douze" -> "0612",
"cent deux" -> "102", "quatre cent vingt-trois cinquante" -> "42350".

A phone number said the national way ("06 93 88 93 30") that is no number of the
caller's region is tried in the French overseas territories that dial with a
leading 0 (Réunion, Guadeloupe, Martinique, Guyane, Mayotte...): "06 93..." is a
Réunion mobile, +262 6 93.... Numbers of territories without that leading 0
(Nouvelle-Calédonie, Polynésie, Wallis-et-Futuna) and foreign numbers are
accepted in international form (+687..., 0044...) when valid for their country.
"""
from __future__ import annotations

import re

import phonenumbers
from text_to_num import alpha2digit

from spoken_french.hesitations import IN_NUMBERS

_DIGIT_WORDS = {
    "zéro": "0", "un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4",
    "cinq": "5", "six": "6", "sept": "7", "huit": "8", "neuf": "9",
}
_DIGIT_WORD = "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True))
_REPEATS = {"double": 2, "deux fois": 2, "triple": 3, "trois fois": 3}
_REPEAT = re.compile(
    rf"\b(double|deux fois|triple|trois fois)\s+({_DIGIT_WORD}|\d)\b(?!\s*(?:cents?|mille)\b)"
)
# Small numbers text2num leaves as words when they stand alone (below its threshold of 3).
_SMALL_NUMBER_WORDS = {"zéro": "0", "un": "1", "une": "1", "deux": "2"}
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
_PLUS_MARKERS = ("+", "plus")
# French territories with their own country code whose national numbers start with
# 0, like France's ("0693..." in Réunion). Tried in this order after the region.
OVERSEAS_REGIONS = ("RE", "YT", "GP", "BL", "MF", "MQ", "GF", "PM")


def digits_from_speech(text: str) -> str | None:
    """All the digits the caller typed or said, in order; None when there are none."""
    digits = "".join(token for token in _number_tokens(text) if _is_digits(token))
    return digits or None


def normalize_phone(text: str, region: str = "FR") -> str | None:
    """The E.164 form ("+33612345678") of a phone number typed or said, if valid."""
    tokens = _number_tokens(re.sub(r"\(\s*0\s*\)", " ", text))
    first = next((i for i, token in enumerate(tokens) if _is_digits(token)), None)
    if first is None:
        return None
    digits = "".join(token for token in tokens if _is_digits(token))
    if first > 0 and tokens[first - 1] in _PLUS_MARKERS:
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    else:
        candidate = digits
    found = _valid_e164(candidate, region)
    if found is None and candidate.startswith("0") and region == "FR":
        found = next(
            (e164 for e164 in (_valid_e164(candidate, r) for r in OVERSEAS_REGIONS) if e164),
            None,
        )
    return found


def parse_patient_id(text: str, length: int) -> str | None:
    """The patient ID's digits when the caller gave exactly ``length`` of them."""
    digits = digits_from_speech(text)
    if digits is None or len(digits) != length:
        return None
    return digits


def mask_phone(e164: str | None) -> str:
    """The number for logs: country code and last 2 digits only ("+33*******78")."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return _mask_digits(re.sub(r"\D", "", e164))
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code}{_mask_digits(national)}"


def mask_patient_id(pid: str | None) -> str:
    """The patient ID for logs: last 2 digits only ("****56")."""
    return _mask_digits(pid or "")


def _is_digits(token: str) -> bool:
    """ASCII digits only ("²" or Arabic-Indic digits are not phone digits)."""
    return token.isascii() and token.isdigit()


def _mask_digits(digits: str) -> str:
    """Stars for all but the last 2 characters (all stars when there are only 2)."""
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def _valid_e164(candidate: str, region: str) -> str | None:
    """E.164 of ``candidate`` when phonenumbers says it is a valid number."""
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _number_tokens(text: str) -> list[str]:
    """Words, punctuation marks and digit strings of ``text``, number words as digits."""
    converted = alpha2digit(_prepare(text), "fr")
    tokens = _TOKEN.findall(converted)
    return _small_numbers_as_digits(tokens)


def _prepare(text: str) -> str:
    """Lower-case text made safe for alpha2digit (see the module docstring)."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"\bzero\b", "zéro", text)
    text = re.sub(r"[-‐‑–]", " ", text)
    text = IN_NUMBERS.sub(" ", text)
    text = re.sub(r"\bvingts\b", "vingts ,", text)
    return _REPEAT.sub(_expand_repeat, text)


def _expand_repeat(match: re.Match[str]) -> str:
    """ "double zéro" -> "0 0", "triple sept" -> "7 7 7"."""
    word, digit = match.group(1), match.group(2)
    digit = _DIGIT_WORDS.get(digit, digit)
    return " ".join([digit] * _REPEATS[word])


def _small_numbers_as_digits(tokens: list[str]) -> list[str]:
    """Turn "zéro", "un", "une", "deux" into digits when a neighbour word is digits.

    Punctuation between them does not count: "douze, un" -> "12, 1".
    """
    result = list(tokens)
    words = [index for index, token in enumerate(tokens) if token.isalnum()]
    for position, index in enumerate(words):
        if result[index] not in _SMALL_NUMBER_WORDS:
            continue
        before = result[words[position - 1]] if position > 0 else ""
        after = result[words[position + 1]] if position + 1 < len(words) else ""
        if _is_digits(before) or _is_digits(after):
            result[index] = _SMALL_NUMBER_WORDS[result[index]]
    return result
