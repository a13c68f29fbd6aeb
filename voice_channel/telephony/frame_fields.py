"""Typed reads of a Media Streams frame's JSON fields; each failure is a ProtocolError.

The reasons name the event and the field, never its value (a custom parameter holds the
caller's number), so they are safe to log.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional

# Twilio's SIDs are two letters and 32 hex digits ("CA…" a call, "MZ…" a stream); our
# web calls' are "WB…". Anything else (a newline, a phone number, 10 kB) is refused
# before it is logged or used: the ticket, the conversation id and the logs carry it.
_SID = re.compile(r"[A-Za-z]{2}[A-Za-z0-9]{0,62}")


class ProtocolError(ValueError):
    """An inbound frame that is not a valid Media Streams message.

    The message is a short reason that is safe to log: it never quotes the
    payload, a parameter's value (the caller's number) or the raw frame.
    """


def object_field(container: Dict[str, Any], key: str, event: str) -> Dict[str, Any]:
    value = container.get(key)
    if not isinstance(value, dict):
        raise ProtocolError(f"{event}: missing object '{key}'")
    return value


def required_str(container: Dict[str, Any], key: str, event: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{event}: missing '{key}'")
    return value


def optional_str(container: Dict[str, Any], key: str, event: str) -> Optional[str]:
    value = container.get(key)
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f"{event}: '{key}' must be a string")
    return value


def required_sid(container: Dict[str, Any], key: str, event: str) -> str:
    """A Twilio-style identifier: 2 ASCII letters, then up to 62 letters and digits."""
    value = required_str(container, key, event)
    if not _SID.fullmatch(value):
        raise ProtocolError(f"{event}: '{key}' is not a valid identifier")
    return value


def optional_sid(container: Dict[str, Any], key: str, event: str) -> Optional[str]:
    if container.get(key) is None:
        return None
    return required_sid(container, key, event)


def as_int(value: Any) -> Optional[int]:
    """Twilio sends counters as decimal strings ("1"); accept plain integers too."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def required_int(container: Dict[str, Any], key: str, event: str) -> int:
    if key not in container:
        raise ProtocolError(f"{event}: missing '{key}'")
    number = as_int(container[key])
    if number is None:
        raise ProtocolError(f"{event}: '{key}' must be a non-negative integer")
    return number


def optional_int(container: Dict[str, Any], key: str, event: str) -> Optional[int]:
    if container.get(key) is None:
        return None
    return required_int(container, key, event)
