"""Test audio made at test time: French speech from espeak-ng, noise, silence, encodings.

espeak-ng is a Debian package (``apt-get install espeak-ng``; ``.ci/run`` installs it).
Without it the speech tests are skipped on a laptop and fail in CI (``CI`` set).
Nothing here is stored in the repository: every file is synthesised when needed.
"""
from __future__ import annotations

import functools
import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np

from simulation.requirements import skip_or_fail
from voice_channel.audio.decode import decode_audio

SAMPLE_RATE = 16000
# Measured with Whisper base on 7 sentences (2026-11-25): fr at 160 words/min scored
# 0.91, fr+m2 0.92, fr at 175 0.83, fr at 130 or 145 0.82; fr-fr/-be/-ch as fr.
# What Whisper hears in this voice changes with the CPU (int8 kernels): a sentence
# heard right on one machine was garbled on another (2026-12-06). Tests that need the
# words understood through Rasa speak in CALLER_VOICE below.
BEST_VOICE = "fr"
BEST_RATE = 160
# The simulated phone callers' voice: MBROLA's French diphone voice fr1 driven by
# espeak-ng (Debian `mbrola` + `mbrola-fr1`, contrib/non-free, installed for CI by
# scripts/install_caller_voice.sh). Measured with Whisper base over 8 kHz µ-law
# (2026-11-25): "Je m'appelle <nom>" heard right for 13 of 20 common surnames (espeak-ng
# "fr": 3 of 20), a 6-digit patient ID said digit by digit heard exactly at every offset
# tried (said in hundreds, at about half), dates and the booking phrases too; 10-digit
# phone numbers still lose a pair.
CALLER_VOICE = "mb-fr1"
SECOND_VOICE = "mb-fr4"  # MBROLA's female French voice: what is heard is measured in both
CALLER_RATE = 150
MBROLA_VOICES = Path("/usr/share/mbrola")


def require_tool(name: str, package: Optional[str] = None) -> str:
    """Path of a command-line tool; skip (or fail in CI) when it is missing.

    ``package``: the Debian package that has it, when not named like the tool.
    """
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed (apt-get install -y {package or name})",
                     "CI must install it (.ci/run)")
    return path


def require_caller_voice(voice: str = CALLER_VOICE) -> str:
    """An MBROLA espeak-ng voice name (the phone callers' by default); skip (or fail in
    CI) when it is not installed."""
    require_tool("espeak-ng")
    name = voice.removeprefix("mb-")
    if not (MBROLA_VOICES / name / name).is_file() or shutil.which("mbrola") is None:
        skip_or_fail(f"the MBROLA voice {name} is not installed "
                     "(sudo scripts/install_caller_voice.sh)",
                     "CI must install it (.ci/run calls scripts/install_caller_voice.sh)")
    return voice


@functools.lru_cache(maxsize=128)
def espeak_wav(text: str, voice: str = BEST_VOICE, rate: int = BEST_RATE) -> bytes:
    """The WAV espeak-ng writes for ``text`` (22.05 kHz mono 16-bit)."""
    espeak = require_tool("espeak-ng")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "speech.wav"
        subprocess.run([espeak, "-v", voice, "-s", str(rate), "-w", str(out), text],
                       check=True, capture_output=True, timeout=60)
        return out.read_bytes()


def speech_16k(text: str, voice: str = BEST_VOICE, rate: int = BEST_RATE,
               lead_silence: float = 0.3, tail_silence: float = 0.5) -> np.ndarray:
    """French speech as 16 kHz mono float32, resampled by PyAV, with some silence around."""
    samples = decode_audio(espeak_wav(text, voice, rate)).samples
    return np.concatenate([silence(lead_silence), samples, silence(tail_silence)])


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def white_noise(seconds: float = 3.0, level: float = 0.3, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0.0, level, int(seconds * SAMPLE_RATE)), -1, 1).astype(np.float32)


def cough_burst(seed: int = 11) -> np.ndarray:
    """A cough-like sound: two short bursts of low-passed noise with a sharp attack.

    Surrounded by 0.5 s of silence, 1.6 s in all.
    """
    rng = np.random.default_rng(seed)

    def burst(seconds: float, level: float) -> np.ndarray:
        n = int(seconds * SAMPLE_RATE)
        noise = rng.normal(0.0, 1.0, n)
        # Low-pass (moving average over ~1.5 ms), then a fast-attack, exponential-decay envelope.
        noise = np.convolve(noise, np.ones(24) / 24, mode="same")
        t = np.arange(n) / SAMPLE_RATE
        envelope = (1 - np.exp(-t / 0.004)) * np.exp(-t / (seconds / 3))
        out = noise * envelope
        return (level * out / np.max(np.abs(out))).astype(np.float32)

    return np.concatenate([silence(0.5), burst(0.25, 0.8), silence(0.1), burst(0.2, 0.6),
                           silence(0.55)])


def tone(seconds: float, frequency: float = 440.0, rate: int = SAMPLE_RATE,
         level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def encode_with_pyav(samples: np.ndarray, rate: int, container: str, codec: str,
                     channels: int = 1, sample_format: Optional[str] = None,
                     codec_rate: Optional[int] = None) -> bytes:
    """Encode mono float samples (duplicated to ``channels``) into ``container``/``codec``."""
    import av

    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c" if channels > 2 else "mono")
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=codec_rate or rate, layout=layout)
        if sample_format:
            stream.codec_context.format = sample_format
        planar = np.repeat(samples[None, :].astype(np.float32), channels, axis=0)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar), format="fltp",
                                           layout=layout)
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.format,
                                      layout=layout, rate=codec_rate or rate)
        frame_size = stream.codec_context.frame_size or 1024
        fifo = av.AudioFifo()
        for converted in resampler.resample(frame) + resampler.resample(None):
            converted.pts = None
            fifo.write(converted)
        while True:
            chunk = fifo.read(frame_size)
            if chunk is None:
                chunk = fifo.read(0) if fifo.samples else None  # the last, shorter frame
            if chunk is None:
                break
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def sox_convert(wav_bytes: bytes, out_suffix: str, *args: str) -> bytes:
    """Convert a WAV with sox (e.g. ``sox_convert(w, ".wav", "-r", "44100", "-b", "24")``)."""
    sox = require_tool("sox")
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "in.wav"
        dst = Path(folder) / f"out{out_suffix}"
        src.write_bytes(wav_bytes)
        subprocess.run([sox, str(src), *args, str(dst)], check=True, capture_output=True,
                       timeout=60)
        return dst.read_bytes()
