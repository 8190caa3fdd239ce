"""The ffmpeg wrapper (real bundled ffmpeg) and the content-addressed store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from broadcaster.errors import ConfigError
from broadcaster.media import Ffmpeg, FfmpegError, MediaStore, find_ffmpeg, sha256_file
from broadcaster.media.ffmpeg import last_lines, parse_sample_rate

RECORDED = """Input #0, mp3, from 'x.mp3':
  Duration: 00:00:02.04, start: 0.025057, bitrate: 64 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 22050 Hz, mono, fltp, 64 kb/s
"""


@pytest.fixture(scope="module")
def ffmpeg() -> Ffmpeg:
    return Ffmpeg(find_ffmpeg(""))


def test_parse_recorded_output() -> None:
    assert parse_sample_rate(RECORDED) == 22050
    with pytest.raises(FfmpegError, match="no audio stream"):
        parse_sample_rate("Input #0, png_pipe\n  Stream #0:0: Video: png")
    assert last_lines("a\n\nb\nc\nd\n", 2) == "c | d"


def test_encode_decode_round_trip(ffmpeg: Ffmpeg, tmp_path: Path) -> None:
    sr = 22050
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)).astype(np.float32)
    out = tmp_path / "tone.mp3"
    ffmpeg.encode(tone, sr, out, codec="libmp3lame", out_rate=44100, channels=1,
                  bitrate="64k", fmt="mp3")
    head = out.read_bytes()[:2]
    assert head[0] == 0xFF and head[1] & 0xE0 == 0xE0  # an MPEG audio frame, no ID3 tag
    samples, rate = ffmpeg.decode(out)
    assert rate == 44100
    assert samples.size / rate == pytest.approx(2.0, abs=0.03)
    assert float(np.max(np.abs(samples))) == pytest.approx(0.3, abs=0.03)
    again, _ = ffmpeg.decode(out.read_bytes(), 22050)
    assert again.size / 22050 == pytest.approx(2.0, abs=0.03)


@pytest.mark.parametrize(("codec", "fmt", "rate"), [
    ("libmp3lame", "mp3", 22050), ("libmp3lame", "mp3", 44100), ("libopus", "ogg", 48000),
    ("aac", "m4a", 44100), ("pcm_s16le", "wav", 22050),
])
def test_encoding_keeps_the_level(ffmpeg: Ffmpeg, tmp_path: Path, codec: str, fmt: str,
                                  rate: int) -> None:
    sr = 22050
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(3 * sr) / sr)).astype(np.float32)
    out = tmp_path / f"tone.{fmt}"
    ffmpeg.encode(tone, sr, out, codec=codec, out_rate=rate, channels=1, bitrate="96k", fmt=fmt)
    samples, got_rate = ffmpeg.decode(out)
    middle = samples[got_rate:2 * got_rate]
    assert float(np.sqrt(np.mean(middle**2))) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_decode_garbage_is_a_clear_error(ffmpeg: Ffmpeg, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(FfmpegError, match="ffmpeg failed"):
        ffmpeg.decode(bad)


def test_missing_configured_ffmpeg() -> None:
    with pytest.raises(ConfigError, match="no executable"):
        find_ffmpeg("/nonexistent/ffmpeg")


def test_store_is_content_addressed_and_verifies(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    tmp = store.temp_path(".mp3")
    tmp.write_bytes(b"abc" * 1000)
    stored = store.add_file(tmp, "mp3")
    assert not tmp.exists()
    assert stored.path == store.path_for(stored.sha256, "mp3")
    assert stored.path.parent.name == stored.sha256[:2]
    assert sha256_file(stored.path) == stored.sha256 and stored.size_bytes == 3000
    assert stored.path.stat().st_mode & 0o044 == 0o044  # readable by nginx or a player
    assert store.verify(stored.sha256, "mp3")
    # The same bytes again: same file, temp removed.
    tmp2 = store.temp_path(".mp3")
    tmp2.write_bytes(b"abc" * 1000)
    assert store.add_file(tmp2, "mp3").path == stored.path and not tmp2.exists()
    stored.path.write_bytes(b"tampered")
    assert not store.verify(stored.sha256, "mp3")
    assert not store.verify("0" * 64, "mp3")
    assert list((tmp_path / "media" / "tmp").iterdir()) == []
