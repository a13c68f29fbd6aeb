"""The Rasa server process's configuration, read in this one module.

* The voice channel's section of ``credentials.yml`` (:class:`VoiceSettings`), checked
  once at start (an invalid value stops Rasa with a clear message).
* The environment variables (:class:`Environment`), read by :func:`environment` when
  they are needed (so a test's ``monkeypatch.setenv`` is seen).
* What the replicas share (:func:`shared_state_settings`): with
  ``VOICE_CHANNEL_REDIS_URL``, several Rasa processes count tickets, turns and lines in
  one Redis; checked once at start, like the credentials.

When it loads, this module imports no part of the channel that imports anything (the
call's settings are imported when asked for): every part of the channel may read its
configuration here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from rasa.shared.exceptions import RasaException

from voice_channel.telephony.phone_lines import DEFAULT_MAX_CALLS

if TYPE_CHECKING:
    from voice_channel.call.settings import PhoneCallSettings

DEFAULT_TIMEOUT_S = 8.0  # s the HTTP routes (web, staff chat) wait for the dialogue
FORM_OVERHEAD_BYTES = 64 * 1024  # multipart headers around the audio file


class InvalidVoiceConfig(RasaException):
    """The voice channel's section of credentials.yml holds a bad value."""


@dataclass(frozen=True)
class VoiceSettings:
    stt_engine: str = "whisper"
    stt_model: Optional[str] = None  # engine default (WHISPER_MODEL / VOSK_MODEL_PATH)
    tts_engine: str = "espeak"
    tts_options: Optional[Dict[str, Any]] = None
    max_audio_mb: float = 10.0
    max_audio_seconds: float = 60.0
    token: Optional[str] = None
    # Phone line (Twilio Media Streams). Without an account SID and auth token, calls
    # still work over the stream; a handoff then sends the client a transfer event.
    twilio_account_sid: Optional[str] = None  # or TWILIO_ACCOUNT_SID
    twilio_auth_token: Optional[str] = None  # or TWILIO_AUTH_TOKEN; signs Twilio's requests
    public_url: Optional[str] = None  # https://host Twilio calls; else from the request
    allow_unsigned_calls: bool = False  # lab only: accept incoming calls Twilio did not sign
    phone: Optional[Dict[str, Any]] = None  # PhoneCallSettings overrides (end_of_turn_ms…)
    max_calls: int = DEFAULT_MAX_CALLS  # live calls at once; more hear "lignes occupées"
    # Calls one client address holds at once on streams it opened itself (the web page's
    # calls; Twilio's calls come from Twilio's addresses and are counted per number).
    max_calls_per_address: int = 2
    # Turns one client address may send per minute to /webhook and /audio (429 past it).
    http_turns_per_minute: int = 20
    secret: Optional[str] = None  # signs stream tickets and ids; else VOICE_CHANNEL_SECRET
    dialogue_timeout: float = DEFAULT_TIMEOUT_S  # s before an HTTP turn gets an apology

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "VoiceSettings":
        values = dict(credentials or {})
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidVoiceConfig(f"voice channel: unknown setting(s) {sorted(unknown)}")
        settings = cls(**{k: v for k, v in values.items() if v is not None})
        for name in ("max_audio_mb", "max_audio_seconds", "dialogue_timeout"):
            value = getattr(settings, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise InvalidVoiceConfig(f"voice channel: {name} must be a positive number")
        for name in ("max_calls", "max_calls_per_address", "http_turns_per_minute"):
            value = getattr(settings, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidVoiceConfig(f"voice channel: {name} must be a positive integer")
        if not isinstance(settings.allow_unsigned_calls, bool):
            raise InvalidVoiceConfig("voice channel: allow_unsigned_calls must be true or false")
        if settings.secret is not None and len(str(settings.secret)) < 16:
            raise InvalidVoiceConfig("voice channel: secret must be at least 16 characters")
        settings.phone_call_settings()  # fail at start, not at the first call
        return settings

    def phone_call_settings(self) -> "PhoneCallSettings":
        # Imported here: the call's settings import the speech stages, which read the
        # environment through this module.
        from voice_channel.call.settings import PhoneCallSettings

        options = self.phone or {}
        if not isinstance(options, dict):
            raise InvalidVoiceConfig("voice channel: phone must be a mapping of settings")
        unknown = set(options) - set(PhoneCallSettings.__dataclass_fields__)
        if unknown:
            raise InvalidVoiceConfig(f"voice channel: unknown phone setting(s) {sorted(unknown)}")
        return PhoneCallSettings(**options)

    def twilio_credentials(self) -> Tuple[Optional[str], Optional[str]]:
        """(account SID, auth token), from credentials.yml or the environment."""
        return (self.twilio_account_sid or environment().twilio_account_sid,
                self.twilio_auth_token or environment().twilio_auth_token)

    @property
    def max_request_bytes(self) -> int:
        """The server's request size limit: the largest upload plus its form's overhead."""
        return int(self.max_audio_mb * 1024 * 1024) + FORM_OVERHEAD_BYTES


# -- the environment ----------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """The environment variables the process reads, each named as its field in capitals
    (``stt_engine`` is ``STT_ENGINE``); None when unset or empty, the user of each value
    applying its own default."""

    stt_engine: Optional[str] = None  # the recognizer when none is named (whisper)
    whisper_model: Optional[str] = None  # model directory or size (models/whisper-base)
    whisper_encoder_window: Optional[str] = None  # s of Whisper's encoder window (20)
    vosk_model_path: Optional[str] = None  # Vosk's model directory (needed for Vosk)
    coqui_tts_url: Optional[str] = None  # the Coqui TTS server (http://127.0.0.1:5002)
    clinic_config: Optional[str] = None  # the clinic's file (clinic.yml at the root)
    # Signs stream tickets and opaque ids without a ``secret`` in credentials.yml
    # (else a random one, for the life of the process).
    voice_channel_secret: Optional[str] = None
    staff_chat_token: Optional[str] = None  # the staff chat's, without one in credentials
    # Rasa's admin token, or a file holding it: rasa_server hands it to Rasa's command
    # line; the staff chat refuses to share it.
    rasa_api_token: Optional[str] = None
    rasa_api_token_file: Optional[str] = None
    twilio_account_sid: Optional[str] = None  # without one in credentials.yml
    twilio_auth_token: Optional[str] = None  # without one in credentials.yml
    # The Redis the replicas share (spent tickets, turns per address, lines); None: this
    # process counts alone, in memory (`make run`).
    voice_channel_redis_url: Optional[str] = None
    voice_channel_cluster_max_calls: Optional[str] = None  # calls over every replica

    def variables(self) -> Dict[str, str]:
        """The variables that are set, by their names (``{"RASA_API_TOKEN": …}``)."""
        return {field.name.upper(): getattr(self, field.name) for field in fields(self)
                if getattr(self, field.name) is not None}


def environment() -> Environment:
    """The process's environment as it is now."""
    return Environment(**{field.name: os.environ.get(field.name.upper()) or None
                          for field in fields(Environment)})


# -- what several replicas share ----------------------------------------------------------


@dataclass(frozen=True)
class SharedStateSettings:
    """Where the replicas share their counts, the key of the digests they store there, and
    how many calls all of them take at once (None: each its own ``max_calls``, no more)."""

    redis_url: str = field(repr=False)  # holds Redis's password
    secret: bytes = field(repr=False)
    cluster_max_calls: Optional[int] = None


def shared_state_settings(configured_secret: Optional[str]) -> Optional[SharedStateSettings]:
    """The shared state's settings, None without ``VOICE_CHANNEL_REDIS_URL``; raises
    :class:`InvalidVoiceConfig` when they cannot work (checked once, at start)."""
    variables = environment()
    cap = variables.voice_channel_cluster_max_calls
    if cap is not None and not (cap.strip().isdigit() and int(cap) >= 1):
        raise InvalidVoiceConfig("VOICE_CHANNEL_CLUSTER_MAX_CALLS must be a positive integer")
    if not variables.voice_channel_redis_url:
        if cap is not None:
            raise InvalidVoiceConfig("VOICE_CHANNEL_CLUSTER_MAX_CALLS needs "
                                     "VOICE_CHANNEL_REDIS_URL (the replicas count there)")
        return None
    # A replica redeems the tickets another one issued: they must share the secret.
    secret = configured_secret or variables.voice_channel_secret
    if not secret:
        raise InvalidVoiceConfig("VOICE_CHANNEL_REDIS_URL needs a secret shared by every "
                                 "replica (secret in credentials.yml or VOICE_CHANNEL_SECRET)")
    return SharedStateSettings(variables.voice_channel_redis_url, secret.encode("utf-8"),
                               int(cap) if cap is not None else None)
