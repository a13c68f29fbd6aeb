"""Conversation names: the one place that builds and reads ``phone:``, ``web:`` and
``staff:`` ids.

A Rasa conversation id (its ``sender_id``) and a caller key (the ``caller_key``
metadata that limits and lockouts count by) both start with the channel that opened
them: ``phone:`` and 24 hex digits for a call (never the number), ``web:`` and the
page's id for the web page, ``staff:`` and the staff member's chat id for the staff
chat. The channels build them here; the actions, the staff console, the NLU review
and the purge read them here.

Run by: every process that names a conversation (imported, never started).

May import: nothing of the project.
"""
from __future__ import annotations

from typing import Optional

PHONE = "phone"
WEB = "web"
STAFF = "staff"
CHANNELS = (PHONE, WEB, STAFF)
OTHER = "other"  # an id no channel of ours made (« rasa shell », the REST channel)


def conversation_id(channel: str, local_id: str) -> str:
    """``phone:<local_id>``, ``web:<local_id>``, ``staff:<local_id>``."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return f"{channel}:{local_id}"


def channel_of(name: str) -> str:
    """The channel a conversation id or caller key came from, or :data:`OTHER`."""
    prefix, colon, _ = (name or "").partition(":")
    return prefix if colon and prefix in CHANNELS else OTHER


def local_part(name: str) -> Optional[str]:
    """What follows the channel (None for an id no channel of ours made)."""
    if channel_of(name) == OTHER:
        return None
    return name.partition(":")[2]
