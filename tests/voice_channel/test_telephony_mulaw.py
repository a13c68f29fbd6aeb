"""G.711 µ-law and the phone line's resampling (voice_channel.telephony.mulaw)."""
from __future__ import annotations

import numpy as np
import pytest

from voice_channel.telephony.mulaw import (
    MULAW_SILENCE,
    StreamResampler,
    mulaw_decode,
    mulaw_encode,
    resample,
)


def sine(freq: float, rate: int, seconds: float = 0.5, amplitude: float = 12000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@pytest.mark.parametrize(
    "sample, code",
    [
        (0, 0xFF), (1, 0xFF), (3, 0xFF),
        # negative samples are shifted to 14 bits rounding down, as the reference does
        (-1, 0x7E), (-8, 0x7E), (100, 0xF2), (-100, 0x72),
        (32767, 0x80), (32124, 0x80), (-32768, 0x00), (-32124, 0x00),
        (1000, 0xCE), (-1000, 0x4E),
    ],
)
def test_known_codes(sample, code):
    assert mulaw_encode(np.array([sample], dtype=np.int16)) == bytes([code])


@pytest.mark.parametrize(
    "code, sample",
    [(0xFF, 0), (0x7F, 0), (0x80, 32124), (0x00, -32124), (0xCE, 988), (0x4E, -988),
     (0xFE, 8), (0x7E, -8)],
)
def test_known_decodes(code, sample):
    assert mulaw_decode(bytes([code])).tolist() == [sample]


def test_silence_constant_is_the_code_of_zero():
    assert mulaw_encode(np.zeros(3, dtype=np.int16)) == bytes([MULAW_SILENCE]) * 3


def test_every_code_survives_decode_then_encode():
    codes = bytes(range(256))
    again = mulaw_encode(mulaw_decode(codes))
    # 0x7F (negative zero) decodes to 0, which encodes as 0xFF (positive zero).
    assert again == codes.replace(b"\x7f", b"\xff")


def test_matches_the_reference_implementation_on_every_sample():
    audioop = pytest.importorskip("audioop")  # Python < 3.13
    every = np.arange(-32768, 32768, dtype=np.int16)
    assert mulaw_encode(every) == audioop.lin2ulaw(every.tobytes(), 2)
    codes = bytes(range(256))
    assert mulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)


def test_round_trip_error_is_within_g711_step_size():
    signal = sine(440, 8000)
    decoded = mulaw_decode(mulaw_encode(signal)).astype(np.int32)
    error = np.abs(decoded - signal)
    # µ-law steps double per segment: half a step is at most 2.2 % of the magnitude (+ 4 LSB near 0)
    assert np.all(error <= 0.032 * np.abs(signal.astype(np.int32)) + 8)
    snr = 10 * np.log10(np.sum(signal.astype(float) ** 2) / np.sum(error.astype(float) ** 2))
    assert snr > 35  # G.711 gives ~38 dB on a loud tone


def test_encode_accepts_float_and_decode_accepts_uint8_arrays():
    assert mulaw_encode(np.array([0.0, 1.0, -1.0])) == bytes([0xFF, 0x80, 0x00])
    assert mulaw_decode(np.array([0xFF, 0x80], dtype=np.uint8)).dtype == np.int16
    with pytest.raises(TypeError):
        mulaw_decode(np.array([1, 2], dtype=np.int32))


@pytest.mark.parametrize("from_rate, to_rate", [(8000, 16000), (16000, 8000)])
@pytest.mark.parametrize("frame_sizes", [[160], [320], [1, 2, 317, 160, 33]])
def test_frame_by_frame_equals_whole_signal(from_rate, to_rate, frame_sizes):
    signal = sine(440, from_rate, 0.5) + sine(1800, from_rate, 0.5, 5000)
    whole = StreamResampler(from_rate, to_rate).process(signal)
    resampler = StreamResampler(from_rate, to_rate)
    pieces, start, index = [], 0, 0
    while start < len(signal):
        size = frame_sizes[index % len(frame_sizes)]
        pieces.append(resampler.process(signal[start:start + size]))
        start, index = start + size, index + 1
    assert np.array_equal(np.concatenate(pieces), whole)
    assert len(whole) == len(signal) * to_rate // from_rate


@pytest.mark.parametrize("from_rate, to_rate", [(8000, 16000), (16000, 8000)])
def test_resampled_tone_is_the_same_tone_delayed(from_rate, to_rate):
    resampler = StreamResampler(from_rate, to_rate)
    out = resampler.process(sine(440, from_rate, 0.5)).astype(float)
    t = np.arange(len(out)) / to_rate - resampler.delay_seconds
    expected = 12000 * np.sin(2 * np.pi * 440 * t)
    settled = int(0.01 * to_rate)  # after the filter's start-up
    assert np.max(np.abs(out[settled:] - expected[settled:])) < 30  # < 0.3 % of the amplitude
    assert resampler.delay_seconds < 0.005


def test_downsampling_removes_what_would_alias():
    for freq in (4100, 6000, 7500):
        out = StreamResampler(16000, 8000).process(sine(freq, 16000))
        assert np.max(np.abs(out[100:])) < 0.005 * 12000, freq  # below -46 dB


def test_upsampling_leaves_no_image_above_4khz():
    out = StreamResampler(8000, 16000).process(sine(1000, 8000, 1.1)).astype(float)
    spectrum = np.abs(np.fft.rfft(out[160:16160] * np.hanning(16000)))
    freqs = np.fft.rfftfreq(16000, 1 / 16000)
    assert spectrum[freqs > 4500].max() < 1e-3 * spectrum.max()  # the 7 kHz image is gone


def test_flush_returns_the_delayed_tail_and_resets():
    resampler = StreamResampler(8000, 16000)
    body = resampler.process(np.full(800, 1000, dtype=np.int16))
    tail = resampler.flush()
    assert len(tail) == 2 * round(resampler.delay_seconds * 8000)
    assert abs(int(tail[0]) - 1000) < 20  # the signal that was held back
    assert len(body) == 1600
    assert np.array_equal(resampler.process(np.zeros(4, dtype=np.int16)), np.zeros(8, dtype=np.int16))


def test_resampler_rejects_other_rates_and_dtypes():
    with pytest.raises(ValueError):
        StreamResampler(8000, 22050)
    with pytest.raises(TypeError):
        StreamResampler(8000, 16000).process(np.zeros(4, dtype=np.float32))
    same = StreamResampler(16000, 16000)
    assert np.array_equal(same.process(np.arange(5, dtype=np.int16)), np.arange(5))


def test_whole_utterance_resampling_from_the_speech_engines_rate():
    speech = sine(300, 22050, 1.0)
    phone = resample(speech, 22050, 8000)
    assert len(phone) == 8000 and phone.dtype == np.int16
    t = np.arange(8000) / 8000
    assert np.max(np.abs(phone[200:-200] - 12000 * np.sin(2 * np.pi * 300 * t[200:-200]))) < 60
