"""The voice benchmark's client of the running stack: conversations set up by text, turns by voice."""
from __future__ import annotations

import base64
import itertools
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import requests

from clinic.config import ClinicConfig
from spoken_french.say import say_date
from voice_channel.audio.wav import read_wav
from voice_channel.dialogue.hint import hint_from_events
from voice_channel.stt.hints import RecognitionHint
from simulation.speech_scoring import word_error_rate
from simulation.voice_http.utterances import (
    BOOKING_REQUEST, CALLER_FIRST_NAME, CALLER_LAST_NAME, CONTEXT_ORDER, CONTEXT_SLOTS,
    SpokenUtterance,
)


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
            # Rasa's API wants its admin token: without it the answer is a 401, with no intent.
            answer = self.http.post(f"{self.url}/model/parse", json={"text": text},
                                    params={"token": self.api_token}, timeout=30)
            answer.raise_for_status()
            parsed = answer.json()
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


def patient_identity(n: int) -> Tuple[str, str]:
    """The patient ID and phone number of the bench's n-th conversation: one phone per
    conversation, as the clinic caps upcoming appointments per phone."""
    return str(600000 + n), f"06 12 {n // 100 % 100:02d} {n % 100:02d} 78"


def registrations(conversations: int) -> List[Tuple[str, str, str, str]]:
    """The patients of the first ``conversations`` conversations as the clinic registers
    them (``Stack.register_patients``): the shipped clinic.yml books registered patients
    only, so the identity given in a conversation must be on file."""
    return [(patient_id, CALLER_LAST_NAME, CALLER_FIRST_NAME, phone)
            for patient_id, phone in map(patient_identity, range(1, conversations + 1))]


class ConversationSetup:
    """Brings a new conversation to the question an utterance answers, by typed turns."""

    def __init__(self, client: StackClient, clinic: ClinicConfig) -> None:
        self.client = client
        self.patient_id_digits = clinic.patient_id_digits
        self.times = confirmable_times(clinic)
        # One identity (see ``registrations``) per conversation that gives one.
        self.identities = map(patient_identity, itertools.count(1))

    def turns_for(self, context: str) -> List[str]:
        """The typed turns after which the bot asks the question ``context`` stands for."""
        if context == "free":
            return []
        answered = CONTEXT_ORDER[:CONTEXT_ORDER.index(context)]
        patient_id, phone = next(self.identities) if "patient_id" in answered else ("", "")
        answers: Dict[str, Callable[[], List[str]]] = {
            "name": lambda: [CALLER_LAST_NAME, CALLER_FIRST_NAME],
            "patient_id": lambda: [patient_id],
            "phone": lambda: [phone],
            "date": lambda: [next(self.times)],
        }
        turns = [BOOKING_REQUEST]
        for slot in answered:
            turns += answers[slot]()
        return turns

    def prepare(self, sender: str, context: str) -> Tuple[RecognitionHint, bool, Optional[str]]:
        """Play the turns; the hint the channel will build, whether the bot asks the
        expected slot, and the bot's last words."""
        last_words = None
        for turn in self.turns_for(context):
            last_words = " ".join(self.client.say(sender, turn)) or last_words
        state = self.client.tracker_state(sender)
        slots = state.get("slots") or {}
        hint = hint_from_events(state.get("events") or [])
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
