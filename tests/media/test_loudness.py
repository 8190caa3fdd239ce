"""Loudness against the known values of BS.1770 test signals."""

from __future__ import annotations

import numpy as np
import pytest

from broadcaster.media.loudness import integrated, limit, measure, normalise, true_peak

SR = 48_000


def sine(freq: float, amp: float, seconds: float = 5.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def speechlike(seed: int = 1, seconds: float = 8.0, sr: int = SR) -> np.ndarray:
    """Voiced "syllables": harmonics of a gliding 110-220 Hz pitch under syllable envelopes,
    with pauses between them (a crest factor like real speech)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    out = np.zeros(n, np.float32)
    pos = 0
    while pos < n:
        length = min(int(rng.uniform(0.12, 0.35) * sr), n - pos)
        f0 = rng.uniform(110, 220) * np.linspace(1.0, rng.uniform(0.8, 1.2), length)
        phase = 2 * np.pi * np.cumsum(f0) / sr
        voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
        out[pos:pos + length] = voiced * np.hanning(length) * rng.uniform(0.1, 0.5)
        pos += length + int(rng.uniform(0.03, 0.3) * sr)
    return out.astype(np.float32)


def test_full_scale_sine_reads_minus_3_lufs() -> None:
    # BS.1770: a 0 dBFS 1 kHz sine in one channel measures -3.01 LKFS.
    assert integrated(sine(1000, 1.0), SR) == pytest.approx(-3.01, abs=0.05)
    assert integrated(sine(1000, 0.5), SR) == pytest.approx(-9.03, abs=0.05)


def test_true_peak_of_sine_and_intersample_peak() -> None:
    assert true_peak(sine(1000, 0.5)) == pytest.approx(-6.02, abs=0.05)
    # fs/4 sine sampled at 45 degrees: every sample is 0.707 of the real peak.
    t = np.arange(4800)
    x = (np.sin(np.pi / 2 * t + np.pi / 4)).astype(np.float32)
    assert 20 * np.log10(np.max(np.abs(x))) == pytest.approx(-3.01, abs=0.01)
    assert true_peak(x) == pytest.approx(0.0, abs=0.2)


def test_silence_is_floor() -> None:
    assert measure(np.zeros(SR, np.float32), SR).integrated_lufs == -70.0
    assert integrated(np.zeros(10, np.float32), SR) == -70.0


@pytest.mark.parametrize(("target", "ceiling"), [(-14.0, -1.0), (-16.0, -1.5), (-23.0, -1.0)])
def test_normalise_hits_target_under_ceiling(target: float, ceiling: float) -> None:
    x = speechlike()
    out, reported = normalise(x, SR, target, ceiling)
    level = measure(out, SR)
    assert reported.integrated_lufs == pytest.approx(level.integrated_lufs, abs=0.01)
    assert reported.true_peak_dbtp == pytest.approx(level.true_peak_dbtp, abs=0.01)
    assert level.integrated_lufs == pytest.approx(target, abs=0.5)
    assert level.true_peak_dbtp <= ceiling - 0.5 + 1e-3


def test_limiter_only_touches_peaks() -> None:
    x = speechlike(seed=3)
    out = limit(x, SR, -6.0)
    assert true_peak(out) <= -6.0 + 0.3
    quiet = np.abs(x) < 0.05
    # Far from the peaks the signal is left as it was.
    assert np.median(np.abs(out[quiet] - x[quiet])) < 1e-4


@pytest.mark.parametrize("rate", [16_000, 22_050, 44_100, 48_000])
def test_fast_integrated_matches_pyloudnorm(rate: int) -> None:
    import pyloudnorm

    for seed in (1, 2):
        x = speechlike(seed=seed, seconds=7.3, sr=rate) * (0.2 if seed == 2 else 1.0)
        reference = pyloudnorm.Meter(rate).integrated_loudness(x.astype(np.float64))
        assert integrated(x, rate) == pytest.approx(reference, abs=0.01)


def test_true_peak_matches_full_oversampling() -> None:
    from scipy.signal import resample_poly

    for seed in range(3):
        x = speechlike(seed=seed)
        full = 20 * np.log10(np.max(np.abs(resample_poly(x, 4, 1))))
        assert true_peak(x) == pytest.approx(full, abs=0.05)
