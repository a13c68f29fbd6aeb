"""Numbers out of what staff read in conversations and exports: phone numbers and
patient IDs keep their last 2 digits only.

A run of at least ``min_digits`` digits, written together or in groups ("06 42 15 33
21", "4 8 2 7 1 5", "482715"), keeps its last 2 digits; the others become "•". A number
said in words, or in words and digits mixed ("zéro six quarante-deux…", "06 douze 34
cinquante-six 78"; see :mod:`nlu_review.number_runs`), of at least ``min_digits`` digits
or four numbers, becomes "•••" and its last number (of which a digit group keeps its
last 2 digits). Short numbers (times, days, "15 heures 30") stay as they are.
"""
from __future__ import annotations

import re

from nlu_review.number_runs import number_runs
from spoken_french.numbers import mask_patient_id, mask_phone

__all__ = ["mask_text", "mask_phone", "mask_patient_id"]

DEFAULT_MIN_DIGITS = 5
MIN_SPOKEN_NUMBERS = 4
_DIGIT_RUN = re.compile(r"\+?\d(?:[ .\-/]?\d)+")


def mask_text(text: str, min_digits: int = DEFAULT_MIN_DIGITS) -> str:
    """``text`` with its long numbers masked (see the module)."""

    def digits(match: "re.Match[str]") -> str:
        run = match.group(0)
        count = sum(c.isdigit() for c in run)
        return run if count < min_digits else _keep_last_two(run)

    return _DIGIT_RUN.sub(digits, _mask_spoken(text or "", min_digits))


def _mask_spoken(text: str, min_digits: int) -> str:
    """Runs said in words, or in words and digits: "••• " and their last number."""
    out, cursor = [], 0
    for run in number_runs(text):
        said = any(not text[start:end].isdigit() for start, end in run.tokens)
        if not said or (len(run.digits) < min_digits and len(run.tokens) < MIN_SPOKEN_NUMBERS):
            continue
        last = text[slice(*run.tokens[-1])]
        tail = _keep_last_two(last) if last.isdigit() else last
        out += [text[cursor:run.start], "••• ", tail]
        cursor = run.end
    out.append(text[cursor:])
    return "".join(out)


def _keep_last_two(run: str) -> str:
    """Every digit of ``run`` but the last 2 becomes "•"."""
    count, seen, out = sum(c.isdigit() for c in run), 0, []
    for char in run:
        if char.isdigit():
            seen += 1
            out.append(char if seen > count - 2 else "•")
        else:
            out.append(char)
    return "".join(out)
