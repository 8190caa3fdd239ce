"""The one wrapper around the ffmpeg program: argument lists, path, timeout, output parsing.

By default the static ffmpeg shipped inside the imageio-ffmpeg wheel is used (no root, no apt);
the ``ffmpeg`` setting points at another binary. Audio crosses the pipe as 32-bit float PCM.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from broadcaster.errors import BroadcasterError, ConfigError, DiskFull

DEFAULT_TIMEOUT = 600.0
# Audio through ffmpeg's libmp3lame encoder decodes at 0.95 of the level it went in at (measured
# with a sine, and checked by tests/media); encoding undoes it so the stored loudness holds.
LAME_LEVEL = 0.95


class FfmpegError(BroadcasterError):
    """ffmpeg exited with an error; the message carries the last lines it printed."""


def find_ffmpeg(configured: str = "") -> str:
    """The ffmpeg to run: the configured one, else imageio-ffmpeg's bundled binary."""
    if configured:
        found = shutil.which(configured)
        if not found:
            raise ConfigError(f"setting 'ffmpeg': no executable at {configured!r}")
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class Ffmpeg:
    """Runs one ffmpeg binary with a timeout."""

    exe: str
    timeout: float = DEFAULT_TIMEOUT

    def run(self, args: list[str], stdin: bytes | None = None) -> bytes:
        """Run ``ffmpeg ARGS`` and return its stdout; raise FfmpegError on failure."""
        cmd = [self.exe, "-hide_banner", "-nostdin", "-loglevel", "error", *args]
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=self.timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise FfmpegError(f"ffmpeg did not finish within {self.timeout:.0f} s") from None
        if proc.returncode != 0:
            raise failure(proc.stderr.decode("utf-8", "replace"),
                          f"ffmpeg failed (exit {proc.returncode})")
        return proc.stdout

    def decode(self, source: Path | bytes,
               sample_rate: int | None = None) -> tuple[np.ndarray, int]:
        """Decode any audio file (path or bytes) to mono float32 samples and their rate."""
        rate_args = ["-ar", str(sample_rate)] if sample_rate else []
        if isinstance(source, Path):
            out = self.run(["-i", str(source), "-ac", "1", *rate_args, "-f", "f32le", "-"])
            rate = sample_rate or self.probe_rate(source)
        else:
            out = self.run(["-i", "pipe:0", "-ac", "1", *rate_args, "-f", "f32le", "-"], source)
            rate = sample_rate or self._rate_of_bytes(source)
        return np.frombuffer(out, dtype="<f4").copy(), rate

    def probe_rate(self, path: Path) -> int:
        """The sample rate of an audio file, read from ffmpeg's stream description."""
        return parse_sample_rate(self._describe(["-i", str(path)], None))

    def _rate_of_bytes(self, data: bytes) -> int:
        return parse_sample_rate(self._describe(["-i", "pipe:0"], data))

    def _describe(self, args: list[str], stdin: bytes | None) -> str:
        cmd = [self.exe, "-hide_banner", "-nostdin", *args, "-f", "null", "-t", "0", "-"]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=self.timeout,
                              check=False)
        return proc.stderr.decode("utf-8", "replace")

    def encode(self, samples: np.ndarray, sample_rate: int, out: Path, *, codec: str,
               out_rate: int, channels: int, bitrate: str, fmt: str) -> None:
        """Encode mono float32 ``samples`` to ``out`` with the given codec settings."""
        args = ["-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
                "-ar", str(out_rate), "-ac", str(channels), "-c:a", codec]
        if codec != "pcm_s16le":
            args += ["-b:a", bitrate]
        if codec == "libmp3lame":
            args += ["-af", f"volume={1 / LAME_LEVEL:.6f}"]
        if fmt == "mp3":
            args += ["-id3v2_version", "0", "-write_xing", "1"]
        args += ["-map_metadata", "-1", "-f", _muxer(fmt), "-y", str(out)]
        self.run(args, np.ascontiguousarray(samples, dtype="<f4").tobytes())


def _muxer(fmt: str) -> str:
    return {"m4a": "ipod", "opus": "ogg"}.get(fmt, fmt)


_RATE = re.compile(r"Audio: [^,]+, (\d+) Hz")


def parse_sample_rate(stderr: str) -> int:
    """Read the first audio stream's sample rate from ffmpeg's stream description."""
    match = _RATE.search(stderr)
    if not match:
        raise FfmpegError(f"ffmpeg found no audio stream: {last_lines(stderr)}")
    return int(match.group(1))


def failure(stderr: str, what: str, output: Path | None = None) -> BroadcasterError:
    """The error for an ffmpeg that failed, printing ``stderr``: :class:`DiskFull` when it
    could not write (``output``) for want of space, else :class:`FfmpegError`."""
    if "No space left on device" in stderr:
        return DiskFull(f"{what}: it could not write its output, no space is left on the "
                        "device", str(output.parent) if output else None)
    return FfmpegError(f"{what}: {last_lines(stderr)}")


def last_lines(text: str, n: int = 3) -> str:
    """The last ``n`` non-empty lines of a program's output, joined for an error message."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:]) or "(no output)"
