"""What a client asks of its stream in ``start``'s custom parameters (our web page does).

* ``events``: "true" to receive the call's own events as JSON frames (the transcript,
  the bot's texts, partial recognitions, a transfer): the web page shows them;
* ``marks``: "echo" when the client echoes ``mark`` frames as Twilio does, "none" when
  it does not (playback is then timed by the clock); by default only a µ-law stream
  (Twilio) is trusted to echo them.
"""
from __future__ import annotations

from dataclasses import dataclass

from voice_channel.telephony.media_streams import MULAW_8K, Start

TRUE_WORDS = ("true", "1", "yes", "oui", "on")


@dataclass(frozen=True)
class StreamOptions:
    events: bool = False
    echo_marks: bool = True

    @classmethod
    def from_start(cls, start: Start) -> "StreamOptions":
        params = start.custom_parameters
        events = params.get("events", "").strip().lower() in TRUE_WORDS
        echo = params.get("marks", "").strip().lower()
        echo_marks = (start.media_format == MULAW_8K) if echo not in ("echo", "none") else echo == "echo"
        return cls(events=events, echo_marks=echo_marks)
