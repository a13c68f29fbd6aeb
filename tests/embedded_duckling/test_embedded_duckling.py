"""End-to-end tests of ``python -m embedded_duckling`` over real HTTP."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union
from zoneinfo import ZoneInfo

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
# Wednesday 12 March 2025, 10:00 in Paris (UTC+1; DST starts on 30 March).
REFTIME_MS = int(datetime(2025, 3, 12, 10, 0, tzinfo=PARIS).timestamp() * 1000)
MAX_CHARS = 2000  # given to the shared server through DUCKLING_MAX_TEXT_CHARS
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
SECRET = "mon numéro est le 06 12 34 56 78, dossier ZX-4471"


@dataclass
class Server:
    """A running server subprocess and its log file."""

    url: str
    process: "subprocess.Popen[bytes]"
    log: Path

    def parse(self, data: Any, headers: Optional[Dict[str, str]] = None) -> requests.Response:
        return requests.post(f"{self.url}/parse", data=data, headers=headers, timeout=10)

    def log_lines(self) -> List[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(log: Path, args: Sequence[str] = (), env: Optional[Dict[str, str]] = None) -> Server:
    """Start the server as a subprocess; return once ``GET /`` answers."""
    env = dict(env or {})
    if "DUCKLING_PORT" in env:
        port = int(env["DUCKLING_PORT"])
    else:
        port = _free_port()
        args = ["--port", str(port), *args]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUCKLING_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "embedded_duckling", *args],
            cwd=ROOT,
            env={**clean, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}: {log.read_text()}")
        try:
            if requests.get(server.url + "/", timeout=1).text == "quack!":
                return server
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"server did not answer in time: {log.read_text()}")


def _stop(server: Server, signum: int = signal.SIGTERM) -> int:
    server.process.send_signal(signum)
    try:
        return server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        return server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("duckling") / "server.log"
    running = _start(log, ["--log-level", "debug"], {"DUCKLING_MAX_TEXT_CHARS": str(MAX_CHARS)})
    yield running
    _stop(running)


def _fr(text: str, **extra: str) -> Dict[str, Any]:
    return {"text": text, "locale": "fr_FR", "tz": "Europe/Paris", "reftime": REFTIME_MS,
            "dims": '["time"]', **extra}


def _only_entity(response: requests.Response) -> Dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    entities = response.json()
    assert len(entities) == 1, entities
    return entities[0]


def test_root_answers_quack(server: Server) -> None:
    response = requests.get(server.url + "/", timeout=5)
    assert response.status_code == 200
    assert response.text == "quack!"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_french_instant_has_exact_paris_value(server: Server) -> None:
    entity = _only_entity(server.parse(_fr("après-demain à 15h")))
    assert entity["dim"] == "time"
    assert (entity["body"], entity["start"], entity["end"], entity["latent"]) == (
        "après-demain à 15h", 0, 18, False)
    assert entity["value"]["type"] == "value"
    assert entity["value"]["grain"] == "hour"
    assert entity["value"]["value"] == "2025-03-14T15:00:00.000+01:00"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("demain matin", {"type": "interval",
                          "from": {"grain": "hour", "value": "2025-03-13T04:00:00.000+01:00"},
                          "to": {"grain": "hour", "value": "2025-03-13T12:00:00.000+01:00"}}),
        ("la semaine prochaine", {"type": "value", "grain": "week",
                                  "value": "2025-03-17T00:00:00.000+01:00"}),
        ("le 3 avril à 9h", {"type": "value", "grain": "hour",  # after the DST switch
                             "value": "2025-04-03T09:00:00.000+02:00"}),
    ],
)
def test_french_intervals_and_instants(server: Server, text: str, expected: Dict[str, Any]) -> None:
    value = _only_entity(server.parse(_fr(text)))["value"]
    assert {key: value.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    "text, body",
    [
        ("après-demain à 15h", "après-demain à 15h"),
        ("Je préfère l'après-midi", "l'après-midi"),
        ("le 3 décembre à 9h", "le 3 décembre à 9h"),
        ("😷 Ω 中文 rendez-vous après-demain à 15h", "après-demain à 15h"),
        ("J'ai mal 🤒🤒, c'est possible le 3 décembre à 9h ?", "le 3 décembre à 9h"),
    ],
)
def test_body_is_the_exact_substring(server: Server, text: str, body: str) -> None:
    response = server.parse(_fr(text))
    entity = _only_entity(response)
    assert entity["body"] == body
    assert text[entity["start"]:entity["end"]] == body
    assert "Ã" not in response.text


def test_all_dimensions_when_dims_absent_null_or_empty(server: Server) -> None:
    text = "demain à 15h, rappelez le 06 12 34 56 78"
    for dims in (None, "null", "[]"):
        fields = {k: v for k, v in _fr(text).items() if k != "dims"}
        if dims is not None:
            fields["dims"] = dims
        response = server.parse(fields)
        assert response.status_code == 200, (dims, response.text)
        assert {e["dim"] for e in response.json()} >= {"time", "phone-number"}, dims


def test_defaults_follow_the_official_server(server: Server) -> None:
    entity = _only_entity(server.parse({"text": "tomorrow at 3pm", "dims": '["time"]',
                                        "reftime": REFTIME_MS}))
    assert entity["value"]["value"] == "2025-03-13T15:00:00.000-07:00"  # en, America/Los_Angeles
    via_lang = _only_entity(server.parse({"text": "demain à 15h", "lang": "fr",
                                          "tz": "Europe/Paris", "reftime": REFTIME_MS}))
    assert via_lang["value"]["value"] == "2025-03-13T15:00:00.000+01:00"


def test_rasa_duckling_entity_extractor(server: Server, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.extractors.duckling_entity_extractor import DucklingEntityExtractor
    from rasa.shared.nlu.training_data.message import Message

    monkeypatch.delenv("RASA_DUCKLING_HTTP_URL", raising=False)
    extractor = DucklingEntityExtractor.create(
        {**DucklingEntityExtractor.get_default_config(), "url": server.url,
         "locale": "fr_FR", "timezone": "Europe/Paris", "dimensions": ["time"]},
        LocalModelStorage(tmp_path),
        Resource("duckling"),
        ExecutionContext(GraphSchema({}), "test-model"),
    )
    text = "Bonjour, je voudrais un rendez-vous après-demain à 15h s'il vous plaît"
    message = Message(data={"text": text}, time=REFTIME_MS // 1000)
    [processed] = extractor.process([message])
    [entity] = processed.get("entities")
    assert entity["entity"] == "time"
    assert entity["extractor"] == "DucklingEntityExtractor"
    assert entity["value"] == "2025-03-14T15:00:00.000+01:00"
    assert (entity["start"], entity["end"]) == (36, 54)
    assert entity["text"] == text[36:54] == "après-demain à 15h"


T = "demain à 15h"
BAD_INPUT: List[Tuple[str, Union[Dict[str, Any], List[Tuple[str, str]], bytes],
                      Dict[str, str], int, str]] = [
    ("missing text", {"locale": "fr_FR"}, FORM, 400, "missing 'text'"),
    ("empty text", {"text": ""}, FORM, 400, "empty 'text'"),
    ("unknown locale", {"text": T, "locale": "xx_YY"}, FORM, 400, "unknown locale 'xx_YY'"),
    ("malformed locale", {"text": T, "locale": "fr_FR_x"}, FORM, 400, "malformed locale"),
    ("unknown lang", {"text": T, "lang": "klingon"}, FORM, 400, "unknown lang"),
    ("dims not json", {"text": T, "dims": "[time"}, FORM, 400, "bad dims"),
    ("dims not a list", {"text": T, "dims": '{"time": 1}'}, FORM, 400, "bad dims"),
    ("dims not strings", {"text": T, "dims": "[1, 2]"}, FORM, 400, "bad dims"),
    ("unknown dimension", {"text": T, "dims": '["time", "numeral"]'}, FORM, 400,
     "unknown dimension(s) 'numeral'"),
    ("reftime not a number", {"text": T, "reftime": "demain"}, FORM, 400, "bad reftime"),
    ("reftime not integer", {"text": T, "reftime": "1741770000.5"}, FORM, 400, "bad reftime"),
    ("reftime out of range", {"text": T, "reftime": "9" * 16}, FORM, 400, "outside years"),
    ("unknown tz", {"text": T, "tz": "Mars/Olympus_Mons"}, FORM, 400, "unknown tz"),
    ("tz wrong case", {"text": T, "tz": "europe/paris"}, FORM, 400,
     "did you mean 'Europe/Paris'"),
    ("tz path", {"text": T, "tz": "../../../etc/passwd"}, FORM, 400, "unknown tz"),
    ("bad latent", {"text": T, "latent": "oui"}, FORM, 400, "bad latent"),
    ("duplicate field", [("text", T), ("text", T)], FORM, 400, "more than once"),
    ("invalid utf-8", b"text=%C3%28", FORM, 400, "not valid utf-8"),
    ("json body", b'{"text": "demain"}', {"Content-Type": "application/json"}, 415,
     "unsupported Content-Type"),
    ("text over the limit", {"text": "a" * (MAX_CHARS + 1)}, FORM, 413,
     f"text too long: {MAX_CHARS + 1} characters, limit is {MAX_CHARS}"),
    ("body over the limit", {"text": "é" * (MAX_CHARS * 10)}, FORM, 413,
     "Maximum request body size"),
]


@pytest.mark.parametrize("data, headers, status, reason",
                         [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_bad_input_gets_status_and_plain_reason(server: Server, data: Any, headers: Dict[str, str],
                                                status: int, reason: str) -> None:
    response = server.parse(data, headers)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/plain")
    assert reason in response.text


def test_text_at_the_limit_is_accepted(server: Server) -> None:
    response = server.parse({"text": "x" * MAX_CHARS})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("text", ["a\x00 demain à 15h", "🙂", "   ", "\u200b\ufeff"])
def test_odd_text_still_parses(server: Server, text: str) -> None:
    response = server.parse(_fr(text))
    assert response.status_code == 200
    for entity in response.json():
        assert text[entity["start"]:entity["end"]] == entity["body"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/parse", 405), ("PUT", "/parse", 405), ("POST", "/", 405), ("GET", "/nope", 404),
])
def test_wrong_method_or_path(server: Server, method: str, path: str, status: int) -> None:
    assert requests.request(method, server.url + path, timeout=5).status_code == status


def test_burst_of_concurrent_requests(server: Server) -> None:
    phrases = ["après-demain à 15h", "demain matin", "la semaine prochaine", "le 3 avril à 9h",
               "Je préfère l'après-midi", "le 3 décembre à 9h", "dans deux semaines",
               "lundi prochain à 10h30"]
    expected = {p: server.parse(_fr(p)).json() for p in phrases}
    with ThreadPoolExecutor(max_workers=32) as pool:
        texts = [phrases[i % len(phrases)] for i in range(32)]
        responses = list(pool.map(lambda p: (p, server.parse(_fr(p))), texts))
    assert [r.status_code for _, r in responses] == [200] * 32
    assert all(r.json() == expected[p] for p, r in responses)


def _raw_exchange(server: Server, payload: bytes) -> bytes:
    """Send raw bytes, half-close, return whatever the server answers."""
    host, port = server.url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: sock.recv(4096), b""))


def test_logs_never_contain_the_text(server: Server) -> None:
    assert server.parse(_fr(SECRET, dims="null")).status_code == 200
    assert server.parse({"text": SECRET, "tz": "bogus"}).status_code == 400
    secret = SECRET.encode()
    bad_requests = [
        b"GARBAGE /" + secret.replace(b" ", b"-") + b" HTTP/1.1\r\n\r\n",
        b"POST /parse HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + secret + b"\r\n\r\n",
    ]
    truncated = (b"POST /parse HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntext=" + secret)
    for payload in [*bad_requests, truncated]:
        answer = _raw_exchange(server, payload)  # 400 or just a closed connection
        assert answer == b"" or answer.split(b" ")[1] == b"400", answer[:40]
    log = "\n".join(server.log_lines())
    for fragment in ("06 12 34", "ZX-4471", "numéro", "demain", "après"):
        assert fragment not in log
    assert f"POST /parse -> 200 (text_chars={len(SECRET)}" in log


def test_each_locale_is_loaded_once(server: Server) -> None:
    for _ in range(3):
        assert server.parse(_fr("demain")).status_code == 200
        assert server.parse({"text": "tomorrow", "locale": "en_US"}).status_code == 200
    log = server.log_lines()
    for name in ("FR_XX", "EN_US"):
        assert sum(line.endswith(f"loaded Duckling locale {name}") for line in log) == 1


def test_server_is_alive_after_bad_input(server: Server) -> None:
    assert server.process.poll() is None
    assert requests.get(server.url + "/", timeout=5).text == "quack!"
    assert _only_entity(server.parse(_fr("après-demain à 15h")))["end"] == 18
    assert not [line for line in server.log_lines() if "ERROR" in line or "Traceback" in line]


def test_internal_error_is_a_plain_500_and_server_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In-process with a failing engine (no native library): real socket, real HTTP."""
    from aiohttp.test_utils import TestClient, TestServer

    from embedded_duckling.server import ServerConfig, create_app

    class ExplodingEngine:
        timezones = frozenset({"UTC", "America/Los_Angeles"})
        languages = frozenset({"EN", "FR"})
        dimensions = ("time",)

        def parse(self, query: Any) -> List[Dict[str, Any]]:
            raise RuntimeError(f"cannot parse {query.text}")

    async def scenario() -> Tuple[int, str, str]:
        with ThreadPoolExecutor(max_workers=1) as executor:
            app = create_app(ExplodingEngine(), ServerConfig(), executor)
            async with TestClient(TestServer(app)) as client:
                failed = await client.post("/parse", data={"text": SECRET})
                again = await client.get("/")
                return failed.status, await failed.text(), await again.text()

    with caplog.at_level(logging.ERROR, logger="embedded_duckling"):
        status, body, quack = asyncio.run(scenario())
    assert (status, body, quack) == (500, "internal error\n", "quack!")
    assert "RuntimeError" in caplog.text
    assert "06 12 34" not in caplog.text and "ZX-4471" not in caplog.text


def test_bad_configuration_fails_fast_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "embedded_duckling", "--port", "0", "--default-tz", "Mars/Base"],
        cwd=ROOT, capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 1
    assert "cannot start: unknown default tz 'Mars/Base'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_env_and_flags_then_clean_stop(tmp_path: Path, signum: int) -> None:
    port = _free_port()
    server = _start(tmp_path / "server.log", ["--max-text-chars", "20"],
                    {"DUCKLING_PORT": str(port), "DUCKLING_MAX_TEXT_CHARS": "5000"})
    assert server.parse({"text": "x" * 20}).status_code == 200
    assert server.parse({"text": "x" * 21}).status_code == 413  # the flag beats the env
    assert _stop(server, signum) == 0
    lines = server.log_lines()  # INFO level: one line at start, no traceback at exit
    assert len(lines) == 1, lines
    assert lines[0].endswith(f"Duckling (embedded) listening on http://127.0.0.1:{port}")
