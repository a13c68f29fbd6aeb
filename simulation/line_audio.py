"""The caller's side of the phone line's audio: French speech from espeak-ng in the
stream's format (µ-law at 8 kHz, or 16 kHz little-endian L16), cut in 20 ms frames,
and the bot's media payloads decoded back to samples.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from voice_channel.telephony.media_streams import FRAME_MS, L16_16K, MULAW_8K, MediaFormat
from voice_channel.telephony.mulaw import mulaw_decode, mulaw_encode, resample
from voice_channel.telephony.outbound_frames import audio_frames

FRAME_S = FRAME_MS / 1000
FORMATS: Dict[str, MediaFormat] = {"mulaw": MULAW_8K, "l16": L16_16K}
SPEECH_RMS = 200.0  # int16 RMS of a 20 ms frame above which it is speech (espeak pauses are ~0)
LEAD_SILENCE_S = 0.2  # a caller takes a breath before talking


def encode_speech(samples_16k: np.ndarray, media_format: MediaFormat) -> bytes:
    """16 kHz mono samples (float in [-1, 1] or int16) in the stream's format."""
    from voice_channel.audio.pcm import to_int16

    pcm = to_int16(np.asarray(samples_16k).reshape(-1))
    if media_format == MULAW_8K:
        return mulaw_encode(resample(pcm, 16000, 8000))
    if media_format == L16_16K:
        return pcm.astype("<i2").tobytes()
    raise ValueError(f"unsupported media format {media_format}")


def decode_payload(payload: bytes, media_format: MediaFormat) -> np.ndarray:
    """``int16`` samples (at the format's rate) of one media payload."""
    if media_format == MULAW_8K:
        return mulaw_decode(payload)
    return np.frombuffer(payload[: len(payload) // 2 * 2], dtype="<i2").astype(np.int16)


def frame_rms(frame: bytes, media_format: MediaFormat) -> float:
    samples = decode_payload(frame, media_format).astype(np.float64)
    return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0


def speech_of(text: str, voice: Optional[str] = None, rate: Optional[int] = None) -> np.ndarray:
    """espeak-ng French for ``text`` at 16 kHz (float32), nothing around it.

    ``voice``/``rate``: espeak-ng's (default :data:`simulation.synthetic_audio.BEST_VOICE`);
    :data:`simulation.synthetic_audio.CALLER_VOICE` is MBROLA's, heard far better over µ-law.
    """
    from simulation.synthetic_audio import BEST_RATE, BEST_VOICE, espeak_wav
    from voice_channel.audio.decode import decode_audio

    return decode_audio(espeak_wav(text, voice or BEST_VOICE, rate or BEST_RATE)).samples


def utterance_frames(audio_16k: np.ndarray, media_format: MediaFormat,
                     lead_silence: float = LEAD_SILENCE_S) -> Tuple[List[bytes], int]:
    """20 ms frames of an utterance (after ``lead_silence``) and the index of its last
    speech frame (-1 if none is loud enough); trailing silence is cut, since the line
    sends silence by itself afterwards."""
    samples = np.asarray(audio_16k).reshape(-1)
    if samples.dtype == np.int16:
        samples = samples.astype(np.float32) / 32768.0
    lead = np.zeros(int(lead_silence * 16000), dtype=np.float32)
    data = encode_speech(np.concatenate([lead, samples.astype(np.float32)]), media_format)
    frames = list(audio_frames(data, media_format))
    loud = [i for i, f in enumerate(frames) if frame_rms(f, media_format) > SPEECH_RMS]
    last = loud[-1] if loud else -1
    return frames[: last + 1] if loud else frames, last
