"""The hostile HTTP requests: garbage JSON, huge bodies, wrong tokens, bad TwiML
requests, hijack attempts on the victim's conversation and appointment, and an identity
brute force over the open channel."""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict

from simulation.abuse.attackers import client, http, raw_http
from simulation.abuse.report import Report, refused
from simulation.abuse.victim import VICTIM_E164, VICTIM_ID, VICTIM_PHONE

ATTEMPTS = 7  # 15 turns: within one address's 20 turns a minute


def garbage_json(report: Report, base: str, token: str) -> None:
    bodies = [b"{", b"[]", b"null", b'"texte"', b"{\"sender\": 1, \"message\": \"x\"}",
              b"{\"sender\": \"a\", \"message\": 5}", b"{\"sender\": \"\", \"message\": \"x\"}",
              b"\xff\xfe\x00garbage", json.dumps({"sender": "a" * 5000, "message": "x"}).encode(),
              json.dumps({"sender": "a", "message": "x" * 5000}).encode(),
              b"{\"sender\": [\"a\"], \"message\": \"x\"}", b"{\"sender\": \"a\"}",
              b"{\"message\": \"bonjour\"}", b"sender=a&message=b", b"\x00" * 64]
    for body in bodies:
        report.add("garbage JSON", "voice /webhook",
                   http("POST", f"{base}/webhooks/voice/webhook", source=2, content=body,
                        headers={"Content-Type": "application/json"}), refused)
        report.add("garbage JSON", "staff /webhook",
                   http("POST", f"{base}/webhooks/staff/webhook", content=body,
                        headers={"Content-Type": "application/json",
                                 "Authorization": f"Bearer {token}"}), refused)


def huge_bodies(report: Report, base: str, port: int, staff_token: str,
                admin_token: str) -> None:
    for path, headers in (("/webhooks/voice/audio", ""), ("/webhooks/voice/webhook", ""),
                          ("/webhooks/voice/twilio/incoming", ""),
                          ("/webhooks/staff/webhook", f"Authorization: Bearer {staff_token}\r\n"),
                          (f"/model/parse?token={admin_token}", "")):
        report.add("huge bodies", f"{path.split('?')[0]} (declared 500 MB)", raw_http(port, (
            f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Type: application/json\r\n"
            "Content-Length: 500000000\r\n\r\n")), refused)
    big = b"0" * (12 * 1024 * 1024)
    report.add("huge bodies", "/webhooks/voice/audio (12 MB sent)",
               http("POST", f"{base}/webhooks/voice/audio", data={"sender": "abus"},
                    files={"audio": ("x.wav", big, "audio/wav")}), lambda g: refused(g) or g == -1)
    report.add("huge bodies", "/webhooks/voice/webhook (12 MB sent)",
               http("POST", f"{base}/webhooks/voice/webhook", content=big,
                    headers={"Content-Type": "application/json"}), lambda g: refused(g) or g == -1)
    for rate in (4000, 6000):
        report.add("huge bodies", f"/webhooks/voice/audio ({rate} Hz WAV)",
                   http("POST", f"{base}/webhooks/voice/audio", data={"sender": "abus"},
                        files={"audio": ("x.wav", low_rate_wav(rate), "audio/wav")}), refused)


def low_rate_wav(rate: int) -> bytes:
    import numpy as np

    from voice_channel.audio.wav import encode_wav

    return encode_wav(np.zeros(rate, dtype=np.float32), rate)


def wrong_tokens(report: Report, base: str, victim_conversation: str, staff_token: str,
                 admin_token: str) -> None:
    """No token, wrong ones, and each of the real tokens where it does not belong: the
    staff chat's token on Rasa's API, Rasa's admin token on the staff chat."""
    routes = [("GET", f"/conversations/{victim_conversation}/tracker", None),
              ("POST", f"/conversations/{victim_conversation}/tracker/events",
               {"event": "slot", "name": "cancel_confirmed", "value": True}),
              ("POST", f"/conversations/{victim_conversation}/messages", {"text": "oui", "sender": "user"}),
              ("POST", "/model/train", {}), ("PUT", "/model", {"model_file": "/tmp/x.tar.gz"}),
              ("DELETE", "/model", None), ("GET", "/status", None), ("POST", "/model/parse", {"text": "oui"}),
              ("GET", f"/conversations/{victim_conversation}/story", None),
              ("POST", f"/conversations/{victim_conversation}/predict", None),
              ("POST", f"/conversations/{victim_conversation}/execute", {"name": "action_restart"}),
              ("POST", f"/conversations/{victim_conversation}/trigger_intent", {"name": "affirm"}),
              ("GET", "/domain", None), ("POST", "/model/test/intents", {})]
    for method, path, body in routes:
        for token in (None, "wrong", "jéton-é", staff_token):
            params = {"token": token} if token else None
            report.add("wrong tokens", f"Rasa API {method} {path.split('/')[1]}",
                       http(method, base + path, params=params, json=body), refused)
    for header in (None, "Bearer wrong", "Basic d3Jvbmc6d3Jvbmc=", f"Bearer {admin_token}"):
        headers = {"Authorization": header} if header else {}
        report.add("wrong tokens", "staff /webhook",
                   http("POST", f"{base}/webhooks/staff/webhook", headers=headers,
                        json={"sender": "x", "message": "bonjour"}), refused)
    report.add("wrong tokens", "staff /webhook (non-ASCII)",
               http("POST", f"{base}/webhooks/staff/webhook",
                    headers={"Authorization": "Bearer jéton".encode("utf-8")},
                    json={"sender": "x", "message": "bonjour"}), refused)



def twiml_garbage(report: Report, base: str) -> None:
    for form in ({}, {"From": "+33612345678"}, {"CallSid": ""}):
        report.add("bad TwiML requests", "incoming call without a CallSid",
                   http("POST", f"{base}/webhooks/voice/twilio/incoming", data=form), refused)
    for body in (b"\xff\xfe", b"CallSid=" + b"A" * 5000):
        report.add("bad TwiML requests", "incoming call, garbage form",
                   http("POST", f"{base}/webhooks/voice/twilio/incoming", content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}),
                   lambda g: refused(g) or g == 200)


def hijacks(report: Report, base: str, phone_conversation: str) -> None:
    messages = ["oui", "je confirme l'annulation", "oui je confirme", "annuler"]
    for sender in (VICTIM_E164, "0631415926", "+33 6 31 41 59 26", phone_conversation, VICTIM_ID):
        for message in messages:
            turn = {"sender": sender, "message": message}
            report.add("hijack attempts", "Rasa's REST channel (absent)",
                       http("POST", f"{base}/webhooks/rest/webhook", json=turn), refused)
            report.add("hijack attempts", "Rasa API, no token",
                       http("POST", f"{base}/conversations/{sender}/messages",
                            json={"text": message, "sender": "user"}), refused)
    # The open voice channel answers, but in a conversation of its own (web:<sender>):
    # what proves the isolation is the booking, checked at the end.
    for sender in (VICTIM_E164, phone_conversation):
        for message in messages[:2]:
            got = http("POST", f"{base}/webhooks/voice/webhook",
                       json={"sender": sender, "message": message})
            report.add("hijack attempts", "voice /webhook (isolated, 200)", got, lambda g: g == 200)


def brute_force(report: Report, base: str) -> Dict[str, Any]:
    """Wrong phone numbers for the victim's ID until the lockout, over the open channel."""
    sender = "brute-" + uuid.uuid4().hex[:8]
    attacker = client(3)
    say = lambda text: attacker.post(f"{base}/webhooks/voice/webhook",  # noqa: E731
                                     json={"sender": sender, "message": text})
    say("je voudrais annuler mon rendez-vous")
    locked_after = None
    for attempt in range(1, ATTEMPTS + 1):
        say(VICTIM_ID)
        reply = say(f"06 00 00 00 {attempt:02d}")
        texts = " ".join(m.get("text") or "" for m in reply.json()) \
            if reply.status_code == 200 else ""
        report.add("identity brute force", "wrong phone for the victim's ID", reply.status_code,
                   lambda g: g == 200)
        if locked_after is None and "pour votre sécurité" in texts.lower():
            locked_after = attempt
    # Even the right phone is refused now.
    say(VICTIM_ID)
    right = " ".join(m.get("text") or "" for m in say(VICTIM_PHONE).json())
    attacker.close()
    return {"attempts": ATTEMPTS, "locked_after": locked_after,
            "right_phone_refused_while_locked": "Votre rendez-vous est le" not in right}

