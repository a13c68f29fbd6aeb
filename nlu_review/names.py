"""People's names out of a caller's message, ordinary words kept.

A word is taken for a name, and replaced by a fixed one (« Camille » for a first name,
« Martin » for a last name), when it is:

* a first or last name of the lookup tables (``data/nlu/lookups``);
* the first word after a name lead-in (« je m'appelle », « mon nom c'est », « moi
  c'est », « prénom », « nom de famille », « au nom de »), unless it is a stop word;
* after a weaker lead-in (« c'est », « je suis », « de la part de », « madame »,
  « monsieur »), a word that is capitalised or not a French word (:mod:`.french_words`):
  « c'est Bertrand », « c'est ghislaine », « madame Vandermeersch », but « c'est
  urgent », « merci madame bonne journée »;
* capitalised and not a French word, anywhere (« Vandermeersch », « N'Diaye »);
* right after a masked name, capitalised or not a French word (« Ghislaine
  vandermeersch »), up to three words on.

Everything else is kept: « je voudrais déplacer mon rendez-vous » stays as it is.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Container, FrozenSet, List, Optional, Tuple

import yaml

from nlu_review.french_words import french_words, stop_words

LOOKUPS = Path(__file__).resolve().parent.parent / "data" / "nlu" / "lookups"
FIRST_NAME, LAST_NAME = "Camille", "Martin"
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_A = r"['’ ]?"  # « c'est », « c’est », « c est »
# Hesitations between a lead-in and the name: « je m'appelle euh… Ghislaine ».
_FILLERS = r"(?:[\s:,.…]+(?:e+u+h+|h+e+u+|h+u+m+|bah|ben|alors|donc))*[\s:,.…]*$"
_FILLER_WORD = re.compile(r"e+u+h+|h+e+u+|h+u+m+")
_STRONG = re.compile(
    rf"\b(?:je m{_A}appelle|moi c{_A}est|il s{_A}agit de|"
    rf"(?:(?:mon|le|au) )?(?:nom|prénom|prenom)(?: de famille)?(?: de| c{_A}est| est)?)"
    + _FILLERS,
    re.IGNORECASE,
)
_WEAK = re.compile(
    rf"\b(?:c{_A}est|je suis|de la part de|madame|monsieur|mademoiselle|mme|mr|m\.)" + _FILLERS,
    re.IGNORECASE,
)
_CHAIN_GAP = re.compile(r"[\s\-]+")
_CHAIN_LENGTH = 3
_LEAD_IN_REACH = 48  # characters before a word where its lead-in may be
_ELISIONS = frozenset("c d j l m n qu s t".split())


def mask_names(text: str) -> str:
    """``text`` with the names replaced (see the module)."""
    words = list(WORD.finditer(text))
    kinds: List[Optional[str]] = []  # per word: "first", "last", "name" or None
    chain = 0  # words that may still follow a masked name
    for index, match in enumerate(words):
        gap_start = words[index - 1].end() if index else 0
        in_chain = chain > 0 and bool(_CHAIN_GAP.fullmatch(text, gap_start, match.start()))
        before = text[max(0, match.start() - _LEAD_IN_REACH):match.start()]
        kind = _name_kind(match.group(0), before, in_chain)
        kinds.append(kind)
        if kind is None:
            chain = 0
        else:
            chain = chain - 1 if in_chain else _CHAIN_LENGTH
    out, cursor = [], 0
    for index, match in enumerate(words):
        if kinds[index] is not None:
            out += [text[cursor:match.start()], _placeholder(kinds, index)]
            cursor = match.end()
    out.append(text[cursor:])
    return "".join(out)


def _name_kind(word: str, before: str, in_chain: bool) -> Optional[str]:
    key = word.casefold()
    first_names, last_names = _lookups()
    if key in first_names:
        return "first"
    if key in last_names:
        return "last"
    if _all_parts_in(key, stop_words()) or _FILLER_WORD.fullmatch(key):
        return None
    if _STRONG.search(before):
        return "name"
    capitalised, french = word[:1].isupper(), _all_parts_in(key, french_words())
    if (capitalised or not french) and (in_chain or _WEAK.search(before)):
        return "name"
    if capitalised and not french:
        return "name"
    return None


def _placeholder(kinds: List[Optional[str]], index: int) -> str:
    kind = kinds[index]
    if kind == "first":
        return FIRST_NAME
    if kind == "last":
        return LAST_NAME
    followed = index + 1 < len(kinds) and kinds[index + 1] is not None
    return FIRST_NAME if followed else LAST_NAME


def _all_parts_in(key: str, words: Container[str]) -> bool:
    """Each part of an elided or hyphenated word (« c'est », « rendez-vous ») is in it."""
    return all(part in words for part in re.split(r"[-'’]", key)
               if part and part not in _ELISIONS)


@lru_cache(maxsize=1)
def _lookups() -> Tuple[FrozenSet[str], FrozenSet[str]]:
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
