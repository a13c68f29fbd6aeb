"""TwiML, public URLs, X-Twilio-Signature and the transfer through the REST API
(voice_channel.telephony.twiml, .twilio_signature, .transfer), against a local fake
of Twilio's REST endpoint: no real network."""
from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List
from urllib.parse import parse_qs

import pytest

from voice_channel.telephony.transfer import TransferError, transfer_call, transfer_call_async
from voice_channel.telephony.twilio_signature import (
    compute_twilio_signature,
    is_valid_twilio_signature,
)
from voice_channel.telephony.twiml import (
    PublicUrlError,
    incoming_call_twiml,
    public_base_url,
    stream_url,
    transfer_twiml,
)

ACCOUNT = "AC" + "1" * 32
TOKEN = "12345678901234567890123456789012"
CALL = "CA" + "2" * 32
RECEPTION = "+33184801234"


def test_incoming_call_twiml_connects_the_stream_then_hangs_up():
    xml = incoming_call_twiml("wss://clinique.example.fr/webhooks/voice/stream", caller="+33612345678")
    root = ET.fromstring(xml)
    assert [child.tag for child in root] == ["Connect", "Hangup"]
    stream = root.find("Connect/Stream")
    assert stream.get("url") == "wss://clinique.example.fr/webhooks/voice/stream"
    assert [(p.get("name"), p.get("value")) for p in stream.findall("Parameter")] == [("caller", "+33612345678")]


def test_values_are_xml_escaped():
    xml = incoming_call_twiml("wss://h/stream", caller='"/><Dial>+1</Dial><x a="')
    root = ET.fromstring(xml)
    assert root.find("Connect/Stream/Parameter").get("value") == '"/><Dial>+1</Dial><x a="'
    assert root.find("Dial") is None and "<Dial>" not in xml


def test_no_caller_means_no_parameter_and_only_wss():
    assert ET.fromstring(incoming_call_twiml("wss://h/stream")).find("Connect/Stream/Parameter") is None
    with pytest.raises(PublicUrlError):
        incoming_call_twiml("https://h/stream")


def test_transfer_twiml_dials_the_number():
    root = ET.fromstring(transfer_twiml(RECEPTION))
    assert [(child.tag, child.text) for child in root] == [("Dial", RECEPTION)]
    with pytest.raises(ValueError):
        transfer_twiml(" ")


@pytest.mark.parametrize(
    "scheme, host, headers, configured, expected",
    [
        ("http", "localhost:5005", {}, None, "http://localhost:5005"),
        ("http", "localhost:5005", {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "abc.ngrok.app"},
         None, "https://abc.ngrok.app"),
        ("http", "internal:5005", {"x-forwarded-proto": "https, http", "x-forwarded-host": "a.fr, b"},
         None, "https://a.fr"),
        ("http", "localhost:5005", {"X-Forwarded-Host": "evil.example"}, "https://clinique.example.fr/",
         "https://clinique.example.fr"),
    ],
)
def test_public_base_url(scheme, host, headers, configured, expected):
    assert public_base_url(scheme, host, headers, configured) == expected


@pytest.mark.parametrize(
    "host, headers, configured",
    [
        ("bad host/x", {}, None),
        ("ok.fr", {"X-Forwarded-Host": 'a"b'}, None),
        ("ok.fr", {"X-Forwarded-Proto": "gopher"}, None),
        ("ok.fr", {}, "ftp://clinique.example.fr"),
        ("ok.fr", {}, "clinique.example.fr"),
    ],
)
def test_public_base_url_refuses_what_is_not_an_address(host, headers, configured):
    with pytest.raises(PublicUrlError):
        public_base_url("http", host, headers, configured)


def test_stream_url_is_always_wss_and_has_no_query():
    assert stream_url("https://abc.ngrok.app", "/webhooks/voice/stream") == "wss://abc.ngrok.app/webhooks/voice/stream"
    assert stream_url("http://localhost:5005", "webhooks/voice/stream") == "wss://localhost:5005/webhooks/voice/stream"
    with pytest.raises(PublicUrlError):
        stream_url("https://h", "/stream?token=1")


# -- signatures -------------------------------------------------------------------

URL = "https://abc.ngrok.app/webhooks/voice/twilio/incoming"
FORM = {"CallSid": CALL, "AccountSid": ACCOUNT, "From": "+33612345678", "To": "+33184800000"}


def test_signature_of_twilios_documented_example():
    # twilio.com/docs/usage/webhooks/webhooks-security, "Validating signatures"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert compute_twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert is_valid_twilio_signature("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


def test_valid_and_invalid_signatures():
    signature = compute_twilio_signature(TOKEN, URL, FORM)
    assert is_valid_twilio_signature(TOKEN, URL, FORM, signature)
    # Sanic's request.form holds lists of values
    assert is_valid_twilio_signature(TOKEN, URL, {k: [v] for k, v in FORM.items()}, signature)
    # Twilio may sign with or without the default port
    assert is_valid_twilio_signature(TOKEN, URL.replace(".app/", ".app:443/"), FORM, signature)
    assert not is_valid_twilio_signature(TOKEN, URL, {**FORM, "From": "+33700000000"}, signature)
    assert not is_valid_twilio_signature(TOKEN, URL.replace("https", "http"), FORM, signature)
    assert not is_valid_twilio_signature("another-token", URL, FORM, signature)
    assert not is_valid_twilio_signature(TOKEN, URL, FORM, None)
    assert not is_valid_twilio_signature(TOKEN, URL, FORM, "")
    with pytest.raises(ValueError):
        is_valid_twilio_signature("", URL, FORM, signature)


def test_websocket_upgrade_signature_has_no_parameters():
    ws_url = "wss://abc.ngrok.app/webhooks/voice/stream"
    assert is_valid_twilio_signature(TOKEN, ws_url, None, compute_twilio_signature(TOKEN, ws_url))


# -- transfer through a local fake of the REST API --------------------------------

class FakeTwilio(ThreadingHTTPServer):
    """POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json, as documented."""

    def __init__(self, status: int = 200):
        self.requests: List[Dict] = []
        self.status = status
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.server.requests.append({
            "path": self.path, "form": parse_qs(body), "authorization": self.headers.get("Authorization"),
            "content_type": self.headers.get("Content-Type"),
        })
        parts = self.path.split("/")
        if self.server.status == 200:
            payload = {"sid": parts[-1].removesuffix(".json"), "account_sid": parts[3], "status": "in-progress"}
        else:
            payload = {"code": 21220, "message": "Call is not in-progress. Cannot redirect.",
                       "more_info": "https://www.twilio.com/docs/errors/21220", "status": self.server.status}
        data = json.dumps(payload).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    servers = []

    def start(status: int = 200) -> FakeTwilio:
        server = FakeTwilio(status)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_transfer_updates_the_live_call_with_dial_twiml(fake_twilio, caplog):
    server = fake_twilio()
    caplog.set_level("INFO")
    transfer_call(ACCOUNT, TOKEN, CALL, RECEPTION, api_base_url=server.url)
    [request] = server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}.json"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["authorization"].startswith("Basic ")
    [twiml] = request["form"]["Twiml"]
    assert [(c.tag, c.text) for c in ET.fromstring(twiml)] == [("Dial", RECEPTION)]
    assert RECEPTION not in caplog.text and "+33*******34" in caplog.text


@pytest.mark.asyncio
async def test_transfer_from_the_event_loop(fake_twilio):
    server = fake_twilio()
    await transfer_call_async(ACCOUNT, TOKEN, CALL, RECEPTION, api_base_url=server.url)
    assert len(server.requests) == 1


def test_refused_transfer_raises_a_safe_error(fake_twilio, caplog):
    server = fake_twilio(status=400)
    with pytest.raises(TransferError) as error:
        transfer_call(ACCOUNT, TOKEN, CALL, RECEPTION, api_base_url=server.url)
    assert error.value.status == 400 and RECEPTION not in str(error.value)
    assert RECEPTION not in caplog.text


def test_unreachable_twilio_raises_transfer_error(fake_twilio):
    server = fake_twilio()
    url = server.url
    server.shutdown()
    server.server_close()
    with pytest.raises(TransferError, match="could not be reached"):
        transfer_call(ACCOUNT, TOKEN, CALL, RECEPTION, api_base_url=url, timeout=2)


def test_transfer_needs_its_credentials():
    with pytest.raises(ValueError):
        transfer_call(ACCOUNT, "", CALL, RECEPTION)
