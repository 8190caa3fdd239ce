"""Make broadcaster's audio assets from nothing but arithmetic: no samples, no recordings.

Run from the repository root::

    .venv/bin/python audio/generate.py            # (re)write the WAV files and assets.toml
    .venv/bin/python audio/generate.py --check    # CI: exit 1 if a committed file differs

The files are written into the package, ``broadcaster/media/assets/`` (``ASSETS_DIR``), so that
an install from the wheel carries them; ``--dir`` writes them elsewhere.

Every asset is synthesised with numpy from the table ``ASSETS`` below, then finished the same
way: 10 ms half-cosine fades at both ends, peak-normalised to -3 dBFS, rounded to 16-bit PCM and
written as a mono 44.1 kHz WAV with the standard library's ``wave`` (no timestamps or other
varying header fields). Nothing is random, so there is no seed to fix: the same numpy gives
byte-identical files on every run. ``assets.toml`` (name, file, kind, duration, sha256,
descriptions) is written from the same table, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import sys
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from broadcaster.fsutil import atomic_write_bytes

SAMPLE_RATE = 44_100
PEAK_DBFS = -3.0
EDGE_FADE_S = 0.010
MANIFEST = "assets.toml"
KINDS = ("jingle", "tone", "silence")
COMMAND = ".venv/bin/python audio/generate.py"
# The packaged folder the assets ship in (package_data in setup.cfg).
ASSETS_DIR = Path(__file__).resolve().parents[1] / "broadcaster" / "media" / "assets"


# --- building blocks ---------------------------------------------------------------------------

def midi_hz(note: int) -> float:
    """Equal-tempered frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69) / 12)


def samples_for(seconds: float) -> int:
    """Whole number of samples for a duration at SAMPLE_RATE."""
    return round(seconds * SAMPLE_RATE)


def half_cosine(n: int) -> np.ndarray:
    """A smooth 0 -> 1 ramp of ``n`` samples (first sample exactly 0)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)


# A struck chime: nearly harmonic partials (ratio, amplitude, decay relative to the
# fundamental's). The second 1.0x partial is detuned by 0.2 % so the note shimmers slowly; the
# two high inharmonic partials die within a few tens of milliseconds and give the strike.
CHIME_PARTIALS: tuple[tuple[float, float, float], ...] = (
    (1.0, 1.00, 1.00),
    (1.002, 0.30, 0.90),
    (2.0, 0.45, 0.55),
    (3.0, 0.20, 0.35),
    (4.16, 0.09, 0.22),
    (5.43, 0.05, 0.15),
    (6.79, 0.06, 0.03),
    (9.38, 0.04, 0.02),
)
CHIME_ATTACK_S = 0.002
CHIME_REFERENCE_HZ = 523.25  # C5: lower notes ring longer, higher ones shorter (sqrt law)


@dataclass(frozen=True)
class Note:
    """One chime stroke: when, which pitch, how hard, how long it rings (decay at C5, s)."""

    start_s: float
    midi: int
    velocity: float
    ring_s: float = 0.9


def chime(freq: float, n: int, ring_s: float) -> np.ndarray:
    """``n`` samples of one chime stroke at ``freq`` Hz, peak about 1, decaying from the start."""
    t = np.arange(n) / SAMPLE_RATE
    tau = ring_s * math.sqrt(CHIME_REFERENCE_HZ / freq)
    out = np.zeros(n)
    for ratio, amp, decay in CHIME_PARTIALS:
        f = freq * ratio
        if f >= 0.45 * SAMPLE_RATE:
            continue
        out += amp * np.exp(-t / (tau * decay)) * np.sin(2 * np.pi * f * t)
    attack = min(n, samples_for(CHIME_ATTACK_S))
    out[:attack] *= half_cosine(attack)
    return out


def melody(notes: Sequence[Note], seconds: float, tail_fade_s: float) -> np.ndarray:
    """Chime strokes laid out in time, each left to ring, with a soft fade over the last
    ``tail_fade_s`` seconds."""
    total = samples_for(seconds)
    out = np.zeros(total)
    for note in notes:
        at = samples_for(note.start_s)
        out[at:] += note.velocity * chime(midi_hz(note.midi), total - at, note.ring_s)
    tail = samples_for(tail_fade_s)
    out[total - tail:] *= half_cosine(tail)[::-1]
    return out


def two_tone(high_hz: float, low_hz: float, half_period_s: float, seconds: float) -> np.ndarray:
    """Alternating two-tone attention signal, high first, with continuous phase (no clicks at
    the changes) and weak 2nd and 3rd harmonics so it carries on small horn loudspeakers."""
    n = samples_for(seconds)
    segment = np.arange(n) // samples_for(half_period_s)
    freq = np.where(segment % 2 == 0, high_hz, low_hz)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    return np.sin(phase) + 0.2 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)


def pips(freq: float, onsets_s: Sequence[float], lengths_s: Sequence[float],
         seconds: float, ramp_s: float = 0.005) -> np.ndarray:
    """Sine pips at ``freq`` starting at the given times, each with short ramps."""
    out = np.zeros(samples_for(seconds))
    for onset, length in zip(onsets_s, lengths_s, strict=True):
        n = samples_for(length)
        ramp = half_cosine(samples_for(ramp_s))
        pip = np.sin(2 * np.pi * freq * np.arange(n) / SAMPLE_RATE)
        pip[:ramp.size] *= ramp
        pip[n - ramp.size:] *= ramp[::-1]
        at = samples_for(onset)
        out[at:at + n] += pip
    return out


# --- the assets --------------------------------------------------------------------------------

# Pentatonic G-A-C-D-E, chime register (G4 = 67 ... E6 = 88).
G4, A4, C5, D5, E5, G5, A5, C6, D6 = 67, 69, 72, 74, 76, 79, 81, 84, 86

OPENING = (
    Note(0.00, D5, 0.80), Note(0.18, E5, 0.70), Note(0.36, G5, 0.85), Note(0.72, A5, 0.80),
    Note(1.08, D6, 1.00, 1.2), Note(1.62, C6, 0.55), Note(1.80, A5, 0.65),
    # final open chord on G, left to ring
    Note(2.16, G4, 0.55, 1.8), Note(2.16, D5, 0.60, 1.8), Note(2.16, G5, 1.00, 1.8),
    Note(2.20, D6, 0.30, 1.6),
)
CLOSING = (
    Note(0.00, D6, 1.00), Note(0.18, C6, 0.65), Note(0.36, A5, 0.80), Note(0.72, G5, 0.80),
    Note(0.90, E5, 0.70), Note(1.08, D5, 0.75),
    Note(1.44, G4, 1.00, 1.6), Note(1.44, D5, 0.50, 1.6), Note(1.46, G5, 0.35, 1.6),
)
TWO_TONE_HZ = (960.0, 770.0)
TIME_PIP_HZ = 1000.0
TIME_MARK_S = 5.0


@dataclass(frozen=True)
class Asset:
    """One generated file and the facts about it that go into assets.toml."""

    name: str
    file: str  # relative to the assets folder
    kind: str
    description_vi: str
    description_en: str
    render: Callable[[], np.ndarray]
    frequencies_hz: tuple[float, ...] = ()
    mark_ms: int | None = None


ASSETS: tuple[Asset, ...] = (
    Asset("mo-dau", "jingles/mo-dau.wav", "jingle",
          "Nhạc hiệu mở đầu: chuông ngân sáng, giai điệu ngũ cung đi lên (G A C D E), "
          "kết bằng hợp âm Sol ngân dài rồi tắt dần.",
          "Opening jingle: bright chime, rising pentatonic motif (G A C D E), ending on a "
          "ringing open G chord that fades away.",
          lambda: melody(OPENING, 5.0, tail_fade_s=1.0)),
    Asset("ket-thuc", "jingles/ket-thuc.wav", "jingle",
          "Nhạc hiệu kết thúc: cùng tiếng chuông, giai điệu ngũ cung đi xuống, "
          "dừng trên nốt Sol trầm.",
          "Closing jingle: the same chime, descending pentatonic motif, coming to rest on a "
          "low G.",
          lambda: melody(CLOSING, 3.5, tail_fade_s=0.8)),
    Asset("bao-dong", "tones/bao-dong.wav", "tone",
          "Tín hiệu báo động trước bản tin khẩn: hai âm 960 Hz và 770 Hz luân phiên, "
          "mỗi âm 0,25 giây, dài 3 giây.",
          "Emergency lead-in: alternating two-tone signal, 960 Hz and 770 Hz, 0.25 s each, "
          "3 s long.",
          lambda: two_tone(*TWO_TONE_HZ, half_period_s=0.25, seconds=3.0),
          frequencies_hz=TWO_TONE_HZ),
    Asset("tin-hieu-gio", "tones/tin-hieu-gio.wav", "tone",
          "Tín hiệu báo giờ: năm tiếng bíp ngắn 1 kHz cách nhau 1 giây và một tiếng bíp dài; "
          "đầu tiếng bíp dài (5,000 giây từ đầu tệp) là đúng giờ, nên phát tệp lúc hh:59:55.",
          "Time signal: five short 1 kHz pips one second apart and one long pip; the start of "
          "the long pip (5.000 s into the file) marks the hour, so start playing at hh:59:55.",
          lambda: pips(TIME_PIP_HZ, [0, 1, 2, 3, 4, TIME_MARK_S], [0.1] * 5 + [0.5], 6.0),
          frequencies_hz=(TIME_PIP_HZ,), mark_ms=round(TIME_MARK_S * 1000)),
)


# --- finishing and writing ---------------------------------------------------------------------

def finish(samples: np.ndarray) -> np.ndarray:
    """Fade both ends over EDGE_FADE_S, scale the peak to PEAK_DBFS, round to int16."""
    x = np.array(samples, dtype=np.float64)
    fade = half_cosine(samples_for(EDGE_FADE_S))
    x[:fade.size] *= fade
    x[x.size - fade.size:] *= fade[::-1]
    peak = float(np.max(np.abs(x)))
    if peak == 0.0:
        return np.zeros(x.size, dtype=np.int16)
    target = 32768 * 10 ** (PEAK_DBFS / 20)
    return np.round(x * (target / peak)).astype(np.int16)


def wav_bytes(pcm: np.ndarray) -> bytes:
    """16-bit mono WAV at SAMPLE_RATE, as bytes."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.astype("<i2").tobytes())
    return buf.getvalue()


def _toml_str(value: str) -> str:
    # A JSON string (ensure_ascii off) is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def manifest(entries: Sequence[tuple[Asset, int, bytes]]) -> str:
    """The text of assets.toml for the rendered assets (asset, sample count, WAV bytes)."""
    lines = [
        "# Audio assets of broadcaster. Generated by audio/generate.py; do not edit by hand,",
        f"# change the table in that script and run: {COMMAND}",
        "# Every file: 16-bit PCM WAV, mono, 44.1 kHz, peak -3 dBFS, 10 ms fades; CC0.",
        "# file is relative to this folder. frequencies_hz: the tones a test looks for in the",
        "# spectrum. mark_ms: the instant the signal marks (the hour, for the time signal).",
    ]
    for asset, frames, data in entries:
        lines += [
            "",
            "[[assets]]",
            f"name = {_toml_str(asset.name)}",
            f"file = {_toml_str(asset.file)}",
            f"kind = {_toml_str(asset.kind)}",
            f"duration_ms = {round(frames * 1000 / SAMPLE_RATE)}",
            f"sha256 = {_toml_str(hashlib.sha256(data).hexdigest())}",
            f"description_vi = {_toml_str(asset.description_vi)}",
            f"description_en = {_toml_str(asset.description_en)}",
        ]
        if asset.frequencies_hz:
            lines.append(f"frequencies_hz = [{', '.join(f'{f:g}' for f in asset.frequencies_hz)}]")
        if asset.mark_ms is not None:
            lines.append(f"mark_ms = {asset.mark_ms}")
    return "\n".join(lines) + "\n"


def render_all(assets: Sequence[Asset] = ASSETS) -> dict[str, bytes]:
    """Every output file, keyed by its path relative to the assets folder, rendered in memory."""
    entries = []
    for asset in assets:
        if asset.kind not in KINDS:
            raise ValueError(f"asset {asset.name}: kind {asset.kind!r} is not one of {KINDS}")
        pcm = finish(asset.render())
        entries.append((asset, pcm.size, wav_bytes(pcm)))
    outputs = {asset.file: data for asset, _, data in entries}
    outputs[MANIFEST] = manifest(entries).encode("utf-8")
    return outputs


def differences(root: Path, outputs: dict[str, bytes]) -> list[str]:
    """One sentence per file under ``root`` that is missing or differs from ``outputs``."""
    problems = []
    for rel, data in outputs.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{path}: differs from what generate.py makes")
    return problems


def write_all(root: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Write each output atomically (temporary file, then rename); return the paths."""
    written = []
    for rel, data in outputs.items():
        path = root / rel
        atomic_write_bytes(path, data)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the assets, or with --check compare them and exit 1 on a mismatch."""
    parser = argparse.ArgumentParser(description="Generate broadcaster's audio assets.")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and fail if a file on disk differs")
    parser.add_argument("--dir", type=Path, default=ASSETS_DIR,
                        help="the assets folder (default: the packaged one, "
                             "broadcaster/media/assets/)")
    args = parser.parse_args(argv)
    outputs = render_all()
    if args.check:
        problems = differences(args.dir, outputs)
        for problem in problems:
            print(f"generate.py --check: {problem}", file=sys.stderr)
        if problems:
            print(f"regenerate with: {COMMAND}", file=sys.stderr)
            return 1
        print(f"{len(outputs)} files match what generate.py makes")
        return 0
    for path in write_all(args.dir, outputs):
        print(f"wrote {os.path.relpath(path)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
