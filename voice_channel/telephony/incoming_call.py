"""``POST <prefix>/twilio/incoming``: Twilio's webhook for an incoming call.

It answers the TwiML that connects the call to our media stream
(:func:`voice_channel.telephony.twiml.incoming_call_twiml`), passing the caller's
number as the ``caller`` stream parameter and, when the route has
:class:`~voice_channel.telephony.stream_tickets.StreamTickets`, a ``ticket`` signed for
this call SID and number (the stream is accepted only with it). When every line is
taken, it answers a French "busy" message and hangs up. A request without a valid
``X-Twilio-Signature`` gets ``403`` with a plain reason; without an auth token to check
it against, every request does (a forged webhook would otherwise claim any caller number
and take a stream ticket for any call), unless ``allow_unsigned`` says this is a lab.

The settings are read on each request through ``settings_getter`` (a channel holds
them), so this module does not depend on the channel's own settings class.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from spoken_french.numbers import mask_phone
from voice_channel.dialogue.prompts import prompts_of
from voice_channel.telephony.phone_lines import PhoneLines
from voice_channel.telephony.stream_tickets import TICKET_PARAMETER, StreamTickets
from voice_channel.telephony.twilio_signature import SIGNATURE_HEADER, is_valid_twilio_signature
from voice_channel.telephony.twiml import (
    PublicUrlError,
    busy_twiml,
    incoming_call_twiml,
    public_base_url,
    stream_url,
)

logger = logging.getLogger(__name__)

INCOMING_CALL_PATH = "/twilio/incoming"
STREAM_PATH = "/stream"


@dataclass(frozen=True)
class TwilioLineSettings:
    """What the incoming-call route needs.

    ``auth_token``: the Twilio account's auth token; every request must be signed with
    it. Without one the route refuses every call, unless ``allow_unsigned`` (a lab with
    no Twilio account: anyone who reaches the route can then claim any number).
    ``public_url``: the address Twilio calls (``https://host``); when unset it comes
    from ``X-Forwarded-Proto``/``X-Forwarded-Host`` or the request. ``stream_path``: the
    WebSocket's path under the same prefix as this route.
    """

    auth_token: Optional[str] = None
    public_url: Optional[str] = None
    stream_path: str = STREAM_PATH
    allow_unsigned: bool = False

    def warn_at_start(self) -> None:
        """One WARNING when the phone line is closed or open to unsigned calls."""
        if self.auth_token:
            return
        if self.allow_unsigned:
            logger.warning("phone line: allow_unsigned_calls is on: incoming calls are NOT "
                           "checked to come from Twilio (a lab setting, never on the internet)")
        else:
            logger.warning("phone line: no Twilio auth token (twilio_auth_token or "
                           "TWILIO_AUTH_TOKEN): incoming calls are refused with 403 until one "
                           "is set")


def add_incoming_call_route(blueprint: Blueprint,
                            settings_getter: Callable[[], TwilioLineSettings],
                            *, path: str = INCOMING_CALL_PATH,
                            tickets: Optional[StreamTickets] = None,
                            lines: Optional[PhoneLines] = None) -> None:
    """Register ``POST path`` on ``blueprint``, answering Twilio's incoming-call webhook."""

    async def incoming_call(request: Request) -> HTTPResponse:
        settings = settings_getter()
        try:
            base = public_base_url(request.scheme, request.host, request.headers, settings.public_url)
        except PublicUrlError as error:
            logger.warning("incoming call refused: %s", error)
            return response.text(f"bad request: {error}", status=400)
        form = request.form or {}
        if not settings.auth_token and not settings.allow_unsigned:
            logger.warning("incoming call refused: no Twilio auth token is configured")
            return response.text("forbidden: the phone line has no Twilio auth token "
                                 "configured (twilio_auth_token)", status=403)
        if settings.auth_token:
            url = base + request.path + (f"?{request.query_string}" if request.query_string else "")
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                logger.warning("incoming call refused: no %s header", SIGNATURE_HEADER)
                return response.text(f"forbidden: missing {SIGNATURE_HEADER}", status=403)
            if not is_valid_twilio_signature(settings.auth_token, url, form, signature):
                logger.warning("incoming call refused: invalid %s", SIGNATURE_HEADER)
                return response.text(f"forbidden: invalid {SIGNATURE_HEADER}", status=403)
        caller = form.get("From") or None
        if lines is not None and lines.all_busy:
            logger.warning("incoming call refused: all %d lines are busy", lines.max_calls)
            return response.text(busy_twiml(prompts_of(request.app).busy),
                                 content_type="text/xml; charset=utf-8")
        parameters = {}
        if tickets is not None:
            call_sid = form.get("CallSid")
            if not call_sid:
                logger.warning("incoming call refused: no CallSid in the form")
                return response.text("bad request: no CallSid", status=400)
            parameters[TICKET_PARAMETER] = tickets.issue(call_sid, caller)
        prefix = request.path[: len(request.path) - len(path)] if request.path.endswith(path) else ""
        stream = stream_url(base, prefix + "/" + settings.stream_path.lstrip("/"))
        logger.info("incoming call from %s: streaming to %s", mask_phone(caller) or "an unknown number", stream)
        return response.text(
            incoming_call_twiml(stream, caller=caller, parameters=parameters),
            content_type="text/xml; charset=utf-8",
        )

    blueprint.add_route(incoming_call, path, methods=["POST"], name="twilio_incoming_call")
