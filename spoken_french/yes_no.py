"""Yes or no, from what a French caller typed or said.

Two readers, each for its own input, with all the words they know kept here:

* :func:`parse_yes_no` reads a chat message or a transcript inside the dialogue (the
  action server): accents and punctuation ignored, "pas" and "ne … pas" understood,
  True/False/None;
* :func:`yes_first` reads an answer to a confirmation that starts with yes and may
  go on repeating the action (« oui, annulez », « oui merci »): yes, unless it turns
  into a change (« oui mais plutôt jeudi ») or a no;
* :func:`snap_yes_no` decides, right after recognition, whether an utterance is *only*
  a yes or a no (politeness aside) so that the voice channel can hand the dialogue a
  clean "oui"/"non"; anything more stays free text.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from spoken_french.hesitations import AROUND_YES_NO
from spoken_french.normalize import normalize_words, plain_words as _words

# ------------------------------------------------------------- a chat message


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when unclear or both ("oui mais non")."""
    said = _words(text)
    if _matches(_UNSURE, said):
        return None
    if re.fullmatch(r"(?:(?:mais|ben|eh|ah)\s+)?si(?:\s+si)*", said):
        return True
    said, yes = _consume(_YES_DESPITE_PAS, said)
    said, no = _consume(_NO_PHRASES, said)
    said, negated = _consume(_NE_PAS, said)
    said, no_word = _consume(_NO_WORDS, said)
    said, yes_word = _consume(_YES_WORDS, said)
    is_yes, is_no = yes or yes_word, no or negated or no_word
    if is_yes == is_no:
        return None
    return is_yes

def _matches(pattern: re.Pattern[str], said: str) -> bool:
    return pattern.search(said) is not None


def _any_of(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_UNSURE = _any_of(
    r"(?:je\s+)?(?:ne\s+)?sais\s+pas", r"peut\s+etre", r"aucune\s+idee",
    r"(?:je\s+ne\s+suis\s+)?pas\s+(?:sur|sure|certain|certaine)",
    r"j\s+hesite", r"je\s+reflechis",
)
_YES_DESPITE_PAS = _any_of(
    r"pas\s+de\s+(?:souci|soucis|probleme|problemes)", r"sans\s+(?:souci|probleme)",
    r"pourquoi\s+pas",
)
_POSITIVES_AFTER_PAS = (
    r"du\s+tout|vraiment|question|exactement|tout\s+a\s+fait|d\s+accord"
    r"|ok|okay|bon|correct|ca|juste|bien|possible"
)
_NO_PHRASES = _any_of(
    r"(?:absolument|certainement|surtout|vraiment)\s+pas", rf"pas\s+(?:{_POSITIVES_AFTER_PAS})",
    r"bien\s+sur\s+que\s+non", r"hors\s+de\s+question",
)
_NE_PAS = _any_of(r"n(?:e)?\s+(?:\w+\s+){0,3}?(?:pas|plus|jamais)")
_NO_WORDS = _any_of("non", "nan", "nope", "pas", "jamais", "negatif", "aucunement")
_YES_WORDS = _any_of(
    "oui", "ouais", "ouai", "ouaip", "ok", "okay", r"d\s+accord", "daccord", "dac", "yes", "yep",
    r"c\s+est\s+(?:bien\s+)?ca", r"c\s+est\s+(?:bon|correct|exact|juste|parfait)",
    "exact", "exactement", r"tout\s+a\s+fait", "absolument", r"bien\s+sur", r"bien\s+entendu",
    "parfait", "parfaitement", "volontiers", "affirmatif", r"tres\s+bien", r"ca\s+marche",
    r"ca\s+me\s+va", r"ca\s+m\s+arrange", r"ca\s+me\s+convient", "entendu", "certainement",
    "effectivement", r"je\s+confirme", "confirme", "voila", "super", "impeccable", "nickel",
    r"allez\s+y", r"vas\s+y", r"avec\s+plaisir", "evidemment",
)


def _consume(pattern: re.Pattern[str], said: str) -> tuple[str, bool]:
    """``said`` without ``pattern``'s matches, and whether there was one."""
    rest, count = pattern.subn(" ", said)
    return rest, count > 0


# ------------------------------------------------- a confirmation's answer

_LEADING_YES = re.compile(
    r"(?:(?:euh|heu|hum|ben|bah|ah|oh|eh|alors|bon|bien)\s+)*"
    r"(?:oui|ouais|ouaip|ok|okay|d\s+accord|daccord|exactement|absolument|parfait|tres\s+bien"
    r"|tout\s+a\s+fait|bien\s+sur|volontiers|entendu|je\s+confirme|confirme|c\s+est\s+ca"
    r"|c\s+est\s+bien\s+ca|c\s+est\s+bon|c\s+est\s+parfait|ca\s+marche|ca\s+me\s+va"
    r"|allez\s+y|vas\s+y|impeccable|voila|certainement|evidemment|effectivement)\b"
)
_A_CHANGE = _any_of(
    "mais", "plutot", r"par\s+contre", "sauf", "changer", "modifier", "autre", "corriger",
    r"attendez", "finalement", r"en\s+fait", "pardon",
)


def yes_first(text: str) -> bool:
    """Whether an answer to « Je confirme ? » is a yes said first, whatever follows:
    « oui, annulez », « oui, je confirme l'annulation », « oui merci », « d'accord,
    allez-y ». Not when it goes on to a change or a no (« oui mais plutôt jeudi »,
    « oui enfin non »): that is a correction, for the form to read."""
    said = _words(text)
    if not _LEADING_YES.match(said):
        return False
    return not _matches(_A_CHANGE, said) and parse_yes_no(said) is True


# ------------------------------------------------------------- a whole utterance

YES_PHRASES = (
    "oui", "ouais", "ouai", "ouaip", "ouep", "si", "d'accord", "ok", "okay", "oké", "exactement",
    "absolument", "affirmatif", "parfait", "volontiers", "bien sûr", "tout à fait", "c'est ça",
    "c'est bien ça", "c'est exact", "exact", "entendu", "ça marche", "très bien", "effectivement",
    "voilà", "bien entendu", "avec plaisir", "je confirme", "confirmé", "certainement",
    "évidemment", "carrément", "c'est parfait", "ça me va", "c'est bon", "correct",
)
NO_PHRASES = (
    "non", "nan", "pas du tout", "absolument pas", "surtout pas", "jamais", "pas vraiment",
    "certainement pas", "négatif", "je ne confirme pas", "ce n'est pas ça", "c'est pas ça",
    "pas ça", "non plus", "ça ne me va pas", "ça me va pas", "pas d'accord",
)


def _phrase_at_start(words: list, phrases: Tuple[str, ...]) -> int:
    """Length of the longest phrase that ``words`` starts with (0 when none)."""
    best = 0
    for phrase in phrases:
        size = len(phrase.split())
        if size > best and " ".join(words[:size]) == phrase:
            best = size
    return best


def snap_yes_no(text: str) -> Optional[str]:
    """"oui" or "non" when the answer is only a yes (or only a no), politeness aside."""
    words = normalize_words(text).split()
    kinds = set()
    while words:
        sizes = {"non": _phrase_at_start(words, NO_PHRASES),
                 "oui": _phrase_at_start(words, YES_PHRASES),
                 "": _phrase_at_start(words, AROUND_YES_NO)}
        kind, size = max(sizes.items(), key=lambda item: item[1])
        if size == 0:
            return None  # something else was said: keep the free text
        if kind:
            kinds.add(kind)
        words = words[size:]
    return kinds.pop() if len(kinds) == 1 else None
