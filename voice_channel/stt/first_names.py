"""A lone first name, heard as one: the answer to « Quel est votre prénom ? ».

Whisper base hears a first name said alone badly and without confidence: in the
callers' voice, « Paul » came back as « Pôle ! » (average log-probability -1.2, under
the guard's -1.0), « Thomas » as « Tumas », « Nathalie » as « Natali », and « Jean »,
heard right, was refused as low confidence; the caller was asked again. When a name is
expected, :func:`known_first_name` compares what was heard, sound for sound, with the
first names the assistant knows (the training data's lookup table,
``data/nlu/lookups/first_names.yml``): one or two words that sound like exactly one of
them are that name, even below the guard's confidence threshold down to
:data:`MIN_NAME_LOGPROB`. Anything else stays as heard (or refused) as before.

The sound key is a rough French phonetic spelling (silent letters dropped, « au »,
« eau » and « o » alike, nasal vowels folded, double letters single, a final « -se »
heard as « z »: « Louise » is not « Louis »): names one sound apart match (« tumas » /
« thomas »), two names equally close match neither.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Dict, List, Optional

import yaml

LOOKUP = Path(__file__).resolve().parents[2] / "data" / "nlu" / "lookups" / "first_names.yml"
MIN_NAME_LOGPROB = -1.6  # a known first name said alone, heard with little confidence
MAX_WORDS = 2  # « Je lien » for « Julien »: a name may come back split in two

_SOUNDS = (
    (r"ph", "f"), (r"qu", "k"), (r"c(?=[eiy])", "s"), (r"ç", "s"), (r"c", "k"),
    (r"g(?=[eiy])", "j"), (r"gu(?=[eiy])", "g"), (r"h", ""), (r"y", "i"), (r"w", "v"),
    (r"eau|au", "o"), (r"ou", "u"), (r"oi", "wa"), (r"ai|ei", "e"),
    (r"ien$", "iI"), (r"(?:ain|ein|in|un|im)(?![aeiou])", "I"),
    (r"(?:an|en|am|em)(?![aeiou])", "A"), (r"(?:on|om)(?![aeiou])", "O"),
    (r"ll", "l"), (r"(.)\1", r"\1"), (r"(?<=[aeiou])se$", "z"), (r"(?<=.)[estdx]+$", ""), (r"(?<=.)e(?=[^aeiouAIO]$)", ""),
)


def sound_key(text: str) -> str:
    """A rough French phonetic spelling of ``text`` (letters only, no accents)."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if c.isalpha() and not unicodedata.combining(c))
    for pattern, replacement in _SOUNDS:
        plain = re.sub(pattern, replacement, plain)
    return plain


@functools.lru_cache(maxsize=1)
def _known() -> Dict[str, List[str]]:
    """Sound key → the lookup's first names with that key (read once)."""
    data = yaml.safe_load(LOOKUP.read_text(encoding="utf-8")) or {}
    names: Dict[str, List[str]] = {}
    for block in data.get("nlu") or []:
        if block.get("lookup") != "first_name":
            continue
        for line in str(block.get("examples") or "").splitlines():
            name = line.strip().lstrip("-").strip()
            if name and name not in names.get(sound_key(name), []):
                names.setdefault(sound_key(name), []).append(name)
    return names


def known_first_name(heard: str) -> Optional[str]:
    """The known first name ``heard`` sounds like (one or two words, nothing else), or
    None when it sounds like none, or like several."""
    words = re.findall(r"[^\W\d_]+(?:['-][^\W\d_]+)*", heard)
    if not words or len(words) > MAX_WORDS:
        return None
    key = sound_key("".join(words))
    if len(key) < 2:
        return None
    known = _known()
    if key in known:
        return known[key][0]
    close = [names[0] for other, names in known.items() if _one_apart(key, other)]
    return close[0] if len(close) == 1 else None


def _one_apart(a: str, b: str) -> bool:
    """At most one sound inserted, removed or changed, and not in a two-sound key."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 3:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
