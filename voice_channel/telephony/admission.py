"""Whether a media stream may become a call: the answer the channel gives at ``start``.

A :class:`~voice_channel.telephony.phone_call.PhoneCall` asks its ``admit`` function once,
when the ``start`` frame arrives (the first moment the call SID, the custom parameters
and the audio format are known), and acts on the :class:`Admission`:

* accepted: the call runs under ``sender`` (an opaque Rasa conversation id, never the
  caller's number), and ``metadata`` goes with every message it sends to the dialogue;
  ``release`` is called once when the call ends (it frees the line);
* refused (no valid proof of origin, a replayed or expired ticket): the stream is closed
  at once with ``close_code`` 1008 (policy violation);
* busy (every line taken): ``spoken`` is played to the client, then the stream is closed
  with ``close_code`` 1013 (try again later).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

from voice_channel.telephony.media_streams import Start

logger = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_POLICY_VIOLATION = 1008  # refused: no proof of origin, too fast, no start in time
CLOSE_TRY_AGAIN_LATER = 1013  # every line is taken
CLOSE_INTERNAL_ERROR = 1011  # the admission check itself failed (a bug), or the call did
# How the transport is closed after each end reason of a call (CLOSE_NORMAL for the others).
CLOSE_CODES = {
    "refused": CLOSE_POLICY_VIOLATION, "bad_start": CLOSE_POLICY_VIOLATION,
    "no_start": CLOSE_POLICY_VIOLATION, "faster_than_real_time": CLOSE_POLICY_VIOLATION,
    "protocol_errors": CLOSE_POLICY_VIOLATION, "busy": CLOSE_TRY_AGAIN_LATER,
    "error": CLOSE_INTERNAL_ERROR,
}

@dataclass(frozen=True)
class Admission:
    accepted: bool
    sender: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    release: Optional[Callable[[], None]] = None
    close_code: int = CLOSE_NORMAL
    reason: str = ""  # safe to log: never a number or a token
    spoken: Optional[str] = None

    def release_line(self, call_sid: Optional[str]) -> None:
        """Give the call's line back (once, as the call ends); a failure is logged, not raised."""
        if self.release is None:
            return
        try:
            self.release()
        except Exception as error:
            logger.warning("call %s: releasing the line failed (%s)", call_sid,
                           type(error).__name__)

    @classmethod
    def accept(cls, sender: str, metadata: Optional[Dict[str, Any]] = None,
               release: Optional[Callable[[], None]] = None) -> "Admission":
        return cls(True, sender=sender, metadata=dict(metadata or {}), release=release)

    @classmethod
    def refuse(cls, reason: str) -> "Admission":
        return cls(False, close_code=CLOSE_POLICY_VIOLATION, reason=reason)

    @classmethod
    def busy(cls, spoken: str) -> "Admission":
        return cls(False, close_code=CLOSE_TRY_AGAIN_LATER, reason="every line is taken",
                   spoken=spoken)


Admit = Callable[[Start], Admission]


def ask_admission(admit: Optional[Admit], start: Start, default_sender: str) -> Admission:
    """``admit(start)``, or an acceptance under ``default_sender`` when there is no check.

    A check that raises or answers something else refuses the stream (1011): no call
    without an answer.
    """
    if admit is None:
        return Admission.accept(default_sender)
    try:
        admission = admit(start)
    except Exception as error:
        logger.error("call %s: admission check failed (%s)", start.call_sid, type(error).__name__)
        return Admission(False, close_code=CLOSE_INTERNAL_ERROR, reason="admission failed")
    if not isinstance(admission, Admission):
        logger.error("call %s: admission check answered no Admission", start.call_sid)
        return Admission(False, close_code=CLOSE_INTERNAL_ERROR, reason="admission failed")
    return admission
