"""Slot-aware recognition: what the bot just asked shapes how the answer is heard.

A :class:`RecognitionHint` says what kind of answer is expected. Before recognition, for
the kinds where it measured better than nothing (:data:`PROMPTED_KINDS`), it gives Whisper
a French ``initial_prompt`` (the bot's question, as if the model had just heard it) and
``hotwords``; after recognition :func:`postprocess` snaps a clear yes/no
to "oui"/"non" and a spoken phone number or patient ID to its digits. Anything that
does not fit falls back to the free text, for the dialogue to handle.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Optional, Tuple, get_args

from spoken_french.numbers import digits_from_speech, normalize_phone
from spoken_french.yes_no import snap_yes_no
from voice_channel.stt.first_names import known_first_name

Expected = Literal["date", "phone", "patient_id", "yes_no", "name", "first_name", "free"]
EXPECTED_KINDS: Tuple[str, ...] = get_args(Expected)


@dataclass(frozen=True)
class RecognitionHint:
    """What the caller is expected to answer.

    ``question``: the bot's last question, used as the prompt's first sentence;
    ``digits``: exact number of digits expected (patient ID length);
    ``vocabulary``: words likely in the answer (doctors' names, services) → hotwords.
    """

    expected: Expected = "free"
    question: Optional[str] = None
    digits: Optional[int] = None
    vocabulary: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.expected not in EXPECTED_KINDS:
            raise ValueError(f"expected must be one of {EXPECTED_KINDS}, not {self.expected!r}")
        if self.digits is not None and self.digits <= 0:
            raise ValueError("digits must be positive")
        object.__setattr__(self, "vocabulary", tuple(self.vocabulary))


@dataclass(frozen=True)
class Prompting:
    initial_prompt: Optional[str] = None
    hotwords: Optional[str] = None


# The question asked for each kind when the hint does not carry the bot's own words.
# No example answers: Whisper copies them. Measured with the example "Le mardi 3 décembre,
# vers 10 h 30.", "Demain matin, si possible." came out as "Le mardi 4 décembre." and
# "Le vendredi douze décembre." as "Le mardi 2 décembre": plausible, confident, wrong.
_QUESTIONS = {
    "date": "Pour quel jour souhaitez-vous votre rendez-vous ?",
    "phone": "Quel est votre numéro de téléphone ?",
    "patient_id": "Quel est votre numéro de dossier patient ?",
    "yes_no": "Vous confirmez ?",
    "name": "Quel est votre nom et votre prénom ?",
    # A lone first name: a list of first names, as if Whisper had just heard some, is
    # the prompt even when the bot's question is known. None of the names of the test
    # (tests/voice_channel/test_stt_engines.py::test_a_lone_first_name_is_an_answer) is in it.
    # Measured on those 20 in MBROLA fr1 / fr4, with voice_channel.stt.first_names:
    # 19 / 17 heard right, against 11 / 11 with the question as the prompt and no snapping.
    "first_name": ("Prénoms : Martine, Alain, Françoise, Patrick, Nadia, Karim, Hélène, "
                   "Bernard, Chantal, Mohamed."),
    "free": None,
}
_PROMPT_OVER_QUESTION = ("first_name",)  # kinds whose own prompt replaces the question
# Words to favour. Not "oui non" for yes/no: it leaks into the text ("oui ou non").
_HOTWORDS = {
    "date": "lundi mardi mercredi jeudi vendredi samedi matin après-midi",
    "phone": None,
    "patient_id": None,
    "yes_no": None,
    "name": None,
    "first_name": None,
    # None: with "rendez-vous" as a hotword, Whisper went on *after* it and dropped what
    # came before: « je souhaite annuler mon rendez-vous de demain » came back as « de
    # demain. ». Measured on 20 requests in MBROLA fr1 and fr4: mean WER 0.169 → 0.136
    # (fr1) and 0.339 → 0.276 (fr4) without it, and no sentence cut
    # (tests/voice_channel/test_stt_engines.py::test_no_request_is_cut_by_the_default_hint).
    "free": None,
}


# The kinds whose prompting lowered the word error rate against no prompting at all, in
# both callers' voices, without cutting an accepted answer: bench/hint_wer.py on the
# 42-44 answers per question of bench/data/spoken_answers.yml, with the shipped encoder
# window (bench/results/hint_wer.json). Mean WER with / without, MBROLA fr1 and fr4:
# the bot's question when no answer kind is expected (free) 0.106/0.138 and 0.133/0.188;
# yes_no 0.065/0.073 and 0.101/0.125; first_name 0.17/0.41 and 0.51/0.60. Dropped: the
# name question 0.52/0.47 (fr1 worse); phone 0.101/0.102 but 0.078/0.071; patient ID
# 0.136/0.118 (fr1 worse); the date question with its weekday hotwords 0.18/0.25 and
# 0.16/0.24, but « …n'importe quel jour après dix-sept heures » lost its end
# (« après-dissateur »), and without the hotwords it was worse in fr1 (0.26). Without
# prompting, those answers are still snapped (postprocess) and guarded with their hint.
PROMPTED_KINDS: Tuple[str, ...] = ("free", "yes_no", "first_name")


def candidate_prompting(hint: Optional[RecognitionHint]) -> Prompting:
    """The ``initial_prompt``/``hotwords`` a hint would give Whisper: what
    bench/hint_wer.py measures against no prompting, kind by kind."""
    if hint is None:
        hint = RecognitionHint()
    question = _QUESTIONS[hint.expected]
    if hint.expected not in _PROMPT_OVER_QUESTION:
        question = hint.question or question
    hotwords = " ".join(w for w in ((_HOTWORDS[hint.expected] or ""),) + hint.vocabulary if w)
    return Prompting(initial_prompt=question or None, hotwords=hotwords or None)


def prompting_for(hint: Optional[RecognitionHint]) -> Prompting:
    """Whisper's ``initial_prompt``/``hotwords`` for the expected answer: the candidate
    prompting of the kinds that measured better with it (:data:`PROMPTED_KINDS`), none
    for the others."""
    if hint is not None and hint.expected not in PROMPTED_KINDS:
        return Prompting()
    return candidate_prompting(hint)


# --- post-processing ---------------------------------------------------------------------


def snap_digits(text: str, hint: RecognitionHint) -> Optional[str]:
    """The digits said, when they look like the expected phone number or patient ID."""
    digits = digits_from_speech(text)
    if not digits:
        return None
    if hint.expected == "phone":
        # Only a number that is a valid phone number is snapped: a misheard digit string
        # stays free text, for the form's validation to reject and ask again.
        # A French number is said with its 0 (10 digits); others with "+"/"plus"/"00".
        international = bool("+" in text or re.search(r"\bplus\b", text.lower())
                             or digits.startswith("00"))
        if not international and not (len(digits) == 10 and digits.startswith("0")):
            return None
        if normalize_phone(text) is None:
            return None
        return ("+" + digits) if international and not digits.startswith("0") else digits
    if hint.digits is not None:
        return digits if len(digits) == hint.digits else None
    return digits if len(digits) >= 3 else None


def postprocess(text: str, hint: Optional[RecognitionHint]) -> Tuple[str, Optional[str]]:
    """(text for the dialogue, "yes_no"/"digits" when snapped else None)."""
    text = text.strip()
    if not text or hint is None:
        return text, None
    if hint.expected == "yes_no":
        answer = snap_yes_no(text)
        if answer:
            return answer, "yes_no"
    elif hint.expected in ("phone", "patient_id"):
        digits = snap_digits(text, hint)
        if digits:
            return digits, "digits"
    elif hint.expected == "first_name":
        name = known_first_name(text)
        if name:
            return name, "first_name"
    return text, None
