"""Scoring recognised speech: the word error rate (words compared as a French caller's
numbers and hours are written either way), and the share of right answers."""
from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Sequence

from text_to_num import alpha2digit

from spoken_french.normalize import normalize_words

_HOURS = re.compile(r"\b(\d{1,2}) ?h ?(\d{2})?\b")
_HALF_QUARTER = re.compile(r"\b(\d{1,2} heures?) et (demie|quart)\b")
_DIGIT_RUN = re.compile(r"\d+")


def wer_words(text: str) -> List[str]:
    """Words for WER: lower case, no punctuation, numbers as single digits.

    Number words become digits (text2num, no threshold, so "un" and "une" too, on both
    sides alike), "10h30" is "10 heures 30", "et demie"/"et quart" after an hour are
    "30"/"15", and every digit is a word, so "06 12" and "0612" match.
    """
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    text = _HOURS.sub(lambda m: f"{m.group(1)} heures {m.group(2) or ''}", text)
    text = re.sub(r"[-‐–]", " ", text)
    text = alpha2digit(text, "fr", threshold=0)
    text = _HALF_QUARTER.sub(lambda m: f"{m.group(1)} {'30' if m.group(2) == 'demie' else '15'}",
                             text)
    text = _DIGIT_RUN.sub(lambda m: " ".join(m.group(0)), text)
    text = re.sub(r"\bheure\b", "heures", text)
    return normalize_words(text).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after ``wer_words``."""
    ref, hyp = wer_words(reference), wer_words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / max(1, len(ref))


def share(flags: Sequence[bool]) -> Optional[float]:
    return round(sum(flags) / len(flags), 3) if flags else None
