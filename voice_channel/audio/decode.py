"""Decode an uploaded recording into 16 kHz mono PCM with PyAV (FFmpeg's libraries).

Accepted: WAV (any rate, 8/16/24/32-bit or float, any number of channels; RF64/BW64),
FLAC, Ogg (Opus, Vorbis, FLAC), WebM/Matroska (what browsers' MediaRecorder sends),
MP3, MP4/M4A and ADTS AAC (Safari), AIFF.

The container is recognised from its first bytes and the matching FFmpeg demuxer is
forced: FFmpeg never guesses a format for us, so playlists and other formats that
would open further files or URLs (HLS, concat, …) are never reached, and neither is
any demuxer we did not mean to expose.

Limits are checked before and during decoding: more than ``max_bytes`` raises
:class:`AudioTooLarge` without decoding anything, and decoding stops with
:class:`AudioTooLong` as soon as the output passes ``max_seconds`` (a tiny
highly-compressed file cannot expand into hours of PCM).
"""
from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, List, Optional, Tuple, Union

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE, to_int16

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_SECONDS = 60.0

AudioInput = Union[bytes, bytearray, memoryview, BinaryIO, os.PathLike]


# Below telephone quality speech is not intelligible, and a tiny rate makes a short
# file decode into a huge number of samples once resampled to 16 kHz.
MIN_SOURCE_SAMPLE_RATE = 8000


class AudioError(ValueError):
    """An upload the voice channel cannot use; ``code`` and ``http_status`` for the API."""

    code = "audio_error"
    http_status = 400


class UnsupportedAudio(AudioError):
    """Not audio, or not a format/codec we decode, or corrupt beyond use."""

    code = "unsupported_audio"
    http_status = 415


class AudioTooLarge(AudioError):
    """More bytes than ``max_bytes``."""

    code = "audio_too_large"
    http_status = 413


class AudioTooLong(AudioError):
    """Longer than ``max_seconds`` once decoded."""

    code = "audio_too_long"
    http_status = 413


@dataclass(frozen=True)
class DecodedAudio:
    """16 kHz mono float32 samples in [-1, 1] and what they were decoded from."""

    samples: np.ndarray
    sample_rate: int
    container: str
    codec: str
    source_sample_rate: int
    source_channels: int
    skipped_packets: int = 0

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)

    @property
    def pcm16(self) -> np.ndarray:
        """The same samples as int16."""
        return to_int16(self.samples)


def sniff_format(head: bytes) -> Optional[str]:
    """The FFmpeg demuxer for a file starting with ``head`` (first 64+ bytes), or None."""
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # also WebM
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if len(head) >= 12 and head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b"ID3") and len(head) >= 10:
        # An ID3v2 tag (synchsafe size) precedes MP3 frames, sometimes FLAC.
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        after = head[10 + size:10 + size + 4]
        return "flac" if after == b"fLaC" else "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return "aac"  # ADTS: sync word, layer 00
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
            return "mp3"  # MPEG audio frame sync, layer I/II/III
    return None


def read_limited(data: AudioInput, max_bytes: int) -> bytes:
    """The upload's bytes; AudioTooLarge past ``max_bytes`` (a stream is not read further)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    elif isinstance(data, (os.PathLike, str)):
        path = Path(data)
        size = path.stat().st_size
        if size > max_bytes:
            raise AudioTooLarge(f"audio is {size} bytes, the limit is {max_bytes}")
        raw = path.read_bytes()
    else:
        raw = data.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise AudioTooLarge(f"audio is larger than the limit of {max_bytes} bytes")
    return raw


def decode_audio(
    data: AudioInput,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    sample_rate: int = SAMPLE_RATE,
) -> DecodedAudio:
    """Decode ``data`` (bytes, a binary file object or a path) to mono float32 PCM.

    Raises UnsupportedAudio, AudioTooLarge or AudioTooLong (all ``AudioError``).
    """
    raw = read_limited(data, max_bytes)
    if not raw:
        raise UnsupportedAudio("the upload is empty")
    demuxer = sniff_format(raw[:4096])
    if demuxer is None:
        raise UnsupportedAudio(
            "not a recognised audio file (expected WAV, FLAC, Ogg/Opus, WebM, MP3, M4A or AIFF)"
        )
    import av  # heavy import kept lazy: FFmpeg's libraries

    max_samples = int(max_seconds * sample_rate) + sample_rate // 100  # 10 ms of slack
    try:
        container = av.open(io.BytesIO(raw), mode="r", format=demuxer, metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError) as error:
        raise UnsupportedAudio(f"cannot read the {demuxer} container: {_reason(error)}") from None
    with container:
        if not container.streams.audio:
            raise UnsupportedAudio(f"the {demuxer} file has no audio stream")
        stream = container.streams.audio[0]
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        declared_rate = stream.codec_context.sample_rate if stream.codec_context else 0
        if declared_rate and declared_rate < MIN_SOURCE_SAMPLE_RATE:
            raise UnsupportedAudio(
                f"the audio is sampled at {declared_rate} Hz; at least "
                f"{MIN_SOURCE_SAMPLE_RATE} Hz (telephone quality) is needed"
            )
        chunks, skipped = _decode_stream(av, container, stream, sample_rate, max_samples, max_seconds)
        source_rate = stream.codec_context.sample_rate or 0
        source_channels = stream.codec_context.channels or 0
    if not chunks:
        raise UnsupportedAudio(f"no audio could be decoded from the {demuxer}/{codec} file")
    samples = np.clip(np.concatenate(chunks), -1.0, 1.0).astype(np.float32, copy=False)
    return DecodedAudio(
        samples=samples,
        sample_rate=sample_rate,
        container=demuxer,
        codec=codec,
        source_sample_rate=source_rate,
        source_channels=source_channels,
        skipped_packets=skipped,
    )


def decode_to_pcm16k(
    data: AudioInput,
    *,
    dtype: str = "float32",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> np.ndarray:
    """Just the 16 kHz mono samples, as ``float32`` (default) or ``int16``."""
    decoded = decode_audio(data, max_bytes=max_bytes, max_seconds=max_seconds)
    if dtype == "float32":
        return decoded.samples
    if dtype == "int16":
        return decoded.pcm16
    raise ValueError(f"dtype must be 'float32' or 'int16', not {dtype!r}")


def _decode_stream(av, container, stream, sample_rate: int, max_samples: int,
                   max_seconds: float) -> Tuple[List[np.ndarray], int]:
    """Mono float32 chunks at ``sample_rate``, and how many corrupt packets were skipped."""
    chunks: List[np.ndarray] = []
    total = 0
    skipped = 0
    resampler = None
    resampler_key = None

    def take(frames) -> None:
        nonlocal total
        for frame in frames:
            planes = frame.to_ndarray()  # fltp: (channels, samples)
            mono = planes.mean(axis=0) if planes.shape[0] > 1 else planes[0]
            chunks.append(mono.astype(np.float32, copy=False))
            total += len(mono)
            if total > max_samples:
                raise AudioTooLong(f"audio is longer than the limit of {max_seconds:g} s")

    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                skipped += 1
                continue
            for frame in frames:
                key = (frame.layout.name, frame.sample_rate, frame.format.name)
                if key != resampler_key:
                    if resampler is not None:
                        take(resampler.resample(None))
                    resampler = av.AudioResampler(format="fltp", layout=frame.layout,
                                                  rate=sample_rate)
                    resampler_key = key
                frame.pts = None  # the resampler only needs the samples
                take(resampler.resample(frame))
        if resampler is not None:
            take(resampler.resample(None))
    except AudioTooLong:
        raise
    except (av.FFmpegError, ValueError) as error:
        if not chunks:
            raise UnsupportedAudio(f"cannot decode the audio: {_reason(error)}") from None
        # A truncated upload (a recording cut short): keep what was decoded.
        logger.warning("audio decoding stopped early (%s); keeping %.2f s", _reason(error),
                       total / sample_rate)
    if skipped:
        logger.info("skipped %d undecodable audio packet(s)", skipped)
    return chunks, skipped


def _reason(error: Exception) -> str:
    """FFmpeg's message without PyAV's errno and file name decorations."""
    return getattr(error, "strerror", None) or str(error)
