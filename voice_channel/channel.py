"""The ``voice`` input channel, served by Rasa under ``/webhooks/voice/``.

Routes:
- ``GET /``: health, with the speech engines in use.
- ``POST /webhook``: the REST channel's JSON (``sender``, ``message``); with
  ``?audio=true`` every reply also carries its speech (WAV, base64).
- ``POST /audio``: ``multipart/form-data`` with ``sender`` and an ``audio`` file
  (WAV, FLAC, OGG/Opus, WebM, MP3); answers the transcript, the replies and all
  replies spoken in one WAV.
- ``GET /client``: the web page for patients and staff (hold-to-talk microphone and a
  text box); its CSS and JavaScript modules are under ``GET /client/<file>``. These
  need no token, so the page can load; it sends ``?token=`` from its own address to
  the routes above as ``Authorization: Bearer``.
- ``POST /twilio/incoming``: Twilio's incoming-call webhook; answers TwiML that
  connects the call to the media stream (see :mod:`voice_channel.phone_line`).
- ``WebSocket /stream``: a live call in the Twilio Media Streams protocol.

Settings come from this channel's section of ``credentials.yml`` and are checked
once, at start (an invalid value stops Rasa with a clear message).
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from rasa.core.channels.rest import RestInput
from rasa.shared.core.trackers import EventVerbosity
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from voice_channel.audio.decode import AudioTooLarge, AudioTooLong, UnsupportedAudio
from voice_channel.dialogue_hint import hint_from_tracker
from voice_channel.phone_line import add_phone_routes
from voice_channel.speech_turn import SpeechTurn
from voice_channel.telephony.incoming_call import TwilioLineSettings
from voice_channel.telephony.phone_call import PhoneCallSettings
from voice_channel.web_client import PAGE, web_file_response

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000


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
    phone: Optional[Dict[str, Any]] = None  # PhoneCallSettings overrides (end_of_turn_ms…)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "VoiceSettings":
        values = dict(credentials or {})
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidVoiceConfig(f"voice channel: unknown setting(s) {sorted(unknown)}")
        settings = cls(**{k: v for k, v in values.items() if v is not None})
        for name in ("max_audio_mb", "max_audio_seconds"):
            value = getattr(settings, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise InvalidVoiceConfig(f"voice channel: {name} must be a positive number")
        settings.phone_call_settings()  # fail at start, not at the first call
        return settings

    def phone_call_settings(self) -> PhoneCallSettings:
        options = self.phone or {}
        if not isinstance(options, dict):
            raise InvalidVoiceConfig("voice channel: phone must be a mapping of settings")
        unknown = set(options) - set(PhoneCallSettings.__dataclass_fields__)
        if unknown:
            raise InvalidVoiceConfig(f"voice channel: unknown phone setting(s) {sorted(unknown)}")
        return PhoneCallSettings(**options)

    def twilio_credentials(self) -> Tuple[Optional[str], Optional[str]]:
        """(account SID, auth token), from credentials.yml or the environment."""
        return (self.twilio_account_sid or os.environ.get("TWILIO_ACCOUNT_SID") or None,
                self.twilio_auth_token or os.environ.get("TWILIO_AUTH_TOKEN") or None)


class VoiceInput(RestInput):
    """REST-compatible channel that carries the caller's voice."""

    def __init__(self, settings: Optional[VoiceSettings] = None) -> None:
        self.settings = settings or VoiceSettings()
        self._turn: Optional[SpeechTurn] = None
        self._turn_lock = threading.Lock()

    @classmethod
    def name(cls) -> Text:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(VoiceSettings.from_credentials(credentials))

    # -- engines, built once per process ------------------------------------------

    def speech_turn(self) -> SpeechTurn:
        with self._turn_lock:
            if self._turn is None:
                from voice_channel.stt.registry import get_recognizer
                from voice_channel.tts import synthesizer_from_config

                options = {"model": self.settings.stt_model} if self.settings.stt_model else {}
                recognizer = get_recognizer(self.settings.stt_engine, **options)
                recognizer.load()
                synthesizer = synthesizer_from_config(
                    {"engine": self.settings.tts_engine, **(self.settings.tts_options or {})}
                )
                self._turn = SpeechTurn(
                    recognizer,
                    synthesizer,
                    max_bytes=int(self.settings.max_audio_mb * 1024 * 1024),
                    max_seconds=self.settings.max_audio_seconds,
                )
            return self._turn

    def _authorized(self, request: Request) -> bool:
        expected = self.settings.token
        if not expected:
            return True
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else request.args.get("token", "")
        return hmac.compare_digest(str(given), str(expected))

    # -- routes -------------------------------------------------------------------

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = Blueprint("voice_webhook", __name__)

        async def ask_rasa(sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            )
            return collector.messages

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            stt = (
                self._turn.recognizer.describe()
                if self._turn
                else {"engine": self.settings.stt_engine, "model": self.settings.stt_model or "default", "loaded": False}
            )
            return response.json({"status": "ok", "stt": stt, "tts": self.settings.tts_engine})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return _error(401, "missing or wrong token")
            payload = _json_body(request)
            if payload is None:
                return _error(400, "body must be a JSON object")
            sender, text = payload.get("sender"), payload.get("message")
            if not isinstance(sender, str) or not sender.strip():
                return _error(400, "'sender' must be a non-empty string")
            if not isinstance(text, str):
                return _error(400, "'message' must be a string")
            if len(text) > MAX_MESSAGE_CHARS:
                return _error(413, "'message' is too long")
            messages = await ask_rasa(sender, text, payload.get("metadata"))
            if request.args.get("audio", "").lower() in ("1", "true", "yes"):
                turn = await asyncio.to_thread(self.speech_turn)
                await turn.speak_each(messages)
            return response.json(messages)

        @blueprint.route("/audio", methods=["POST"])
        async def receive_audio(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return _error(401, "missing or wrong token")
            upload = request.files.get("audio") if request.files else None
            sender = (request.form.get("sender") if request.form else None) or ""
            if upload is None or not upload.body:
                return _error(400, "no 'audio' file in the form")
            if not sender.strip():
                return _error(400, "'sender' is missing")
            turn = await asyncio.to_thread(self.speech_turn)  # loads the models once
            hint = await self._hint_for(request, sender)
            try:
                result = await turn.run(sender, upload.body, hint, ask_rasa)
            except AudioTooLarge:
                return _error(413, f"audio is larger than {self.settings.max_audio_mb:g} MB")
            except AudioTooLong:
                return _error(413, f"audio is longer than {self.settings.max_audio_seconds:g} seconds")
            except UnsupportedAudio as error:
                return _error(415, f"audio could not be decoded: {error}")
            return response.json(result.as_json(sender))

        # No token check on the web client: the page and its code hold no secret, and
        # every call it makes goes to the routes above, which do check it.
        @blueprint.route("/client", methods=["GET"])
        async def web_page(request: Request) -> HTTPResponse:
            return web_file_response(PAGE, request.headers.get("If-None-Match"))

        @blueprint.route("/client/<name>", methods=["GET"])
        async def web_file(request: Request, name: str) -> HTTPResponse:
            if not name:  # ``/client/``: the page's relative links only work without the slash
                query = f"?{request.query_string}" if request.query_string else ""
                return response.redirect(f"../client{query}")
            found = web_file_response(name, request.headers.get("If-None-Match"))
            return found if found is not None else _error(404, f"no file {name!r} in the web client")

        account_sid, auth_token = self.settings.twilio_credentials()
        add_phone_routes(
            blueprint,
            engines=self.speech_turn,
            ask_rasa=ask_rasa,
            hint_for=self._hint_for,
            twilio=TwilioLineSettings(auth_token=auth_token, public_url=self.settings.public_url),
            account_sid=account_sid,
            call_settings=self.settings.phone_call_settings(),
            authorized=self._authorized,
        )
        return blueprint

    async def _hint_for(self, request: Request, sender: str):
        """What the bot has just asked this caller, for the recognizer."""
        from actions.clinic_config import clinic_config

        tracker = None
        agent = getattr(request.app.ctx, "agent", None)
        if agent is not None and agent.tracker_store is not None:
            try:
                tracker = await agent.tracker_store.retrieve(sender)
            except Exception:  # a hint is a bonus: never fail the turn for it
                logger.exception("could not read the conversation for a recognition hint")
        state = (
            tracker.current_state(EventVerbosity.AFTER_RESTART)
            if tracker is not None
            else {"slots": {}, "events": []}
        )
        return hint_from_tracker(
            state.get("slots") or {}, state.get("events") or [], clinic_config().patient_id_digits
        )


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def _json_body(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json
    except Exception:  # Sanic raises on malformed JSON
        return None
    return body if isinstance(body, dict) else None
