"""The Coqui TTS server (``tts_service``) for real: run by ``.venv-tts``, spoken to
by the project's own client, ``CoquiHttpSynthesizer``.

No model can be downloaded here, so ``tests/tts_service/coqui_tiny_model.py`` builds a tiny,
randomly initialised French VITS (16 kHz) in ``.venv-tts``; the server loads it
from its directory as it would a downloaded one. Its speech is noise, so the
tests check the audio's form (WAV, 16-bit mono, rate, length, not silent), the
refusals, that the server survives bad clients, and that its log never holds
the text spoken.

``.venv-tts`` comes from ``scripts/setup_tts_venv.sh``. Without it these tests
are skipped on a laptop and fail in CI (``CI`` set), which must build it.
"""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from tests.conftest import skip_or_fail
from simulation.stack import stop_process
from voice_channel.tts import CoquiHttpSynthesizer, SynthesisError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TTS_PYTHON = PROJECT_ROOT / ".venv-tts" / "bin" / "python"
SAMPLE_RATE = 16000  # the tiny model's (tests/tts_service/coqui_tiny_model.py)
MAX_CHARS = 300  # the server's limit in these tests, below the client's 5000
START_TIMEOUT = 60.0
SENTENCE = "Votre RDV est le mardi 1er décembre à 10h30 avec le docteur Martin."


@dataclass
class CoquiService:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 5.0) -> str:
        """The log once ``pattern`` is in it (the server logs a request after replying)."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if re.search(pattern, log) or time.monotonic() > deadline:
                return log
            time.sleep(0.05)


def _tts_environment() -> Dict[str, str]:
    """The environment without what points at the project's own virtualenv, nor
    the developer's own server settings (the tests pass theirs as options)."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("COQUI_TTS_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_in_tts_venv(*arguments: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TTS_PYTHON), *arguments],
        cwd=PROJECT_ROOT, env=_tts_environment(), capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def tts_venv() -> None:
    """Skip without .venv-tts on a laptop; fail in CI, which must build it."""
    if not TTS_PYTHON.exists():
        skip_or_fail(f"{TTS_PYTHON.relative_to(PROJECT_ROOT)} is missing: run "
                     "scripts/setup_tts_venv.sh", "CI must build it")


@pytest.fixture(scope="module")
def tiny_model(tts_venv: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("coqui-tiny-vits")
    built = _run_in_tts_venv("tests/tts_service/coqui_tiny_model.py", str(directory))
    assert built.returncode == 0, built.stderr[-3000:]
    return directory


@pytest.fixture(scope="module")
def coqui_service(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoquiService]:
    """The real server on a free port (``--port 0``; it logs the one it got)."""
    log_path = tmp_path_factory.mktemp("coqui-service") / "server.log"
    command = [
        str(TTS_PYTHON), "-m", "tts_service", "--model", str(tiny_model),
        "--host", "127.0.0.1", "--port", "0", "--max-chars", str(MAX_CHARS),
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=_tts_environment(),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        match = None
        while match is None:
            if process.poll() is not None:
                pytest.fail(f"tts_service exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                log = log_path.read_text()[-3000:]
                pytest.fail(f"tts_service not listening after {START_TIMEOUT:g} s:\n{log}")
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log_path.read_text())
            time.sleep(0.1)
        yield CoquiService(match.group(1), process, log_path)
    finally:
        stop_process(process)


def _post(url: str, body: bytes, content_type: str = "application/json") -> Tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    return _open(request)


def _open(request: Any) -> Tuple[int, str, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as reply:
            return reply.status, reply.headers.get_content_type(), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def _synthesize(service: CoquiService, payload: Any) -> Tuple[int, str, bytes]:
    return _post(f"{service.url}/synthesize", json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _raw_exchange(service: CoquiService, data: bytes, close_early: bool = False) -> bytes:
    """Bytes sent as they are over a socket (what urllib would refuse to send)."""
    host, port = service.url.rsplit("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(data)
        if close_early:
            return b""
        connection.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- the service and the project's client ----------------------------------------------


def test_health_describes_the_loaded_model(coqui_service: CoquiService, tiny_model: Path) -> None:
    status, content_type, body = _open(f"{coqui_service.url}/health")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {
        "status": "ok",
        "model": str(tiny_model / "model.pth"),
        "sample_rate": SAMPLE_RATE,
        "speakers": None,
        "languages": ["fr"],
        "max_chars": MAX_CHARS,
    }
    CoquiHttpSynthesizer(url=coqui_service.url).check_available()


def test_the_project_client_gets_french_speech(coqui_service: CoquiService) -> None:
    client = CoquiHttpSynthesizer(url=coqui_service.url, language="fr", timeout=30)
    speech = client.synthesize(SENTENCE)
    assert speech.sample_rate == SAMPLE_RATE
    assert 0.2 < speech.duration_seconds < 30
    assert speech.peak > 1000  # noise from random weights, normalised: not silence


def test_the_reply_is_a_16_bit_mono_wav_at_the_model_rate(coqui_service: CoquiService) -> None:
    status, content_type, body = _synthesize(coqui_service, {"text": "Bonjour, ici la clinique."})
    assert (status, content_type) == (200, "audio/wav")
    with wave.open(io.BytesIO(body)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        assert wav.getcomptype() == "NONE"
        assert wav.getnframes() > SAMPLE_RATE // 10


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"text": ""}', "text is empty"),
        (b'{"text": "   \\n "}', "text is empty"),
        (b'{"text": "?! ..."}', "no letter or digit"),
        (
            json.dumps({"text": "a" * (MAX_CHARS + 1)}).encode(),
            f"too long: {MAX_CHARS + 1} characters, at most {MAX_CHARS}",
        ),
        (b"{}", "'text' is required"),
        (b'{"text": 12}', "'text' is required and must be a string"),
        (b'{"text": "Bonjour", "speaker": ["claire"]}', "'speaker' must be a string"),
        (b"pas du json", "must be JSON"),
        (b'"Bonjour"', "must be a JSON object"),
        (b'{"text": "\xff\xfe"}', "must be JSON"),
        (b'{"text": "Bonjour", "speaker": "claire"}', "single voice"),
        (b'{"text": "Bonjour", "language": "de"}', "speaks only fr, not 'de'"),
        ('{"text": "日本語です"}'.encode(), "cannot pronounce any letter or digit"),
    ],
)
def test_bad_requests_get_a_json_400(coqui_service: CoquiService, body: bytes, message: str) -> None:
    status, content_type, reply = _post(f"{coqui_service.url}/synthesize", body)
    assert (status, content_type) == (400, "application/json")
    assert message in json.loads(reply)["error"]


def test_the_model_language_may_be_named_with_a_region(coqui_service: CoquiService) -> None:
    status, content_type, _ = _synthesize(coqui_service, {"text": "Bonjour", "language": "fr-FR"})
    assert (status, content_type) == (200, "audio/wav")


def test_the_client_reports_the_server_refusals(coqui_service: CoquiService) -> None:
    too_long = "Bonjour. " * 40  # 360 characters: within the client's limit, over the server's
    with pytest.raises(SynthesisError, match=r"answered 400: text too long: \d+ characters, at most 300"):
        CoquiHttpSynthesizer(url=coqui_service.url).synthesize(too_long)
    with pytest.raises(SynthesisError, match="answered 400: this model has a single voice"):
        CoquiHttpSynthesizer(url=coqui_service.url, speaker="claire").synthesize("Bonjour")


def test_other_routes_and_methods_get_json_errors(coqui_service: CoquiService) -> None:
    status, content_type, body = _open(f"{coqui_service.url}/tts")
    assert (status, content_type) == (404, "application/json")
    assert "POST /synthesize" in json.loads(body)["error"]
    status, _, body = _open(f"{coqui_service.url}/synthesize")
    assert status == 405 and json.loads(body) == {"error": "use POST on /synthesize"}
    status, _, _ = _post(f"{coqui_service.url}/health", b"{}")
    assert status == 405


def test_the_server_survives_broken_clients(coqui_service: CoquiService) -> None:
    reply = _raw_exchange(coqui_service, b"NOT AN HTTP REQUEST\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 400") and reply.endswith(b'{"error": "Bad Request"}')
    # Refused on its Content-Length alone (the test sends no body: unread bytes
    # left on a closed socket would turn its close into a reset).
    reply = _raw_exchange(
        coqui_service, b"POST /synthesize HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.0 413")
    reply = _raw_exchange(coqui_service, b"POST /synthesize HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 411")
    # A body shorter than announced, then the client hangs up.
    _raw_exchange(
        coqui_service,
        b"POST /synthesize HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"text\": \"Bon",
        close_early=True,
    )
    assert coqui_service.process.poll() is None
    speech = CoquiHttpSynthesizer(url=coqui_service.url).synthesize("Toujours là.")
    assert speech.num_samples > 0


def test_concurrent_requests_are_all_answered(coqui_service: CoquiService) -> None:
    client = CoquiHttpSynthesizer(url=coqui_service.url, timeout=60)
    texts = [f"Rendez-vous numéro {n}, salle {n + 1}." for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        speeches = list(pool.map(client.synthesize, texts))
    assert all(s.sample_rate == SAMPLE_RATE and s.num_samples > 0 for s in speeches)


def test_the_log_has_text_lengths_never_the_text(coqui_service: CoquiService) -> None:
    # A patient's name, and a character outside the model's alphabet: coqui itself
    # would log the whole sentence for it, at WARNING.
    text = "Madame Perrine Lacombe-Vasseur ☎ 06 12 34 56 78"
    status, _, _ = _synthesize(coqui_service, {"text": text})
    assert status == 200
    log = coqui_service.wait_for_log(rf"chars={len(text)} ")
    assert re.search(rf"POST /synthesize status=200 chars={len(text)} audio=\d+\.\d+s took=", log)
    fragments = ("Lacombe", "lacombe", "Perrine", "perrine", "12 34 56")
    others = (SENTENCE, "rendez-vous", "docteur")  # the other tests' texts, raw or rewritten
    for fragment in fragments + others:
        assert fragment not in log


def test_the_server_imports_nothing_from_the_project_venv(tiny_model: Path) -> None:
    """``tts_service`` runs only in .venv-tts: it must not need Rasa or ``voice_channel``."""
    code = (
        "import sys\n"
        "import tts_service.__main__, tts_service.server\n"
        "from tts_service.voice import CoquiVoice, ModelSource\n"
        "CoquiVoice.load(ModelSource.from_argument(sys.argv[1]))\n"
        "project = ('rasa', 'voice_channel', 'actions', 'sanic')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in project))\n"
    )
    probe = _run_in_tts_venv("-c", code, str(tiny_model))
    assert probe.returncode == 0, probe.stderr[-3000:]
    assert probe.stdout.strip().splitlines()[-1] == "[]"
    assert _run_in_tts_venv("-c", "import rasa").returncode != 0


FAILING_VOICE_PROBE = '''
import json, logging, sys, threading, urllib.error, urllib.request
from tts_service.server import SpeechServer
from tts_service.voice import Speech
from tts_service.wav import float_samples_to_wav

logging.basicConfig(level=logging.INFO, stream=sys.stderr)


class FailingVoice:
    """Fails once the way a model might, with the text in its message."""
    description, sample_rate, speakers, languages = "stub", 8000, None, ["fr"]
    failed = False

    def synthesize(self, text, speaker=None, language=None):
        if not self.failed:
            self.failed = True
            raise RuntimeError("cannot align: " + text)
        return Speech(float_samples_to_wav([0.0, 0.5, -0.5], 8000), 3 / 8000)


server = SpeechServer(("127.0.0.1", 0), FailingVoice())
threading.Thread(target=server.serve_forever, daemon=True).start()
replies = []
for _ in range(2):
    request = urllib.request.Request(
        server.url + "/synthesize", data=json.dumps({"text": sys.argv[1]}).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            replies.append([reply.status, reply.headers.get_content_type(), None])
    except urllib.error.HTTPError as error:
        replies.append([error.code, error.headers.get_content_type(), json.loads(error.read())])
server.shutdown()
print(json.dumps(replies))
'''


def test_a_model_failure_is_a_500_without_the_text_and_the_server_goes_on(tts_venv: None) -> None:
    """A trained model cannot be made to fail on demand: a stub voice does, in .venv-tts."""
    text = "Monsieur Aurélien Kerbrat-Lemoine"
    probe = _run_in_tts_venv("-c", FAILING_VOICE_PROBE, text)
    assert probe.returncode == 0, probe.stderr[-3000:]
    first, second = json.loads(probe.stdout.strip().splitlines()[-1])
    assert first == [500, "application/json", {"error": "synthesis failed (RuntimeError)"}]
    assert second == [200, "audio/wav", None]
    assert f"synthesis failed ({len(text)} characters): RuntimeError at" in probe.stderr
    assert "Kerbrat" not in probe.stderr and "Kerbrat" not in probe.stdout
