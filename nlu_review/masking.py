"""Personal data out of a caller's message before a person reviews it.

E-mail addresses become a placeholder; numbers said or typed in pieces (« zéro six
douze trente-quatre », « un deux trois quatre cinq six », « 06 douze 34 »; see
:mod:`.number_runs`) have each number word replaced by « zéro »; every digit becomes a
zero, so the shape stays; names become a fixed name (:mod:`.names`). What is left is
enough to learn an intent from, and tells nothing about the caller. A lone small number
word (« quinze heures », « un rendez-vous », « le vingt-trois ») is kept.
"""
from __future__ import annotations

import re

from nlu_review.names import FIRST_NAME, LAST_NAME, mask_names
from nlu_review.number_runs import number_runs

__all__ = ["mask", "FIRST_NAME", "LAST_NAME"]

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DIGIT = re.compile(r"\d")
NUMBER_WORD_PLACEHOLDER = "zéro"
# A run of two numbers or more, or one of three digits or more ("cent"), may be part of
# a phone number or an ID.
MIN_TOKENS, MIN_DIGITS = 2, 3


def mask(text: str) -> str:
    masked = EMAIL.sub("adresse@exemple.fr", text)
    masked = _mask_number_words(masked)
    masked = DIGIT.sub("0", masked)
    return mask_names(masked)


def _mask_number_words(text: str) -> str:
    out, cursor = [], 0
    for run in number_runs(text):
        if len(run.tokens) < MIN_TOKENS and len(run.digits) < MIN_DIGITS:
            continue
        for start, end in run.tokens:
            if not text[start:end].isdigit():
                out += [text[cursor:start], NUMBER_WORD_PLACEHOLDER]
                cursor = end
    out.append(text[cursor:])
    return "".join(out)
