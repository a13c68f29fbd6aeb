"""The voice channel's phone line: Twilio's incoming-call webhook and the media stream.

Routes, added to the channel's blueprint (so under ``/webhooks/voice/``):

- ``POST /twilio/incoming``: TwiML that connects the call to ``/stream``, the caller's
  number as a ``<Parameter>`` (signature checked when an auth token is configured);
- ``WebSocket /stream``: one call per connection, in the Twilio Media Streams protocol
  (µ-law 8 kHz from Twilio; 16 kHz L16 from the web page and other clients), run by
  :class:`voice_channel.telephony.phone_call.PhoneCall`.

This module only adapts: the WebSocket to the call's ``receive``/``send``, Rasa to the
call's :class:`Dialogue`, and the Twilio REST API to its transfer.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request

from voice_channel.stt.hints import RecognitionHint
from voice_channel.telephony.incoming_call import TwilioLineSettings, add_incoming_call_route
from voice_channel.telephony.phone_call import PhoneCall, PhoneCallSettings
from voice_channel.telephony.twilio_signature import SIGNATURE_HEADER, is_valid_twilio_signature
from voice_channel.telephony.twiml import PublicUrlError, public_base_url, stream_url

logger = logging.getLogger(__name__)

AskRasa = Callable[[str, str, Optional[Dict[str, Any]]], Awaitable[List[Dict[str, Any]]]]
HintFor = Callable[[str], Awaitable[RecognitionHint]]


class RasaDialogue:
    """Rasa, as a phone call sees it: the caller's words in, the bot's messages out."""

    def __init__(self, ask_rasa: AskRasa, hint_for: HintFor) -> None:
        self._ask_rasa = ask_rasa
        self._hint_for = hint_for

    async def say(self, sender: str, text: str,
                  metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        return await self._ask_rasa(sender, text, metadata)

    async def hint(self, sender: str) -> RecognitionHint:
        return await self._hint_for(sender)


def twilio_transfer(account_sid: Optional[str], auth_token: Optional[str]):
    """The call's transfer through Twilio's REST API, or None without credentials
    (then the client gets a ``transfer`` event instead)."""
    if not (account_sid and auth_token):
        return None
    from voice_channel.telephony.transfer import transfer_call_async

    async def transfer(call_sid: str, number: str) -> None:
        await transfer_call_async(account_sid, auth_token, call_sid, number)

    return transfer


def add_phone_routes(
    blueprint: Blueprint,
    *,
    engines: Callable[[], Any],
    ask_rasa: AskRasa,
    hint_for: Callable[[Request, str], Awaitable[RecognitionHint]],
    twilio: TwilioLineSettings,
    account_sid: Optional[str],
    call_settings: PhoneCallSettings,
    authorized: Callable[[Request], bool],
) -> None:
    """Add the incoming-call webhook and the media stream WebSocket to ``blueprint``.

    ``engines()`` returns the channel's shared :class:`SpeechTurn` (recognizer and
    synthesizer loaded once per process); it may block, so it runs in a thread.
    ``authorized(request)`` is the channel's own token check; a stream opened by
    Twilio passes instead with a valid ``X-Twilio-Signature`` on its upgrade request.
    """
    import asyncio

    add_incoming_call_route(blueprint, lambda: twilio)
    transfer = twilio_transfer(account_sid, twilio.auth_token)

    @blueprint.websocket("/stream")
    async def media_stream(request: Request, ws) -> None:
        if not (authorized(request) or _signed_by_twilio(request, twilio)):
            logger.warning("media stream refused: missing or wrong token or signature")
            await ws.close(code=1008, reason="missing or wrong token")
            return
        turn = await asyncio.to_thread(engines)

        async def hint(sender: str) -> RecognitionHint:
            return await hint_for(request, sender)

        async def receive() -> Optional[str]:
            try:
                frame = await ws.recv()
            except Exception:  # closed by the client, or the connection failed
                return None
            if isinstance(frame, bytes):
                return frame.decode("utf-8", errors="replace")
            return frame

        call = PhoneCall(turn.recognizer, turn.synthesizer, RasaDialogue(ask_rasa, hint),
                         call_settings, transfer=transfer)
        await call.serve(receive, ws.send)
        try:
            await ws.close()
        except Exception:  # already closed by the client
            pass


def _signed_by_twilio(request: Request, twilio: TwilioLineSettings) -> bool:
    """Twilio signs the WebSocket upgrade like a webhook: the ``wss://`` URL, no form."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not (twilio.auth_token and signature):
        return False
    try:
        base = public_base_url(request.scheme, request.host, request.headers, twilio.public_url)
    except PublicUrlError:
        return False
    url = stream_url(base, request.path)
    if request.query_string:
        url += f"?{request.query_string}"
    return is_valid_twilio_signature(twilio.auth_token, url, None, signature)
