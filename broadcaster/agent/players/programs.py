"""Players that run a program: ``mpv``, ``ffplay``, and ``aplay`` (fed by ffmpeg).

Each has one pure function building its argument list (tested as is), a configurable program
path (``player_path``), and its output appended to ``CACHE/player.log``. A program that exits
non-zero before its time ends the playback with an error the agent reports.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from broadcaster.agent.clock import Clock
from broadcaster.agent.players.base import Playback, Player, PlayerUnavailable, Track, register

if TYPE_CHECKING:
    from broadcaster.agent.settings import AgentSettings  # settings asks this registry

log = logging.getLogger(__name__)

STOP_GRACE_S = 2.0
# aplay plays PCM only: these are sent through ffmpeg first.
PCM = {"wav"}


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _target(track: Track) -> str:
    return track.url or str(track.path)


def _ff_input(track: Track) -> list[str]:
    """ffmpeg/ffplay input options: seek to the offset (files only), play for the duration."""
    args = []
    if track.offset_s and not track.url:
        args += ["-ss", _seconds(track.offset_s)]
    if track.duration_s is not None:
        args += ["-t", _seconds(track.duration_s)]
    return [*args, "-i", _target(track)]


def mpv_args(program: str, track: Track, device: str = "") -> list[str]:
    """The mpv command for ``track``: no config, no video, quiet, from offset for duration."""
    args = [program, "--no-config", "--no-video", "--no-terminal", "--really-quiet",
            "--network-timeout=10"]
    if track.offset_s and not track.url:
        args.append(f"--start={_seconds(track.offset_s)}")
    if track.duration_s is not None:
        args.append(f"--length={_seconds(track.duration_s)}")
    if device:
        args.append(f"--audio-device={device}")
    return [*args, "--", _target(track)]


def ffplay_args(program: str, track: Track) -> list[str]:
    """The ffplay command for ``track``: no window, exit at the end, errors only."""
    return [program, "-nodisp", "-autoexit", "-loglevel", "error", *_ff_input(track)]


def ffmpeg_wav_args(ffmpeg: str, track: Track) -> list[str]:
    """ffmpeg decoding ``track`` to 16-bit WAV on stdout (for aplay)."""
    return [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", *_ff_input(track),
            "-f", "wav", "-acodec", "pcm_s16le", "-"]


def aplay_args(program: str, track: Track, device: str = "", piped: bool = True) -> list[str]:
    """The aplay command: reads WAV from stdin when ``piped``, else the file itself."""
    args = [program, "-q"]
    if device:
        args += ["-D", device]
    return [*args, "-" if piped else str(track.path)]


class _Processes(Playback):
    """A pipeline of processes; it plays while the last one runs."""

    def __init__(self, procs: Sequence[subprocess.Popen[bytes]], what: str) -> None:
        self.procs, self.what = list(procs), what
        self._stopped = False

    def running(self) -> bool:
        return not self._stopped and self.procs[-1].poll() is None

    @property
    def error(self) -> str:
        code = self.procs[-1].poll()
        if self._stopped or code in (None, 0):
            return ""
        return f"{self.what} exited with status {code} (see player.log in the cache)"

    def stop(self, outcome: str = "stopped") -> None:
        if self._stopped:
            return
        self._stopped = True
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.debug("%s stopped (%s)", self.what, outcome)


class _ProgramPlayer(Player):
    """Common parts: the log file and starting processes."""

    def __init__(self, settings: AgentSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        self._log: IO[bytes] | None = None

    def _log_file(self) -> IO[bytes]:
        if self._log is None:
            folder = self.settings.cache or Path(".")
            folder.mkdir(parents=True, exist_ok=True)
            self._log = (folder / "player.log").open("ab")
        return self._log

    def _spawn(self, args: list[str], stdin: IO[bytes] | int | None = subprocess.DEVNULL,
               stdout: IO[bytes] | int | None = None) -> subprocess.Popen[bytes]:
        out = self._log_file()
        log.debug("running %s", " ".join(args))
        return subprocess.Popen(args, stdin=stdin, stdout=stdout if stdout is not None else out,
                                stderr=out, start_new_session=True)

    def close(self) -> None:
        """Close the log file."""
        if self._log is not None:
            self._log.close()
            self._log = None


@register
class MpvPlayer(_ProgramPlayer):
    """mpv: plays files and streams, seeks exactly."""

    NAME, PROGRAM, PACKAGE = "mpv", "mpv", "mpv"
    AUTO = 1

    def play(self, track: Track) -> Playback:
        """Start mpv on the track."""
        args = mpv_args(self.program, track, self.settings.audio_device)
        return _Processes([self._spawn(args)], f"mpv playing {track.item}")


@register
class FfplayPlayer(_ProgramPlayer):
    """ffplay (from the Debian package ffmpeg)."""

    NAME, PROGRAM, PACKAGE = "ffplay", "ffplay", "ffmpeg"
    AUTO = 2

    def play(self, track: Track) -> Playback:
        """Start ffplay on the track."""
        return _Processes([self._spawn(ffplay_args(self.program, track))],
                          f"ffplay playing {track.item}")


def find_ffmpeg() -> str | None:
    """ffmpeg on PATH, else the one in the imageio-ffmpeg wheel, else None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # the wheel is a dependency of broadcaster; optional here
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError:
        return None


@register
class AplayPlayer(_ProgramPlayer):
    """aplay (ALSA): PCM only, so MP3 and streams are decoded by ffmpeg into its stdin."""

    NAME, PROGRAM, PACKAGE = "aplay", "aplay", "alsa-utils"
    AUTO = 3

    def __init__(self, settings: AgentSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        ffmpeg = find_ffmpeg()
        if ffmpeg is None:
            raise PlayerUnavailable("player 'aplay' plays only PCM (WAV) and the playlists carry "
                                    "MP3: it needs ffmpeg to decode them (Debian package "
                                    "'ffmpeg', or the imageio-ffmpeg wheel)")
        self.ffmpeg = ffmpeg

    def play(self, track: Track) -> Playback:
        """Start ``ffmpeg | aplay`` (or aplay alone on a WAV from its start)."""
        what = f"aplay playing {track.item}"
        plain = (track.path is not None and track.path.suffix.lstrip(".") in PCM
                 and not track.offset_s and track.duration_s is None)
        if plain:
            return _Processes([self._spawn(aplay_args(self.program, track,
                                                      self.settings.audio_device, False))], what)
        decoder = self._spawn(ffmpeg_wav_args(self.ffmpeg, track), stdout=subprocess.PIPE)
        assert decoder.stdout is not None
        player = self._spawn(aplay_args(self.program, track, self.settings.audio_device),
                             stdin=decoder.stdout)
        decoder.stdout.close()  # aplay holds the pipe now
        return _Processes([decoder, player], what)
