"""The committed audio assets (audio/): every file matches audio/assets.toml, checked on the
real files with the real bundled ffmpeg, and audio/generate.py still makes them byte for byte."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest

from broadcaster.media import Ffmpeg

REPO = Path(__file__).resolve().parents[1]
AUDIO = REPO / "broadcaster" / "media" / "assets"
GENERATE = REPO / "audio" / "generate.py"
RATE = 44_100
KINDS = {"jingle", "tone", "silence"}
FIELDS = {"name", "file", "kind", "duration_ms", "sha256", "description_vi", "description_en"}


def load_assets() -> list[dict[str, Any]]:
    with (AUDIO / "assets.toml").open("rb") as fh:
        assets: list[dict[str, Any]] = tomllib.load(fh)["assets"]
    return assets


ASSETS = load_assets()
BY_NAME = {a["name"]: a for a in ASSETS}
each_asset = pytest.mark.parametrize("asset", ASSETS, ids=[a["name"] for a in ASSETS])


def dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(max(float(np.max(np.abs(x))), 1e-9)))


@pytest.fixture(scope="module")
def ffmpeg() -> Ffmpeg:
    return Ffmpeg(imageio_ffmpeg.get_ffmpeg_exe())


@pytest.fixture(scope="module")
def decoded(ffmpeg: Ffmpeg) -> Callable[[dict[str, Any]], np.ndarray]:
    """Decode an asset with ffmpeg at its own rate (once per module), asserting 44.1 kHz."""
    cache: dict[str, np.ndarray] = {}

    def decode(asset: dict[str, Any]) -> np.ndarray:
        if asset["name"] not in cache:
            samples, rate = ffmpeg.decode(AUDIO / asset["file"])
            assert rate == RATE
            cache[asset["name"]] = samples
        return cache[asset["name"]]

    return decode


def run_generate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATE), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)


def test_manifest_lists_every_file_once() -> None:
    assert len(BY_NAME) == len(ASSETS)
    assert {"mo-dau", "ket-thuc", "bao-dong", "tin-hieu-gio"} <= BY_NAME.keys()
    on_disk = {p.relative_to(AUDIO).as_posix() for p in AUDIO.rglob("*.wav")}
    assert on_disk == {a["file"] for a in ASSETS}
    for asset in ASSETS:
        assert FIELDS <= asset.keys(), asset["name"]
        assert asset["kind"] in KINDS
        assert asset["description_vi"].strip() and asset["description_en"].strip()
    assert sum((AUDIO / a["file"]).stat().st_size for a in ASSETS) < 2_000_000


@each_asset
def test_sha256_matches(asset: dict[str, Any]) -> None:
    digest = hashlib.sha256((AUDIO / asset["file"]).read_bytes()).hexdigest()
    assert digest == asset["sha256"]


@each_asset
def test_mono_16_bit_44k1(asset: dict[str, Any], ffmpeg: Ffmpeg) -> None:
    path = AUDIO / asset["file"]
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
    described = subprocess.run([ffmpeg.exe, "-hide_banner", "-i", str(path)],
                               capture_output=True, text=True, timeout=60, check=False).stderr
    assert re.search(r"Audio: pcm_s16le\b.*, 44100 Hz, mono,", described), described


@each_asset
def test_duration(asset: dict[str, Any], decoded: Callable[[dict[str, Any]], np.ndarray]
                  ) -> None:
    assert decoded(asset).size * 1000 / RATE == pytest.approx(asset["duration_ms"], abs=10)


@each_asset
def test_peak_is_minus_3_dbfs(asset: dict[str, Any],
                              decoded: Callable[[dict[str, Any]], np.ndarray]) -> None:
    assert dbfs(decoded(asset)) == pytest.approx(-3.0, abs=0.1)


@each_asset
def test_starts_and_ends_in_silence(asset: dict[str, Any],
                                    decoded: Callable[[dict[str, Any]], np.ndarray]) -> None:
    x = decoded(asset)
    ms = RATE // 1000
    assert abs(x[0]) <= 2 / 32768 and abs(x[-1]) <= 2 / 32768
    # 10 ms fades: the first and last millisecond stay 27 dB or more under the -3 dBFS peak.
    assert dbfs(x[:ms]) < -30 and dbfs(x[-ms:]) < -30


@pytest.mark.parametrize("name", ["bao-dong", "tin-hieu-gio"])
def test_energy_sits_at_the_stated_frequencies(
        name: str, decoded: Callable[[dict[str, Any]], np.ndarray]) -> None:
    asset = BY_NAME[name]
    stated = asset["frequencies_hz"]
    x = decoded(asset).astype(np.float64)
    power = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    share = {f: float(power[np.abs(freqs - f) <= 25].sum() / power.sum()) for f in stated}
    assert sum(share.values()) > 0.85, share
    for f in stated:
        assert share[f] > 0.6 / len(stated), share  # each tone carries its part
    assert min(abs(freqs[np.argmax(power)] - f) for f in stated) <= 2


def test_two_tones_alternate(decoded: Callable[[dict[str, Any]], np.ndarray]) -> None:
    high, low = BY_NAME["bao-dong"]["frequencies_hz"]
    x = decoded(BY_NAME["bao-dong"]).astype(np.float64)
    quarter = RATE // 4
    dominant = []
    for i in range(x.size // quarter):
        seg = x[i * quarter:(i + 1) * quarter]
        spectrum = np.abs(np.fft.rfft(seg * np.hanning(seg.size)))
        dominant.append(float(np.fft.rfftfreq(seg.size, 1 / RATE)[np.argmax(spectrum)]))
    expected = [high if i % 2 == 0 else low for i in range(len(dominant))]
    assert dominant == pytest.approx(expected, abs=8)


def test_time_signal_marks_the_hour(decoded: Callable[[dict[str, Any]], np.ndarray]) -> None:
    asset = BY_NAME["tin-hieu-gio"]
    x = decoded(asset).astype(np.float64)
    envelope = np.sqrt(np.convolve(x**2, np.ones(RATE // 1000) / (RATE // 1000), mode="same"))
    on = (envelope > 0.02).astype(int)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on, [0]]))) * 1000 / RATE
    runs = list(zip(edges[::2], edges[1::2] - edges[::2], strict=True))  # (onset ms, length ms)
    assert len(runs) == 6
    onsets = [start for start, _ in runs]
    assert onsets == pytest.approx([0, 1000, 2000, 3000, 4000, asset["mark_ms"]], abs=10)
    assert [length for _, length in runs[:5]] == pytest.approx([100] * 5, abs=15)
    assert runs[5][1] == pytest.approx(500, abs=15)


def test_check_passes_on_the_committed_files() -> None:
    result = run_generate("--check")
    assert result.returncode == 0, result.stderr


def test_check_names_a_changed_file(tmp_path: Path) -> None:
    copy = tmp_path / "audio"
    shutil.copytree(AUDIO, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / BY_NAME["bao-dong"]["file"]
    data = bytearray(target.read_bytes())
    data[5000] ^= 1
    target.write_bytes(bytes(data))
    result = run_generate("--check", "--dir", str(copy))
    assert result.returncode == 1
    assert "bao-dong.wav" in result.stderr and "generate.py" in result.stderr
    assert "mo-dau.wav" not in result.stderr


def test_generating_afresh_gives_the_same_bytes(tmp_path: Path) -> None:
    result = run_generate("--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for rel in [a["file"] for a in ASSETS] + ["assets.toml"]:
        assert (tmp_path / rel).read_bytes() == (AUDIO / rel).read_bytes(), rel
    assert not list(tmp_path.rglob("*.tmp"))


def test_readme_documents_every_asset() -> None:
    readme = (GENERATE.parent / "README.md").read_text(encoding="utf-8")
    for asset in ASSETS:
        assert asset["file"] in readme, asset["file"]
    assert ".venv/bin/python audio/generate.py" in readme
    assert "CC0" in readme
