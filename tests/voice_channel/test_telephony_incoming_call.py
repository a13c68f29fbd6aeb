"""POST /twilio/incoming on a bare Sanic app + Blueprint (voice_channel.telephony.incoming_call)."""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import httpx
import pytest
from sanic import Blueprint, Sanic

from voice_channel.telephony.incoming_call import TwilioLineSettings, add_incoming_call_route
from voice_channel.telephony.twilio_signature import compute_twilio_signature

TOKEN = "12345678901234567890123456789012"
CALLER = "+33612345678"
FORM = {"CallSid": "CA" + "2" * 32, "AccountSid": "AC" + "1" * 32, "From": CALLER, "To": "+33184800000"}
PUBLIC = "https://abc.ngrok.app"
PATH = "/webhooks/voice/twilio/incoming"
NGROK = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "abc.ngrok.app"}

_apps = itertools.count()


@pytest.fixture
def post_incoming(monkeypatch):
    """``await post_incoming(settings, form, headers)``: one POST to the route, mounted
    on a bare blueprint under /webhooks/voice like the channel's."""
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def post(settings: TwilioLineSettings, form=FORM, headers=None, query="") -> httpx.Response:
        app = Sanic(f"telephony_test_{next(_apps)}")
        blueprint = Blueprint(f"voice_test_{next(_apps)}")
        add_incoming_call_route(blueprint, lambda: settings)
        app.blueprint(blueprint, url_prefix="/webhooks/voice")
        await app._startup()  # httpx's ASGI transport sends no lifespan events
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:5005") as client:
            return await client.post(PATH + query, data=form, headers=headers or {})

    return post


def stream_of(answer: httpx.Response) -> ET.Element:
    root = ET.fromstring(answer.text)
    assert [child.tag for child in root] == ["Connect", "Hangup"]
    return root.find("Connect/Stream")


@pytest.mark.asyncio
async def test_correctly_signed_request_gets_the_twiml(post_incoming, caplog):
    caplog.set_level("INFO")
    signature = compute_twilio_signature(TOKEN, PUBLIC + PATH, FORM)
    answer = await post_incoming(TwilioLineSettings(auth_token=TOKEN),
                                 headers={**NGROK, "X-Twilio-Signature": signature})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    stream = stream_of(answer)
    assert stream.get("url") == "wss://abc.ngrok.app/webhooks/voice/stream"
    assert stream.find("Parameter").attrib == {"name": "caller", "value": CALLER}
    assert CALLER not in caplog.text and "+33*******78" in caplog.text


@pytest.mark.asyncio
async def test_signature_covers_the_query_string(post_incoming):
    url = PUBLIC + PATH + "?clinic=lilas"
    signature = compute_twilio_signature(TOKEN, url, FORM)
    answer = await post_incoming(TwilioLineSettings(auth_token=TOKEN), query="?clinic=lilas",
                                 headers={**NGROK, "X-Twilio-Signature": signature})
    assert answer.status_code == 200


@pytest.mark.asyncio
async def test_configured_public_url_is_what_twilio_signed(post_incoming):
    settings = TwilioLineSettings(auth_token=TOKEN, public_url="https://clinique.example.fr")
    signature = compute_twilio_signature(TOKEN, "https://clinique.example.fr" + PATH, FORM)
    answer = await post_incoming(settings, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200
    assert stream_of(answer).get("url") == "wss://clinique.example.fr/webhooks/voice/stream"


@pytest.mark.parametrize(
    "signature, reason",
    [
        (None, "forbidden: missing X-Twilio-Signature"),
        ("bm90IGEgc2lnbmF0dXJl", "forbidden: invalid X-Twilio-Signature"),
    ],
)
@pytest.mark.asyncio
async def test_missing_or_wrong_signature_is_403(post_incoming, signature, reason, caplog):
    headers = dict(NGROK)
    if signature:
        headers["X-Twilio-Signature"] = signature
    answer = await post_incoming(TwilioLineSettings(auth_token=TOKEN), headers=headers)
    assert answer.status_code == 403
    assert answer.text == reason and answer.headers["content-type"].startswith("text/plain")
    assert CALLER not in caplog.text


@pytest.mark.asyncio
async def test_signature_of_other_parameters_is_403(post_incoming):
    signature = compute_twilio_signature(TOKEN, PUBLIC + PATH, {**FORM, "From": "+33700000000"})
    answer = await post_incoming(TwilioLineSettings(auth_token=TOKEN),
                                 headers={**NGROK, "X-Twilio-Signature": signature})
    assert answer.status_code == 403


@pytest.mark.asyncio
async def test_signature_for_another_host_is_403(post_incoming):
    signature = compute_twilio_signature(TOKEN, PUBLIC + PATH, FORM)
    answer = await post_incoming(TwilioLineSettings(auth_token=TOKEN),
                                 headers={"X-Twilio-Signature": signature})  # no tunnel headers
    assert answer.status_code == 403


@pytest.mark.asyncio
async def test_without_a_token_every_call_is_refused(post_incoming, caplog):
    """The default: no auth token to check signatures against, so no call is answered
    (anyone could otherwise claim any caller number and take a stream ticket)."""
    answer = await post_incoming(TwilioLineSettings())
    assert answer.status_code == 403
    assert "no Twilio auth token" in answer.text
    forged = await post_incoming(TwilioLineSettings(),
                                 headers={"X-Twilio-Signature": "anything"})
    assert forged.status_code == 403


def test_a_closed_line_says_so_once_at_start(caplog):
    caplog.set_level("WARNING")
    TwilioLineSettings().warn_at_start()
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "refused with 403" in caplog.text
    caplog.clear()
    TwilioLineSettings(allow_unsigned=True).warn_at_start()
    assert "NOT checked" in caplog.text
    caplog.clear()
    TwilioLineSettings(auth_token=TOKEN).warn_at_start()
    assert not caplog.records


LAB = TwilioLineSettings(allow_unsigned=True)


@pytest.mark.asyncio
async def test_a_lab_may_allow_unsigned_calls(post_incoming):
    answer = await post_incoming(LAB)
    assert answer.status_code == 200
    assert stream_of(answer).get("url") == "wss://localhost:5005/webhooks/voice/stream"


@pytest.mark.asyncio
async def test_hidden_caller_gets_no_parameter(post_incoming):
    answer = await post_incoming(LAB, form={k: v for k, v in FORM.items() if k != "From"})
    assert answer.status_code == 200 and stream_of(answer).find("Parameter") is None


@pytest.mark.asyncio
async def test_a_bad_forwarded_host_is_400(post_incoming):
    answer = await post_incoming(LAB, headers={"X-Forwarded-Host": "evil/<x>"})
    assert answer.status_code == 400


@pytest.mark.asyncio
async def test_stream_path_can_be_changed(post_incoming):
    answer = await post_incoming(TwilioLineSettings(stream_path="phone/stream", allow_unsigned=True))
    assert stream_of(answer).get("url") == "wss://localhost:5005/webhooks/voice/phone/stream"
