"""Where a caller's message holds a number said or typed in pieces: « zéro six douze
trente-quatre cinquante-six », « un deux trois quatre cinq six », « 06 douze 34 », « 06 12
34 56 78 ».

A run is a sequence of digit groups and French number words (« quatre-vingt-dix »,
« soixante et onze » included) separated by spaces, commas, dots, slashes or hyphens;
« et », « double », « triple » and hesitations (« euh ») may sit between two of them.
A final « un » or « une » followed by a word is the article, not a digit (« le vingt et
un rendez-vous », « 30, un chat »). Each run comes with its number tokens and the digits
it stands for (:func:`spoken_french.numbers.digits_from_speech`), so that a masker can
decide what is long enough to be a phone number or a patient ID.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Tuple

from spoken_french.hesitations import IN_NUMBERS
from spoken_french.numbers import digits_from_speech

NUMBER_WORDS = frozenset(
    "zéro zero un une deux trois quatre cinq six sept huit neuf dix onze douze treize "
    "quatorze quinze seize vingt vingts trente quarante cinquante soixante septante "
    "octante huitante nonante cent cents mille".split()
)
CONNECTORS = frozenset({"et", "double", "triple"})
ARTICLES = frozenset({"un", "une"})
_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:-[^\W\d_]+)*")
_GAP = re.compile(r"[\s,./\-]*")


@dataclass(frozen=True)
class NumberRun:
    start: int
    end: int
    tokens: Tuple[Tuple[int, int], ...]  # (start, end) of each number word or digit group
    digits: str  # what the run says, as digits ("" if nothing)


def number_runs(text: str) -> Iterator[NumberRun]:
    """The runs of ``text``, in order."""
    matches = list(_TOKEN.finditer(text))
    index = 0
    while index < len(matches):
        if _kind(matches[index].group(0)) != "number":
            index += 1
            continue
        run = [matches[index]]
        index += 1
        while index < len(matches) and _GAP.fullmatch(text, run[-1].end(), matches[index].start()):
            kind = _kind(matches[index].group(0))
            if kind is None:
                break
            run.append(matches[index])
            index += 1
        yield from _finished(text, run, matches[index] if index < len(matches) else None)


def _finished(text: str, run: List["re.Match[str]"], following) -> Iterator[NumberRun]:
    while run and _kind(run[-1].group(0)) != "number":
        run.pop()  # connectors and hesitations only count between numbers
    if (len(run) > 1 and run[-1].group(0).lower() in ARTICLES and following is not None
            and _GAP.fullmatch(text, run[-1].end(), following.start())
            and not following.group(0).isdigit()):
        run.pop()  # « … et un rendez-vous »: the article
        while run and _kind(run[-1].group(0)) != "number":
            run.pop()
    if not run:
        return
    start, end = run[0].start(), run[-1].end()
    tokens = tuple(m.span() for m in run if _kind(m.group(0)) == "number")
    yield NumberRun(start, end, tokens, digits_from_speech(text[start:end]) or "")


def _kind(token: str) -> "str | None":
    """"number", "between" (may join two numbers) or None (ends a run)."""
    word = token.lower()
    if word.isascii() and word.isdigit():
        return "number"
    if all(part in NUMBER_WORDS or part == "et" for part in word.split("-")) \
            and word.split("-")[0] != "et":
        return "number"
    if word in CONNECTORS or IN_NUMBERS.fullmatch(word):
        return "between"
    return None
