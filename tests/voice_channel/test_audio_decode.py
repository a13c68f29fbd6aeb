"""Decoding uploads to 16 kHz mono PCM (PyAV) and writing/joining WAVs.

Every input is made at test time: PyAV encodes WAV/FLAC/Ogg Opus/WebM/MP3/M4A/AAC,
sox converts, espeak-ng speaks (both Debian packages, installed by .ci/run).
"""
from __future__ import annotations

import io

import numpy as np
import pytest

from simulation.synthetic_audio import encode_with_pyav, espeak_wav, sox_convert, tone
from voice_channel.audio import (
    AudioError,
    AudioTooLarge,
    AudioTooLong,
    UnsupportedAudio,
    WavError,
    concat_wav,
    decode_audio,
    decode_to_pcm16k,
    encode_wav,
    read_wav,
)
from voice_channel.audio.decode import DEFAULT_MAX_SECONDS, sniff_format
from voice_channel.audio.pcm import to_float32, to_int16

RATE = 16000


def dominant_frequency(samples: np.ndarray, rate: int = RATE) -> float:
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    return float(np.fft.rfftfreq(len(middle), 1 / rate)[spectrum.argmax()])


def steady_level(samples: np.ndarray) -> float:
    """Peak level away from codec start/end transients."""
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    return float(np.percentile(np.abs(middle), 99.5))


FORMATS = [
    # container, codec, channels, source rate, expected container label, duration slack (s)
    ("wav", "pcm_s16le", 1, 44100, "wav", 0.01),
    ("wav", "pcm_s24le", 2, 48000, "wav", 0.01),
    ("wav", "pcm_s32le", 2, 22050, "wav", 0.01),
    ("wav", "pcm_f32le", 2, 8000, "wav", 0.01),
    ("wav", "pcm_u8", 1, 11025, "wav", 0.01),
    ("wav", "pcm_mulaw", 1, 8000, "wav", 0.01),
    ("flac", "flac", 2, 44100, "flac", 0.01),
    ("ogg", "libopus", 1, 48000, "ogg", 0.03),
    ("webm", "libopus", 2, 48000, "matroska", 0.03),
    ("mp3", "libmp3lame", 2, 44100, "mp3", 0.06),
    ("mp4", "aac", 1, 44100, "mp4", 0.06),
    ("adts", "aac", 1, 44100, "aac", 0.06),
]


@pytest.mark.parametrize("container,codec,channels,rate,label,slack", FORMATS,
                         ids=[f"{f[0]}-{f[1]}-{f[2]}ch-{f[3]}" for f in FORMATS])
def test_every_format_decodes_to_16k_mono_float(container, codec, channels, rate, label, slack):
    data = encode_with_pyav(tone(2.0, 440.0, rate), rate, container, codec, channels=channels)
    decoded = decode_audio(data)
    assert decoded.sample_rate == RATE
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.container == label
    assert decoded.source_sample_rate == rate and decoded.source_channels == channels
    assert decoded.duration == pytest.approx(2.0, abs=slack)
    assert dominant_frequency(decoded.samples) == pytest.approx(440.0, abs=3.0)
    # Channels are averaged, not summed: a 0.5 tone on both sides stays at 0.5.
    assert steady_level(decoded.samples) == pytest.approx(0.5, abs=0.05 if "pcm" in codec else 0.1)


def test_stereo_is_averaged_to_mono():
    import av

    left = tone(1.0, 440.0, 44100)
    planar = np.stack([left, -left])  # opposite phases cancel out when averaged
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=44100, layout="stereo")
        frame = av.AudioFrame.from_ndarray(planar.astype(np.float32), format="fltp", layout="stereo")
        frame.sample_rate = 44100
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=44100)
        for converted in resampler.resample(frame):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    decoded = decode_audio(buffer.getvalue())
    assert np.abs(decoded.samples).max() < 0.01


def test_espeak_wav_resampled_from_22050():
    data = espeak_wav("Bonjour, ici la clinique.")
    source = read_wav(data)
    assert source.sample_rate == 22050
    decoded = decode_audio(data)
    assert decoded.container == "wav" and decoded.codec == "pcm_s16le"
    assert decoded.duration == pytest.approx(source.duration, abs=0.002)
    assert 0.05 < np.abs(decoded.samples).max() <= 1.0


@pytest.mark.parametrize("suffix,args,label", [
    (".wav", ("-r", "44100", "-b", "24", "-c", "2"), "wav"),
    (".wav", ("-r", "8000", "-b", "8", "-e", "unsigned-integer"), "wav"),
    (".flac", ("-r", "48000",), "flac"),
    (".aiff", ("-r", "32000",), "aiff"),
])
def test_sox_conversions_decode(suffix, args, label):
    speech = espeak_wav("Je voudrais un rendez-vous.")
    reference = decode_audio(speech)
    converted = sox_convert(speech, suffix, *args)
    decoded = decode_audio(converted)
    assert decoded.container == label
    assert decoded.duration == pytest.approx(reference.duration, abs=0.01)


def test_int16_output_paths_and_file_objects(tmp_path):
    data = encode_with_pyav(tone(1.0, 440.0, 22050), 22050, "wav", "pcm_s16le")
    pcm = decode_to_pcm16k(data, dtype="int16")
    assert pcm.dtype == np.int16 and len(pcm) == pytest.approx(RATE, abs=2)
    assert np.abs(pcm).max() == pytest.approx(0.5 * 32767, rel=0.02)
    path = tmp_path / "tone.wav"
    path.write_bytes(data)
    assert np.array_equal(decode_audio(path).samples, decode_audio(io.BytesIO(data)).samples)
    assert np.array_equal(decode_audio(bytearray(data)).samples, decode_audio(memoryview(data)).samples)
    with pytest.raises(ValueError):
        decode_to_pcm16k(data, dtype="float64")


@pytest.mark.parametrize("payload", [
    b"",
    b"hello, this is plain text and not audio at all",
    np.random.default_rng(0).bytes(5000),
    b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n",  # a playlist is never handed to FFmpeg
    b"ffconcat version 1.0\nfile /etc/passwd\n",
    b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk",
    b"OggS" + b"\x00" * 100,
    b"fLaC" + b"\x00" * 50,
    b"\x1a\x45\xdf\xa3" + b"\x00" * 64,
    b"\xff\xfb" + np.random.default_rng(1).bytes(3000),
], ids=["empty", "text", "random", "hls", "concat", "bad-wav", "bad-ogg", "bad-flac", "bad-webm",
        "bad-mp3"])
def test_undecodable_input_raises_unsupported_audio(payload):
    with pytest.raises(UnsupportedAudio) as raised:
        decode_audio(payload)
    assert raised.value.http_status == 415 and raised.value.code == "unsupported_audio"
    assert isinstance(raised.value, AudioError) and isinstance(raised.value, ValueError)


def test_sniffing_knows_the_supported_containers():
    assert sniff_format(b"RIFF\x10\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff_format(b"RF64\xff\xff\xff\xffWAVEds64") == "wav"
    assert sniff_format(b"\x00\x00\x00\x20ftypM4A \x00\x00") == "mp4"
    assert sniff_format(b"FORM\x00\x00\x00\x00AIFFCOMM") == "aiff"
    assert sniff_format(b"\xff\xf1\x50\x80") == "aac"
    assert sniff_format(b"\xff\xfb\x90\x00") == "mp3"
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x04" + b"\x00" * 4
    assert sniff_format(id3 + b"fLaC") == "flac"
    assert sniff_format(id3 + b"\xff\xfb") == "mp3"
    assert sniff_format(b"<html>") is None


def test_too_large_is_refused_before_decoding():
    data = encode_with_pyav(tone(1.0, 440.0, 16000), 16000, "wav", "pcm_s16le")
    with pytest.raises(AudioTooLarge) as raised:
        decode_audio(data, max_bytes=len(data) - 1)
    assert raised.value.http_status == 413
    assert decode_audio(data, max_bytes=len(data)).duration == pytest.approx(1.0, abs=0.001)

    class Endless(io.RawIOBase):
        """A stream that never ends: only max_bytes + 1 bytes may be read from it."""
        read_total = 0

        def readable(self):
            return True

        def read(self, size=-1):
            assert size != -1, "the upload must be read with a limit"
            Endless.read_total += size
            return b"\x00" * size

    with pytest.raises(AudioTooLarge):
        decode_audio(Endless(), max_bytes=1000)
    assert Endless.read_total == 1001


def test_default_limits_are_10_mb_and_60_s():
    from voice_channel.audio import DEFAULT_MAX_BYTES, DEFAULT_MAX_SECONDS

    assert DEFAULT_MAX_BYTES == 10 * 1024 * 1024 and DEFAULT_MAX_SECONDS == 60.0


def test_too_long_is_refused_while_decoding():
    data = encode_with_pyav(tone(3.0, 440.0, 16000), 16000, "wav", "pcm_s16le")
    with pytest.raises(AudioTooLong) as raised:
        decode_audio(data, max_seconds=2.0)
    assert raised.value.http_status == 413 and raised.value.code == "audio_too_long"
    assert decode_audio(data, max_seconds=3.0).duration == pytest.approx(3.0, abs=0.001)


def test_small_file_expanding_to_ten_minutes_stops_at_the_limit(monkeypatch):
    """Decoding stops once the output passes the limit: what is decoded (every sample
    out of the resampler) is capped near 60 s, never the ten minutes the file holds."""
    import av

    bomb = encode_with_pyav(np.zeros(RATE * 600, dtype=np.float32), RATE, "flac", "flac")
    assert len(bomb) < 500_000  # ten minutes of silence compress to almost nothing
    decoded = []  # samples of every frame the decoder produced
    real_resampler = av.AudioResampler

    class CountingResampler:
        def __init__(self, **options):
            self._real = real_resampler(**options)

        def resample(self, frame):
            frames = self._real.resample(frame)
            decoded.extend(f.samples for f in frames)
            return frames

    monkeypatch.setattr(av, "AudioResampler", CountingResampler)
    with pytest.raises(AudioTooLong):
        decode_audio(bomb)  # default limit: 60 s
    # The limit, plus at most the one frame that crossed it.
    assert DEFAULT_MAX_SECONDS * RATE < sum(decoded) <= DEFAULT_MAX_SECONDS * RATE + max(decoded)


@pytest.mark.parametrize("container,codec,rate", [
    ("ogg", "libopus", 48000), ("webm", "libopus", 48000), ("mp3", "libmp3lame", 44100),
    ("wav", "pcm_s16le", 16000), ("flac", "flac", 44100),
])
def test_truncated_upload_keeps_what_was_received(container, codec, rate):
    data = encode_with_pyav(tone(4.0, 440.0, rate), rate, container, codec)
    decoded = decode_audio(data[: len(data) // 2])
    assert 1.0 < decoded.duration < 3.0


# --- WAV writing ------------------------------------------------------------------------


def test_encode_wav_round_trip_and_clipping():
    samples = np.array([0.0, 0.5, -0.5, 1.5, -2.0], dtype=np.float32)
    data = encode_wav(samples, 16000)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    back = read_wav(data)
    assert back.sample_rate == 16000 and back.channels == 1
    assert back.samples.tolist() == [0, 16384, -16384, 32767, -32767]
    assert read_wav(encode_wav(back.samples, 16000)).samples.tolist() == back.samples.tolist()
    decoded = decode_audio(data)
    assert decoded.samples[1] == pytest.approx(0.5, abs=1e-4)


def test_encode_wav_stereo_and_bad_arguments():
    interleaved = np.array([[100, -100], [200, -200]], dtype=np.int16)
    back = read_wav(encode_wav(interleaved, 8000, channels=2))
    assert back.channels == 2 and back.samples.tolist() == [100, -100, 200, -200]
    assert back.duration == pytest.approx(2 / 8000)
    with pytest.raises(ValueError):
        encode_wav(np.zeros(3, dtype=np.int16), 8000, channels=2)
    with pytest.raises(ValueError):
        encode_wav(np.zeros(4, dtype=np.int16), 0)
    with pytest.raises(TypeError):
        encode_wav(np.zeros(4, dtype=np.int32), 8000)


def test_concat_wav_joins_replies_with_a_gap():
    first = encode_wav(np.full(1600, 1000, dtype=np.int16), 16000)
    second = encode_wav(np.full(800, -1000, dtype=np.int16), 16000)
    joined = read_wav(concat_wav([first, second], gap_seconds=0.25))
    assert len(joined.samples) == 1600 + 4000 + 800
    assert joined.samples[:1600].tolist() == [1000] * 1600
    assert not joined.samples[1600:5600].any()
    assert joined.samples[5600:].tolist() == [-1000] * 800
    assert read_wav(concat_wav([first])).samples.tolist() == [1000] * 1600


def test_concat_wav_of_espeak_replies_and_other_widths():
    replies = [espeak_wav("Bonjour."), espeak_wav("Votre rendez-vous est confirmé.")]
    joined = read_wav(concat_wav(replies, gap_seconds=0.3))
    expected = sum(read_wav(r).duration for r in replies) + 0.3
    assert joined.sample_rate == 22050 and joined.duration == pytest.approx(expected, abs=1e-3)
    # 24-bit and 8-bit parts at the same rate are converted to 16-bit.
    wide = sox_convert(replies[0], ".wav", "-b", "24")
    narrow = sox_convert(replies[0], ".wav", "-b", "8", "-e", "unsigned-integer")
    assert read_wav(wide).samples.dtype == np.int16
    mixed = read_wav(concat_wav([wide, narrow, replies[0]]))
    assert mixed.duration == pytest.approx(3 * read_wav(replies[0]).duration, abs=1e-3)
    original = read_wav(replies[0]).samples
    assert np.abs(read_wav(wide).samples.astype(int) - original).max() <= 1


def test_read_wav_float_and_streamed_headers():
    floats = read_wav(encode_with_pyav(tone(0.5, 440.0, 8000), 8000, "wav", "pcm_f32le"))
    assert floats.sample_rate == 8000 and floats.samples.dtype == np.int16
    assert np.abs(floats.samples).max() == pytest.approx(0.5 * 32767, rel=0.01)
    # A streamed WAV (e.g. TTS on a pipe) announces a huge data size: keep what is there.
    data = bytearray(encode_wav(np.arange(100, dtype=np.int16), 16000))
    data[40:44] = (0x7FFFF000).to_bytes(4, "little")
    assert read_wav(bytes(data)).samples.tolist() == list(range(100))


def test_concat_wav_refuses_mismatched_parts():
    with pytest.raises(WavError, match="22050 Hz"):
        concat_wav([encode_wav(np.zeros(10, np.int16), 16000), encode_wav(np.zeros(10, np.int16), 22050)])
    with pytest.raises(WavError):
        concat_wav([encode_wav(np.zeros(10, np.int16), 16000)], sample_rate=8000)
    with pytest.raises(WavError):
        concat_wav([])
    with pytest.raises(WavError):
        read_wav(b"not a wav at all")


def test_pcm_conversions():
    assert to_float32(np.array([-32768, 0, 16384], dtype=np.int16)).tolist() == [-1.0, 0.0, 0.5]
    assert to_float32(np.array([2.0, -0.25])).tolist() == [1.0, -0.25]
    assert to_int16(np.array([1.0, -1.0, 0.0])).tolist() == [32767, -32767, 0]
    with pytest.raises(ValueError):
        to_float32(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(TypeError):
        to_float32(np.zeros(3, dtype=np.int32))


@pytest.mark.parametrize("rate", [4000, 6000, 7999])
def test_source_rates_below_telephone_quality_are_refused(rate):
    data = encode_with_pyav(tone(1.0, 440.0, rate), rate, "wav", "pcm_s16le")
    with pytest.raises(UnsupportedAudio) as refused:
        decode_audio(data)
    assert f"{rate} Hz" in str(refused.value) and "8000 Hz" in str(refused.value)
