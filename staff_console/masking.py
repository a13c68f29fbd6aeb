"""Numbers out of what staff read in conversations and exports: phone numbers and
patient IDs keep their last 2 digits only.

A run of at least ``min_digits`` digits, written together or in groups ("06 42 15 33
21", "4 8 2 7 1 5", "482715"), keeps its last 2 digits; the others become "•". A run of
four or more French number words ("zéro six douze trente-quatre…") becomes "•••" and its
last word. Short numbers (times, days, "15 heures 30") stay as they are.
"""
from __future__ import annotations

import re

from spoken_french.numbers import mask_patient_id, mask_phone

__all__ = ["mask_text", "mask_phone", "mask_patient_id"]

DEFAULT_MIN_DIGITS = 5
_DIGIT_RUN = re.compile(r"\+?\d(?:[ .\-/]?\d)+")
_NUMBER_WORDS = (
    "zéro|zero|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|"
    "quatorze|quinze|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille|et"
)
_WORD_RUN = re.compile(
    rf"\b(?:(?:{_NUMBER_WORDS})(?:-(?:{_NUMBER_WORDS}))*)(?:[ ,]+(?:(?:{_NUMBER_WORDS})"
    rf"(?:-(?:{_NUMBER_WORDS}))*))+\b",
    re.IGNORECASE,
)


def mask_text(text: str, min_digits: int = DEFAULT_MIN_DIGITS) -> str:
    """``text`` with its long numbers masked (see the module)."""

    def digits(match: "re.Match[str]") -> str:
        run = match.group(0)
        count = sum(c.isdigit() for c in run)
        if count < min_digits:
            return run
        seen, out = 0, []
        for char in run:
            if char.isdigit():
                seen += 1
                out.append(char if seen > count - 2 else "•")
            else:
                out.append(char)
        return "".join(out)

    def words(match: "re.Match[str]") -> str:
        parts = re.split(r"[ ,]+", match.group(0))
        numbers = [p for p in parts if p.lower() != "et"]
        if len(numbers) < 4:
            return match.group(0)
        return f"••• {parts[-1]}"

    return _WORD_RUN.sub(words, _DIGIT_RUN.sub(digits, text or ""))
