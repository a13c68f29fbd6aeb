"""Voice channel benchmark: French speech through ``POST /webhooks/voice/audio`` of the real stack.

Usage: python bench/voice_http.py [--repeats 2] [--skip-ablation] [--recordings DIR]

Starts the whole stack (Duckling, action server, Rasa with models/current.tar.gz) with
``tests.stack.running_stack`` on free ports and SQLite in a temporary folder, then for
each caller utterance (espeak-ng French, made at run time):

1. brings a fresh conversation to the point where the utterance is said, by text over
   the REST channel (a date is said after "Quel jour ?", "oui" after "Je confirme ?"),
   so that the channel builds the same slot-aware recognition hint as in a real call;
2. posts the audio to the voice channel and keeps its ``timings_ms`` (decode, stt,
   rasa, tts) and the client-side time until the reply audio is received;
3. scores the transcript: word error rate against the text said (lower case, no
   punctuation, numbers as digits on both sides) and the intent Rasa's
   ``POST /model/parse`` gives it, against the intended one.

Then, in this process with the same Whisper model, it measures what each recognition
step brings (``--skip-ablation`` leaves this out): Silero VAD alone (the channel reports
it inside ``stt``), and transcripts without the slot-aware hint, without any prompt, and
without the VAD, plus the VAD on non-speech clips.

Writes bench/results/voice_http.json and prints a short table.
"""
from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages, and tests.stack
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import requests  # noqa: E402
import yaml  # noqa: E402
from text_to_num import alpha2digit  # noqa: E402

from actions.clinic_config import ClinicConfig, clinic_config  # noqa: E402
from spoken_french.say import say_date  # noqa: E402
from bench.duckling import percentile  # noqa: E402
from voice_channel.audio.decode import decode_audio  # noqa: E402
from voice_channel.audio.pcm import SAMPLE_RATE  # noqa: E402
from voice_channel.audio.wav import encode_wav, read_wav  # noqa: E402
from voice_channel.dialogue.hint import hint_from_tracker  # noqa: E402
from spoken_french.normalize import normalize_words  # noqa: E402
from voice_channel.stt.hints import Prompting, RecognitionHint  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "voice_http.json"
THREE_SECOND_CLASS = (2.5, 3.5)  # uploaded audio seconds, silences around the speech included
REPLY_READY_TARGET_MS = 1200.0  # the aim for a ~3 s utterance, p50, on 2 cores
INTENT_SHARE_TARGET = 0.9
LEAD_SILENCE_S, TAIL_SILENCE_S = 0.3, 0.5  # what endpointing leaves around a caller's turn

# What was searched for real French recordings with a known transcript and a free licence.
REAL_RECORDINGS_SEARCH = {
    "found": 0,
    "searched": [
        "this machine: every *.wav/*.flac/*.ogg/*.opus/*.mp3/*.aiff file (only test tones "
        "of the CPython and SciPy test suites, and an English gsutil sample)",
        "PyPI: SpeechRecognition 3.17.0 and 3.10.0 source distributions (the upstream "
        "project tests with tests/french.aiff, but does not ship it in these packages)",
    ],
    "note": "no real French speech was available offline: every figure below is on "
            "espeak-ng synthetic speech, which is cleaner and more regular than a phone "
            "caller. Use --recordings DIR to add real ones.",
}


# --- the utterances ----------------------------------------------------------------------

@dataclass(frozen=True)
class Utterance:
    """One caller turn: what is said, the intent meant, and when in the call it is said.

    ``context`` is the question the bot has just asked (a key of ``CONTEXT_SLOTS``):
    "free" is the start of a call, the others are answers inside the booking form.
    ``intent`` is None for recordings without one (scored for WER only).
    """

    text: str
    intent: Optional[str]
    context: str = "free"
    source: str = "espeak-ng"
    audio_file: Optional[Path] = None


# Phrased like callers, near the training data (data/nlu/*.yml) but never one of its
# sentences: ``training_overlap`` checks it and the report lists any overlap.
UTTERANCES: Tuple[Utterance, ...] = (
    Utterance("allô bonjour, je suis bien au cabinet du docteur Martin ?", "greet"),
    Utterance("oui bonsoir madame", "greet"),
    Utterance("bonjour, je voudrais un rendez-vous avec le docteur Martin", "book_appointment"),
    Utterance("j'aimerais voir un médecin cette semaine si possible", "book_appointment"),
    Utterance("est-ce que je peux avoir une consultation pour mon fils", "book_appointment"),
    Utterance("je voudrais déplacer mon rendez-vous de jeudi", "reschedule_appointment"),
    Utterance("est-ce qu'on peut décaler ma consultation à la semaine prochaine",
              "reschedule_appointment"),
    Utterance("j'ai un empêchement, il faut changer la date de mon rendez-vous",
              "reschedule_appointment"),
    Utterance("je voudrais annuler mon rendez-vous de demain", "cancel_appointment"),
    Utterance("je ne pourrai pas venir lundi, vous pouvez l'annuler", "cancel_appointment"),
    Utterance("c'est pour annuler la consultation de ma fille", "cancel_appointment"),
    Utterance("à quelle heure ouvre le cabinet le samedi", "ask_opening_hours"),
    Utterance("quels sont vos horaires le mercredi", "ask_opening_hours"),
    Utterance("vous êtes ouverts jusqu'à quelle heure ce soir", "ask_opening_hours"),
    Utterance("je voudrais parler à la secrétaire s'il vous plaît", "ask_human"),
    Utterance("passez-moi une vraie personne", "ask_human"),
    Utterance("merci, au revoir et bonne journée", "goodbye"),
    Utterance("au revoir madame, à bientôt", "goodbye"),
    Utterance("oui c'est parfait", "affirm", "yes_no"),
    Utterance("oui tout à fait", "affirm", "yes_no"),
    Utterance("d'accord, je confirme", "affirm", "yes_no"),
    Utterance("non, ce n'est pas ça", "deny", "yes_no"),
    Utterance("non merci, pas ce jour-là", "deny", "yes_no"),
    Utterance("mardi prochain à dix heures", "inform", "date"),
    Utterance("jeudi après-midi vers quinze heures", "inform", "date"),
    Utterance("demain matin à neuf heures et demie", "inform", "date"),
    Utterance("le douze décembre à onze heures", "inform", "date"),
    Utterance("je m'appelle Lucas Bernard", "inform", "name"),
    Utterance("sept un neuf quatre zéro six", "inform", "patient_id"),
    Utterance("zéro sept quatre-vingt-un vingt-deux trente-trois quarante-quatre", "inform",
              "phone"),
)

# The booking form's slot the bot asks for in each context (None: no form running).
CONTEXT_SLOTS: Dict[str, Optional[str]] = {
    "free": None, "name": "last_name", "patient_id": "patient_id", "phone": "phone_number",
    "date": "booking_time", "yes_no": "booking_confirmed",
}
CONTEXT_ORDER = ("name", "patient_id", "phone", "date", "yes_no")
BOOKING_REQUEST = "je voudrais prendre un rendez-vous"
CALLER_LAST_NAME, CALLER_FIRST_NAME = "Lefebvre", "Camille"


def load_recordings(folder: Path) -> Tuple[Utterance, ...]:
    """Real recordings listed in ``folder/manifest.json``: a list of
    ``{"file": "a.wav", "text": "what is said", "intent": "greet" (optional),
    "context": "free" (optional)}``; any format the channel decodes."""
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return tuple(
        Utterance(entry["text"], entry.get("intent"), entry.get("context", "free"),
                  source="recording", audio_file=folder / entry["file"])
        for entry in entries
    )


def training_overlap(utterances: Sequence[Utterance]) -> List[str]:
    """Utterances that are, once normalised, one of the NLU training examples."""
    annotation = re.compile(r"\[([^\]]+)\]\([^)]*\)")
    examples = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.add(normalize_words(annotation.sub(r"\1", line[2:])))
    return [u.text for u in utterances if normalize_words(u.text) in examples]


# --- audio --------------------------------------------------------------------------------

@dataclass
class SpokenUtterance:
    """An utterance with its audio: the WAV uploaded and the 16 kHz samples it decodes to."""

    utterance: Utterance
    wav: bytes
    samples: np.ndarray

    @property
    def audio_seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def synthesize(utterances: Sequence[Utterance]) -> List[SpokenUtterance]:
    """espeak-ng speech (the tests' best French voice and rate) with silence around it,
    as a 16 kHz WAV; recordings are uploaded as they are."""
    from tests.audio_fixtures import speech_16k

    spoken = []
    for utterance in utterances:
        if utterance.audio_file is not None:
            wav = utterance.audio_file.read_bytes()
        else:
            wav = encode_wav(speech_16k(utterance.text, lead_silence=LEAD_SILENCE_S,
                                        tail_silence=TAIL_SILENCE_S), SAMPLE_RATE)
        spoken.append(SpokenUtterance(utterance, wav, decode_audio(wav).samples))
    return spoken


# --- scoring ------------------------------------------------------------------------------

_HOURS = re.compile(r"\b(\d{1,2}) ?h ?(\d{2})?\b")
_HALF_QUARTER = re.compile(r"\b(\d{1,2} heures?) et (demie|quart)\b")
_DIGIT_RUN = re.compile(r"\d+")


def wer_words(text: str) -> List[str]:
    """Words for WER: lower case, no punctuation, numbers as single digits.

    Number words become digits (text2num, no threshold, so "un" and "une" too, on both
    sides alike), "10h30" is "10 heures 30", "et demie"/"et quart" after an hour are
    "30"/"15", and every digit is a word, so "06 12" and "0612" match.
    """
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    text = _HOURS.sub(lambda m: f"{m.group(1)} heures {m.group(2) or ''}", text)
    text = re.sub(r"[-‐–]", " ", text)
    text = alpha2digit(text, "fr", threshold=0)
    text = _HALF_QUARTER.sub(lambda m: f"{m.group(1)} {'30' if m.group(2) == 'demie' else '15'}",
                             text)
    text = _DIGIT_RUN.sub(lambda m: " ".join(m.group(0)), text)
    text = re.sub(r"\bheure\b", "heures", text)
    return normalize_words(text).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after ``wer_words``."""
    ref, hyp = wer_words(reference), wer_words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / max(1, len(ref))


def latency_summary(values_ms: Sequence[float]) -> Dict[str, Any]:
    """count/mean/p50/p95/max in milliseconds (nearest-rank percentiles)."""
    ordered = sorted(values_ms)
    if not ordered:
        return {"count": 0}
    return {"count": len(ordered), "mean_ms": round(statistics.fmean(ordered), 1),
            "p50_ms": round(percentile(ordered, 50), 1),
            "p95_ms": round(percentile(ordered, 95), 1), "max_ms": round(ordered[-1], 1)}


def share(flags: Sequence[bool]) -> Optional[float]:
    return round(sum(flags) / len(flags), 3) if flags else None


# --- the stack over HTTP ------------------------------------------------------------------

class StackClient:
    """The running stack's HTTP API, as a caller's phone gateway and as the bench use it."""

    def __init__(self, rasa_url: str, api_token: str) -> None:
        self.url = rasa_url
        self.api_token = api_token
        self.http = requests.Session()
        self._intents: Dict[str, Tuple[Optional[str], Optional[float]]] = {}

    def say(self, sender: str, text: str) -> List[str]:
        """A typed turn in the voice channel's conversation (the page's text box), so
        that the spoken turns that follow continue it; the bot's texts."""
        reply = self.http.post(f"{self.url}/webhooks/voice/webhook",
                               json={"sender": sender, "message": text}, timeout=60)
        reply.raise_for_status()
        return [m.get("text") or "" for m in reply.json()]

    def tracker_state(self, sender: str) -> Dict[str, Any]:
        """The voice channel's conversation ``web:<sender>``, through Rasa's API."""
        reply = self.http.get(f"{self.url}/conversations/web:{sender}/tracker",
                              params={"token": self.api_token}, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def post_audio(self, sender: str, wav: bytes) -> Tuple[Dict[str, Any], float]:
        """One spoken turn; the channel's answer and the seconds until it was received."""
        started = time.perf_counter()
        reply = self.http.post(f"{self.url}/webhooks/voice/audio", data={"sender": sender},
                               files={"audio": ("turn.wav", wav, "audio/wav")}, timeout=120)
        elapsed = time.perf_counter() - started
        reply.raise_for_status()
        return reply.json(), elapsed

    def intent(self, text: str) -> Tuple[Optional[str], Optional[float]]:
        """Rasa's intent (name, confidence) for a text, None for an empty one; cached."""
        if not text.strip():
            return None, None
        if text not in self._intents:
            parsed = self.http.post(f"{self.url}/model/parse", json={"text": text},
                                    timeout=30).json()
            intent = parsed.get("intent") or {}
            self._intents[text] = (intent.get("name"),
                                   round(float(intent.get("confidence") or 0.0), 3))
        return self._intents[text]


def confirmable_times(clinic: ClinicConfig) -> Iterator[str]:
    """Distinct weekday times ("jeudi 3 décembre à 10h") inside opening hours, from three
    days ahead: each "Je confirme ?" context books a different one, so none is taken."""
    day = datetime.now(clinic.timezone).date() + timedelta(days=3)
    while True:
        if day.weekday() < 5 and day not in clinic.closed_days:
            for hour in (9, 10, 11, 15, 16, 17):
                yield f"{say_date(day)} à {hour}h"
        day += timedelta(days=1)


class ConversationSetup:
    """Brings a new conversation to the question an utterance answers, by typed turns."""

    def __init__(self, client: StackClient, clinic: ClinicConfig) -> None:
        self.client = client
        self.patient_id_digits = clinic.patient_id_digits
        self.times = confirmable_times(clinic)
        self.patient_ids = (str(600000 + n) for n in itertools.count(1))
        # One phone per conversation: the clinic caps upcoming appointments per phone.
        self.phones = (f"06 12 {n // 100 % 100:02d} {n % 100:02d} 78" for n in itertools.count(1))

    def turns_for(self, context: str) -> List[str]:
        """The typed turns after which the bot asks the question ``context`` stands for."""
        if context == "free":
            return []
        answers: Dict[str, Callable[[], List[str]]] = {
            "name": lambda: [CALLER_LAST_NAME, CALLER_FIRST_NAME],
            "patient_id": lambda: [next(self.patient_ids)],
            "phone": lambda: [next(self.phones)],
            "date": lambda: [next(self.times)],
        }
        turns = [BOOKING_REQUEST]
        for answered in CONTEXT_ORDER[:CONTEXT_ORDER.index(context)]:
            turns += answers[answered]()
        return turns

    def prepare(self, sender: str, context: str) -> Tuple[RecognitionHint, bool, Optional[str]]:
        """Play the turns; the hint the channel will build, whether the bot asks the
        expected slot, and the bot's last words."""
        last_words = None
        for turn in self.turns_for(context):
            last_words = " ".join(self.client.say(sender, turn)) or last_words
        state = self.client.tracker_state(sender)
        slots = state.get("slots") or {}
        hint = hint_from_tracker(slots, state.get("events") or [], self.patient_id_digits)
        return hint, slots.get("requested_slot") == CONTEXT_SLOTS[context], last_words


def reply_audio_seconds(body: Dict[str, Any]) -> Optional[float]:
    audio = body.get("audio")
    if not audio:
        return None
    return round(read_wav(base64.b64decode(audio["base64"])).duration, 2)


def measure_http(client: StackClient, spoken: Sequence[SpokenUtterance], repeats: int,
                 setup: ConversationSetup) -> Tuple[List[Dict[str, Any]], Dict[int, RecognitionHint]]:
    """Every utterance ``repeats`` times through the voice channel, each in a new call.

    Returns one row per turn, and the hint the channel built for each utterance (first
    repetition) for the in-process measurements.
    """
    rows, hints = [], {}
    run_id = datetime.now(timezone.utc).strftime("%H%M%S")
    for repeat in range(repeats):
        for index, item in enumerate(spoken):
            utterance = item.utterance
            sender = f"bench-{run_id}-{repeat}-{index}"
            hint, reached, bot_asked = setup.prepare(sender, utterance.context)
            hints.setdefault(index, hint)
            body, elapsed = client.post_audio(sender, item.wav)
            timings = body.get("timings_ms") or {}
            transcript = body.get("transcript") or ""
            intent, confidence = client.intent(transcript)
            rows.append({
                "repeat": repeat, "index": index, "source": utterance.source,
                "text": utterance.text, "intent": utterance.intent,
                "context": utterance.context, "context_reached": reached,
                "bot_asked": bot_asked, "hint": {"expected": hint.expected,
                                                 "question": hint.question},
                "audio_seconds": round(item.audio_seconds, 2),
                "transcript": transcript, "rejected": body.get("rejected"),
                "wer": round(word_error_rate(utterance.text, transcript), 3),
                "predicted_intent": intent, "intent_confidence": confidence,
                "intent_ok": None if utterance.intent is None else intent == utterance.intent,
                "timings_ms": timings,
                "server_total_ms": round(sum(timings.values()), 1),
                "reply_ready_ms": round(elapsed * 1000, 1),
                "reply_audio_seconds": reply_audio_seconds(body),
                "replies": [m.get("text") for m in body.get("messages") or []],
            })
    return rows, hints


def warm_up(client: StackClient, spoken: Sequence[SpokenUtterance]) -> None:
    """Load Whisper in the server (it loads on the first audio turn) and warm every stage."""
    for item in spoken[:2]:
        client.post_audio("bench-warm-up", item.wav)
        client.intent(item.utterance.text)


# --- recognition steps, in process ----------------------------------------------------------

@dataclass
class RecognitionConfig:
    """One way of running the recognizer, to compare with the channel's own."""

    name: str
    description: str
    vad: bool
    hint: Callable[[RecognitionHint], Optional[RecognitionHint]]
    prompt: bool = True


RECOGNITION_CONFIGS = (
    RecognitionConfig("channel", "as the channel runs it: VAD, slot-aware hint (prompt, "
                      "hotwords, yes/no and digit snapping)", True, lambda hint: hint),
    RecognitionConfig("no_slot_hint", "VAD, the hint of a turn without dialogue context "
                      "(hotword 'rendez-vous' only, no snapping)", True,
                      lambda hint: RecognitionHint()),
    RecognitionConfig("no_prompt", "VAD, no prompt, no hotwords, no snapping", True,
                      lambda hint: None, prompt=False),
    RecognitionConfig("no_vad", "slot-aware hint, Silero VAD off (gate and trimming)",
                      False, lambda hint: hint),
)


@dataclass
class InProcessRecognizers:
    """Whisper with and without its VAD; one model, loaded once."""

    with_vad: Any = None
    without_vad: Any = None
    load_seconds: float = 0.0

    @classmethod
    def load(cls) -> "InProcessRecognizers":
        from voice_channel.stt.whisper import WhisperRecognizer

        started = time.perf_counter()
        with_vad = WhisperRecognizer()
        with_vad.load()
        return cls(with_vad, WhisperRecognizer(vad_filter=False), time.perf_counter() - started)

    def transcribe(self, config: RecognitionConfig, samples: np.ndarray,
                   hint: RecognitionHint):
        recognizer = self.with_vad if config.vad else self.without_vad
        if config.prompt:
            return recognizer.transcribe(samples, config.hint(hint))
        with mock.patch("voice_channel.stt.whisper.prompting_for", return_value=Prompting()):
            return recognizer.transcribe(samples, config.hint(hint))


def measure_recognition_steps(client: StackClient, spoken: Sequence[SpokenUtterance],
                              hints: Dict[int, RecognitionHint], vad_runs: int
                              ) -> Dict[str, Any]:
    """VAD time, and WER/intent/STT time of each ``RECOGNITION_CONFIGS`` on every utterance."""
    recognizers = InProcessRecognizers.load()
    rows = []
    for index, item in enumerate(spoken):
        utterance, hint = item.utterance, hints[index]
        vad_ms = []
        for _ in range(vad_runs):
            started = time.perf_counter()
            speech = recognizers.with_vad.speech_seconds(item.samples)
            vad_ms.append((time.perf_counter() - started) * 1000)
        row: Dict[str, Any] = {"index": index, "text": utterance.text, "intent": utterance.intent,
                               "hint": hint.expected, "audio_seconds": round(item.audio_seconds, 2),
                               "vad_ms": [round(v, 1) for v in vad_ms],
                               "speech_seconds": round(speech, 2), "configs": {}}
        for config in RECOGNITION_CONFIGS:
            transcript = recognizers.transcribe(config, item.samples, hint)
            intent, _ = client.intent(transcript.text)
            raw_intent, _ = client.intent(transcript.raw_text)
            row["configs"][config.name] = {
                "text": transcript.text, "raw_text": transcript.raw_text,
                "rejected": transcript.rejected_reason, "snapped": transcript.snapped,
                "stt_ms": round(transcript.processing_seconds * 1000, 1),
                "wer": round(word_error_rate(utterance.text, transcript.text), 3),
                "wer_unsnapped": round(word_error_rate(utterance.text, transcript.raw_text), 3),
                "intent": intent, "intent_unsnapped": raw_intent,
            }
        rows.append(row)
    return {"whisper_model": recognizers.with_vad.model,
            "model_load_seconds": round(recognizers.load_seconds, 1),
            "rows": rows, "non_speech": measure_non_speech(recognizers)}


def measure_non_speech(recognizers: InProcessRecognizers) -> List[Dict[str, Any]]:
    """What the VAD does with no speech: is the clip rejected, and how fast."""
    from tests.audio_fixtures import cough_burst, silence, white_noise

    clips = {"silence_3s": silence(3.0), "white_noise_3s": white_noise(3.0, level=0.05),
             "cough_1.6s": cough_burst()}
    results = []
    for name, samples in clips.items():
        for vad in (True, False):
            recognizer = recognizers.with_vad if vad else recognizers.without_vad
            transcript = recognizer.transcribe(samples, RecognitionHint())
            results.append({"clip": name, "vad": vad, "text": transcript.raw_text,
                            "rejected": transcript.rejected_reason,
                            "stt_ms": round(transcript.processing_seconds * 1000, 1)})
    return results


def uncached_tts_ms(replies: Sequence[str], runs: int = 1) -> Dict[str, Any]:
    """The channel's synthesizer (credentials.yml) without its cache, on the bot's replies."""
    from voice_channel.tts import synthesizer_from_config

    section = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    settings = section.get("voice_channel.channel.VoiceInput") or {}
    synthesizer = synthesizer_from_config({"engine": settings.get("tts_engine", "espeak"),
                                           **(settings.get("tts_options") or {}),
                                           "cache": False})
    times = []
    for text in replies:
        for _ in range(runs):
            started = time.perf_counter()
            synthesizer.synthesize(text)
            times.append((time.perf_counter() - started) * 1000)
    return {"replies": len(replies), **latency_summary(times)}


# --- summary ------------------------------------------------------------------------------

def summarize_http(rows: Sequence[Dict[str, Any]], vad_ms: Sequence[float]) -> Dict[str, Any]:
    stages: Dict[str, Any] = {}
    for stage in ("decode", "stt", "rasa", "tts"):
        stages[stage] = latency_summary([r["timings_ms"][stage] for r in rows
                                         if stage in r["timings_ms"]])
    if vad_ms:
        stages["vad (in process, inside stt)"] = latency_summary(vad_ms)
    stages["server total"] = latency_summary([r["server_total_ms"] for r in rows])
    stages["reply audio ready (client)"] = latency_summary([r["reply_ready_ms"] for r in rows])
    low, high = THREE_SECOND_CLASS
    three = [r for r in rows if low <= r["audio_seconds"] <= high]
    # A rejected turn skips Rasa (the caller hears a re-prompt): the target is judged on
    # the turns that reached Rasa, the slower and the meaningful ones.
    three_accepted = [r for r in three if not r["rejected"]]
    three_ready = latency_summary([r["reply_ready_ms"] for r in three_accepted])
    scored = [r for r in rows if r["intent_ok"] is not None]
    by_intent: Dict[str, List[bool]] = {}
    for r in scored:
        by_intent.setdefault(r["intent"], []).append(r["intent_ok"])
    intent_share = share([r["intent_ok"] for r in scored])
    return {
        "turns": len(rows),
        "stages_ms": stages,
        "three_second_class": {
            "audio_seconds": list(THREE_SECOND_CLASS),
            "utterances": sorted({r["text"] for r in three}),
            "reply_ready_ms": three_ready,
            "reply_ready_ms_with_rejected_turns": latency_summary(
                [r["reply_ready_ms"] for r in three]),
            "server_total_ms": latency_summary([r["server_total_ms"] for r in three_accepted]),
            "stt_ms": latency_summary([r["timings_ms"]["stt"] for r in three_accepted]),
            "target_p50_ms": REPLY_READY_TARGET_MS,
            "target_met": bool(three_accepted) and three_ready["p50_ms"] < REPLY_READY_TARGET_MS,
        },
        "wer_mean_transcript": round(statistics.fmean(r["wer"] for r in rows), 3),
        "rejected_turns": sum(1 for r in rows if r["rejected"]),
        # Worse than a re-prompt: a transcript Rasa acts on with the wrong intent.
        "accepted_wrong_intent_turns": sum(1 for r in scored
                                           if not r["rejected"] and not r["intent_ok"]),
        "intent_share": intent_share,
        "intent_share_target": INTENT_SHARE_TARGET,
        "intent_target_met": intent_share is not None and intent_share >= INTENT_SHARE_TARGET,
        "intent_share_by_intent": {k: share(v) for k, v in sorted(by_intent.items())},
        "intent_misses": sorted({(r["text"], r["transcript"], r["predicted_intent"] or "")
                                 for r in scored if not r["intent_ok"]}),
        "contexts_not_reached": sorted({r["text"] for r in rows if not r["context_reached"]}),
    }


def summarize_steps(steps: Dict[str, Any], http_rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per recognition config: WER, intent share, STT time; and the channel's snapping."""
    rows = steps["rows"]
    scored = [r for r in rows if r["intent"] is not None]
    contextual = [r for r in rows if r["hint"] != "free"]
    configs = {}
    for config in RECOGNITION_CONFIGS:
        results = [r["configs"][config.name] for r in rows]
        configs[config.name] = {
            "description": config.description,
            "wer_mean": round(statistics.fmean(c["wer"] for c in results), 3),
            "wer_mean_unsnapped": round(statistics.fmean(c["wer_unsnapped"] for c in results), 3),
            "intent_share": share([r["configs"][config.name]["intent"] == r["intent"]
                                   for r in scored]),
            "intent_share_in_form_answers": share(
                [r["configs"][config.name]["intent"] == r["intent"] for r in contextual
                 if r["intent"] is not None]),
            "rejected": sum(1 for c in results if c["rejected"]),
            "accepted_wrong_intent": sum(
                1 for r in scored
                if not r["configs"][config.name]["rejected"]
                and r["configs"][config.name]["intent"] != r["intent"]),
            "stt_ms": latency_summary([c["stt_ms"] for c in results]),
        }
    channel = [r["configs"]["channel"] for r in rows]
    # Two steps read off the channel's own recognitions: the text before yes/no and digit
    # snapping (turns the guard accepted), and the guard's rejected texts given to Rasa.
    unsnapped = [(r["intent"], None if c["rejected"] else c["intent_unsnapped"])
                 for r, c in ((r, r["configs"]["channel"]) for r in scored)]
    unguarded = [(r["intent"], c["intent_unsnapped"] if c["rejected"] else c["intent"])
                 for r, c in ((r, r["configs"]["channel"]) for r in scored)]
    for name, description, pairs in (
        ("channel_without_snapping", "the channel's recognition, Rasa given the text before "
         "yes/no and digit snapping", unsnapped),
        ("channel_without_guard", "the channel's recognition, Rasa also given the texts the "
         "guard rejected (low confidence, loops, hallucinations)", unguarded),
    ):
        configs[name] = {
            "description": description,
            "intent_share": share([intended == got for intended, got in pairs]),
            "accepted_wrong_intent": sum(1 for intended, got in pairs
                                         if got is not None and got != intended),
        }
    first_http = {r["index"]: r["transcript"] for r in http_rows if r["repeat"] == 0}
    same = sum(1 for r, c in zip(rows, channel) if first_http.get(r["index"]) == c["text"])
    return {
        "whisper_model": steps["whisper_model"],
        "utterances": len(rows),
        "form_answers": len(contextual),
        "configs": configs,
        "snapped": sum(1 for c in channel if c["snapped"]),
        "same_transcript_as_http": f"{same}/{len(rows)}",
        "audio_mean_seconds": round(statistics.fmean(r["audio_seconds"] for r in rows), 2),
        "speech_mean_seconds_found_by_vad": round(
            statistics.fmean(r["speech_seconds"] for r in rows), 2),
    }


# --- report -------------------------------------------------------------------------------

def tool_version(command: Sequence[str]) -> Optional[str]:
    if shutil.which(command[0]) is None:
        return None
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else None


def machine_info() -> Dict[str, Any]:
    def version(dist: str) -> Optional[str]:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    cpu_model = None
    try:
        cpu_model = next((line.split(":", 1)[1].strip()
                          for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), None)
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: version(name) for name in
                     ("rasa", "faster-whisper", "ctranslate2", "onnxruntime", "text2num")},
        "espeak_ng": tool_version(["espeak-ng", "--version"]),
    }


class PhaseClock:
    """Wall time of each phase, and the 1-minute load average at its end: other work on
    the same CPUs slows every stage, so the report says how busy the machine was."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.phases: List[Dict[str, Any]] = [
            {"phase": "start", "seconds": 0.0, "load_average_1m": round(os.getloadavg()[0], 2)}]

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases.append({"phase": phase, "seconds": round(now - self.started, 1),
                            "load_average_1m": round(os.getloadavg()[0], 2)})
        self.started = now

    def report(self) -> List[Dict[str, Any]]:
        return self.phases


def print_report(report: Dict[str, Any]) -> None:
    http = report["summary"]
    print(f"{'stage':<30} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    for name, stats in http["stages_ms"].items():
        if stats.get("count"):
            print(f"{name:<30} {stats['count']:>4} {stats['p50_ms']:>8.0f} {stats['p95_ms']:>8.0f}")
    three = http["three_second_class"]
    ready = three["reply_ready_ms"]
    if ready.get("count"):
        verdict = "met" if three["target_met"] else "NOT met"
        print(f"~3 s utterances ({ready['count']} turns reaching Rasa): reply audio ready p50 "
              f"{ready['p50_ms']:.0f} ms, target {REPLY_READY_TARGET_MS:.0f} ms {verdict}")
    intent = http["intent_share"]
    print(f"WER (transcript sent to Rasa) {http['wer_mean_transcript']:.3f}; intended intent "
          f"{intent:.0%} (target {INTENT_SHARE_TARGET:.0%}: "
          f"{'met' if http['intent_target_met'] else 'NOT met'}); {http['rejected_turns']} "
          f"turns rejected (re-prompt), {http['accepted_wrong_intent_turns']} acted on with "
          f"a wrong intent")
    for text, transcript, predicted in http["intent_misses"]:
        print(f"  miss: {text!r} heard {transcript!r} -> {predicted}")
    steps = report.get("recognition_steps")
    if steps:
        print(f"\n{'recognition (in process)':<26} {'WER':>6} {'intent':>7} {'in form':>8} "
              f"{'rejected':>8} {'wrong':>6} {'stt p50':>8}")
        for name, c in steps["configs"].items():
            if "wer_mean" not in c:
                print(f"{name:<26} {'':>6} {c['intent_share']:>7.0%} {'':>8} {'':>8} "
                      f"{c['accepted_wrong_intent']:>6}")
                continue
            print(f"{name:<26} {c['wer_mean']:>6.3f} {c['intent_share']:>7.0%} "
                  f"{c['intent_share_in_form_answers']:>8.0%} {c['rejected']:>8} "
                  f"{c['accepted_wrong_intent']:>6} {c['stt_ms']['p50_ms']:>8.0f}")
        for clip in report["recognition_steps_detail"]["non_speech"]:
            print(f"  {clip['clip']:<16} vad={'on ' if clip['vad'] else 'off'} "
                  f"rejected={clip['rejected']} text={clip['text']!r} {clip['stt_ms']:.0f} ms")
    loads = ", ".join(f"{p['phase']} {p['load_average_1m']}" for p in report["phases"])
    print(f"load average (1 min) on {report['machine']['cpu_count']} CPUs: {loads}")
    if report["training_overlap"]:
        print("utterances that are training sentences:", report["training_overlap"])
    if report["real_recordings"]["found"] == 0:
        print("no real French recording: synthetic espeak-ng speech only")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2,
                        help="passes over the utterances through HTTP (default 2)")
    parser.add_argument("--skip-ablation", action="store_true",
                        help="leave out the in-process comparison of recognition steps")
    parser.add_argument("--recordings", type=Path,
                        help="a folder of real recordings with a manifest.json (see "
                             "load_recordings)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result JSON path")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (apt-get install -y espeak-ng)")

    from tests.stack import running_stack

    utterances = UTTERANCES + (load_recordings(args.recordings) if args.recordings else ())
    recordings = (sum(1 for u in utterances if u.source == "recording")
                  if args.recordings else 0)
    spoken = synthesize(utterances)
    report: Dict[str, Any] = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "method": {
            "endpoint": "POST /webhooks/voice/audio (multipart WAV, 16 kHz mono 16-bit)",
            "speech": f"espeak-ng, voice and rate of tests/audio_fixtures.py, "
                      f"{LEAD_SILENCE_S} s of silence before and {TAIL_SILENCE_S} s after",
            "conversation": "each turn in a new conversation, first brought by typed turns "
                            "(REST channel) to the question it answers, so the channel "
                            "builds its slot-aware hint from the tracker as in a call",
            "reply_audio_ready": "client-side time from sending the audio to receiving the "
                                 "reply with its speech (WAV in base64), localhost",
            "stages": "the channel's timings_ms; the VAD runs inside stt and is timed here "
                      "in process (speech_seconds) on the same audio",
            "wer": "per utterance, then averaged; lower case, no punctuation, number words "
                   "as digits, one word per digit, '10h30' = 10 heures 30",
            "intent": "POST /model/parse of the transcript, compared with the intended intent",
            "tts_cache": "the channel caches synthesized replies: repeated prompts cost ~0 "
                         "after the first time (see tts_uncached for the engine alone)",
        },
        "repeats": args.repeats,
        "utterances": len(utterances),
        "real_recordings": {**REAL_RECORDINGS_SEARCH, "found": recordings},
        "training_overlap": training_overlap(utterances),
    }
    phases = PhaseClock()
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        with running_stack(Path(tmp)) as stack:
            phases.done("stack start")
            client = StackClient(stack.rasa_url, stack.api_token)
            warm_up(client, spoken)
            phases.done("warm-up")
            rows, hints = measure_http(client, spoken, args.repeats,
                                       ConversationSetup(client, clinic_config()))
            phases.done("http turns")
            steps = None
            if not args.skip_ablation:
                steps = measure_recognition_steps(client, spoken, hints, vad_runs=args.repeats)
                phases.done("recognition steps")
    vad_ms = [v for r in (steps or {}).get("rows", []) for v in r["vad_ms"]]
    report["summary"] = summarize_http(rows, vad_ms)
    if steps:
        report["recognition_steps"] = summarize_steps(steps, rows)
        report["recognition_steps_detail"] = steps
    report["tts_uncached"] = uncached_tts_ms(sorted({t for r in rows for t in r["replies"] if t}))
    phases.done("uncached tts")
    report["phases"] = phases.report()
    report["rows"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_report(report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
