"""The spoken answers a recognition hint is measured on: the groups of
``bench/data/spoken_answers.yml``, one per hint the channel builds (the kind of answer
the bot's question expects, and the question itself, turned into a
:class:`RecognitionHint` by ``voice_channel.dialogue.hint.hint_from_reply`` exactly as
in a call), each with enough sentences, none said twice.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from spoken_french.normalize import normalize_words
from voice_channel.stt.hints import EXPECTED_KINDS, RecognitionHint

SPOKEN_ANSWERS = Path(__file__).resolve().parents[2] / "bench" / "data" / "spoken_answers.yml"
MIN_SENTENCES = 40  # per group: fewer, and a hint's effect is lost in the noise


@dataclass(frozen=True)
class HintGroup:
    """Sentences said in answer to one question, and the hint the channel builds for it."""

    name: str
    hint: RecognitionHint
    sentences: Tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.hint.expected


def hint_for_question(kind: str, question: str) -> RecognitionHint:
    """The hint a call builds from the bot's question (``hint_from_reply`` on the reply
    Rasa sends: the text, and ``metadata: {expect: kind}`` unless the answer is free)."""
    from voice_channel.dialogue.hint import EXPECT_KEY, hint_from_reply

    message: Dict[str, Any] = {"text": question}
    if kind != "free":
        message["metadata"] = {EXPECT_KEY: kind}
    hint = hint_from_reply([message])
    if hint.expected != kind:
        raise ValueError(f"hint_from_reply made a {hint.expected!r} hint for {kind!r}")
    return hint


def _sentence_key(sentence: str) -> str:
    """The words said: « Zéro six, douze » and « zéro six douze » are one sentence,
    « zéro six, douze » and « zéro, six, un, deux » two ways of saying the same digits."""
    return normalize_words(unicodedata.normalize("NFC", sentence).lower().replace("’", "'"))


def load_spoken_answers(path: Path = SPOKEN_ANSWERS,
                        min_sentences: int = MIN_SENTENCES) -> List[HintGroup]:
    """The groups of ``path`` (see bench/data/spoken_answers.yml), checked: a known
    kind, a question, at least ``min_sentences`` sentences, none said twice (the same
    words, punctuation and case aside: :func:`_sentence_key`)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    groups = []
    for name, group in data.items():
        kind, question = group.get("kind"), (group.get("question") or "").strip()
        sentences = tuple(str(s).strip() for s in group.get("sentences") or ())
        if kind not in EXPECTED_KINDS:
            raise ValueError(f"{name}: kind must be one of {EXPECTED_KINDS}, not {kind!r}")
        if not question:
            raise ValueError(f"{name}: no question")
        if len(sentences) < min_sentences:
            raise ValueError(f"{name}: {len(sentences)} sentences, at least {min_sentences} needed")
        seen: Dict[str, str] = {}
        for sentence in sentences:
            key = _sentence_key(sentence)
            if not key:
                raise ValueError(f"{name}: a sentence with no words: {sentence!r}")
            if key in seen:
                raise ValueError(f"{name}: said twice: {seen[key]!r} and {sentence!r}")
            seen[key] = sentence
        groups.append(HintGroup(name, hint_for_question(kind, question), sentences))
    return groups
