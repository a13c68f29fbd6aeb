"""Never act on invented words: decide whether a recognition may be trusted.

Whisper writes fluent text even for noise, coughs and silence ("Sous-titres réalisés par
la communauté d'Amara.org", "Merci d'avoir regardé", a phrase repeated in a loop). The
engine's voice activity detector and the decoder's own statistics tell most of them
apart; known phrases and loops catch the rest. A rejected transcript has no text and a
``rejected_reason``:

* ``no_speech_vad``       the voice activity detector found no speech at all
* ``no_speech``           the model itself says there was no speech (``no_speech_prob``)
* ``low_confidence``      average token log-probability too low (``avg_logprob``)
* ``repetitive``          compression ratio too high, or a repetition loop in the words
* ``hallucination``       only known subtitle/video-outro phrases or noise annotations
* ``prompt_echo``         the text only repeats the prompt we gave the model
* ``empty``               nothing but punctuation
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from spoken_french.normalize import normalize_words


REJECTION_REASONS = ("no_speech_vad", "no_speech", "low_confidence", "repetitive",
                     "hallucination", "prompt_echo", "empty")


@dataclass(frozen=True)
class GuardThresholds:
    max_no_speech_prob: float = 0.6
    min_avg_logprob: float = -1.0
    max_compression_ratio: float = 2.4
    max_word_repeats: int = 4
    """A single word said more than this many times in a row is a loop ("oui oui oui" is not)."""
    max_phrase_repeats: int = 2
    """A 2-to-8-word phrase said more than this many times in a row is a loop."""


DEFAULT_THRESHOLDS = GuardThresholds()

# Known Whisper hallucinations in French (subtitle credits, video outros), matched on
# normalised text (lower case, no punctuation). A sentence containing one is dropped.
HALLUCINATION_PATTERNS: Tuple[str, ...] = (
    r"\bsous[- ]titr",                                   # sous-titres réalisés par…, ST' 501
    r"\bamara\s*org\b",
    r"\bmerci d'avoir (?:regard|écout|suivi)",
    r"\bmerci (?:à tous |beaucoup )?(?:de nous avoir|d'être) (?:regard|écout|suivi)",
    r"\bmerci (?:de|pour) (?:votre|cette) (?:vidéo|visionnage)",
    r"\babonnez[- ]vous\b", r"\bvous abonner\b", r"\babonne[- ]toi\b",
    r"\blikez\b", r"\bun (?:petit )?like\b", r"\bpouce bleu\b",
    r"\b(?:ma|notre) chaîne\b", r"\bcette vidéo\b", r"\bprochaine vidéo\b",
    r"\bsociété radio[- ]canada\b",
    r"\b(?:transcription|traduction|sous-titrage|relecture) (?:par|réalisée par)\b",
    r"\b(?:www|https?)\b",
)
# Whole sentences that only name a sound ("Musique.", "Rires").
NOISE_WORDS: Tuple[str, ...] = (
    "musique", "applaudissements", "rire", "rires", "toux", "tousse", "silence", "bruit",
    "bruits", "générique", "soupir", "soupirs", "inaudible",
)
_HALLUCINATION = re.compile("|".join(HALLUCINATION_PATTERNS))
_NOISE_ONLY = re.compile(r"^(?:(?:" + "|".join(NOISE_WORDS) + r")\s*)+$")
_ANNOTATION = re.compile(r"^\s*(?:[\[\(\*♪♫].*[\]\)\*♪♫]|[♪♫\s]+)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*[\[\(\*♪♫][^\]\)\*♪♫]*[\]\)\*♪♫]\s*")


def split_sentences(text: str) -> List[str]:
    """Sentences, with bracketed annotations ("[Musique]", "*tousse*") as their own pieces."""
    pieces: List[str] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[position:match.start()])
        annotation = match.group(0).strip()
        if annotation:
            pieces.append(annotation)
        position = match.end()
    pieces.append(text[position:])
    return [piece.strip() for piece in pieces if piece.strip()]


def is_hallucination(sentence: str) -> bool:
    """A known non-speech output: subtitle credits, outros, "[Musique]", "*tousse*"…"""
    if _ANNOTATION.match(sentence):
        return True
    normalized = normalize_words(sentence)
    return bool(normalized) and bool(_HALLUCINATION.search(normalized)
                                     or _NOISE_ONLY.match(normalized))


def strip_hallucinations(text: str) -> Tuple[str, bool]:
    """The text without hallucinated sentences, and whether any were removed."""
    sentences = split_sentences(text)
    kept = [s for s in sentences if not is_hallucination(s)]
    return " ".join(kept), len(kept) != len(sentences)


_LETTER_LOOP = re.compile(r"([^\W\d_]{1,4}?)\1{5,}")


def has_repetition_loop(text: str, thresholds: GuardThresholds = DEFAULT_THRESHOLDS) -> bool:
    """A decoding loop: a word or phrase repeated back to back, or letters stuttering.

    * one word more than ``max_word_repeats`` times in a row ("non" ×5; "oui oui oui" is fine);
    * a 2-to-8-word phrase more than ``max_phrase_repeats`` times in a row;
    * a phrase of 3+ words three times or more anywhere ("je m'ouvre très mal et …" ×3);
    * letters repeating inside a word ("Catatatatatatat"); digits are left alone ("111111").
    """
    normalized = normalize_words(text)
    if _LETTER_LOOP.search(normalized):
        return True
    words = normalized.split()
    for size in range(1, 9):
        limit = thresholds.max_word_repeats if size == 1 else thresholds.max_phrase_repeats
        seen = {}
        for start in range(len(words) - size + 1):
            phrase = tuple(words[start:start + size])
            repeats = 1
            position = start + size
            while tuple(words[position:position + size]) == phrase:
                repeats += 1
                position += size
            if repeats > limit:
                return True
            if size >= 3:
                last, count = seen.get(phrase, (-size, 0))
                if start >= last + size:  # non-overlapping occurrences
                    seen[phrase] = (start, count + 1)
                    if count + 1 >= 3:
                        return True
    return False


ECHO_MIN_WORDS = 3


def is_prompt_echo(text: str, prompt: Optional[str]) -> bool:
    """The text is (part of) the prompt we gave the model, nothing of its own.

    Three words at least: a short answer may well be words of the question (« je
    confirme » to « … Je confirme ? »), and the hint then reads it as the answer."""
    if not prompt:
        return False
    said = normalize_words(text)
    return len(said.split()) >= ECHO_MIN_WORDS and said in normalize_words(prompt)


@dataclass(frozen=True)
class SegmentStats:
    """One decoded window's text and statistics (engine-independent)."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    tokens: int = 1


@dataclass(frozen=True)
class Verdict:
    text: str
    rejected_reason: Optional[str]
    avg_logprob: Optional[float]
    no_speech_prob: Optional[float]
    compression_ratio: Optional[float]


def judge(segments: Sequence[SegmentStats], *, prompt: Optional[str] = None,
          thresholds: GuardThresholds = DEFAULT_THRESHOLDS) -> Verdict:
    """Accept or reject a recognition made of ``segments``.

    Segments that are only hallucinated phrases are dropped (an outro tacked onto real
    speech is removed, the speech kept). The remaining ones are judged together: any
    statistic past its threshold rejects the whole utterance, since a partial answer
    could change its meaning.
    """
    if not segments:
        return Verdict("", "no_speech", None, None, None)
    total_tokens = sum(max(1, s.tokens) for s in segments)
    avg_logprob = sum(s.avg_logprob * max(1, s.tokens) for s in segments) / total_tokens
    no_speech_prob = max(s.no_speech_prob for s in segments)
    compression_ratio = max(s.compression_ratio for s in segments)

    def reject(reason: str) -> Verdict:
        return Verdict("", reason, avg_logprob, no_speech_prob, compression_ratio)

    if no_speech_prob > thresholds.max_no_speech_prob:
        return reject("no_speech")
    if compression_ratio > thresholds.max_compression_ratio:
        return reject("repetitive")
    text = " ".join(s.text.strip() for s in segments if s.text.strip())
    cleaned, removed = strip_hallucinations(text)
    if not normalize_words(cleaned):
        return reject("hallucination" if removed else "empty")
    if avg_logprob < thresholds.min_avg_logprob:
        return reject("low_confidence")
    if has_repetition_loop(cleaned, thresholds):
        return reject("repetitive")
    if is_prompt_echo(cleaned, prompt):
        return reject("prompt_echo")
    return Verdict(cleaned, None, avg_logprob, no_speech_prob, compression_ratio)


def judge_text(text: str, *, thresholds: GuardThresholds = DEFAULT_THRESHOLDS) -> Optional[str]:
    """The rejection reason for a bare text (engines without statistics), or None."""
    cleaned, removed = strip_hallucinations(text)
    if not normalize_words(cleaned):
        return "hallucination" if removed else "no_speech"
    if has_repetition_loop(cleaned, thresholds):
        return "repetitive"
    return None
