"""A sentence *cut* by a recognition hint: the answer was accepted and, at its start or
at its end, the transcript lacks at least :data:`EDGE_WORDS` more reference words than
the no-hint transcript does (see :func:`dropped_words`): what Whisper does when it goes
on after a hotword and drops what came before (« je souhaite annuler mon rendez-vous de
demain » heard as « de demain. »).
"""
from __future__ import annotations

from typing import List, Tuple

from simulation.speech_scoring import wer_words

# A cut: at least this many more reference words missing at the start (or the end) than
# without any hint. One word is within what a synthetic voice loses anyway (« Oui, »).
EDGE_WORDS = 2
MIN_CUT_WORDS = 3  # shorter references (« le premier ») can be wrong, not cut


def dropped_words(reference: str, transcript: str) -> Tuple[int, int]:
    """(reference words missing at the start, at the end) of ``transcript``.

    Words as for the WER (``wer_words``). At the start: the fewest, over the words found
    in both (reference index i, transcript index j), of i - j, i.e. how many more words
    the reference has before a shared word than the transcript has; at the end, the same
    counted from the end; never below 0. An empty transcript lacks every word; one
    sharing no word with the reference is wrong, not cut: (0, 0).
    """
    ref, hyp = wer_words(reference), wer_words(transcript or "")
    if not hyp:
        return len(ref), len(ref)
    pairs = [(i, j) for i, r in enumerate(ref) for j, h in enumerate(hyp) if r == h]
    if not pairs:
        return 0, 0
    start = min(i - j for i, j in pairs)
    end = min((len(ref) - 1 - i) - (len(hyp) - 1 - j) for i, j in pairs)
    return max(0, start), max(0, end)


def cut_sides(reference: str, transcript: str, baseline: str,
              edge_words: int = EDGE_WORDS) -> List[str]:
    """Where ``transcript`` cut ``reference`` compared with the no-hint ``baseline``:
    "start" and/or "end" when it lacks at least ``edge_words`` more reference words there
    than the baseline does. References under ``MIN_CUT_WORDS`` words are never cut."""
    if len(wer_words(reference)) < MIN_CUT_WORDS:
        return []
    heard, base = dropped_words(reference, transcript), dropped_words(reference, baseline)
    return [side for side, h, b in zip(("start", "end"), heard, base) if h - b >= edge_words]
