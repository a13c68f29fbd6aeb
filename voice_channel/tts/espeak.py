"""espeak-ng: the light, local default engine (a subprocess per utterance, ~30 ms).

The command is ``espeak-ng -v VOICE -s RATE -p PITCH -a AMPLITUDE -g GAP -b 1
--stdin --stdout``, run without a shell, the text written to its **standard
input** rather than passed as an argument: patients' names and phone numbers
never show in ``ps``, no argument-length limit applies, and no text can be
mistaken for an option (``espeak-ng -- TEXT`` would work too). The WAV it writes
on standard output (22050 Hz, 16-bit mono, with "streaming" sizes in its
header) is decoded in memory: no temporary file.

Without ``-m`` espeak-ng reads ``<tags>`` as text, but it does interpret
``[[...]]`` as raw phonemes: square brackets are removed from the text.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any, Mapping

from voice_channel.tts.base import (
    DEFAULT_MAX_CHARS,
    EngineUnavailableError,
    SpeechSynthesizer,
    SynthesisError,
    SynthesisTimeoutError,
    SynthesizedSpeech,
    prepare_text,
)

DEFAULT_BINARY = "espeak-ng"
DEFAULT_VOICE = "fr"
DEFAULT_RATE = 165  # words per minute; espeak-ng's own default, 175, is a bit fast on a phone
INSTALL_HINT = "install espeak-ng (Debian/Ubuntu: apt-get install espeak-ng)"

# Voice names as espeak-ng lists them: "fr", "fr-be", "fr+f3", "mb/mb-fr1".
_VOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+./-]{0,63}")
_PHONEME_BRACKETS = re.compile(r"[\[\]]")


def _bounded(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"espeak-ng {name} must be an integer from {low} to {high}, not {value!r}")
    return value


class EspeakSynthesizer(SpeechSynthesizer):
    """French speech from the ``espeak-ng`` program.

    ``voice``: an espeak-ng voice ("fr", "fr-be", "fr+f3" for a female variant...);
    ``rate``: words per minute (80-450); ``pitch``: 0-99; ``amplitude``: 0-200;
    ``word_gap``: extra pause between words, in 10 ms units; ``binary``: program
    name or path; ``timeout``: seconds per utterance; ``normalize``: rewrite the
    text with ``spoken_text.to_spoken_text`` first.
    """

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        rate: int = DEFAULT_RATE,
        pitch: int = 50,
        amplitude: int = 100,
        word_gap: int = 0,
        binary: str = DEFAULT_BINARY,
        timeout: float = 10.0,
        normalize: bool = True,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if not isinstance(voice, str) or not _VOICE.fullmatch(voice):
            raise ValueError(f"invalid espeak-ng voice name: {voice!r}")
        self.voice = voice
        self.rate = _bounded("rate", rate, 80, 450)
        self.pitch = _bounded("pitch", pitch, 0, 99)
        self.amplitude = _bounded("amplitude", amplitude, 0, 200)
        self.word_gap = _bounded("word_gap", word_gap, 0, 100)
        if not isinstance(binary, str) or not binary:
            raise ValueError("binary must be the espeak-ng program name or path")
        self.binary = binary
        self._common_options(timeout, normalize, max_chars)

    @property
    def name(self) -> str:
        return "espeak"

    @property
    def settings(self) -> Mapping[str, Any]:
        return {
            "voice": self.voice,
            "rate": self.rate,
            "pitch": self.pitch,
            "amplitude": self.amplitude,
            "word_gap": self.word_gap,
            "normalize": self.normalize,
        }

    def _executable(self) -> str:
        path = shutil.which(self.binary)
        if path is None:
            raise EngineUnavailableError(
                f"espeak-ng program not found ({self.binary!r}): {INSTALL_HINT}"
            )
        return path

    def check_available(self) -> None:
        self._executable()

    def prepare(self, text: str) -> str:
        """The exact text that espeak-ng is given for ``text``."""
        spoken = prepare_text(text, normalize=self.normalize, max_chars=self.max_chars)
        return _PHONEME_BRACKETS.sub(" ", spoken)

    def _command(self, executable: str) -> list:
        return [
            executable,
            "-v", self.voice,
            "-s", str(self.rate),
            "-p", str(self.pitch),
            "-a", str(self.amplitude),
            "-g", str(self.word_gap),
            "-b", "1",  # UTF-8 input
        ]

    def _run(self, arguments: list, text: str) -> bytes:
        executable = self._executable()
        try:
            completed = subprocess.run(
                self._command(executable) + arguments,
                input=text.encode("utf-8"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as error:
            raise EngineUnavailableError(
                f"espeak-ng program not found ({self.binary!r}): {INSTALL_HINT}"
            ) from error
        except PermissionError as error:
            raise EngineUnavailableError(
                f"espeak-ng program {self.binary!r} cannot be run ({error}): {INSTALL_HINT}"
            ) from error
        except subprocess.TimeoutExpired as error:
            raise SynthesisTimeoutError(
                f"espeak-ng took more than {self.timeout:g} s ({len(text)} characters)"
            ) from error
        stderr = completed.stderr.decode("utf-8", "replace").strip()
        if completed.returncode != 0:
            raise SynthesisError(
                f"espeak-ng failed (exit {completed.returncode}, voice {self.voice!r}): "
                f"{stderr or 'no message'}"
            )
        return completed.stdout

    def synthesize(self, text: str) -> SynthesizedSpeech:
        spoken = self.prepare(text)
        wav = self._run(["--stdin", "--stdout"], spoken)
        if not wav:
            raise SynthesisError(f"espeak-ng produced no audio (voice {self.voice!r})")
        speech = SynthesizedSpeech.from_wav_bytes(wav)
        if speech.num_samples == 0:
            raise SynthesisError(f"espeak-ng produced no audio (voice {self.voice!r})")
        return speech

    def phonemes(self, text: str, ipa: bool = True) -> str:
        """What espeak-ng would say, as IPA (or its own mnemonics): for checks and tests.

        The text goes through the same ``prepare`` as for ``synthesize``; " | "
        marks a clause break (a pause).
        """
        out = self._run(["-q", "--stdin", "--ipa" if ipa else "-x"], self.prepare(text))
        clauses = (" ".join(line.split()) for line in out.decode("utf-8", "replace").splitlines())
        return " | ".join(clause for clause in clauses if clause)

