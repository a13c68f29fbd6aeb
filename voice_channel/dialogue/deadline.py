"""Every request to the dialogue has a deadline; a late one finishes in the background.

When the action server, the database or Duckling hangs, Rasa may wait up to 300 s (its
action timeout) before it answers; on a phone line or a web page that is silence.
:func:`ask_with_deadline` gives a request ``seconds`` and raises :class:`DialogueTimeout`
past them, **without cancelling it**: cancelling a Rasa message half-way (an action run,
a tracker save) may leave the conversation half-updated, so the request is shielded and
left to finish in the background (kept referenced here, its failure logged, never its
content).

For the HTTP routes, :func:`ask_within` answers a late or failed turn (Rasa raised:
the cluster's lock store unreachable, say) with an apology and the front desk's number (the ``late_reception`` prompt); a turn Rasa answers with nothing
gets ``nothing_to_say`` (:mod:`voice_channel.dialogue.prompts`). A phone call decides itself what a
late turn becomes (:mod:`voice_channel.call.worker`).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, TypeVar

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from spoken_french.say import say_phone
from voice_channel import clinic_facts
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS, VoicePrompts
from voice_channel.turn_core import answered

logger = logging.getLogger(__name__)

T = TypeVar("T")

_background: Set["asyncio.Task"] = set()  # late requests, referenced until they finish


class DialogueTimeout(Exception):
    """The dialogue has not answered in time (the request goes on in the background)."""


async def ask_with_deadline(request: Awaitable[T], seconds: float, what: str,
                            call_sid: Optional[str]) -> T:
    """Await ``request`` for ``seconds`` (real seconds) at most; raises DialogueTimeout.

    Whether it times out or the caller is cancelled (the call ends), the request itself
    is never cancelled: it finishes in the background. ``what`` names it in the logs.
    """
    task = asyncio.ensure_future(request)
    try:
        return await asyncio.wait_for(asyncio.shield(task), seconds)
    except asyncio.TimeoutError:
        _finish_in_background(task, what, call_sid)
        raise DialogueTimeout(what) from None
    except asyncio.CancelledError:
        if not task.done():
            _finish_in_background(task, what, call_sid)
        raise


def _finish_in_background(task: "asyncio.Task", what: str, call_sid: Optional[str]) -> None:
    _background.add(task)
    who = f"call {call_sid}: " if call_sid is not None else ""

    def finished(task: "asyncio.Task") -> None:
        _background.discard(task)
        if task.cancelled():
            logger.warning("%slate %s cancelled", who, what)
        elif task.exception() is not None:
            logger.warning("%slate %s failed (%s)", who, what, type(task.exception()).__name__)
        else:
            logger.info("%slate %s finished", who, what)

    task.add_done_callback(finished)


def pending_requests() -> int:
    """Late requests still running in the background (process-wide)."""
    return len(_background)


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


async def ask_within(on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     text: str, sender: str, channel: str,
                     metadata: Optional[Dict[str, Any]], timeout: float,
                     reception: Callable[[], Optional[str]] = reception_number,
                     prompts: VoicePrompts = DEFAULT_PROMPTS) -> List[Dict[str, Any]]:
    """The bot's messages for ``text``, or the apology if Rasa takes over ``timeout`` s."""
    collector = CollectingOutputChannel()
    try:
        await ask_with_deadline(on_new_message(
            UserMessage(text, collector, sender, input_channel=channel, metadata=metadata)),
            timeout, f"{channel} turn", None)
    except DialogueTimeout:
        logger.warning("%s turn: no answer from the dialogue after %.0f s, apologising",
                       channel, timeout)
        return [{"recipient_id": sender, "text": prompts.late_apology(reception())}]
    except Exception as error:  # e.g. the cluster's Redis (lock store) unreachable
        logger.warning("%s turn: the dialogue failed (%s), apologising", channel,
                       type(error).__name__)
        return [{"recipient_id": sender, "text": prompts.late_apology(reception())}]
    return answered(collector.messages, sender, prompts.nothing_to_say)
