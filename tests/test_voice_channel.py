"""The voice channel's configuration and the recognition hint it builds."""
from __future__ import annotations

import pytest

from voice_channel.channel import InvalidVoiceConfig, VoiceInput, VoiceSettings
from voice_channel.dialogue_hint import hint_from_tracker


def test_channel_is_named_voice_and_reads_its_settings():
    channel = VoiceInput.from_credentials(
        {"stt_engine": "vosk", "tts_engine": "espeak", "max_audio_mb": 5, "token": None}
    )
    assert VoiceInput.name() == "voice"
    assert channel.settings == VoiceSettings(stt_engine="vosk", max_audio_mb=5)
    assert VoiceInput.from_credentials(None).settings == VoiceSettings()


@pytest.mark.parametrize(
    "credentials, message",
    [
        ({"stt": "whisper"}, "unknown setting(s) ['stt']"),
        ({"max_audio_mb": 0}, "max_audio_mb must be a positive number"),
        ({"max_audio_seconds": "long"}, "max_audio_seconds must be a positive number"),
    ],
)
def test_bad_settings_stop_the_channel_at_start(credentials, message):
    with pytest.raises(InvalidVoiceConfig) as error:
        VoiceInput.from_credentials(credentials)
    assert message in str(error.value)


def bot(text):
    return {"event": "bot", "text": text}


@pytest.mark.parametrize(
    "requested, expected",
    [
        ("patient_id", "patient_id"),
        ("phone_number", "phone"),
        ("booking_time", "date"),
        ("new_time", "date"),
        ("booking_confirmed", "yes_no"),
        ("cancel_confirmed", "yes_no"),
        ("last_name", "name"),
        (None, "free"),
    ],
)
def test_hint_follows_what_the_form_asks(requested, expected):
    hint = hint_from_tracker(
        {"requested_slot": requested}, [{"event": "user"}, bot("Quelle est la question ?")], 6
    )
    assert hint.expected == expected
    assert hint.question == "Quelle est la question ?"
    assert hint.digits == (6 if expected == "patient_id" else None)


def test_hint_for_a_handoff_offer_is_yes_or_no():
    hint = hint_from_tracker({"handoff_offered": True}, [bot("Voulez-vous que je vous passe une personne ?")], 6)
    assert hint.expected == "yes_no"


def test_hint_question_is_only_the_bots_last_turn():
    assert hint_from_tracker({}, [bot("Ancienne question ?"), {"event": "user"}], 6).question is None
