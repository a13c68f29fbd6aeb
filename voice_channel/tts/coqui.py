"""Client for a separate Coqui TTS server (heavier, better voices), over HTTP.

The server is ``tts_service`` (``python -m tts_service``, in its own virtualenv
``.venv-tts``, since coqui-tts and Rasa need different NumPy releases). Both
sides follow this contract:

``POST {url}/synthesize``
    Request: ``Content-Type: application/json``, body
    ``{"text": "Bonjour, ..."}``, plus ``"speaker": "..."`` and/or
    ``"language": "fr"`` only when the client is configured with them.
    ``text`` is UTF-8 French, already rewritten for speech
    (``spoken_text.to_spoken_text``) unless the client has ``normalize=False``.
    ``speaker`` must be one of the model's voices (only for a multi-speaker
    model); ``language`` may name the model's own language ("fr" for a French
    model) and is required only by a multilingual model.

    Success: status ``200``, ``Content-Type: audio/wav`` (``audio/x-wav`` and
    ``audio/wave`` are accepted too), body a RIFF/WAVE file: PCM 16-bit
    preferred (``tts_service`` sends only that, mono, at its model's rate);
    PCM 8/24/32-bit and IEEE float 32/64-bit are accepted; any sample rate;
    several channels are mixed down to mono.

    Failure: any other status, with ``{"error": "message"}`` as JSON (or plain
    text) in the body; the client raises ``SynthesisError`` quoting the status
    and the message. ``400`` means the request was wrong (text missing, empty,
    without letter or digit, too long for the server, not pronounceable by its
    model; unknown speaker or language), ``500`` that the model failed.

``GET {url}/health``
    ``200`` with ``{"status": "ok", "model": ..., "sample_rate": ...,
    "speakers": [...] or null, "languages": [...], "max_chars": ...}`` once the
    model is loaded; ``check_available()`` calls it.

Errors seen by the caller: ``EngineUnavailableError`` when the server cannot be
reached (refused, unknown host), ``SynthesisTimeoutError`` when it does not
answer within ``timeout`` seconds (the whole exchange, connection to last byte),
``SynthesisError`` for an error status or a reply that is not a usable WAV.
Environment proxies are ignored: the server is a local or internal service.
"""
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping, Optional

from voice_channel.settings import environment
from voice_channel.tts.base import (
    DEFAULT_MAX_CHARS,
    EngineUnavailableError,
    SpeechSynthesizer,
    SynthesisError,
    SynthesisTimeoutError,
    SynthesizedSpeech,
    prepare_text,
)

DEFAULT_URL = "http://127.0.0.1:5002"
WAV_CONTENT_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024


class CoquiHttpSynthesizer(SpeechSynthesizer):
    """Speech from a Coqui TTS server at ``url`` (default: ``$COQUI_TTS_URL``,
    else http://127.0.0.1:5002), following the contract above."""

    def __init__(
        self,
        url: Optional[str] = None,
        speaker: Optional[str] = None,
        language: Optional[str] = None,
        timeout: float = 15.0,
        normalize: bool = True,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        base = (url or environment().coqui_tts_url or DEFAULT_URL).strip()
        parsed = urllib.parse.urlsplit(base)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"Coqui TTS server URL must be http(s)://host[:port], not {base!r}")
        self._common_options(timeout, normalize, max_chars)
        self.url = base.rstrip("/")
        self.endpoint = f"{self.url}/synthesize"
        self.speaker = speaker
        self.language = language
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def name(self) -> str:
        return "coqui"

    @property
    def settings(self) -> Mapping[str, Any]:
        return {
            "url": self.url,
            "speaker": self.speaker,
            "language": self.language,
            "normalize": self.normalize,
        }

    def check_available(self) -> None:
        """``EngineUnavailableError`` unless ``GET /health`` says the server is up with its model."""
        health = f"{self.url}/health"
        try:
            with self._opener.open(health, timeout=self.timeout) as reply:
                status = json.loads(reply.read(64 * 1024).decode("utf-8")).get("status")
        except urllib.error.HTTPError as error:
            raise EngineUnavailableError(f"Coqui TTS server at {health} answered {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise EngineUnavailableError(f"Coqui TTS server at {health} is unreachable: {reason}") from error
        except (ValueError, AttributeError) as error:
            raise EngineUnavailableError(f"Coqui TTS server at {health} sent no JSON status") from error
        if status != "ok":
            raise EngineUnavailableError(f"Coqui TTS server at {health} is not ready: status {status!r}")

    def request_body(self, text: str) -> dict:
        body = {"text": prepare_text(text, normalize=self.normalize, max_chars=self.max_chars)}
        if self.speaker:
            body["speaker"] = self.speaker
        if self.language:
            body["language"] = self.language
        return body

    def synthesize(self, text: str) -> SynthesizedSpeech:
        payload = json.dumps(self.request_body(text), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.endpoint,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "audio/wav",
            },
        )
        deadline = time.monotonic() + self.timeout
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                content_type = reply.headers.get_content_type()
                body = self._read(reply, deadline)
        except urllib.error.HTTPError as error:
            raise SynthesisError(
                f"Coqui TTS server at {self.endpoint} answered {error.code}: {_error_message(error)}"
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise self._timeout() from error
            raise EngineUnavailableError(
                f"Coqui TTS server at {self.endpoint} is unreachable: {error.reason}"
            ) from error
        except (socket.timeout, TimeoutError) as error:
            raise self._timeout() from error
        except (ConnectionError, OSError) as error:
            raise EngineUnavailableError(
                f"Coqui TTS server at {self.endpoint} failed mid-reply: {error}"
            ) from error
        if content_type not in WAV_CONTENT_TYPES:
            raise SynthesisError(
                f"Coqui TTS server at {self.endpoint} sent {content_type!r}, not audio/wav"
            )
        try:
            speech = SynthesizedSpeech.from_wav_bytes(body)
        except SynthesisError as error:
            raise SynthesisError(f"Coqui TTS server at {self.endpoint} sent a bad WAV: {error}") from error
        if speech.num_samples == 0:
            raise SynthesisError(f"Coqui TTS server at {self.endpoint} sent no audio")
        return speech

    def _read(self, reply: Any, deadline: float) -> bytes:
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise self._timeout()
            chunk = reply.read(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise SynthesisError(
                    f"Coqui TTS server at {self.endpoint} sent more than {MAX_RESPONSE_BYTES} bytes"
                )
            chunks.append(chunk)

    def _timeout(self) -> SynthesisTimeoutError:
        return SynthesisTimeoutError(
            f"Coqui TTS server at {self.endpoint} did not answer within {self.timeout:g} s"
        )


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read(4096)
    except Exception:  # noqa: BLE001 - the status alone is still worth reporting
        raw = b""
    text = raw.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return parsed["error"]
    return text[:300] or error.reason or "no message"
