"""Text-to-speech engines: espeak-ng, the Coqui HTTP client, the spoken-text
rewriting and the LRU cache (``voice_channel/tts``).

espeak-ng must be installed (CI installs it); on a laptop without it the tests
that run it are skipped, in CI (``CI`` set) they fail.
"""
from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import socket
import stat
import struct
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any, Iterator, List, Mapping, Optional

import numpy as np
import pytest

from voice_channel.tts import (
    CachedSynthesizer,
    CoquiHttpSynthesizer,
    EngineUnavailableError,
    EspeakSynthesizer,
    SpeechCache,
    SpeechSynthesizer,
    SynthesisError,
    SynthesisTimeoutError,
    SynthesizedSpeech,
    UnknownEngineError,
    available_engines,
    create_synthesizer,
    synthesizer_from_config,
    to_spoken_text,
)
from voice_channel.tts import espeak as espeak_module
from tests.conftest import skip_or_fail

SENTENCE = "Votre rendez-vous est le mardi 1er décembre à 10 heures 30."


@pytest.fixture(scope="module")
def espeak_installed() -> None:
    if shutil.which("espeak-ng") is None:
        skip_or_fail("espeak-ng is not installed", "CI must install it")


@pytest.fixture
def espeak(espeak_installed: None) -> EspeakSynthesizer:
    return EspeakSynthesizer()


@pytest.fixture
def espeak_calls(monkeypatch: pytest.MonkeyPatch) -> List[List[str]]:
    """Every command that the espeak engine runs."""
    calls: List[List[str]] = []
    real_run = espeak_module.subprocess.run

    def counting_run(command: List[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(list(command))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(espeak_module.subprocess, "run", counting_run)
    return calls


# --- espeak-ng -----------------------------------------------------------------------


def test_espeak_speaks_a_french_sentence(espeak: EspeakSynthesizer) -> None:
    # How long espeak-ng takes is measured by the benches (bench/voice_http.py reports the
    # "tts" stage of every spoken turn), not here.
    speech = espeak.synthesize(SENTENCE)

    assert speech.sample_rate == 22050
    assert 2.0 < speech.duration_seconds < 7.0  # 11 words at 165 words a minute: ~4 s
    samples = speech.samples()
    assert samples.dtype == np.int16
    assert speech.peak > 5000
    assert np.mean(np.abs(samples) > 500) > 0.2  # mostly speech, not silence

    with wave.open(io.BytesIO(speech.to_wav_bytes())) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.readframes(wav.getnframes()) == speech.pcm


def test_espeak_settings_change_the_audio(espeak_installed: None) -> None:
    slow = EspeakSynthesizer(rate=120).synthesize(SENTENCE)
    fast = EspeakSynthesizer(rate=260).synthesize(SENTENCE)
    assert slow.duration_seconds > 1.5 * fast.duration_seconds
    quiet = EspeakSynthesizer(amplitude=20).synthesize("Bonjour")
    loud = EspeakSynthesizer(amplitude=150).synthesize("Bonjour")
    assert loud.peak > 2 * quiet.peak


def test_espeak_voice_variant(espeak_installed: None) -> None:
    assert EspeakSynthesizer(voice="fr+f3", pitch=60).synthesize("Bonjour").peak > 1000


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("à 10h30", "œʁ", "aʃ"),  # "heures", not "hache"
        ("votre RDV", "ʁɑ̃d", "ɛʁd"),  # "rendez-vous", not "R D V"
        ("à 1h15", "yn", "œ̃"),  # "une heure", not "un heure"
        ("la 1re visite", "pʁəmjˈɛʁ", "ʁə-"),
        ("Dr. Martin", "dɔktˈœʁ maʁtˈɛ̃", "|"),  # no full stop after "docteur"
        ("téléphone 06 12 34 56 78", "zeʁo sˈis | dˈuz | tʁɑ̃tkˈatʁ", "zeʁo sˈi dˈuz"),
        ("dossier 4 8 2", "kˈatʁ | yˈit | dˈø", "yˈi dˈø"),  # "huit" whole, with pauses
        ("le mardi 1er décembre", "pʁəmjˈe", "ˈœ̃"),
        ("-v en --help", "vˈe ɑ̃", "eSpeak"),  # text, never options (no usage text)
        ("[[h@'loU]]", "lˈo", "həl"),  # no raw phoneme input
    ],
)
def test_espeak_reads_the_rewritten_text(
    espeak: EspeakSynthesizer, text: str, present: str, absent: str
) -> None:
    phonemes = espeak.phonemes(text)
    assert present in phonemes
    assert absent not in phonemes


def test_espeak_passes_the_text_on_stdin_without_shell(
    espeak: EspeakSynthesizer, espeak_calls: List[List[str]]
) -> None:
    espeak.synthesize("Jean Dupont, 06 12 34 56 78")
    (command,) = espeak_calls
    assert "--stdin" in command and "--stdout" in command
    assert not any("Dupont" in argument for argument in command)  # not visible in ps
    assert command[command.index("-v") + 1] == "fr"


def test_missing_espeak_binary_is_a_clear_error(tmp_path: Any) -> None:
    synthesizer = EspeakSynthesizer(binary=str(tmp_path / "no-such-espeak-ng"))
    with pytest.raises(EngineUnavailableError, match="install espeak-ng"):
        synthesizer.synthesize("Bonjour")
    with pytest.raises(EngineUnavailableError, match="install espeak-ng"):
        synthesizer.check_available()


def test_espeak_timeout(tmp_path: Any) -> None:
    """A hanging espeak-ng is killed at the timeout: the error comes while it still hangs
    (it never reaches its end), and no process is left behind."""
    hanging = tmp_path / "espeak-ng"
    pid_file, finished = tmp_path / "pid", tmp_path / "finished"
    hanging.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nsleep 5\necho done > {finished}\n")
    hanging.chmod(hanging.stat().st_mode | stat.S_IXUSR)
    synthesizer = EspeakSynthesizer(binary=str(hanging), timeout=0.3)
    with pytest.raises(SynthesisTimeoutError, match="espeak-ng took more than 0.3 s"):
        synthesizer.synthesize("Bonjour")
    assert not finished.exists()  # cut at the timeout, not waited for to its end
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)


def test_espeak_unknown_voice(espeak_installed: None) -> None:
    with pytest.raises(SynthesisError, match="voice 'zz-nope'"):
        EspeakSynthesizer(voice="zz-nope").synthesize("Bonjour")


@pytest.mark.parametrize(
    "options",
    [{"voice": "-w/tmp/x.wav"}, {"voice": "fr fr"}, {"rate": 5}, {"pitch": 120}, {"timeout": 0}],
)
def test_espeak_rejects_bad_settings(options: Mapping[str, Any]) -> None:
    with pytest.raises(ValueError):
        EspeakSynthesizer(**options)


@pytest.mark.parametrize("text", ["", "   ", "« » ...", "\n\t"])
def test_nothing_to_say(espeak: EspeakSynthesizer, text: str) -> None:
    with pytest.raises(ValueError, match="nothing to say"):
        espeak.synthesize(text)


def test_text_too_long(espeak_installed: None) -> None:
    with pytest.raises(ValueError, match="too long"):
        EspeakSynthesizer(max_chars=50).synthesize("Bonjour. " * 10)


def test_synthesize_async(espeak: EspeakSynthesizer) -> None:
    speech = asyncio.run(espeak.synthesize_async("Bonjour"))
    assert speech.duration_seconds > 0.3


# --- spoken text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # already read right by espeak-ng: unchanged
        ("le mardi 1er décembre à 10 heures 30", "le mardi 1er décembre à 10 heures 30"),
        ("lundi 1er février 2027 à 9 heures 5", "lundi 1er février 2027 à 9 heures 5"),
        ("le 15, ou le 112.", "le 15, ou le 112."),
        ("Puis-je faire autre chose pour vous ?", "Puis-je faire autre chose pour vous ?"),
        ("avec la docteure Claire Martin.", "avec la docteure Claire Martin."),
        ("11 heures", "11 heures"),
        ("à 10 heures 21 décembre", "à 10 heures 21 décembre"),
        ("1 000 euros", "1 000 euros"),
        ("dossier 4 2", "dossier 4 2"),
        # phone numbers: pairs with a pause each
        ("téléphone 06 12 34 56 78", "téléphone 06, 12, 34, 56, 78"),
        ("téléphone 06 12 34 56 78, le mardi", "téléphone 06, 12, 34, 56, 78, le mardi"),
        ("0612345678", "06, 12, 34, 56, 78"),
        ("06.12.34.56.78", "06, 12, 34, 56, 78"),
        ("+33 6 12 34 56 78", "06, 12, 34, 56, 78"),
        ("+33 (0)1 44 55 66 77", "01, 44, 55, 66, 77"),
        # dictated digits: one by one, with a pause each
        ("dossier 4 8 2 9 1 3", "dossier 4, 8, 2, 9, 1, 3"),
        ("dossier 4 8 2 9 1 3, téléphone", "dossier 4, 8, 2, 9, 1, 3, téléphone"),
        # clock times
        ("à 10h30", "à 10 heures 30"),
        ("à 10h", "à 10 heures"),
        ("à 9 h 05", "à 9 heures 5"),
        ("14h00", "14 heures"),
        ("à 0h30", "à 0 heure 30"),
        ("de 8h-12h", "de 8 heures à 12 heures"),
        ("de 8h30 à 12h", "de 8 heures 30 à 12 heures"),
        ("10 ha de forêt", "10 ha de forêt"),
        # feminine "heure", "minute"
        ("à 1h15", "à une heure 15"),
        ("1 heure", "une heure"),
        ("à 21h", "à vingt et une heures"),
        ("21 heures 45", "vingt et une heures 45"),
        ("10 heures 21", "10 heures vingt et une"),
        ("9 heures 1.", "9 heures une."),
        ("dans 1 minute", "dans une minute"),
        # ordinals
        ("la 1re visite", "la première visite"),
        ("les 1res visites", "les premières visites"),
        ("le 2e étage", "le 2ème étage"),
        ("le 1er et le 3ème", "le 1er et le 3ème"),
        # abbreviations
        ("le Dr Martin", "le docteur Martin"),
        ("le Dr. Martin", "le docteur Martin"),
        ("la Dre Martin", "la docteure Martin"),
        ("le Pr. Dubois", "le professeur Dubois"),
        ("M. Dupont et Mme Durand", "monsieur Dupont et madame Durand"),
        ("votre RDV", "votre rendez-vous"),
        ("vos rdv du mois", "vos rendez-vous du mois"),
        ("N° 12", "numéro 12"),
        ("tél. 06 12 34 56 78", "téléphone 06, 12, 34, 56, 78"),
        # quotes dropped, punctuation kept
        ("dites « je veux parler à quelqu'un » ou", "dites je veux parler à quelqu'un ou"),
        ("dites « oui », ou « non ».", "dites oui, ou non."),
        ("dites “oui” ou \"non\"", "dites oui ou non"),
        ("l’accueil", "l’accueil"),
        # control characters neutralized
        ("Bonjour\nmadame\tDupont", "Bonjour madame Dupont"),
        ("a\x00b\x1bc", "a b c"),
        ("zéro\u200bwidth\u202eok", "zérowidthok"),
        ("10\u00a0heures\u202f30 ?", "10 heures 30 ?"),
        (
            "Je récapitule : rendez-vous pour Jean Dupont, dossier 4 8 2 9 1 3, "
            "téléphone 06 12 34 56 78, le mardi 1er décembre à 10 heures 30, "
            "avec la docteure Claire Martin. Je confirme ?",
            "Je récapitule : rendez-vous pour Jean Dupont, dossier 4, 8, 2, 9, 1, 3, "
            "téléphone 06, 12, 34, 56, 78, le mardi 1er décembre à 10 heures 30, "
            "avec la docteure Claire Martin. Je confirme ?",
        ),
    ],
)
def test_spoken_text(text: str, spoken: str) -> None:
    assert to_spoken_text(text) == spoken
    assert to_spoken_text(spoken) == spoken  # idempotent


# --- cache ------------------------------------------------------------------------


class CountingSynthesizer(SpeechSynthesizer):
    """100 bytes of PCM per character of text; counts its calls."""

    def __init__(self, voice: str = "a", delay: float = 0.0, fail_on: str = "") -> None:
        self.voice, self.delay, self.fail_on = voice, delay, fail_on
        self.calls: List[str] = []
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "counting"

    @property
    def settings(self) -> Mapping[str, Any]:
        return {"voice": self.voice}

    def synthesize(self, text: str) -> SynthesizedSpeech:
        with self._lock:
            self.calls.append(text)
        time.sleep(self.delay)
        if text == self.fail_on:
            raise SynthesisError("boom")
        return SynthesizedSpeech(b"\x01\x00" * 50 * len(text), 8000)


def test_cache_hit_avoids_a_second_espeak_run(
    espeak: EspeakSynthesizer, espeak_calls: List[List[str]]
) -> None:
    cached = CachedSynthesizer(espeak)
    first = cached.synthesize(SENTENCE)
    second = cached.synthesize(SENTENCE)
    assert second is first  # the hit is the stored speech...
    assert len(espeak_calls) == 1  # ... and espeak-ng did not run again

    cached.synthesize("Au revoir.")
    assert len(espeak_calls) == 2

    # one cache shared by two voices: the settings are part of the key
    other_voice = CachedSynthesizer(EspeakSynthesizer(rate=200), cache=cached.cache)
    assert other_voice.synthesize(SENTENCE) is not first
    assert len(espeak_calls) == 3
    assert other_voice.synthesize(SENTENCE) is not first
    assert len(espeak_calls) == 3
    stats = cached.cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (2, 3, 3)


def test_cache_evicts_least_recently_used_by_count() -> None:
    inner = CountingSynthesizer()
    cached = CachedSynthesizer(inner, max_entries=2)
    for text in ["un", "deux", "un", "trois", "un", "deux"]:
        cached.synthesize(text)
    # "un" was kept (used recently), "deux" was evicted by "trois", then re-made
    assert inner.calls == ["un", "deux", "trois", "deux"]
    stats = cached.cache.stats()
    assert (stats.entries, stats.evictions, stats.hits, stats.misses) == (2, 2, 2, 4)


def test_cache_is_bounded_in_bytes() -> None:
    inner = CountingSynthesizer()
    cached = CachedSynthesizer(inner, max_entries=100, max_bytes=1000)
    cached.synthesize("aaaa")  # 400 bytes
    cached.synthesize("bbbb")  # 400 bytes
    cached.synthesize("cc")  # 200 bytes: 1000, at the bound
    assert cached.cache.stats().bytes == 1000 and len(cached.cache) == 3
    cached.synthesize("d")  # 100 more: "aaaa" goes
    assert cached.cache.stats().bytes == 700
    assert (inner.cache_key(), "aaaa") not in cached.cache

    big = cached.synthesize("x" * 11)  # 1100 bytes: returned, never stored
    assert big.nbytes == 1100
    assert cached.cache.stats().bytes == 700
    cached.synthesize("x" * 11)
    assert inner.calls.count("x" * 11) == 2


def test_cache_synthesizes_a_text_once_under_concurrency() -> None:
    inner = CountingSynthesizer(delay=0.2)
    cached = CachedSynthesizer(inner)
    results: List[SynthesizedSpeech] = []
    threads = [threading.Thread(target=lambda: results.append(cached.synthesize("bonjour"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inner.calls == ["bonjour"]
    assert len(results) == 8 and all(result is results[0] for result in results)


def test_cache_does_not_keep_failures() -> None:
    inner = CountingSynthesizer(fail_on="panne")
    cached = CachedSynthesizer(inner)
    for _ in range(2):
        with pytest.raises(SynthesisError, match="boom"):
            cached.synthesize("panne")
    assert inner.calls == ["panne", "panne"]
    assert len(cached.cache) == 0


def test_prefetch() -> None:
    inner = CountingSynthesizer()
    cached = CachedSynthesizer(inner)
    assert cached.prefetch(["Bonjour.", "Au revoir.", "Bonjour."]) == 2
    cached.synthesize("Au revoir.")
    assert inner.calls == ["Bonjour.", "Au revoir."]


def test_cache_rejects_empty_bounds() -> None:
    with pytest.raises(ValueError):
        SpeechCache(max_entries=0)


# --- Coqui HTTP client against a fake server of the documented contract ---------


def _wav(samples: np.ndarray, rate: int, channels: int = 1, float32: bool = False) -> bytes:
    if float32:
        data = samples.astype("<f4").tobytes()
        fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * 4 * channels, 4 * channels, 32)
    else:
        data = samples.astype("<i2").tobytes()
        fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client that timed out has hung up: a broken pipe is expected


class _ToneModel:
    """What ``tts_service.voice.CoquiVoice`` reads of a loaded coqui-tts model (its
    voices, languages and rate), speaking 0.1 s of 440 Hz per word; "panne" makes it fail
    as a model might."""

    def __init__(self, speakers: Optional[List[str]], languages: List[str]) -> None:
        self.is_multi_speaker = speakers is not None
        self.speakers = list(speakers or [])
        self.is_multi_lingual = len(languages) > 1
        self.synthesizer = SimpleNamespace(
            output_sample_rate=16000,
            tts_model=SimpleNamespace(language_manager=SimpleNamespace(language_names=languages)))

    def tts(self, text: str, speaker: Optional[str] = None,
            language: Optional[str] = None) -> np.ndarray:
        if text == "panne":
            raise RuntimeError("modèle non chargé")
        t = np.arange(int(0.1 * len(text.split()) * 16000)) / 16000
        return 0.5 * np.sin(2 * np.pi * 440 * t)


# The shipped model (tts_models/fr/css10/vits), as tests/tts_service/coqui_tiny_model.py builds its
# stand-in: one voice, French.
SINGLE_VOICE = {"speakers": None, "languages": ["fr"]}
TWO_VOICES = {"speakers": ["claire", "louis"], "languages": ["fr"]}


class FakeCoquiServer:
    """``POST /synthesize`` and ``GET /health`` over HTTP, answered as the real server
    (``tts_service``) answers them: the body is read by its ``parse_speech_request``, the
    speaker and language are checked and the WAV made by a real ``CoquiVoice`` over a
    model that speaks a tone (:class:`_ToneModel`, ``model`` its voices and languages),
    so a request the real server refuses is refused here too, with its status and error.
    (tests/tts_service/test_coqui_service.py runs the real server itself, in .venv-tts.)

    Texts steer what the real server cannot be made to do on demand: "lent" is held
    until ``release`` is set (or 30 s), "json" answers 200 with JSON, "stéréo" sends a
    float32 stereo WAV; "panne" makes the model fail (the real server's 500).
    ``replied`` lists the texts answered, in order.
    """

    def __init__(self, model: Mapping[str, Any] = SINGLE_VOICE) -> None:
        from tts_service.server import DEFAULT_MAX_CHARS, BadRequest, parse_speech_request
        from tts_service.voice import CoquiVoice, RequestRejected

        self.requests: List[dict] = []
        self.replied: List[str] = []
        self.health_status = "ok"
        self.release = threading.Event()
        self.voice = CoquiVoice(_ToneModel(**model), "tone stand-in")
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/health":
                    return self._send(404, "application/json", b'{"error": "not found"}')
                self._send(200, "application/json", json.dumps({
                    "status": server.health_status, "speakers": server.voice.speakers,
                    "languages": server.voice.languages}).encode())

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/synthesize":
                    return self._send(404, "application/json", b'{"error": "not found"}')
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    text, speaker, language = parse_speech_request(body, DEFAULT_MAX_CHARS)
                except BadRequest as refusal:
                    return self._error(refusal.status, refusal.message)
                server.requests.append({"body": json.loads(body.decode("utf-8")),
                                        "content_type": self.headers.get("Content-Type")})
                if text == "lent":
                    server.release.wait(30)
                if text == "json":
                    return self._send(200, "application/json", b'{"audio": "..."}', text)
                if text.startswith("stéréo"):
                    t = np.arange(int(0.1 * len(text.split()) * 16000)) / 16000
                    tone = np.sin(2 * np.pi * 440 * t)
                    stereo = np.stack([tone * 0.5, tone * 0.5], axis=1).reshape(-1)
                    return self._send(200, "audio/wav",
                                      _wav(stereo, 24000, channels=2, float32=True), text)
                try:
                    speech = server.voice.synthesize(text, speaker=speaker, language=language)
                except RequestRejected as refusal:  # as the real server: 400
                    return self._error(400, str(refusal))
                except Exception as error:  # as the real server: 500, its type only
                    return self._error(500, f"synthesis failed ({type(error).__name__})")
                self._send(200, "audio/wav", speech.wav, text)

            def _error(self, status: int, message: str) -> None:
                self._send(status, "application/json",
                           json.dumps({"error": message}, ensure_ascii=False).encode("utf-8"))

            def _send(self, status: int, content_type: str, payload: bytes,
                      text: Optional[str] = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                if text is not None:
                    server.replied.append(text)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> "FakeCoquiServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def coqui_server() -> Iterator[FakeCoquiServer]:
    with FakeCoquiServer() as server:
        yield server


@pytest.fixture
def two_voice_server() -> Iterator[FakeCoquiServer]:
    with FakeCoquiServer(TWO_VOICES) as server:
        yield server


def test_coqui_client_follows_the_contract(two_voice_server: FakeCoquiServer) -> None:
    client = CoquiHttpSynthesizer(url=two_voice_server.url + "/", speaker="claire", language="fr")
    speech = client.synthesize("Votre RDV est à 10h30.")
    assert speech.sample_rate == 16000
    assert speech.duration_seconds == pytest.approx(0.7)  # 7 words (after rewriting)
    assert speech.peak > 15000
    (request,) = two_voice_server.requests
    assert request["body"] == {
        "text": "Votre rendez-vous est à 10 heures 30.",
        "speaker": "claire",
        "language": "fr",
    }
    assert request["content_type"].startswith("application/json")


def test_coqui_client_sends_only_text_by_default(coqui_server: FakeCoquiServer) -> None:
    CoquiHttpSynthesizer(url=coqui_server.url, normalize=False).synthesize("à 10h30")
    assert coqui_server.requests[0]["body"] == {"text": "à 10h30"}


@pytest.mark.parametrize(("model", "options", "refusal"), [
    (SINGLE_VOICE, {"speaker": "claire"}, "this model has a single voice"),
    (TWO_VOICES, {}, "this model has 2 voices: choose one with 'speaker'"),
    (TWO_VOICES, {"speaker": "marcel"}, "unknown speaker 'marcel'"),
    (SINGLE_VOICE, {"language": "en"}, "this model speaks only fr, not 'en'"),
])
def test_coqui_client_reports_what_the_server_refuses(
    model: Mapping[str, Any], options: Mapping[str, Any], refusal: str
) -> None:
    """A speaker or language the model does not have is refused (400) by the real
    server's checks, and the client says why."""
    with FakeCoquiServer(model) as server:
        with pytest.raises(SynthesisError, match=f"answered 400: {re.escape(refusal)}"):
            CoquiHttpSynthesizer(url=server.url, **options).synthesize("Bonjour")
        assert server.replied == []


def test_coqui_client_mixes_down_float_stereo(coqui_server: FakeCoquiServer) -> None:
    speech = CoquiHttpSynthesizer(url=coqui_server.url).synthesize("stéréo deux mots")
    assert speech.sample_rate == 24000
    assert speech.num_samples == int(0.3 * 16000)
    assert 15000 < speech.peak <= 16384


def test_coqui_client_timeout(coqui_server: FakeCoquiServer) -> None:
    """The client gives up at its timeout while the server still holds the request."""
    client = CoquiHttpSynthesizer(url=coqui_server.url, timeout=0.3)
    with pytest.raises(SynthesisTimeoutError, match="did not answer within 0.3 s"):
        client.synthesize("lent")
    assert [r["body"]["text"] for r in coqui_server.requests] == ["lent"]
    assert coqui_server.replied == []  # the server had not answered yet


def test_coqui_client_server_error(coqui_server: FakeCoquiServer) -> None:
    with pytest.raises(SynthesisError, match=r"answered 500: synthesis failed \(RuntimeError\)"):
        CoquiHttpSynthesizer(url=coqui_server.url).synthesize("panne")


def test_coqui_client_rejects_a_reply_that_is_not_wav(coqui_server: FakeCoquiServer) -> None:
    with pytest.raises(SynthesisError, match="'application/json', not audio/wav"):
        CoquiHttpSynthesizer(url=coqui_server.url).synthesize("json")


def test_coqui_client_unreachable_server() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CoquiHttpSynthesizer(url=f"http://127.0.0.1:{port}")
    with pytest.raises(EngineUnavailableError, match="is unreachable"):
        client.synthesize("Bonjour")


def test_coqui_client_checks_the_health_route(coqui_server: FakeCoquiServer) -> None:
    client = CoquiHttpSynthesizer(url=coqui_server.url)
    client.check_available()
    coqui_server.health_status = "loading"
    with pytest.raises(EngineUnavailableError, match="not ready: status 'loading'"):
        client.check_available()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EngineUnavailableError, match="unreachable"):
        CoquiHttpSynthesizer(url=f"http://127.0.0.1:{port}").check_available()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/", "localhost:5002"])
def test_coqui_client_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        CoquiHttpSynthesizer(url=url)


def test_coqui_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COQUI_TTS_URL", "http://tts.internal:5002")
    assert CoquiHttpSynthesizer().endpoint == "http://tts.internal:5002/synthesize"


# --- registry and audio container ---------------------------------------------------


def test_registry() -> None:
    assert available_engines() == ("coqui", "espeak")
    assert isinstance(create_synthesizer(), EspeakSynthesizer)
    assert create_synthesizer("espeak", voice="fr-be").settings["voice"] == "fr-be"
    coqui = create_synthesizer("Coqui", url="http://127.0.0.1:5002")
    assert isinstance(coqui, CoquiHttpSynthesizer) and coqui.name == "coqui"
    with pytest.raises(UnknownEngineError, match="known: coqui, espeak"):
        create_synthesizer("piper")
    with pytest.raises(ValueError, match="invalid options"):
        create_synthesizer("espeak", colour="blue")


def test_synthesizer_from_config() -> None:
    cached = synthesizer_from_config({"engine": "espeak", "voice": "fr", "cache": {"max_entries": 3}})
    assert isinstance(cached, CachedSynthesizer) and cached.name == "espeak"
    assert cached.cache.max_entries == 3
    assert isinstance(synthesizer_from_config(None), CachedSynthesizer)
    assert isinstance(synthesizer_from_config({"cache": False}), EspeakSynthesizer)


def test_speech_wav_round_trip_and_streaming_header() -> None:
    speech = SynthesizedSpeech.from_samples(np.array([0, 1000, -1000, 32767], dtype=np.int16), 8000)
    assert SynthesizedSpeech.from_wav_bytes(speech.to_wav_bytes()) == speech
    streamed = bytearray(speech.to_wav_bytes())
    streamed[4:8] = streamed[40:44] = struct.pack("<I", 0x7FFFF000)  # as espeak-ng --stdout
    assert SynthesizedSpeech.from_wav_bytes(bytes(streamed)) == speech
    with pytest.raises(SynthesisError, match="not a RIFF/WAVE"):
        SynthesizedSpeech.from_wav_bytes(b"ID3 not a wav")
    with pytest.raises(ValueError):
        SynthesizedSpeech(b"\x00\x00\x00", 8000)
