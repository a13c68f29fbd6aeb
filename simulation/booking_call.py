"""One simulated caller booking an appointment on the phone line, as the phone bench
(``bench/phone_calls.py``) places them: the caller's script, its identity, and what
each turn of the call gave.

The caller speaks in real time (:class:`simulation.phone_caller.SimulatedCaller`) and
books:

    greeting → "je voudrais prendre rendez-vous" → "Je m'appelle Bernard"
    → "Je m'appelle Marie" → keys <patient ID>#  → keys 06xxxxxxxx# → "jeudi après-midi"
    → "le premier" (or "oui" to a single offer) → "oui, je confirme"

The patient ID and phone number are typed because each caller needs its own
(:func:`caller_identity`); every caller is registered at the clinic first
(:func:`registrations`): the shipped clinic.yml books registered patients only. A turn
succeeds when the bot's next question is the expected one; a re-prompt or no answer
within the timeout is a failed turn.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from simulation.phone_caller import BotSilent, SimulatedCaller

# The bot's next question after each step, and what a re-prompt looks like.
GREETING = re.compile(r"Bonjour", re.I)
REPROMPT = re.compile(r"toujours là|pas entendu|pas compris|répéter|reformuler", re.I)
OFFER_MANY = re.compile(r"Lequel préférez-vous", re.I)
OFFER_ONE = re.compile(r"Cela vous convient", re.I)
READBACK = re.compile(r"Je récapitule", re.I)
BOOKED = re.compile(r"C'est noté", re.I)
TAKEN = re.compile(r"pris|plus disponible|Je peux vous proposer", re.I)


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # "say" or "press"
    what: str
    expect: "re.Pattern[str]"


# Every caller gives this name, with a patient ID and a phone number of their own
# (``caller_identity``), registered at the clinic before the calls.
CALLER_LAST_NAME, CALLER_FIRST_NAME = "Bernard", "Marie"


def booking_steps(patient_id: str, phone: str) -> List[Step]:
    """The caller's script up to the date; the offer and confirmation depend on the bot."""
    return [
        Step("ask_booking", "say", "je voudrais prendre rendez-vous",
             re.compile(r"nom de famille", re.I)),
        Step("last_name", "say", f"Je m'appelle {CALLER_LAST_NAME}",
             re.compile(r"prénom", re.I)),
        Step("first_name", "say", f"Je m'appelle {CALLER_FIRST_NAME}",
             re.compile(r"dossier", re.I)),
        Step("patient_id", "press", patient_id + "#", re.compile(r"numéro de téléphone", re.I)),
        Step("phone", "press", phone + "#", re.compile(r"Quel jour", re.I)),
        Step("date", "say", "jeudi après-midi",
             re.compile(r"Je peux vous proposer|Je récapitule", re.I)),
    ]


CHOOSE_FIRST = Step("choose", "say", "le premier", READBACK)
ACCEPT_ONE = Step("choose", "say", "oui", READBACK)
CONFIRM = Step("confirm", "say", "oui, je confirme", BOOKED)
PHRASES = tuple({s.what for s in booking_steps("0", "0") if s.kind == "say"}
                | {CHOOSE_FIRST.what, ACCEPT_ONE.what, CONFIRM.what})


# --- one call -------------------------------------------------------------------------

@dataclass
class TurnOutcome:
    step: str
    kind: str  # "greeting", "speech" or "dtmf"
    outcome: str  # ok, reprompt, unexpected, unanswered, conflict
    latency_ms: Optional[float]
    texts: List[str]
    transcripts: List[str]
    bot_audio_s: float


@dataclass
class CallResult:
    caller: int
    patient_id: str
    phone: str
    turns: List[TurnOutcome] = field(default_factory=list)
    completed: bool = False  # the script reached "C'est noté"
    booked: Optional[bool] = None  # the row is in the database
    error: Optional[str] = None
    late_frames: int = 0
    max_send_lag_ms: float = 0.0
    seconds: float = 0.0


def caller_identity(run: int, index: int) -> Tuple[str, str]:
    """A 6-digit patient ID and a French mobile number, unique per caller and run."""
    serial = run * 100 + index + 1
    return f"{700000 + serial:06d}", f"0642{serial:06d}"


def planned_callers(callers: Sequence[int], repeats: int) -> List[Tuple[str, str]]:
    """The identities of every caller of a mode's runs, as ``bench/phone_calls.py`` numbers the
    runs (1, 2, … over the numbers of callers, then the repeats)."""
    runs = [n for n in callers for _ in range(repeats)]
    return [caller_identity(run, index)
            for run, n in enumerate(runs, start=1) for index in range(n)]


def registrations(callers: Sequence[int], repeats: int) -> List[Tuple[str, str, str, str]]:
    """The callers as the clinic registers them (``Stack.register_patients``): the shipped
    clinic.yml books registered patients only. Each calls from and books for a number of
    their own, so the per-number daily cap (3 bookings) is never reached."""
    return [(patient_id, CALLER_LAST_NAME, CALLER_FIRST_NAME, phone)
            for patient_id, phone in planned_callers(callers, repeats)]


def classify(step: Step, texts: Sequence[str]) -> str:
    joined = " ".join(texts)
    if step.expect.search(joined):
        return "ok"
    if REPROMPT.search(joined):
        return "reprompt"
    return "unexpected"


async def one_turn(call: SimulatedCaller, step: Step, audio: Dict[str, np.ndarray],
                   timeout: float) -> TurnOutcome:
    if step.kind == "say":
        await call.say(audio[step.what], label=step.what)
    else:
        await call.press(step.what)
    try:
        reply = await call.wait_bot_done(timeout=timeout)
    except BotSilent as silent:
        reply = silent.reply  # type: ignore[attr-defined]
        outcome = "unanswered"
    else:
        outcome = classify(step, reply.texts)
    latency = reply.latency
    return TurnOutcome(step.name, "speech" if step.kind == "say" else "dtmf", outcome,
                      None if latency is None else round(latency * 1000, 1),
                      list(reply.texts), list(reply.transcripts), round(reply.audio_seconds, 2))


async def booking_call(url: str, run: int, index: int, audio: Dict[str, np.ndarray], *,
                       timeout: float, retries: int, latency_only: bool, start_delay: float,
                       settle: float, twilio_auth_token: Optional[str] = None) -> CallResult:
    """One caller through the booking script; stops early on an unexpected answer,
    except ``latency_only`` (then every step is said, whatever the bot answers)."""
    patient_id, phone = caller_identity(run, index)
    result = CallResult(index, patient_id, phone)
    await asyncio.sleep(start_delay)
    started = time.perf_counter()
    try:
        async with _connection(url, phone, settle, twilio_auth_token) as call:
            result.turns.append(await _greeting(call, timeout))
            await _follow_script(call, result, audio, timeout=timeout,
                                 retries=0 if latency_only else retries,
                                 latency_only=latency_only)
            result.late_frames = call.late_frames
            result.max_send_lag_ms = round(call.max_send_lag * 1000, 1)
    except Exception as error:  # noqa: BLE001 - one caller's failure is a result
        result.error = f"{type(error).__name__}: {error}"[:300]
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _connection(url: str, phone: str, settle: float, twilio_auth_token: Optional[str]) -> Any:
    """The started stack is called as Twilio does (TwiML webhook, then the stream with
    its ticket); a --url or the fake server directly on the stream."""
    if url.startswith("http"):
        return SimulatedCaller.dial(url, caller="+33" + phone[1:], events=True,
                                    settle=settle, twilio_auth_token=twilio_auth_token)
    return SimulatedCaller.connect(url, caller="+33" + phone[1:], events=True, settle=settle)


async def _greeting(call: SimulatedCaller, timeout: float) -> TurnOutcome:
    """The bot's greeting, timed from the start of the stream to its first audio."""
    try:
        greeting = await call.wait_bot_done(timeout=timeout)
        outcome = "ok" if GREETING.search(greeting.text) else "unexpected"
    except BotSilent as silent:
        greeting, outcome = silent.reply, "unanswered"  # type: ignore[attr-defined]
    waited = (None if greeting.started_at is None or call.started_at is None
              else round((greeting.started_at - call.started_at) * 1000, 1))
    return TurnOutcome("greeting", "greeting", outcome, waited, list(greeting.texts), [],
                       round(greeting.audio_seconds, 2))


async def _follow_script(call: SimulatedCaller, result: CallResult,
                         audio: Dict[str, np.ndarray], *, timeout: float, retries: int,
                         latency_only: bool) -> None:
    """The booking steps, each turn in ``result.turns``, until the confirmation
    (``result.completed``) or a step the bot did not take."""
    plan = booking_steps(result.patient_id, result.phone)
    conflicts = 0
    while plan:
        step = plan.pop(0)
        last = await _attempts(call, step, audio, result, timeout, retries, latency_only)
        if call.closed:
            break
        if latency_only:
            if step.name == "date":
                plan[:0] = [CHOOSE_FIRST, CONFIRM]
            continue
        if last.outcome != "ok":
            if step is CONFIRM and TAKEN.search(" ".join(last.texts)) and conflicts < 2:
                last.outcome = "conflict"  # another caller took the slot meanwhile
                conflicts += 1
                plan[:0] = [CHOOSE_FIRST if OFFER_MANY.search(" ".join(last.texts))
                            else ACCEPT_ONE, CONFIRM]
                continue
            break
        if step.name == "date":
            plan[:0] = _after_the_date(" ".join(last.texts))
        elif step is CONFIRM:
            result.completed = True


async def _attempts(call: SimulatedCaller, step: Step, audio: Dict[str, np.ndarray],
                    result: CallResult, timeout: float, retries: int,
                    latency_only: bool) -> TurnOutcome:
    """``step``, said again up to ``retries`` times while the bot re-prompts or stays
    silent; the last turn."""
    for _ in range(1 + retries):
        last = await one_turn(call, step, audio, timeout)
        result.turns.append(last)
        if last.outcome == "ok" or call.closed or latency_only:
            break
        if last.outcome == "unexpected":
            break
    return last


def _after_the_date(said: str) -> List[Step]:
    """The steps after the date, from what the bot said to it."""
    if READBACK.search(said):
        return [CONFIRM]
    if OFFER_ONE.search(said):
        return [ACCEPT_ONE, CONFIRM]
    return [CHOOSE_FIRST, CONFIRM]
