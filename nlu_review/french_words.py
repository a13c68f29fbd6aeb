"""Ordinary French words, to tell a caller's request from their name.

Three sources, read once per process:

* the French lemmatizer tables of spaCy's ``fr_core_news_md`` (installed with the
  project: the NLU pipeline uses it): some 250,000 inflected forms and lemmas of common
  nouns, verbs, adjectives and adverbs, and no given names (« Bertrand », « Ghislaine »);
* spaCy's French stop words (« je », « pour », « ça »);
* the words of the hand-written NLU training data (``data/nlu``), outside annotated
  entities, the name lookup tables and ``reviewed.yml`` (made from callers' messages):
  what callers say to the bot (« rdv », « wesh », « allô »).

Some surnames are words too (« Martin », « Petit »): the name lookup tables and the
lead-ins of :mod:`.names` catch those. Without the spaCy model the dictionary holds the
last two sources only, so more words are masked, never fewer.
"""
from __future__ import annotations

import importlib.util
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, FrozenSet, Optional

import yaml

logger = logging.getLogger(__name__)

NLU_DATA = Path(__file__).resolve().parent.parent / "data" / "nlu"
REVIEWED = "reviewed.yml"
SPACY_MODEL = "fr_core_news_md"
_ANNOTATED = re.compile(r"\[[^\]]*\](?:\([^)]*\)|\{[^}]*\})")
_WORD = re.compile(r"[^\W\d_]+")


class FrenchWords:
    """``word in words``: lower-case, one word without apostrophes or hyphens."""

    def __init__(self, words: FrozenSet[str], hashed: FrozenSet[int] = frozenset(),
                 hash_word: Optional[Callable[[str], int]] = None) -> None:
        self._words = words
        self._hashed = hashed  # spaCy's table of inflected forms keeps only their hashes
        self._hash = hash_word

    def __contains__(self, word: object) -> bool:
        if word in self._words:
            return True
        return self._hash is not None and isinstance(word, str) and self._hash(word) in self._hashed


@lru_cache(maxsize=1)
def french_words() -> FrenchWords:
    words = set(stop_words()) | _training_words(NLU_DATA)
    folder = _lemma_tables_folder()
    if folder is None:
        logger.warning("%s is not installed: names are told from words with a smaller "
                       "dictionary (more words masked)", SPACY_MODEL)
        return FrenchWords(frozenset(words))
    from spacy.lookups import Lookups
    from spacy.strings import get_string_id

    tables = Lookups().from_disk(folder)
    forms = tables.get_table("lemma_lookup")
    for lemmas in forms.values():
        words.update(lemmas)
    for exceptions in tables.get_table("lemma_exc").values():
        for form, lemmas in exceptions.items():
            words.add(form)
            words.update(lemmas)
    for lemmas in tables.get_table("lemma_index").values():
        words.update(lemmas)
    return FrenchWords(frozenset(words), frozenset(forms.keys()), get_string_id)


@lru_cache(maxsize=1)
def stop_words() -> FrozenSet[str]:
    """spaCy's French stop words, read from their module alone: importing
    ``spacy.lang.fr`` builds its tokenizer exceptions, seconds of work."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(spec.submodule_search_locations[0]) / "lang" / "fr" / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_spacy_fr_stop_words", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


def _lemma_tables_folder() -> Optional[Path]:
    spec = importlib.util.find_spec(SPACY_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for folder in Path(location).glob(f"{SPACY_MODEL}-*/lemmatizer/lookups"):
            return folder
    return None


def _training_words(folder: Path) -> set:
    words: set = set()
    for path in sorted(folder.glob("*.yml")):  # not lookups/: those are names
        if path.name == REVIEWED:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("nlu") or []:
            if isinstance(entry, dict) and "intent" in entry:
                text = _ANNOTATED.sub(" ", str(entry.get("examples") or ""))
                words.update(w.casefold() for w in _WORD.findall(text))
    return words
