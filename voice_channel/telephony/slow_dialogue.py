"""When the dialogue is too slow: a deadline on each request, and what the caller is offered.

If the action server, the database or Duckling hangs, Rasa may take minutes to answer;
on a phone line that is silence. :func:`ask_with_deadline` gives a request ``seconds``
and raises :class:`DialogueTimeout` past them, **without cancelling it**: cancelling a
Rasa message half-way (an action run, a tracker save) may leave the conversation
half-updated, so the request is shielded and left to finish in the background (kept
referenced here, its failure logged, never its content).

The call then apologises and offers the clinic's reception (:data:`SLOW_OFFER`), or,
without a reception number, asks the caller to call back (:data:`SLOW_CALL_BACK`).
:func:`answer_to_offer` reads the caller's next turn: "yes" (transfer), "no" (goodbye),
or None (anything else: the dialogue is tried again).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Optional, Set, TypeVar

from spoken_french.yes_no import snap_yes_no

logger = logging.getLogger(__name__)

T = TypeVar("T")

OFFER_QUESTION = "Voulez-vous que je vous passe l'accueil du cabinet ?"
SLOW_OFFER = f"Excusez-moi, notre système met trop de temps à répondre. {OFFER_QUESTION}"
SLOW_CALL_BACK = ("Excusez-moi, notre système met trop de temps à répondre. "
                  "Merci de rappeler un peu plus tard. Au revoir.")
TO_RECEPTION = "Très bien, je vous passe l'accueil du cabinet."
DECLINED = "Très bien. Merci de rappeler un peu plus tard. Au revoir."

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

    def finished(task: "asyncio.Task") -> None:
        _background.discard(task)
        if task.cancelled():
            logger.warning("call %s: late %s cancelled", call_sid, what)
        elif task.exception() is not None:
            logger.warning("call %s: late %s failed (%s)", call_sid, what,
                           type(task.exception()).__name__)
        else:
            logger.info("call %s: late %s finished", call_sid, what)

    task.add_done_callback(finished)


def pending_requests() -> int:
    """Late requests still running in the background (process-wide)."""
    return len(_background)


def answer_to_offer(text: str) -> Optional[str]:
    """"yes" or "no" when the caller's turn is only that (politeness aside), else None."""
    answer = snap_yes_no(text)
    return {"oui": "yes", "non": "no"}.get(answer or "")
