"""The voice channel's phone line: Twilio's incoming-call webhook and the media stream.

Routes, added to the channel's blueprint (so under ``/webhooks/voice/``):

- ``POST /twilio/incoming``: TwiML that connects the call to ``/stream``, with the
  caller's number and a per-call ``ticket`` as ``<Parameter>``s (signature checked when
  an auth token is configured; "busy" TwiML when every line is taken);
- ``POST /stream/ticket``: a ticket for the web page's hands-free call (the page has no
  TwiML): ``{"callSid": …, "ticket": …}``;
- ``WebSocket /stream``: one call per connection, in the Twilio Media Streams protocol
  (µ-law 8 kHz from Twilio; 16 kHz L16 from the web page and other clients), run by
  :class:`voice_channel.telephony.phone_call.PhoneCall`.

A stream becomes a call only at ``start``, if it proves where it comes from: the
channel's token on the upgrade (staff tools), or a valid, unexpired, unused ticket for
its call SID and caller (:mod:`voice_channel.telephony.stream_tickets`); otherwise it is
closed with 1008. A call takes one of the process's lines
(:mod:`voice_channel.telephony.phone_lines`); with none free, it hears « toutes nos
lignes sont occupées » and is closed with 1013. Its Rasa conversation id is opaque
(``phone:<hmac of the call SID>``): never the caller's number, so no other channel can
reach it.

This module only adapts: the WebSocket to the call's ``receive``/``send``, Rasa to the
call's dialogue (:mod:`voice_channel.dialogue.rasa`), and the Twilio REST API to its
transfer.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from spoken_french.numbers import mask_phone, normalize_phone
from voice_channel.dialogue.rasa import AskRasa, RasaDialogue
from voice_channel.http_requests import AddressRate, client_address, retry_later
from voice_channel.speech_engines import SpeechEngines
from voice_channel.telephony.admission import Admission
from voice_channel.telephony.incoming_call import TwilioLineSettings, add_incoming_call_route
from voice_channel.telephony.media_streams import Start
from voice_channel.call.settings import PhoneCallSettings
from voice_channel.dialogue.prompts import prompts_of
from voice_channel.telephony.phone_call import PhoneCall
from voice_channel.telephony.phone_lines import PhoneLines
from voice_channel.telephony.stream_writer import RestTransfer
from voice_channel.telephony.stream_tickets import TICKET_PARAMETER, StreamTickets
from voice_channel.telephony.twilio_signature import SIGNATURE_HEADER, is_valid_twilio_signature
from voice_channel.telephony.twiml import PublicUrlError, public_base_url, stream_url

logger = logging.getLogger(__name__)

TICKET_PATH = "/stream/ticket"
TICKETS_PER_MINUTE = 6  # a patient who redials after a cut, not a script holding every line
TICKET_WINDOW_S = 60  # TICKETS_PER_MINUTE is counted over this window (its Retry-After)


def twilio_transfer(account_sid: Optional[str], auth_token: Optional[str]
                    ) -> Optional[RestTransfer]:
    """The call's transfer through Twilio's REST API, or None without credentials
    (then the client gets a ``transfer`` event instead)."""
    if not (account_sid and auth_token):
        return None
    from voice_channel.telephony.transfer import transfer_call_async

    async def transfer(call_sid: str, number: str) -> None:
        await transfer_call_async(account_sid, auth_token, call_sid, number)

    return transfer


def stream_admission(tickets: StreamTickets, lines: PhoneLines, *, trusted: bool,
                     client_address: str, busy: str) -> Callable[[Start], Admission]:
    """The ``admit`` function of one stream: ``trusted`` when its upgrade carried the
    channel's token (no ticket needed then); ``busy``: said when every line is taken."""

    def admit(start: Start) -> Admission:
        parameters = start.custom_parameters
        caller = parameters.get("caller") or None
        if not trusted:
            problem = tickets.redeem(parameters.get(TICKET_PARAMETER), start.call_sid, caller)
            if problem:
                return Admission.refuse(problem)
        number = (normalize_phone(caller) or caller) if caller else None
        # A stream with no number was opened by its client (the web page): it holds
        # its line under the client's address, which may hold only a few.
        release = lines.take(None if number else client_address)
        if release is None:
            return Admission.busy(busy)
        metadata: Dict[str, Any] = {"call_sid": start.call_sid}
        if number:
            metadata["caller_key"] = tickets.caller_key("phone", number)
            metadata["caller"] = mask_phone(number)
        else:
            metadata["caller_key"] = tickets.caller_key("web", client_address)
        return Admission.accept(tickets.conversation_id(start.call_sid), metadata, release)

    return admit


def add_phone_routes(
    blueprint: Blueprint,
    *,
    engines: SpeechEngines,
    ask_rasa: AskRasa,
    twilio: TwilioLineSettings,
    account_sid: Optional[str],
    call_settings: PhoneCallSettings,
    authorized: Callable[[Request], bool],
    ticket_authorized: Callable[[Request], bool],
    tickets: StreamTickets,
    lines: PhoneLines,
    fallback_transfer_number: Optional[Callable[[], Optional[str]]] = None,
    ticket_rate: Optional[AddressRate] = None,
) -> None:
    """Add the incoming-call webhook, the ticket route and the media stream to ``blueprint``.

    ``engines``: the process's recognizer and synthesizer (loaded on first use, in a
    thread).
    ``authorized(request)`` says whether a stream's upgrade carries the channel's token
    (then no ticket is needed); ``ticket_authorized(request)`` guards the ticket route
    (open unless the channel has a token); ``ticket_rate`` limits the tickets one client
    address may take (429 past it).
    """
    ticket_rate = ticket_rate or AddressRate(TICKETS_PER_MINUTE, float(TICKET_WINDOW_S))
    add_incoming_call_route(blueprint, lambda: twilio, tickets=tickets, lines=lines)
    server = MediaStreamServer(engines, ask_rasa, twilio, call_settings, tickets, lines,
                               twilio_transfer(account_sid, twilio.auth_token),
                               fallback_transfer_number)

    @blueprint.route(TICKET_PATH, methods=["POST"])
    async def stream_ticket(request: Request) -> HTTPResponse:
        return stream_ticket_response(request, ticket_authorized, ticket_rate, tickets)

    @blueprint.websocket("/stream")
    async def media_stream(request: Request, ws) -> None:
        await server.serve(request, ws, trusted=authorized(request))


def stream_ticket_response(request: Request, authorized: Callable[[Request], bool],
                           rate: AddressRate, tickets: StreamTickets) -> HTTPResponse:
    """``POST /stream/ticket``: a new call SID and its ticket, for the web page."""
    if not authorized(request):
        return response.json({"error": "missing or wrong token"}, status=401)
    if not rate.allow(client_address(request)):
        logger.warning("call ticket refused: too many from one address")
        return retry_later(429, "too many calls from this address; try again in a "
                                "minute", TICKET_WINDOW_S)
    call_sid = "WB" + secrets.token_hex(16)
    return response.json({"callSid": call_sid, "ticket": tickets.issue(call_sid)})


@dataclass(frozen=True)
class MediaStreamServer:
    """What the ``/stream`` WebSocket serves its calls with: the process's engines and
    Rasa, the calls' settings, tickets and lines, the transfer."""

    engines: SpeechEngines
    ask_rasa: AskRasa
    twilio: TwilioLineSettings
    call_settings: PhoneCallSettings
    tickets: StreamTickets
    lines: PhoneLines
    transfer: Optional[RestTransfer]
    fallback_transfer_number: Optional[Callable[[], Optional[str]]]

    async def serve(self, request: Request, ws: Any, *, trusted: bool) -> None:
        """One WebSocket as one call, then closed with the call's code."""
        if not trusted and request.headers.get(SIGNATURE_HEADER) is not None \
                and not _signed_by_twilio(request, self.twilio):
            logger.warning("media stream refused: invalid %s", SIGNATURE_HEADER)
            await ws.close(code=1008, reason="invalid signature")
            return
        loaded = await asyncio.to_thread(self.engines.load)

        async def receive() -> Optional[str]:
            try:
                frame = await ws.recv()
            except Exception:  # closed by the client, or the connection failed
                return None
            if isinstance(frame, bytes):
                return frame.decode("utf-8", errors="replace")
            return frame

        prompts = prompts_of(request.app)
        admit = stream_admission(self.tickets, self.lines, trusted=trusted,
                                 client_address=client_address(request), busy=prompts.busy)
        reception = self.fallback_transfer_number
        call = PhoneCall(loaded.recognizer, loaded.synthesizer, RasaDialogue(self.ask_rasa),
                         self.call_settings, transfer=self.transfer, admit=admit,
                         fallback_transfer_number=reception() if reception else None,
                         prompts=prompts)
        await call.serve(receive, ws.send)
        try:
            await ws.close(code=call.close_code, reason=(call.end_reason or "")[:100])
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
