"""Transfer a live call to the clinic's reception through Twilio's REST API.

The call's TwiML is replaced by ``<Dial>`` to the number
(``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`` with ``Twiml``):
Twilio stops the media stream and connects the caller to the reception.

``twilio``'s client is synchronous (``requests``): from the event loop, use
:func:`transfer_call_async`, which runs it in a worker thread.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from spoken_french.numbers import mask_phone
from voice_channel.telephony.twiml import transfer_twiml

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0


class TransferError(RuntimeError):
    """Twilio refused or could not be reached; the message is safe to log."""

    def __init__(self, reason: str, status: Optional[int] = None) -> None:
        super().__init__(reason)
        self.status = status


def transfer_call(account_sid: str, auth_token: str, call_sid: str, number: str, *,
                  timeout: float = DEFAULT_TIMEOUT_SECONDS,
                  api_base_url: Optional[str] = None) -> None:
    """Redirect the live call ``call_sid`` to ``number`` (``<Dial>``).

    ``api_base_url`` replaces ``https://api.twilio.com`` (a test server, a proxy).
    Raises :class:`TransferError` when Twilio answers with an error or is unreachable.
    """
    for name, value in (("account_sid", account_sid), ("auth_token", auth_token),
                        ("call_sid", call_sid)):
        if not value:
            raise ValueError(f"transfer_call needs {name}")
    twiml = transfer_twiml(number)
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    if api_base_url:
        client.api.base_url = api_base_url.rstrip("/")
    try:
        client.calls(call_sid).update(twiml=twiml)
    except TwilioRestException as error:
        logger.warning("call transfer to %s refused by Twilio: HTTP %s, code %s",
                       mask_phone(number), error.status, error.code)
        raise TransferError(f"Twilio refused the transfer (HTTP {error.status})", error.status) from None
    except (TwilioException, OSError) as error:  # requests' errors are OSErrors
        logger.warning("call transfer to %s failed: %s", mask_phone(number), type(error).__name__)
        raise TransferError(f"Twilio could not be reached ({type(error).__name__})") from None
    logger.info("call transferred to %s", mask_phone(number))


async def transfer_call_async(account_sid: str, auth_token: str, call_sid: str, number: str,
                              **options) -> None:
    """:func:`transfer_call` in a worker thread, for the event loop."""
    await asyncio.to_thread(transfer_call, account_sid, auth_token, call_sid, number, **options)
