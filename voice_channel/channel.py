"""The ``voice`` input channel, served by Rasa under ``/webhooks/voice/``.

Routes:
- ``GET /``: health, with the speech engines in use; ``GET /lines``: 200 while a line
  is free, 503 when all are taken (the cluster's HAProxy sends a full replica no call).
- ``POST /webhook``: the REST channel's JSON (``sender``, ``message``); with
  ``?audio=true`` every reply also carries its speech (WAV, base64).
- ``POST /audio``: ``multipart/form-data`` with ``sender`` and an ``audio`` file
  (WAV, FLAC, OGG/Opus, WebM, MP3); answers the transcript, the replies and all
  replies spoken in one WAV.
- ``GET /client``: the web page for patients and staff (hold-to-talk microphone and a
  text box); its CSS and JavaScript modules are under ``GET /client/<file>``. These
  need no token, so the page can load; it sends ``?token=`` from its own address to
  the routes above as ``Authorization: Bearer``.
- ``POST /twilio/incoming``, ``POST /stream/ticket`` and ``WebSocket /stream``: the
  phone line (see :mod:`voice_channel.telephony.phone_routes`).

Safety: with a ``token``, ``/webhook`` and ``/audio`` want ``Authorization: Bearer``
(``?token=`` only on the WebSocket and the page, which cannot send headers), checked
before the body is read; bodies are limited (``max_audio_mb``, also set as the server's
request size limit). The conversation ids these routes use are ``web:<sender>``: the
phone's (``phone:…``) and the staff chat's (``staff:…``) cannot be reached from here. A
client's own ``metadata`` is ignored: the channel sets it (``caller_key``, an opaque key
of the client's address, for the identity-check lockout). A turn Rasa does not answer
within ``dialogue_timeout`` seconds gets an apology and the front desk's number.

Settings come from this channel's section of ``credentials.yml`` and are checked
once, at start (an invalid value stops Rasa with a clear message). Spent tickets, turns
per address and lines are counted in the process's memory, or, with
``VOICE_CHANNEL_REDIS_URL`` (several replicas), in the Redis they share
(:mod:`voice_channel.shared_state`).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from voice_channel.audio.decode import AudioTooLarge, AudioTooLong, UnsupportedAudio
from conversation_names import WEB, conversation_id
from voice_channel.dialogue.hint import hint_from_tracker_store
from voice_channel.dialogue.prompts import prompts_of
from voice_channel.dialogue.rasa import ask_rasa_through
from voice_channel.telephony.phone_routes import (
    TICKET_WINDOW_S, TICKETS_PER_MINUTE, add_phone_routes,
)
from voice_channel.speech_engines import SpeechEngines
from voice_channel.speech_turn import SpeechTurn
from voice_channel.dialogue.deadline import ask_within, reception_phone
from voice_channel.http_requests import (
    AddressRate, BodyTooLarge, bearer_token, client_address, error, read_body, read_text_turn,
    retry_later, token_matches,
)
from voice_channel.telephony.incoming_call import TwilioLineSettings
from voice_channel.listening.recognition_queue import RecognitionBusy
from voice_channel.telephony.phone_lines import PhoneLines
from voice_channel.settings import (  # noqa: F401  (InvalidVoiceConfig: re-exported)
    InvalidVoiceConfig, VoiceSettings, shared_state_settings,
)
from voice_channel.shared_rate import SharedAddressRate
from voice_channel.shared_state import SharedState
from voice_channel.telephony.shared_lines import SharedPhoneLines
from voice_channel.telephony.shared_tickets import SharedSpentTickets
from voice_channel.telephony.stream_tickets import StreamTickets
from voice_channel.web_client import PAGE, web_file_response

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]  # Rasa's handler of a message
TURN_WINDOW_S = 60  # http_turns_per_minute is counted over this window (its Retry-After)
BUSY_RETRY_AFTER_S = 3  # about one recognition


class VoiceInput(RestInput):
    """REST-compatible channel that carries the caller's voice."""

    def __init__(self, settings: Optional[VoiceSettings] = None) -> None:
        self.settings = settings or VoiceSettings()
        self.engines = SpeechEngines(self.settings.stt_engine, self.settings.stt_model,
                                     self.settings.tts_engine, self.settings.tts_options)
        self._turn: Optional[SpeechTurn] = None
        self._turn_lock = threading.Lock()
        self._set_up_counts()

    def _set_up_counts(self) -> None:
        """Spent tickets, lines and uses per address: in this process's memory, or in the
        Redis the replicas share (``VOICE_CHANNEL_REDIS_URL``)."""
        settings = self.settings
        self.ticket_rate: Optional[AddressRate] = None  # None: the phone routes' own
        shared = shared_state_settings(settings.secret)
        if shared is None:  # one process (`make run`)
            self.tickets = StreamTickets.from_environment(settings.secret)
            self.lines = PhoneLines(settings.max_calls, settings.max_calls_per_address)
            self.turn_rate = AddressRate(settings.http_turns_per_minute, TURN_WINDOW_S)
            return
        state = SharedState.connect(shared.redis_url, shared.secret)
        self.tickets = StreamTickets(shared.secret, spent=SharedSpentTickets(state))
        self.lines = SharedPhoneLines(state, settings.max_calls, settings.max_calls_per_address,
                                      cluster_max_calls=shared.cluster_max_calls)
        self.turn_rate = SharedAddressRate(state, "turns", settings.http_turns_per_minute,
                                           TURN_WINDOW_S)
        self.ticket_rate = SharedAddressRate(state, "tickets", TICKETS_PER_MINUTE,
                                             TICKET_WINDOW_S)
        logger.info("voice channel: tickets, turns and lines shared in Redis "
                    "(VOICE_CHANNEL_REDIS_URL); cluster cap: %s calls",
                    shared.cluster_max_calls or "none")

    @classmethod
    def name(cls) -> Text:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(VoiceSettings.from_credentials(credentials))

    # -- engines, built once per process ------------------------------------------

    def speech_turn(self) -> SpeechTurn:
        """The HTTP spoken turn over the process's engines (loads them once; blocking)."""
        with self._turn_lock:
            if self._turn is None:
                engines = self.engines.load()
                self._turn = SpeechTurn(
                    engines.recognizer,
                    engines.synthesizer,
                    max_bytes=int(self.settings.max_audio_mb * 1024 * 1024),
                    max_seconds=self.settings.max_audio_seconds,
                )
            return self._turn

    def _authorized(self, request: Request, allow_query: bool = False) -> bool:
        """The channel's token, when one is set (``?token=`` only if ``allow_query``)."""
        expected = self.settings.token
        if not expected:
            return True
        return token_matches(bearer_token(request, allow_query), expected)

    def _authorized_stream(self, request: Request) -> bool:
        """A WebSocket upgrade that carries the channel's token (a browser cannot send a
        header, hence ``?token=``). Without a configured token nobody is trusted this way:
        streams then need a ticket."""
        return bool(self.settings.token) and self._authorized(request, allow_query=True)

    # -- routes -------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = Blueprint("voice_webhook", __name__)

        @blueprint.listener("before_server_start")
        async def limit_request_size(app, _loop) -> None:
            # Sanic buffers up to 100 MB by default before any handler runs.
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE,
                                              self.settings.max_request_bytes)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "stt": self.engines.describe_stt(),
                                  "tts": self.settings.tts_engine})

        @blueprint.route("/lines", methods=["GET"])
        async def free_lines(_: Request) -> HTTPResponse:
            busy = self.lines.all_busy  # HAProxy's check: 503 sends no new call here
            return response.json({"free_line": not busy}, status=503 if busy else 200)

        @blueprint.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self._text_turn(request, on_new_message)

        @blueprint.route("/audio", methods=["POST"], stream=True)
        async def receive_audio(request: Request) -> HTTPResponse:
            return await self._spoken_turn(request, on_new_message)

        # No token check on the web client: the page and its code hold no secret, and
        # every call it makes goes to the routes above, which do check it.
        @blueprint.route("/client", methods=["GET"])
        async def web_page(request: Request) -> HTTPResponse:
            return web_file_response(PAGE, request.headers.get("If-None-Match"))

        @blueprint.route("/client/<name>", methods=["GET"])
        async def web_file(request: Request, name: str) -> HTTPResponse:
            return _web_file(request, name)

        self._add_phone_routes(blueprint, on_new_message)
        return blueprint

    def _web_turns(self, request: Request, on_new_message: OnNewMessage
                   ) -> Callable[[str, str], Awaitable[List[Dict]]]:
        """Rasa for the HTTP routes: ``web:`` ids, the channel's metadata, a deadline."""
        metadata = {"caller_key": self.tickets.caller_key("web", client_address(request))}

        async def ask(sender: str, text: str) -> List[Dict]:
            return await ask_within(on_new_message, text, conversation_id(WEB, sender), self.name(),
                                    metadata, self.settings.dialogue_timeout,
                                    prompts=prompts_of(request.app))

        return ask

    def _refused(self, request: Request) -> Optional[HTTPResponse]:
        """The token, then the client address's turns per minute."""
        if not self._authorized(request):
            return error(401, "missing or wrong token")
        if not self.turn_rate.allow(client_address(request)):
            logger.warning("voice turn refused: too many from one address")
            return retry_later(429, "too many turns from this address; try again in "
                                     "a minute", TURN_WINDOW_S)
        return None

    async def _text_turn(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """``POST /webhook``: the REST channel's JSON; with ``?audio=true``, spoken too."""
        problem = self._refused(request)
        if problem is not None:
            return problem
        turn = await read_text_turn(request)
        if isinstance(turn, HTTPResponse):
            return turn
        sender, text = turn
        messages = await self._web_turns(request, on_new_message)(sender, text)
        if request.args.get("audio", "").lower() in ("1", "true", "yes"):
            speech = await asyncio.to_thread(self.speech_turn)
            await speech.speak_each(messages)
        return response.json(messages)

    async def _spoken_turn(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """``POST /audio``: one spoken turn from a multipart form (``sender``, ``audio``)."""
        settings = self.settings
        problem = self._refused(request)
        if problem is not None:
            return problem
        try:
            await read_body(request, settings.max_request_bytes)
        except BodyTooLarge:
            return error(413, f"audio is larger than {settings.max_audio_mb:g} MB")
        try:
            upload = request.files.get("audio") if request.files else None
            sender = (request.form.get("sender") if request.form else None) or ""
        except Exception:  # a malformed multipart body
            return error(400, "body must be multipart/form-data with 'sender' and 'audio'")
        if upload is None or not upload.body:
            return error(400, "no 'audio' file in the form")
        if not sender.strip():
            return error(400, "'sender' is missing")
        turn = await asyncio.to_thread(self.speech_turn)  # loads the models once
        hint = await hint_from_tracker_store(_agent(request), conversation_id(WEB, sender))
        try:
            result = await turn.run(sender, upload.body, hint,
                                    self._web_turns(request, on_new_message),
                                    prompts_of(request.app))
        except AudioTooLarge:
            return error(413, f"audio is larger than {settings.max_audio_mb:g} MB")
        except AudioTooLong:
            return error(413, f"audio is longer than {settings.max_audio_seconds:g} seconds")
        except UnsupportedAudio as problem:
            return error(415, f"audio could not be decoded: {problem}")
        except RecognitionBusy:
            logger.warning("spoken turn refused: every recognition slot is taken")
            return retry_later(503, "speech recognition is busy with calls; try again "
                                     "in a few seconds", BUSY_RETRY_AFTER_S)
        return response.json(result.as_json(sender))

    def _add_phone_routes(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        account_sid, auth_token = self.settings.twilio_credentials()
        twilio = TwilioLineSettings(auth_token=auth_token, public_url=self.settings.public_url,
                                    allow_unsigned=self.settings.allow_unsigned_calls)
        twilio.warn_at_start()
        add_phone_routes(
            blueprint,
            engines=self.engines,
            ask_rasa=ask_rasa_through(on_new_message, self.name()),  # the call bounds the wait
            twilio=twilio,
            account_sid=account_sid,
            call_settings=self.settings.phone_call_settings(),
            authorized=self._authorized_stream,
            ticket_authorized=self._authorized,
            tickets=self.tickets,
            lines=self.lines,
            fallback_transfer_number=reception_phone,
            ticket_rate=self.ticket_rate,
        )


def _web_file(request: Request, name: str) -> HTTPResponse:
    """One of the web client's files (``GET /client/<name>``), or 404."""
    if not name:  # ``/client/``: the page's relative links only work without the slash
        query = f"?{request.query_string}" if request.query_string else ""
        return response.redirect(f"../client{query}")
    found = web_file_response(name, request.headers.get("If-None-Match"))
    return found if found is not None else error(404, f"no file {name!r} in the web client")


def _agent(request: Request) -> Any:
    """The Rasa server's agent (its tracker store), when the app has one."""
    return getattr(request.app.ctx, "agent", None)
