"""Is a request really from Twilio? (``X-Twilio-Signature``, HMAC-SHA1 with the auth token)

Twilio signs the full URL it requested (scheme, host, path and query string, as it
knew them, so behind a tunnel or proxy the *public* URL) followed by the POST form
parameters sorted by name (twilio.com/docs/usage/webhooks/webhooks-security). The
WebSocket upgrade of a media stream is signed the same way, with no parameters.
The check itself is ``twilio.request_validator.RequestValidator``.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"

FormValue = Union[str, Sequence[str]]


class _FormParams(dict):
    """Form fields as name → list of values, in the shape RequestValidator reads."""

    def getlist(self, name: str):
        return self[name]


def _form(params: Optional[Mapping[str, FormValue]]) -> _FormParams:
    form = _FormParams()
    for name, value in (params or {}).items():
        form[name] = [value] if isinstance(value, str) else list(value)
    return form


def is_valid_twilio_signature(auth_token: str, url: str,
                              params: Optional[Mapping[str, FormValue]],
                              signature: Optional[str]) -> bool:
    """True when ``signature`` is Twilio's for ``url`` and the form ``params``.

    ``params`` maps each field to its value or list of values (Sanic's
    ``request.form`` fits); a missing or empty signature is never valid.
    """
    if not auth_token:
        raise ValueError("an auth token is needed to check signatures")
    if not signature or not isinstance(signature, str):
        return False
    return bool(RequestValidator(auth_token).validate(url, _form(params), signature))


def compute_twilio_signature(auth_token: str, url: str,
                             params: Optional[Mapping[str, FormValue]] = None) -> str:
    """The signature Twilio would send for ``url`` and ``params`` (for tests and tools)."""
    return RequestValidator(auth_token).compute_signature(url, _form(params))
