"""Player backends: the registry, clear start-up errors, argument lists, and real programs
(mpv to its null audio device, ffplay to SDL's dummy driver, ffmpeg's WAV for aplay)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from broadcaster.agent.clock import SystemClock
from broadcaster.agent.players import PLAYERS, PlayerUnavailable, Track, auto_order, build_player
from broadcaster.agent.players.programs import (
    aplay_args,
    ffmpeg_wav_args,
    ffplay_args,
    find_ffmpeg,
    mpv_args,
)
from broadcaster.agent.settings import load_settings
from broadcaster.errors import ConfigError

TRACK = Track("sang@X#1.1", "Thời sự", "media", path=Path("/cache/media/abc.mp3"),
              sha256="abc", offset_s=12.5, duration_s=300.0)
STREAM = Track("vov@X#1.1", "VOV1", "stream", url="http://radio.example.vn/live",
               offset_s=3.0, duration_s=1800.0)


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three seconds of a 440 Hz tone as MP3, made by the bundled ffmpeg."""
    path = tmp_path_factory.mktemp("audio") / "tone.mp3"
    ffmpeg = find_ffmpeg()
    assert ffmpeg
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=3", "-ac", "1", str(path)], check=True)
    return path


def test_argument_lists() -> None:
    assert mpv_args("mpv", TRACK, "alsa/plughw:1") == [
        "mpv", "--no-config", "--no-video", "--no-terminal", "--really-quiet",
        "--network-timeout=10", "--start=12.5", "--length=300", "--audio-device=alsa/plughw:1",
        "--", "/cache/media/abc.mp3"]
    assert mpv_args("mpv", STREAM)[-3:] == ["--length=1800", "--", STREAM.url]  # no seek live
    assert ffplay_args("/usr/bin/ffplay", TRACK) == [
        "/usr/bin/ffplay", "-nodisp", "-autoexit", "-loglevel", "error", "-ss", "12.5", "-t",
        "300", "-i", "/cache/media/abc.mp3"]
    assert ffmpeg_wav_args("ffmpeg", TRACK) == [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-ss", "12.5", "-t", "300",
        "-i", "/cache/media/abc.mp3", "-f", "wav", "-acodec", "pcm_s16le", "-"]
    assert aplay_args("aplay", TRACK, "plughw:1,0") == ["aplay", "-q", "-D", "plughw:1,0", "-"]


def test_the_registry_and_unknown_names(make_settings) -> None:  # type: ignore[no-untyped-def]
    assert set(PLAYERS) == {"file", "mpv", "ffplay", "aplay"}
    with pytest.raises(ConfigError, match="unknown player 'vlc'; valid players: auto, aplay, "
                                          "ffplay, file, mpv"):
        build_player(make_settings(player="vlc"), SystemClock())


def test_a_registered_player_is_all_it_takes(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry is the only list: settings accept a new player and "auto" ranks it."""
    settings = {"server": "http://127.0.0.1:9", "station": "S", "token_file": tmp_path / "t",
                "cache": tmp_path / "c"}
    with pytest.raises(ConfigError, match="unknown player 'vlc'; valid players: auto, mpv, "
                                          "ffplay, aplay, file$"):
        load_settings(None, settings | {"player": "vlc"})
    monkeypatch.setitem(PLAYERS, "vlc", type("Vlc", (PLAYERS["mpv"],),
                                             {"NAME": "vlc", "PROGRAM": "cvlc", "AUTO": 0}))
    assert load_settings(None, settings | {"player": "vlc"}).player == "vlc"
    assert auto_order() == ["vlc", "mpv", "ffplay", "aplay"]


@pytest.mark.parametrize(("name", "package"), [("mpv", "mpv"), ("ffplay", "ffmpeg"),
                                               ("aplay", "alsa-utils")])
def test_a_missing_program_is_a_clear_error_at_start(make_settings, name: str,  # type: ignore[no-untyped-def]
                                                     package: str) -> None:
    settings = make_settings(player=name, player_path=f"/nonexistent/{name}")
    with pytest.raises(PlayerUnavailable) as missing:
        build_player(settings, SystemClock())
    message = str(missing.value)
    assert f"player '{name}' needs the program '/nonexistent/{name}'" in message
    assert f"Debian package '{package}'" in message and f"apt-get install {package}" in message


def test_auto_takes_the_first_installed_player(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PlayerUnavailable, match="no audio player is installed; install one "
                                                "of: mpv .Debian package 'mpv'., ffplay"):
        build_player(make_settings(player="auto"), SystemClock())
    monkeypatch.undo()
    if shutil.which("mpv"):
        assert build_player(make_settings(player="auto"), SystemClock()).NAME == "mpv"


def _wait(playback, seconds: float) -> float:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    while playback.running():
        assert time.monotonic() - began < seconds, "the player did not stop"
        time.sleep(0.02)
    return time.monotonic() - began


def test_mpv_plays_from_the_offset_for_the_duration(make_settings, tone: Path) -> None:  # type: ignore[no-untyped-def]
    assert shutil.which("mpv"), "these tests need mpv (Debian package 'mpv')"
    player = build_player(make_settings(player="mpv", audio_device="null"), SystemClock())
    playback = player.play(Track("a@X#1.1", "tone", "media", path=tone, offset_s=1.0,
                                 duration_s=1.0))
    took = _wait(playback, 10)
    assert 0.9 < took < 5 and playback.error == ""
    # Stopped by the agent mid-way: it ends at once and is no failure.
    playback = player.play(Track("a@X#1.1", "tone", "media", path=tone))
    time.sleep(0.3)
    playback.stop("preempted")
    assert not playback.running() and playback.error == ""
    player.close()


def test_a_player_that_fails_says_so(make_settings, tone: Path) -> None:  # type: ignore[no-untyped-def]
    player = build_player(make_settings(player="mpv", audio_device="nonexistent/device"),
                          SystemClock())
    playback = player.play(Track("a@X#1.1", "tone", "media", path=tone, duration_s=1.0))
    _wait(playback, 10)
    assert playback.error.startswith("mpv playing a@X#1.1 exited with status")
    assert (make_settings().cache_dir / "player.log").exists()


def test_ffplay_plays(make_settings, tone: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    player = build_player(make_settings(player="ffplay"), SystemClock())
    playback = player.play(Track("a@X#1.1", "tone", "media", path=tone, offset_s=2.0,
                                 duration_s=0.5))
    assert _wait(playback, 10) < 5 and playback.error == ""


def test_aplay_gets_wav_from_ffmpeg(tone: Path) -> None:
    ffmpeg = find_ffmpeg()
    assert ffmpeg
    wav = subprocess.run(ffmpeg_wav_args(ffmpeg, Track("a", "t", "media", path=tone,
                                                       offset_s=1.0, duration_s=1.5)),
                         capture_output=True, check=True).stdout
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    # 16-bit mono at the file's rate: 1.5 s of samples after the 44-byte header.
    rate = int.from_bytes(wav[24:28], "little")
    assert len(wav) - 44 == pytest.approx(rate * 2 * 1.5, rel=0.02)
