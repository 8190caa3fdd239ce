"""Programme assembly with real audio: items, gaps, levels, relays, per-station idents, cache."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from broadcaster.app import App
from broadcaster.db import transaction
from broadcaster.domain.vocabulary import ItemKind
from broadcaster.errors import InputError, NotFound
from broadcaster.media import measure
from broadcaster.programme import (
    ItemDef,
    ProgrammeDef,
    get_programme,
    parse_duration,
    parse_item,
    save_programme,
)
from broadcaster.speech import RenderRequest, SpeechSettings


def write_tone(path: Path, seconds: float, freq: float, amp: float = 0.3,
               rate: int = 44100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    pcm = (amp * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture
def studio(make_config, tmp_path: Path):  # type: ignore[no-untyped-def]
    audio = tmp_path / "audio"
    write_tone(audio / "jingles" / "mo-dau.wav", 2.0, 660)
    write_tone(audio / "tones" / "bao-dong.wav", 1.0, 960, amp=0.9)
    recorded = write_tone(tmp_path / "rec" / "phong-su.wav", 3.0, 220, amp=0.05)
    app = App(make_config(audio_dir=str(audio)))
    yield app, recorded
    app.close()


def duration_of(app: App, sha256: str, ext: str) -> float:
    samples, rate = app.ffmpeg.decode(app.store.path_for(sha256, ext))
    return samples.size / rate


def test_items_are_assembled_with_gaps_and_matched_levels(studio) -> None:  # type: ignore[no-untyped-def]
    app, recorded = studio
    defn = ProgrammeDef("thoi-su", "Thời sự", (
        ItemDef(ItemKind.JINGLE, "mo-dau"), ItemDef(ItemKind.TEXT, "Sau đây là bản tin thời sự."),
        ItemDef(ItemKind.SILENCE, duration_ms=1000), ItemDef(ItemKind.FILE, str(recorded)),
    ), gap_ms=500, fade_ms=40)
    built = app.builder.build(defn, app.config.get_profile("radio"))
    assert [p.kind for p in built.parts] == ["audio"]
    clip = built.parts[0].clip
    assert clip is not None
    radio = app.config.get_profile("radio")
    speech = app.renderer.render(RenderRequest(
        text="Sau đây là bản tin thời sự.", profile=radio, engines=app.config.engine_chain,
        settings=SpeechSettings.for_profile(radio))).clip
    assert app.renderer.render(RenderRequest(
        text="Sau đây là bản tin thời sự.", profile=radio, engines=app.config.engine_chain,
        settings=SpeechSettings.for_profile(radio))).cached  # the programme used this clip
    expected = 2.0 + speech.duration_ms / 1000 + 1.0 + 3.0 + 3 * 0.5
    assert clip.duration_ms / 1000 == pytest.approx(expected, abs=0.05)
    assert duration_of(app, clip.sha256, clip.ext) == pytest.approx(expected, abs=0.05)
    # The quiet recording (-29 dBFS) was brought up to the profile's target like the rest.
    samples, rate = app.ffmpeg.decode(app.store.path_for(clip.sha256, clip.ext))
    tail = samples[int((expected - 2.5) * rate):int((expected - 0.5) * rate)]
    assert measure(tail, rate).integrated_lufs == pytest.approx(-23.0, abs=1.5)
    assert clip.loudness_lufs == pytest.approx(-23.0, abs=1.5)
    # Built once: the same definition comes from the cache.
    again = app.builder.build(defn, app.config.get_profile("radio"))
    assert again.parts[0].clip is not None and again.parts[0].clip.id == clip.id


def test_relay_splits_the_programme_and_carries_a_fallback(studio) -> None:  # type: ignore[no-untyped-def]
    app, recorded = studio
    defn = ProgrammeDef("sang", "Buổi sáng", (
        ItemDef(ItemKind.JINGLE, "mo-dau"),
        ItemDef(ItemKind.RELAY, "http://127.0.0.1:9/vov1.mp3", 30 * 60 * 1000, str(recorded)),
        ItemDef(ItemKind.JINGLE, "bao-dong"),
    ))
    built = app.builder.build(defn, app.config.get_profile())
    assert [p.kind for p in built.parts] == ["audio", "relay", "audio"]
    relay = built.parts[1]
    assert relay.url.endswith("vov1.mp3") and relay.duration_ms == 1_800_000
    assert relay.fallback is not None and relay.fallback.duration_ms == pytest.approx(3000, abs=40)
    assert built.duration.total_seconds() == pytest.approx(2.0 + 1800 + 1.0, abs=0.1)


def test_a_relay_may_fall_back_to_a_shipped_jingle(studio) -> None:  # type: ignore[no-untyped-def]
    """``fallback: "jingle:NAME"`` needs no recording (the example province uses it)."""
    app, _ = studio
    defn = ProgrammeDef("tiep-song", "Tiếp sóng", (
        ItemDef(ItemKind.RELAY, "http://127.0.0.1:9/vov1.mp3", 60_000, "jingle:mo-dau"),))
    relay = app.builder.build(defn, app.config.get_profile()).parts[0]
    assert relay.kind == "relay" and relay.fallback is not None
    jingle = ProgrammeDef("mo", "Mở đầu", (ItemDef(ItemKind.JINGLE, "mo-dau"),))
    alone = app.builder.build(jingle, app.config.get_profile()).parts[0].clip
    assert alone is not None and relay.fallback.duration_ms == alone.duration_ms


def test_ident_is_spoken_per_station(studio) -> None:  # type: ignore[no-untyped-def]
    app, _ = studio
    defn = ProgrammeDef("ident", "Ident", (ItemDef(ItemKind.IDENT, "Đây là Đài truyền thanh {name}"),
                                           ItemDef(ItemKind.JINGLE, "mo-dau")))
    with pytest.raises(InputError, match="build it for a station"):
        app.builder.build(defn, app.config.get_profile())
    first = app.builder.build(defn, app.config.get_profile(), "xã Tân Tiến").parts
    second = app.builder.build(defn, app.config.get_profile(), "phường Đông Thành").parts
    a, b = first[0].clip, second[0].clip
    assert a is not None and b is not None and a.sha256 != b.sha256
    # Only the ident differs: the rest is built once and shared by every station.
    assert len(first) == len(second) == 2
    assert first[1].clip is not None and second[1].clip is not None
    assert first[1].clip.id == second[1].clip.id
    # The programme's gap follows the ident inside its own part.
    assert a.duration_ms > 300


def test_errors_name_what_is_missing(studio) -> None:  # type: ignore[no-untyped-def]
    app, _ = studio
    profile = app.config.get_profile()
    with pytest.raises(InputError, match="no audio asset 'nhac'.*known assets: bao-dong, mo-dau"):
        app.builder.build(ProgrammeDef("x", "x", (ItemDef(ItemKind.JINGLE, "nhac"),)), profile)
    with pytest.raises(InputError, match="no document with key 'nq99'"):
        app.builder.build(ProgrammeDef("x", "x", (ItemDef(ItemKind.DOCUMENT, "nq99"),)), profile)
    with pytest.raises(InputError, match="does not exist"):
        app.builder.build(ProgrammeDef("x", "x", (ItemDef(ItemKind.FILE, "/nope.mp3"),)), profile)


def test_store_and_parse(studio) -> None:  # type: ignore[no-untyped-def]
    app, _ = studio
    defn = ProgrammeDef("p", "Chương trình", (parse_item("jingle:mo-dau"),
                                               parse_item("silence:1m30s"),
                                               parse_item("relay:http://x/live|30m|a.mp3")))
    assert defn.items[1].duration_ms == 90_000 and defn.items[2].fallback == "a.mp3"
    with transaction(app.sessions) as s:
        assert save_programme(s, defn, origin="cli")[1] == "added"
        assert save_programme(s, defn, origin="cli")[1] == "unchanged"
    with app.sessions() as s:
        assert get_programme(s, "p") == defn
        with pytest.raises(NotFound):
            get_programme(s, "q")
    assert parse_duration("1h") == 3_600_000 and parse_duration(2.5) == 2500
    for bad in ("radio:x", "silence:soon", "relay:http://x", "text:"):
        with pytest.raises(InputError):
            parse_item(bad)
