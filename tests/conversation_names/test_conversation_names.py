"""Conversation names: built and read in one place (:mod:`conversation_names`)."""
from __future__ import annotations

import pytest

from conversation_names import OTHER, PHONE, STAFF, WEB, channel_of, conversation_id, local_part
from voice_channel.telephony.stream_tickets import StreamTickets


@pytest.mark.parametrize("channel", [PHONE, WEB, STAFF])
def test_a_name_says_its_channel_and_its_local_part(channel):
    name = conversation_id(channel, "abc:def")
    assert name == f"{channel}:abc:def"
    assert channel_of(name) == channel and local_part(name) == "abc:def"


@pytest.mark.parametrize("name", ["default", "", "phone", "console:x", "Phone:x"])
def test_an_id_no_channel_made_is_other(name):
    assert channel_of(name) == OTHER and local_part(name) is None


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError):
        conversation_id("fax", "1")


def test_the_phone_ids_and_caller_keys_are_read_back_as_theirs():
    tickets = StreamTickets(b"0" * 32)
    assert channel_of(tickets.conversation_id("CA" + "1" * 32)) == PHONE
    assert channel_of(tickets.caller_key(WEB, "203.0.113.9")) == WEB
    assert "203.0.113.9" not in tickets.caller_key(WEB, "203.0.113.9")
