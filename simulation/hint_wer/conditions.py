"""One sentence heard under each condition of its hint (:data:`CONDITIONS`):

* ``hint``: the hint's candidate prompting (``candidate_prompting(hint)``:
  ``initial_prompt`` and ``hotwords``), which the channel uses for the kinds it kept
  (``voice_channel.stt.hints.PROMPTED_KINDS``);
* ``prompt_only``: the same ``initial_prompt`` without the hotwords (only for hints that
  have hotwords);
* ``no_hint``: no ``initial_prompt``, no ``hotwords``.

Only the prompting changes between conditions: the VAD, the guard, the lone-first-name
rescue and the snapping (``postprocess``) get the same hint in all of them. The WER is
scored on what was heard before snapping (``simulation.speech_scoring.word_error_rate``),
so that « Oui, tout à fait » snapped to « oui » does not count against any condition;
the WER after snapping is reported too (``wer_channel``).
"""
from __future__ import annotations

import threading
from typing import Any, Dict, Tuple
from unittest import mock

import numpy as np

from simulation.hint_wer.cuts import cut_sides, dropped_words
from simulation.speech_scoring import word_error_rate
from voice_channel.stt.hints import Prompting, RecognitionHint, candidate_prompting, postprocess

HINT, PROMPT_ONLY, NO_HINT = "hint", "prompt_only", "no_hint"
CONDITIONS = (HINT, PROMPT_ONLY, NO_HINT)
BASELINE = NO_HINT


def conditions_for(hint: RecognitionHint) -> Dict[str, Prompting]:
    """Each condition's prompting for ``hint`` (``prompt_only`` only when the hint has
    hotwords: otherwise it is the hint itself)."""
    prompting = candidate_prompting(hint)
    conditions = {HINT: prompting}
    if prompting.hotwords:
        conditions[PROMPT_ONLY] = Prompting(initial_prompt=prompting.initial_prompt)
    conditions[NO_HINT] = Prompting()
    return conditions


_PATCHING = threading.Lock()  # the patches below are process-wide


def hear(recognizer: Any, samples: np.ndarray, hint: RecognitionHint,
         prompting: Prompting) -> Dict[str, Any]:
    """``recognizer.transcribe(samples, hint)`` (a ``WhisperRecognizer``) with
    ``prompting`` instead of the hint's own, and the text heard before snapping."""
    import voice_channel.stt.whisper as whisper_module

    def unsnapped(text: str, _hint: Any) -> Tuple[str, None]:
        return text.strip(), None

    with _PATCHING, \
            mock.patch.object(whisper_module, "prompting_for", lambda _hint: prompting), \
            mock.patch.object(whisper_module, "postprocess", unsnapped):
        transcript = recognizer.transcribe(samples, hint)
    heard = transcript.text
    return {"heard": heard, "channel": postprocess(heard, hint)[0],
            "raw_text": transcript.raw_text, "rejected": transcript.rejected_reason,
            "stt_ms": round(transcript.processing_seconds * 1000, 1)}



def measure_sentence(recognizer: Any, samples: np.ndarray, reference: str,
                     hint: RecognitionHint) -> Dict[str, Any]:
    """One sentence's audio heard under each condition of ``hint``: per condition the
    text heard (before and after snapping), WER, rejection, STT time, and the sides it
    cut (compared with no hint)."""
    heard = {name: hear(recognizer, samples, hint, prompting)
             for name, prompting in conditions_for(hint).items()}
    baseline = heard[BASELINE]["heard"]
    for result in heard.values():
        result["wer"] = round(word_error_rate(reference, result["heard"]), 4)
        result["wer_channel"] = round(word_error_rate(reference, result["channel"]), 4)
        result["dropped"] = list(dropped_words(reference, result["heard"]))
        # A refused answer is re-asked, not cut: no word is silently lost (its WER counts
        # it as nothing heard, and it is counted among the rejections).
        result["cut"] = [] if result["rejected"] else cut_sides(reference, result["heard"],
                                                                 baseline)
    return heard
