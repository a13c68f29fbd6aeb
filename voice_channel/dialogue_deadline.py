"""A text or spoken turn over HTTP always gets an answer in time, even when Rasa hangs.

When the action server, the database or Duckling hangs, Rasa may wait up to 300 s (its
action timeout) before it answers. :func:`ask_within` gives Rasa ``timeout`` seconds;
after that the client gets :func:`late_apology` (an apology and the front desk's number)
while Rasa finishes in the background (cancelling it mid-turn could leave the
conversation half-written); a late failure is logged. A turn Rasa answers with nothing
gets :data:`~voice_channel.never_silent.NOTHING_TO_SAY`.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from spoken_french.say import say_phone
from voice_channel import clinic_facts
from voice_channel.never_silent import answered

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 8.0


def reception_phone() -> Optional[str]:
    """The front desk's number as clinic.yml gives it (what a transfer dials)."""
    try:
        return clinic_facts.reception_phone()
    except Exception:  # a missing clinic.yml must not turn an apology into a crash
        logger.warning("no reception number: clinic.yml could not be read")
        return None


def reception_number() -> Optional[str]:
    """The front desk's number as a caller reads or hears it ("01 84 80 12 34")."""
    number = reception_phone()
    return say_phone(number) if number else None


def late_apology(reception: Optional[str]) -> str:
    if reception:
        return ("Excusez-moi, notre système met trop de temps à répondre. "
                f"Réessayez dans un instant, ou appelez l'accueil du cabinet au {reception}.")
    return ("Excusez-moi, notre système met trop de temps à répondre. "
            "Merci de réessayer dans un instant.")


async def ask_within(on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     text: str, sender: str, channel: str,
                     metadata: Optional[Dict[str, Any]], timeout: float,
                     reception: Callable[[], Optional[str]] = reception_number,
                     ) -> List[Dict[str, Any]]:
    """The bot's messages for ``text``, or the apology if Rasa takes over ``timeout`` s."""
    collector = CollectingOutputChannel()
    task = asyncio.ensure_future(on_new_message(
        UserMessage(text, collector, sender, input_channel=channel, metadata=metadata)))
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if task in done:
        task.result()
        return answered(collector.messages, sender)
    logger.warning("%s turn: no answer from the dialogue after %.0f s, apologising",
                   channel, timeout)
    task.add_done_callback(_log_late_outcome)
    return [{"recipient_id": sender, "text": late_apology(reception())}]


def _log_late_outcome(task: "asyncio.Future[Any]") -> None:
    if task.cancelled():
        return
    problem = task.exception()
    if problem is not None:
        logger.warning("a late turn failed in the end (%s)", type(problem).__name__)
