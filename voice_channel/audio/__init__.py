"""Audio for the voice channel: decode uploads to 16 kHz mono PCM, write WAVs."""
from voice_channel.audio.decode import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    AudioError,
    AudioTooLarge,
    AudioTooLong,
    DecodedAudio,
    UnsupportedAudio,
    decode_audio,
    decode_to_pcm16k,
)
from voice_channel.audio.pcm import SAMPLE_RATE, to_float32, to_int16
from voice_channel.audio.wav import WavAudio, WavError, concat_wav, encode_wav, read_wav

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_SECONDS", "SAMPLE_RATE",
    "AudioError", "AudioTooLarge", "AudioTooLong", "UnsupportedAudio", "DecodedAudio",
    "decode_audio", "decode_to_pcm16k", "to_float32", "to_int16",
    "WavAudio", "WavError", "concat_wav", "encode_wav", "read_wav",
]
