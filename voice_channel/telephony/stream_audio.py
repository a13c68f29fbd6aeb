"""Audio in and out of a media stream, in the stream's own format.

* :class:`InboundAudio`: each ``media`` payload of one call → 16 kHz ``int16`` for the
  recognizers (µ-law is decoded, then upsampled with carried state, so 20 ms frames
  join without clicks).
* :func:`encode_for_stream`: one spoken reply (``int16`` at the speech engine's rate)
  → bytes in the stream's format, ready for :func:`outbound_frames.audio_frames`.
* :class:`RealtimeGuard`: whether a call's inbound audio runs ahead of the wall clock.
  A phone line sends 20 ms of audio every 20 ms. A client that pushes audio faster (a
  file sent as fast as the socket takes it) makes its call do seconds of voice
  detection and recognition per second, on the event loop and the cores every call
  shares. The guard counts the seconds of audio received since ``start`` and compares
  them with the call clock's seconds since ``start``: audio more than ``max_ahead``
  seconds ahead of the clock is not a phone line. One integer and one subtraction per
  frame, nothing allocated.
"""
from __future__ import annotations

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE
from voice_channel.call.clock import Clock
from voice_channel.telephony.media_streams import L16_16K, MULAW_8K, MediaFormat, ProtocolError
from voice_channel.telephony.mulaw import StreamResampler, mulaw_decode, mulaw_encode, resample


class InboundAudio:
    """Decodes one call's inbound payloads, in order (one instance per call)."""

    def __init__(self, media_format: MediaFormat) -> None:
        if media_format not in (MULAW_8K, L16_16K):
            raise ValueError(f"unsupported media format {media_format}")
        self.media_format = media_format
        self._upsampler = StreamResampler(8000, SAMPLE_RATE) if media_format == MULAW_8K else None

    def to_pcm16k(self, payload: bytes) -> np.ndarray:
        """16 kHz mono ``int16`` samples of one ``media`` payload."""
        if self._upsampler is not None:
            return self._upsampler.process(mulaw_decode(payload))
        if len(payload) % 2:
            raise ProtocolError("media: L16 payload has an odd number of bytes")
        return np.frombuffer(payload, dtype="<i2").astype(np.int16)


def encode_for_stream(pcm: np.ndarray, sample_rate: int, media_format: MediaFormat) -> bytes:
    """A whole reply (mono ``int16`` at ``sample_rate``) in ``media_format``'s bytes."""
    samples = np.asarray(pcm)
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise TypeError("encode_for_stream takes mono int16 samples (1-D)")
    if media_format == MULAW_8K:
        return mulaw_encode(resample(samples, sample_rate, 8000))
    if media_format == L16_16K:
        return resample(samples, sample_rate, 16000).astype("<i2").tobytes()
    raise ValueError(f"unsupported media format {media_format}")


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
