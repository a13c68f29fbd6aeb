"""WAV files in memory: write PCM, read PCM WAVs, join several (e.g. successive TTS replies).

Pure standard library and numpy. Output is always 16-bit PCM. Reading accepts integer
PCM of 8, 16, 24 or 32 bits and 32/64-bit float, plain or WAVE_FORMAT_EXTENSIBLE;
anything else (compressed, other containers) goes through ``decode.decode_audio``.
"""
from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE, to_int16


_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE


class WavError(ValueError):
    """Bytes that are not a PCM WAV we read, or WAVs that cannot be joined."""


@dataclass(frozen=True)
class WavAudio:
    """int16 samples, interleaved when ``channels`` > 1, shape (frames * channels,)."""

    samples: np.ndarray
    sample_rate: int
    channels: int = 1

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.channels * self.sample_rate)


def encode_wav(pcm: np.ndarray, sample_rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV file holding ``pcm`` (int16, or float in [-1, 1] that is clipped).

    Multi-channel audio is given interleaved (1-D) or as (frames, channels).
    """
    if sample_rate <= 0 or channels <= 0:
        raise ValueError("sample_rate and channels must be positive")
    samples = to_int16(np.asarray(pcm)).reshape(-1)
    if len(samples) % channels:
        raise ValueError(f"{len(samples)} samples do not divide into {channels} channels")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(samples.astype("<i2", copy=False).tobytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class WavLayout:
    """What a RIFF/WAVE header says, and the bytes of its data chunk."""

    format_tag: int  # 1 integer PCM, 3 IEEE float (the sub-format of an extensible header)
    channels: int
    sample_rate: int
    block_align: int
    bits: int
    payload: bytes


def read_wav_layout(data: bytes) -> WavLayout:
    """The one WAV header reader (the TTS engines' output and uploads alike).

    A data chunk whose size is 0 or runs past the end (what ``espeak-ng --stdout``
    writes while streaming) is taken to run to the end of the file.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    position, fmt = 12, None
    while position + 8 <= len(data):
        chunk_id = data[position:position + 4]
        (size,) = struct.unpack_from("<I", data, position + 4)
        body = position + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise WavError("truncated WAV format chunk")
            tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == _EXTENSIBLE and size >= 40 and body + 26 <= len(data):
                (tag,) = struct.unpack_from("<H", data, body + 24)  # sub-format GUID
            fmt = (tag, channels, rate, block_align, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise WavError("WAV data before its format chunk")
            end = body + size if size and body + size <= len(data) else len(data)
            return WavLayout(*fmt, data[body:end])
        position = body + size + (size & 1)
    raise WavError("WAV without fmt or data chunk")


def read_wav(data: bytes) -> WavAudio:
    """The samples of a PCM WAV (8/16/24/32-bit integer or 32/64-bit float), as int16.

    Plain and WAVE_FORMAT_EXTENSIBLE headers are read (sox writes the latter for 24-bit).
    """
    layout = read_wav_layout(data)
    tag, channels, rate = layout.format_tag, layout.channels, layout.sample_rate
    if tag not in (_PCM, _FLOAT) or channels < 1 or rate < 1:
        raise WavError(f"unsupported WAV encoding (format tag {tag})")
    width = layout.block_align // channels if layout.block_align else layout.bits // 8
    frames = layout.payload
    usable = len(frames) - len(frames) % (width * channels)
    return WavAudio(_to_int16(frames[:usable], width, tag == _FLOAT), rate, channels)


def concat_wav(parts: Iterable[bytes], *, gap_seconds: float = 0.0,
               sample_rate: Optional[int] = None) -> bytes:
    """One WAV playing ``parts`` one after the other, ``gap_seconds`` of silence between.

    All parts must share a sample rate and channel count (``sample_rate``, when given,
    is required of every part); sample widths may differ (the result is 16-bit).
    """
    decoded = [read_wav(part) for part in parts]
    if not decoded:
        raise WavError("nothing to join")
    rate = sample_rate or decoded[0].sample_rate
    channels = decoded[0].channels
    for index, part in enumerate(decoded):
        if part.sample_rate != rate or part.channels != channels:
            raise WavError(
                f"part {index} is {part.sample_rate} Hz/{part.channels} ch, "
                f"expected {rate} Hz/{channels} ch: resample it first"
            )
    gap = np.zeros(int(round(gap_seconds * rate)) * channels, dtype=np.int16)
    pieces = []
    for index, part in enumerate(decoded):
        if index and len(gap):
            pieces.append(gap)
        pieces.append(part.samples)
    return encode_wav(np.concatenate(pieces), rate, channels)


def _to_int16(frames: bytes, width: int, floating: bool = False) -> np.ndarray:
    if floating:
        if width not in (4, 8):
            raise WavError(f"unsupported float width: {width} bytes")
        return to_int16(np.frombuffer(frames, dtype="<f4" if width == 4 else "<f8"))
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.int16)
    if width == 1:  # unsigned 8-bit
        return ((np.frombuffer(frames, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3)
        return (raw[:, 1].astype(np.uint16) | (raw[:, 2].astype(np.uint16) << 8)).view(np.int16)
    if width == 4:
        return (np.frombuffer(frames, dtype="<i4") >> 16).astype(np.int16)
    raise WavError(f"unsupported sample width: {width} bytes")
