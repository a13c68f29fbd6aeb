"""Whether a stream's caller audio runs ahead of the wall clock.

A phone line sends 20 ms of audio every 20 ms. A client that pushes audio faster (a file
sent as fast as the socket takes it) makes its call do seconds of voice detection and
recognition per second, on the event loop and the cores every call shares. The guard
counts the seconds of audio received since ``start`` and compares them with the call
clock's seconds since ``start``: audio more than ``max_ahead`` seconds ahead of the clock
is not a phone line. One integer and one subtraction per frame, nothing allocated.
"""
from __future__ import annotations

from voice_channel.call.clock import Clock
from voice_channel.telephony.media_streams import MediaFormat


class RealtimeGuard:
    def __init__(self, media_format: MediaFormat, max_ahead: float, clock: Clock) -> None:
        self.max_ahead = max_ahead
        self.clock = clock
        self._bytes_per_second = float(media_format.sample_rate * media_format.bytes_per_sample
                                       * media_format.channels)
        self._started = clock.now()
        self._bytes = 0

    def receive(self, payload_bytes: int) -> bool:
        """Count one ``media`` payload; False once the audio is too far ahead of the clock."""
        self._bytes += payload_bytes
        return self.ahead_seconds <= self.max_ahead

    @property
    def audio_seconds(self) -> float:
        return self._bytes / self._bytes_per_second

    @property
    def ahead_seconds(self) -> float:
        """Seconds of audio received beyond the clock's seconds since ``start``."""
        return self.audio_seconds - (self.clock.now() - self._started)
