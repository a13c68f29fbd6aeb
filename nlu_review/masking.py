"""Personal data out of a caller's message before a person reviews it.

Digits (phone numbers, patient IDs, dates typed as numbers) become zeros of the same
shape, e-mail addresses a placeholder, and words that are first or last names of the
lookup tables (``data/nlu/lookups``) a fixed name: what is left is enough to learn an
intent from, and tells nothing about the caller.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Tuple

import yaml

LOOKUPS = Path(__file__).resolve().parent.parent / "data" / "nlu" / "lookups"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DIGIT = re.compile(r"\d")
WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
FIRST_NAME, LAST_NAME = "Camille", "Martin"


def mask(text: str) -> str:
    masked = EMAIL.sub("adresse@exemple.fr", text)
    masked = DIGIT.sub("0", masked)
    first_names, last_names = _names()

    def replace(match: "re.Match[str]") -> str:
        key = match.group(0).casefold()
        if key in first_names:
            return FIRST_NAME
        if key in last_names:
            return LAST_NAME
        return match.group(0)

    return WORD.sub(replace, masked)


@lru_cache(maxsize=1)
def _names() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    return _lookup("first_names.yml"), _lookup("last_names.yml")


def _lookup(name: str) -> FrozenSet[str]:
    path = LOOKUPS / name
    if not path.is_file():
        return frozenset()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    words = set()
    for entry in data.get("nlu") or []:
        for line in str(entry.get("examples") or "").splitlines():
            value = line.strip().lstrip("-").strip()
            if value:
                words.add(value.casefold())
    return frozenset(words)
