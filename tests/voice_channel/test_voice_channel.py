"""The voice channel's configuration and its web client's routes (the recognition hint:
tests/actions/test_expected_answers.py)."""
from __future__ import annotations

import itertools

import httpx
import pytest
from sanic import Sanic

from voice_channel.channel import InvalidVoiceConfig, VoiceInput, VoiceSettings


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
        ({"phone": {"end_of_turn": 500}}, "unknown phone setting(s) ['end_of_turn']"),
        ({"phone": "fast"}, "phone must be a mapping of settings"),
    ],
)
def test_bad_settings_stop_the_channel_at_start(credentials, message):
    with pytest.raises(InvalidVoiceConfig) as error:
        VoiceInput.from_credentials(credentials)
    assert message in str(error.value)


def test_phone_settings_and_twilio_credentials(monkeypatch):
    settings = VoiceSettings.from_credentials({"phone": {"end_of_turn_ms": 700, "silence_timeout": 5}})
    call = settings.phone_call_settings()
    assert (call.end_of_turn_ms, call.silence_timeout, call.max_reprompts) == (700, 5, 2)
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-env")
    assert settings.twilio_credentials() == (None, "from-env")
    configured = VoiceSettings(twilio_account_sid="AC1", twilio_auth_token="from-yml")
    assert configured.twilio_credentials() == ("AC1", "from-yml")


# -- the web client's routes, through the channel's real blueprint ----------------------

_apps = itertools.count()


@pytest.fixture
def ask_channel(monkeypatch):
    """``await ask_channel(method, path, settings, **httpx_options)``: one request to
    ``/webhooks/voice<path>`` on a Sanic app that serves only this channel."""
    # Test mode lets Sanic start several apps in one process (one per call here).
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def no_bot(_message):
        raise AssertionError("the web client's routes must not reach Rasa")

    async def ask(method: str, path: str, settings: VoiceSettings = VoiceSettings(), **options) -> httpx.Response:
        app = Sanic(f"voice_channel_test_{next(_apps)}")
        app.blueprint(VoiceInput(settings).blueprint(no_bot), url_prefix="/webhooks/voice")
        # httpx's ASGI transport sends no lifespan events: do what Sanic's startup does.
        await app._startup()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://clinique.test") as client:
            return await client.request(method, f"/webhooks/voice{path}", **options)

    return ask


@pytest.mark.asyncio
async def test_web_page_loads_without_the_token_the_api_requires(ask_channel):
    with_token = VoiceSettings(token="s3cret")
    page = await ask_channel("GET", "/client", with_token)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="fr">' in page.text
    assert (await ask_channel("GET", "/client/client.js", with_token)).status_code == 200
    turn = {"json": {"sender": "web-test", "message": "bonjour"}}
    refused = await ask_channel("POST", "/webhook", with_token, **turn)
    assert refused.status_code == 401 and refused.json() == {"error": "missing or wrong token"}


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("client.js", "text/javascript; charset=utf-8"),
        ("recorder-worklet.js", "text/javascript; charset=utf-8"),
        ("client.css", "text/css; charset=utf-8"),
    ],
)
@pytest.mark.asyncio
async def test_web_client_files_have_their_content_type(ask_channel, name, content_type):
    served = await ask_channel("GET", f"/client/{name}")
    assert served.status_code == 200
    assert served.headers["content-type"] == content_type
    assert served.headers["x-content-type-options"] == "nosniff"
    again = await ask_channel("GET", f"/client/{name}", headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.asyncio
async def test_only_the_web_clients_own_files_are_served(ask_channel):
    for name in ("channel.py", "..%2Fchannel.py", "web_client.py", "CLIENT.JS"):
        assert (await ask_channel("GET", f"/client/{name}")).status_code == 404, name


@pytest.mark.asyncio
async def test_a_trailing_slash_leads_back_to_the_page_with_its_query(ask_channel):
    redirect = await ask_channel("GET", "/client/?token=abc")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "../client?token=abc"
