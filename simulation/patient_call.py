"""A patient's phone call through the running stack, as Twilio places it, in the
callers' voice: its voice-to-voice latencies (benches and tests compare a call made with
and without some load beside it)."""
from __future__ import annotations

from typing import List, Sequence

from simulation.phone_caller import SimulatedCaller
from simulation.synthetic_audio import CALLER_RATE, require_caller_voice

QUESTION_TIMEOUT = 60
PATIENT_SAYS = ("je voudrais prendre rendez-vous", "Je m'appelle Bernard", "Je m'appelle Marie",
                "oui", "je voudrais prendre rendez-vous")


async def patient_call(stack, caller: str, says: Sequence[str] = PATIENT_SAYS) -> List[float]:
    """One call from ``caller`` saying ``says`` a turn at a time: the seconds from the end
    of each turn to the first reply audio (every turn must be answered within
    :data:`QUESTION_TIMEOUT`, else :class:`~simulation.phone_caller.BotSilent`)."""
    async with SimulatedCaller.dial(stack.rasa_url, caller=caller,
                                    twilio_auth_token=stack.twilio_auth_token,
                                    voice=require_caller_voice(), rate=CALLER_RATE) as call:
        await call.wait_bot_done(timeout=QUESTION_TIMEOUT)
        for words in says:
            await call.say(words)
            await call.wait_bot_done(timeout=QUESTION_TIMEOUT)
        return call.latencies
