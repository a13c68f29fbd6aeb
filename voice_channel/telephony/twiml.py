"""TwiML for the phone line, and the public URLs Twilio uses to reach us.

* :func:`incoming_call_twiml`: answer a call with ``<Connect><Stream>`` (a two-way
  media stream to our WebSocket), then ``<Hangup/>``. Twilio runs what follows
  ``<Connect>`` only once our server closes the WebSocket, so closing it ends the
  call. The stream URL must be ``wss://`` without a query string: values for the
  stream go in ``<Parameter>``s, which come back in ``start.customParameters``.
* :func:`busy_twiml`: every line is taken: say so in French and hang up.
* :func:`transfer_twiml`: ``<Dial>`` the clinic's reception (a live call is
  redirected to it through the REST API, see :mod:`voice_channel.telephony.transfer`).

XML is built with the ``twilio`` helper library, which escapes every value.
"""
from __future__ import annotations

import re
from typing import Mapping, Optional
from urllib.parse import urlsplit

from twilio.twiml.voice_response import VoiceResponse

CALLER_PARAMETER = "caller"

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")


class PublicUrlError(ValueError):
    """The request or the configuration gives no usable public address."""


def public_base_url(scheme: str, host: str, headers: Mapping[str, str],
                    configured: Optional[str] = None) -> str:
    """``scheme://host`` under which Twilio reaches this server, without a trailing slash.

    ``configured`` (a setting such as ``https://clinique.example.fr``) wins; otherwise
    ``X-Forwarded-Proto``/``X-Forwarded-Host`` (set by tunnels such as ngrok and by
    reverse proxies; the first value of a list), then the request's own scheme and Host.
    """
    if configured:
        parts = urlsplit(configured.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or not _HOST.match(parts.netloc):
            raise PublicUrlError("public_url must look like https://host[:port]")
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    forwarded_proto = _first(headers.get("X-Forwarded-Proto") or headers.get("x-forwarded-proto"))
    forwarded_host = _first(headers.get("X-Forwarded-Host") or headers.get("x-forwarded-host"))
    chosen_scheme = (forwarded_proto or scheme or "https").lower()
    chosen_host = forwarded_host or host
    if chosen_scheme not in ("http", "https"):
        raise PublicUrlError("unsupported forwarded protocol")
    if not chosen_host or not _HOST.match(chosen_host):
        raise PublicUrlError("the request has no valid Host")
    return f"{chosen_scheme}://{chosen_host}"


def stream_url(base_url: str, path: str) -> str:
    """The ``wss://`` URL of the media stream at ``path`` under ``base_url``.

    Twilio only opens ``wss`` streams, so the scheme is ``wss`` whatever ``base_url``
    uses (a TLS-terminating proxy or tunnel in front of a plain-HTTP server).
    """
    parts = urlsplit(base_url)
    if not parts.netloc:
        raise PublicUrlError("base_url has no host")
    if "?" in path or "#" in path:
        raise PublicUrlError("a stream URL cannot carry a query string: use <Parameter>s")
    return f"wss://{parts.netloc}{parts.path.rstrip('/')}/{path.lstrip('/')}"


def incoming_call_twiml(stream: str, caller: Optional[str] = None,
                        parameters: Optional[Mapping[str, str]] = None) -> str:
    """``<Response><Connect><Stream url=…><Parameter…/></Stream></Connect><Hangup/></Response>``.

    ``caller`` (the call's ``From``) is passed as the ``caller`` parameter;
    ``parameters`` adds others (names and values are escaped).
    """
    if not stream.startswith("wss://"):
        raise PublicUrlError("Twilio only streams to wss:// URLs")
    response = VoiceResponse()
    connect = response.connect()
    media = connect.stream(url=stream)
    values = dict(parameters or {})
    if caller:
        values[CALLER_PARAMETER] = caller
    for name, value in values.items():
        media.parameter(name=name, value=value)
    response.hangup()
    return response.to_xml()


def busy_twiml(message: str) -> str:
    """``<Response><Say language="fr-FR">message</Say><Hangup/></Response>``: every line
    is taken; the caller hears why, then the call ends."""
    response = VoiceResponse()
    response.say(message, language="fr-FR")
    response.hangup()
    return response.to_xml()


def transfer_twiml(number: str) -> str:
    """``<Response><Dial>number</Dial></Response>``: connect the caller to ``number``."""
    if not isinstance(number, str) or not number.strip():
        raise ValueError("a transfer needs a phone number")
    response = VoiceResponse()
    response.dial(number.strip())
    return response.to_xml()


def _first(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    return value.split(",")[0].strip() or None
