"""The channels' defences, on their real blueprints: tokens (bytes, header only), the
body read only after the token, request size limits, conversation ids no other channel
can claim, channel-set metadata, an answer even when Rasa hangs, stream tickets and
admission (proof of origin, replay, busy lines), and the busy TwiML."""
from __future__ import annotations

import asyncio
import itertools
import xml.etree.ElementTree as ET

import pytest
from sanic import Sanic

from voice_channel.channel import VoiceInput, VoiceSettings
from voice_channel.staff_chat import StaffChatInput
from voice_channel.telephony.admission import CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER
from voice_channel.telephony.incoming_call import TwilioLineSettings, add_incoming_call_route
from voice_channel.telephony.media_streams import MULAW_8K, Start
from voice_channel.telephony.phone_lines import PhoneLines
from voice_channel.telephony.stream_tickets import StreamTickets
from voice_channel.dialogue.prompts import DEFAULT_PROMPTS as PROMPTS
from voice_channel.telephony.phone_routes import stream_admission
from simulation.stack import free_port

CALLER = "+33612345678"
SECRET = b"0123456789abcdef0123456789abcdef"
_apps = itertools.count()


class Recorder:
    """Rasa stand-in: records each UserMessage and answers « Bien reçu. »."""

    def __init__(self, hang: bool = False) -> None:
        self.messages = []
        self.hang = hang

    async def __call__(self, message) -> None:
        self.messages.append(message)
        if self.hang:
            await asyncio.sleep(3600)
        await message.output_channel.send_text_message(message.sender_id, "Bien reçu.")


def app_with(channel, on_new_message, prefix: str) -> Sanic:
    app = Sanic(f"security_test_{next(_apps)}")
    app.blueprint(channel.blueprint(on_new_message), url_prefix=prefix)
    return app


# -- tokens -------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_a_non_ascii_token_is_a_wrong_token_not_a_server_error(asgi):
    rasa = Recorder()
    app = app_with(VoiceInput(VoiceSettings(token="s3cret-jeton")), rasa, "/webhooks/voice")
    turn = {"sender": "essai", "message": "bonjour"}
    for header in ("Bearer jéton".encode("utf-8"), "Bearer jéton".encode("latin-1")):
        answer = await asgi(app, "POST", "/webhooks/voice/webhook", json=turn,
                            headers=[(b"authorization", header)])
        assert answer.status_code == 401, answer.text
    assert not rasa.messages


@pytest.mark.asyncio
async def test_http_routes_take_the_token_from_the_header_only(asgi):
    rasa = Recorder()
    app = app_with(VoiceInput(VoiceSettings(token="s3cret-jeton")), rasa, "/webhooks/voice")
    turn = {"sender": "essai", "message": "bonjour"}
    in_query = await asgi(app, "POST", "/webhooks/voice/webhook?token=s3cret-jeton", json=turn)
    assert in_query.status_code == 401  # a token in a URL ends up in logs and histories
    in_header = await asgi(app, "POST", "/webhooks/voice/webhook", json=turn,
                           headers={"Authorization": "Bearer s3cret-jeton"})
    assert in_header.status_code == 200 and in_header.json()[0]["text"] == "Bien reçu."
    ticket = await asgi(app, "POST", "/webhooks/voice/stream/ticket")
    assert ticket.status_code == 401


# -- conversation ids and metadata ------------------------------------------------------------

@pytest.mark.asyncio
async def test_web_turns_live_in_their_own_namespace_with_the_channels_metadata(asgi):
    rasa = Recorder()
    app = app_with(VoiceInput(VoiceSettings()), rasa, "/webhooks/voice")
    hijack = {"sender": CALLER, "message": "oui",
              "metadata": {"caller_key": "phone:forged", "call_sid": "CAforged"}}
    answer = await asgi(app, "POST", "/webhooks/voice/webhook", json=hijack)
    assert answer.status_code == 200
    [message] = rasa.messages
    assert message.sender_id == f"web:{CALLER}"  # never the phone call's conversation
    assert message.metadata["caller_key"].startswith("web:")
    assert "call_sid" not in message.metadata and "forged" not in str(message.metadata)


@pytest.mark.asyncio
async def test_staff_chat_needs_its_token_and_has_its_own_namespace(asgi, monkeypatch):
    monkeypatch.delenv("STAFF_CHAT_TOKEN", raising=False)
    turn = {"sender": "accueil-1", "message": "bonjour"}
    closed = app_with(StaffChatInput.from_credentials(None), Recorder(), "/webhooks/staff")
    assert (await asgi(closed, "POST", "/webhooks/staff/webhook", json=turn)).status_code == 403
    monkeypatch.setenv("STAFF_CHAT_TOKEN", "jeton-du-personnel-0123")
    rasa = Recorder()
    app = app_with(StaffChatInput.from_credentials(None), rasa, "/webhooks/staff")
    wrong = await asgi(app, "POST", "/webhooks/staff/webhook", json=turn,
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and not rasa.messages
    right = await asgi(app, "POST", "/webhooks/staff/webhook", json=turn,
                       headers={"Authorization": "Bearer jeton-du-personnel-0123"})
    assert right.status_code == 200 and right.json()[0]["text"] == "Bien reçu."
    assert rasa.messages[0].sender_id == "staff:accueil-1"


@pytest.mark.asyncio
async def test_the_admin_token_does_not_open_the_staff_chat(asgi, monkeypatch):
    """Rasa's admin token reads every conversation and loads models: the staff chat has
    its own (STAFF_CHAT_TOKEN), and the admin token is refused there."""
    monkeypatch.setenv("RASA_API_TOKEN", "jeton-administrateur-0123")
    monkeypatch.setenv("STAFF_CHAT_TOKEN", "jeton-du-personnel-0123")
    rasa = Recorder()
    app = app_with(StaffChatInput.from_credentials(None), rasa, "/webhooks/staff")
    turn = {"sender": "accueil-1", "message": "bonjour"}
    admin = await asgi(app, "POST", "/webhooks/staff/webhook", json=turn,
                       headers={"Authorization": "Bearer jeton-administrateur-0123"})
    assert admin.status_code == 401 and not rasa.messages
    monkeypatch.delenv("STAFF_CHAT_TOKEN")
    assert (await asgi(app_with(StaffChatInput.from_credentials(None), rasa, "/webhooks/staff"),
                       "POST", "/webhooks/staff/webhook", json=turn,
                       headers={"Authorization": "Bearer jeton-administrateur-0123"})
            ).status_code == 403  # no staff token: closed, even to the admin token


def test_the_staff_chat_refuses_the_admin_token_as_its_own(monkeypatch):
    monkeypatch.setenv("RASA_API_TOKEN", "meme-jeton-0123456789")
    monkeypatch.setenv("STAFF_CHAT_TOKEN", "meme-jeton-0123456789")
    with pytest.raises(ValueError, match="admin token"):
        StaffChatInput.from_credentials(None)


@pytest.mark.asyncio
async def test_a_turn_rasa_does_not_answer_in_time_gets_an_apology(asgi):
    rasa = Recorder(hang=True)
    app = app_with(VoiceInput(VoiceSettings(dialogue_timeout=0.3)), rasa, "/webhooks/voice")
    answer = await asyncio.wait_for(
        asgi(app, "POST", "/webhooks/voice/webhook", json={"sender": "essai", "message": "bonjour"}),
        timeout=30)
    assert answer.status_code == 200
    [reply] = answer.json()
    assert reply["text"].startswith("Excusez-moi, notre système met trop de temps à répondre.")
    assert "l'accueil du cabinet au 01 84 80 12 34" in reply["text"]


# -- limits before buffering, on a real server ------------------------------------------------

async def raw_request(port: int, head: str, body: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), timeout=20)
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_token_and_size_are_checked_before_the_body_is_read(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = app_with(VoiceInput(VoiceSettings(token="s3cret-jeton", max_audio_mb=1)), Recorder(),
                   "/webhooks/voice")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    try:
        # 50 MB announced, none sent: a server reading the body first would wait for ever.
        for path in ("/webhooks/voice/audio", "/webhooks/voice/webhook"):
            answer = await raw_request(port, (
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                "Content-Length: 50000000\r\n\r\n"))
            assert answer.startswith(b"HTTP/1.1 401"), answer[:80]
        # With the right token, the declared size is refused at once (server limit or ours).
        answer = await raw_request(port, (
            "POST /webhooks/voice/audio HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer s3cret-jeton\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 50000000\r\n\r\n"))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        # Routes that read their body first still stop at the server's limit (1 MB + form).
        assert app.config.REQUEST_MAX_SIZE == 1024 * 1024 + 64 * 1024
        answer = await raw_request(port, (
            "POST /webhooks/voice/twilio/incoming HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\n\r\n"))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    finally:
        server.close()
        await server.wait_closed()


# -- stream tickets and admission ----------------------------------------------------------

def start(call_sid: str = "CA" + "1" * 32, **parameters) -> Start:
    return Start(stream_sid="MZ1", call_sid=call_sid, account_sid="AC1", media_format=MULAW_8K,
                 custom_parameters=parameters)


def test_tickets_admit_their_call_once_and_sign_the_caller():
    now = [1_000_000.0]
    tickets = StreamTickets(SECRET, ttl=60, clock=lambda: now[0])
    call = "CA" + "7" * 32
    ticket = tickets.issue(call, CALLER)
    assert tickets.redeem(ticket, call, "+33699999999") == "ticket does not match this call"
    assert tickets.redeem(ticket, "CA" + "8" * 32, CALLER) == "ticket does not match this call"
    assert tickets.redeem(None, call, CALLER) == "no ticket"
    assert tickets.redeem("v1.abc.def", call, CALLER) == "malformed ticket"
    assert tickets.redeem(ticket, call, CALLER) is None
    assert tickets.redeem(ticket, call, CALLER) == "ticket already used"  # replayed
    late = tickets.issue("CA" + "9" * 32, CALLER)
    now[0] += 61
    assert tickets.redeem(late, "CA" + "9" * 32, CALLER) == "ticket expired"
    other = StreamTickets(b"another secret of 32 bytes......")
    assert other.redeem(tickets.issue(call, CALLER), call, CALLER) == "ticket does not match this call"


def test_admission_needs_a_ticket_and_gives_an_opaque_conversation_id():
    tickets, lines = StreamTickets(SECRET), PhoneLines(max_calls=1)
    admit = stream_admission(tickets, lines, trusted=False, client_address="203.0.113.9",
                             busy=PROMPTS.busy)
    refused = admit(start(caller=CALLER))
    assert not refused.accepted and refused.close_code == CLOSE_POLICY_VIOLATION
    forged = admit(start(caller=CALLER, ticket=tickets.issue("CA" + "1" * 32, "+33600000000")))
    assert not forged.accepted and forged.reason == "ticket does not match this call"
    call = start(caller=CALLER, ticket=tickets.issue("CA" + "1" * 32, CALLER))
    accepted = admit(call)
    assert accepted.accepted and accepted.sender.startswith("phone:")
    assert CALLER not in accepted.sender and "612345678" not in str(accepted.metadata)
    assert accepted.metadata["caller"] == "+33*******78"
    assert accepted.metadata["caller_key"] == tickets.caller_key("phone", CALLER)
    assert accepted.metadata["call_sid"] == call.call_sid
    # The one line is taken: the next valid call hears that every line is busy.
    second = start(call_sid="CA" + "2" * 32, caller=CALLER,
                   ticket=tickets.issue("CA" + "2" * 32, CALLER))
    busy = admit(second)
    assert not busy.accepted and busy.close_code == CLOSE_TRY_AGAIN_LATER
    assert busy.spoken.startswith("Toutes nos lignes sont occupées")
    accepted.release()
    accepted.release()  # idempotent
    assert lines.in_use == 0


def test_a_stream_with_the_channel_token_needs_no_ticket():
    admit = stream_admission(StreamTickets(SECRET), PhoneLines(), trusted=True,
                             client_address="127.0.0.1", busy=PROMPTS.busy)
    accepted = admit(start())
    assert accepted.accepted and accepted.metadata["caller_key"].startswith("web:")


@pytest.mark.asyncio
async def test_incoming_call_twiml_carries_a_ticket_and_says_busy_when_lines_are_full(asgi):
    tickets, lines = StreamTickets(SECRET), PhoneLines(max_calls=1)
    app = Sanic(f"security_test_{next(_apps)}")
    from sanic import Blueprint

    blueprint = Blueprint(f"incoming_{next(_apps)}")
    add_incoming_call_route(blueprint, lambda: TwilioLineSettings(allow_unsigned=True),
                            tickets=tickets, lines=lines)
    app.blueprint(blueprint, url_prefix="/webhooks/voice")
    form = {"CallSid": "CA" + "3" * 32, "From": CALLER}
    answer = await asgi(app, "POST", "/webhooks/voice/twilio/incoming", data=form)
    parameters = {p.get("name"): p.get("value")
                  for p in ET.fromstring(answer.text).iter("Parameter")}
    assert parameters["caller"] == CALLER
    assert tickets.redeem(parameters["ticket"], form["CallSid"], CALLER) is None
    release = lines.take()
    busy = await asgi(app, "POST", "/webhooks/voice/twilio/incoming", data=form)
    root = ET.fromstring(busy.text)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root.find("Say").text.startswith("Toutes nos lignes sont occupées")
    release()


def test_one_address_takes_a_few_tickets_a_minute_not_every_line():
    from voice_channel.http_requests import AddressRate

    now = [0.0]
    rate = AddressRate(limit=3, window=60, max_addresses=2, clock=lambda: now[0])
    assert [rate.allow("203.0.113.9") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("198.51.100.7")  # another address has its own count
    now[0] += 61
    assert rate.allow("203.0.113.9")  # the window has passed


@pytest.mark.asyncio
async def test_the_ticket_route_refuses_a_burst_from_one_address(asgi):
    app = app_with(VoiceInput(VoiceSettings()), Recorder(), "/webhooks/voice")
    answers = [await asgi(app, "POST", "/webhooks/voice/stream/ticket") for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert answers[0].json()["ticket"].startswith("v1.") and answers[0].json()["callSid"]
    assert "try again in a minute" in answers[-1].json()["error"]
    assert answers[-1].headers["retry-after"] == "60"


@pytest.mark.asyncio
async def test_a_turn_rasa_answers_with_nothing_is_never_silent(asgi, monkeypatch):

    async def says_nothing(message) -> None:
        return None

    monkeypatch.setenv("STAFF_CHAT_TOKEN", "jeton-du-personnel-0123")
    turn = {"sender": "essai", "message": "oui"}
    voice = app_with(VoiceInput(VoiceSettings()), says_nothing, "/webhooks/voice")
    staff = app_with(StaffChatInput.from_credentials(None), says_nothing, "/webhooks/staff")
    for app, path, headers in ((voice, "/webhooks/voice/webhook", {}),
                               (staff, "/webhooks/staff/webhook",
                                {"Authorization": "Bearer jeton-du-personnel-0123"})):
        answer = await asgi(app, "POST", path, json=turn, headers=headers)
        assert [m["text"] for m in answer.json()] == [PROMPTS.nothing_to_say]


# -- metered speech and turns -------------------------------------------------------------

@pytest.mark.asyncio
async def test_one_address_sends_at_most_its_turns_per_minute(asgi):
    """The patients' page is open: past http_turns_per_minute from one address, 429 with
    a Retry-After, on /webhook and /audio alike (before any body is read)."""
    rasa = Recorder()
    app = app_with(VoiceInput(VoiceSettings(http_turns_per_minute=3)), rasa, "/webhooks/voice")
    turn = {"sender": "essai", "message": "bonjour"}
    answers = [await asgi(app, "POST", "/webhooks/voice/webhook", json=turn) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "60"
    assert "too many turns" in answers[-1].json()["error"]
    audio = await asgi(app, "POST", "/webhooks/voice/audio",
                       files={"audio": ("a.wav", b"RIFF")}, data={"sender": "essai"})
    assert audio.status_code == 429
    assert len(rasa.messages) == 3


@pytest.mark.asyncio
async def test_speech_over_http_waits_for_no_call(asgi, monkeypatch):
    """An upload runs Whisper only on a recognition slot that leaves one free for calls:
    with a call's recognition running, it gets 503 and a Retry-After at once."""
    from tests.voice_channel.test_recognition_queue import Job, until
    from voice_channel.listening.recognition_queue import RecognitionQueue
    from voice_channel.speech_turn import SpeechTurn

    queue = RecognitionQueue(max_concurrent=2, max_waiting=4)
    channel = VoiceInput(VoiceSettings())

    class NeverHeard:  # the recognizer is never reached: no slot is given
        def transcribe(self, samples, hint):
            raise AssertionError("recognition ran")

    channel._turn = SpeechTurn(NeverHeard(), None, max_bytes=10 * 2**20, max_seconds=60,
                               queue=queue)
    monkeypatch.setattr("voice_channel.channel.hint_from_tracker_store",
                        lambda agent, sender: _no_hint())
    call = Job("a call's recognition")
    calling = asyncio.ensure_future(queue.run(call))
    await until(lambda: call.started.is_set())
    app = app_with(channel, Recorder(), "/webhooks/voice")
    wav = _silence_wav()
    answer = await asgi(app, "POST", "/webhooks/voice/audio",
                        files={"audio": ("a.wav", wav, "audio/wav")}, data={"sender": "essai"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "3"
    assert "busy" in answer.json()["error"]
    call.release.set()
    await asyncio.wait_for(calling, 30)


async def _no_hint():
    from voice_channel.stt.hints import RecognitionHint
    return RecognitionHint()


def _silence_wav() -> bytes:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000)
    return buffer.getvalue()


def test_one_address_holds_at_most_its_share_of_the_lines():
    """Streams the web page opens (no caller number) hold their line under the client's
    address: one address cannot take every line. Twilio's calls (with a number) are
    not counted per address (they all come from Twilio's)."""
    tickets, lines = StreamTickets(SECRET), PhoneLines(max_calls=4, max_per_holder=2)

    def web_call(i: int, address: str):
        sid = f"WB{i:032d}"
        admit = stream_admission(tickets, lines, trusted=False, client_address=address,
                                 busy=PROMPTS.busy)
        return admit(start(call_sid=sid, ticket=tickets.issue(sid)))

    first, second = web_call(1, "203.0.113.9"), web_call(2, "203.0.113.9")
    third = web_call(3, "203.0.113.9")
    assert first.accepted and second.accepted
    assert not third.accepted and third.close_code == CLOSE_TRY_AGAIN_LATER
    assert web_call(4, "198.51.100.7").accepted  # another address still gets a line
    twilio = stream_admission(tickets, lines, trusted=False, client_address="203.0.113.9",
                              busy=PROMPTS.busy)
    sid = "CA" + "9" * 32
    assert twilio(start(call_sid=sid, caller=CALLER, ticket=tickets.issue(sid, CALLER))).accepted
    first.release()
    assert web_call(5, "203.0.113.9").accepted
