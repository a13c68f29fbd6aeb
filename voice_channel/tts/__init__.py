"""Text-to-speech for the voice channel: engines behind one interface.

    from voice_channel.tts import synthesizer_from_config
    tts = synthesizer_from_config({"engine": "espeak", "voice": "fr"})  # cached
    speech = tts.synthesize("Votre rendez-vous est le mardi 1er décembre à 10 heures 30.")
    speech.pcm, speech.sample_rate      # 16-bit mono PCM, 22050 Hz for espeak-ng
    speech.to_wav_bytes()               # a WAV for HTTP replies

See ``base`` (interface), ``registry`` (engines by name), ``espeak`` (default engine), ``coqui``
(HTTP client and its server contract), ``spoken_text`` (text rewritten for the
ear) and ``cache`` (LRU cache).
"""
from voice_channel.tts.base import (
    EngineUnavailableError,
    SpeechSynthesizer,
    SynthesisError,
    SynthesisTimeoutError,
    SynthesizedSpeech,
)
from voice_channel.tts.registry import (
    DEFAULT_ENGINE,
    UnknownEngineError,
    available_engines,
    create_synthesizer,
    synthesizer_from_config,
)
from voice_channel.tts.cache import CachedSynthesizer, CacheStats, SpeechCache
from voice_channel.tts.coqui import CoquiHttpSynthesizer
from voice_channel.tts.espeak import EspeakSynthesizer
from voice_channel.tts.spoken_text import neutralize_control_characters, to_spoken_text

__all__ = [
    "DEFAULT_ENGINE",
    "CacheStats",
    "CachedSynthesizer",
    "CoquiHttpSynthesizer",
    "EngineUnavailableError",
    "EspeakSynthesizer",
    "SpeechCache",
    "SpeechSynthesizer",
    "SynthesisError",
    "SynthesisTimeoutError",
    "SynthesizedSpeech",
    "UnknownEngineError",
    "available_engines",
    "create_synthesizer",
    "neutralize_control_characters",
    "synthesizer_from_config",
    "to_spoken_text",
]
