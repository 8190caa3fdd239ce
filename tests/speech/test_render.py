"""Text to clip, on both databases: levels, encoding, the cache, the fallback chain."""

from __future__ import annotations

import dataclasses

import pytest
import requests
from sqlalchemy import func, select

from broadcaster.app import App
from broadcaster.config import Config
from broadcaster.db import Clip
from broadcaster.errors import EngineUnavailable
from broadcaster.media import sha256_file
from broadcaster.media.loudness import measure
from broadcaster.speech import Renderer, RenderRequest, SpeechSettings, build_engine
from broadcaster.speech.base import Engine
from broadcaster.speech.gtts import GttsEngine
from tests.speech.conftest import FakeGoogle

TEXT = ("Sáng 2/9/2025, UBND tỉnh tổ chức lễ kỷ niệm 80 năm Quốc khánh. "
        "Tỉnh phấn đấu đến năm 2030 kinh tế số chiếm 30% GRDP.\n\n"
        "Người dân theo dõi trên loa truyền thanh của xã vào lúc 17h30.")


def request(config: Config, text: str = TEXT, engines: tuple[str, ...] = ("espeak",),
            profile: str = "loudspeaker", **settings: object) -> RenderRequest:
    prof = config.get_profile(profile)
    return RenderRequest(text=text, profile=prof, engines=engines,
                         settings=SpeechSettings.for_profile(prof, settings))


class Counting:
    """Engine factory that counts synthesize calls (our own seam, no behaviour replaced)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, name: str, config: Config) -> Engine:
        engine = GttsEngine(config, sleep=lambda s: None) if name == "gtts" \
            else build_engine(name, config)
        original = engine.synthesize

        def synthesize(text: str, voice: str, rate: float):  # type: ignore[no-untyped-def]
            self.calls[name] = self.calls.get(name, 0) + 1
            return original(text, voice, rate)

        engine.synthesize = synthesize  # type: ignore[method-assign]
        return engine


@pytest.fixture
def counting() -> Counting:
    return Counting()


@pytest.fixture
def renderer(app: App, counting: Counting) -> Renderer:
    return Renderer(app.config, app.sessions, app.store, app.ffmpeg, app.lexicon, counting)


def clip_count(app: App) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(Clip)) or 0


@pytest.mark.parametrize("profile", ["loudspeaker", "radio"])
def test_clip_is_levelled_encoded_and_stored(app: App, renderer: Renderer, profile: str) -> None:
    result = renderer.render(request(app.config, profile=profile))
    clip, prof = result.clip, app.config.get_profile(profile)
    assert not result.cached and clip.id is not None
    assert result.path.is_file() and sha256_file(result.path) == clip.sha256
    assert result.path == app.store.path_for(clip.sha256, "mp3")
    assert clip.size_bytes == result.path.stat().st_size
    samples, rate = app.ffmpeg.decode(result.path)
    assert rate == prof.sample_rate
    assert clip.duration_ms == pytest.approx(1000 * samples.size / rate, abs=30)
    assert 8_000 < clip.duration_ms < 30_000
    level = measure(samples, rate)
    assert clip.loudness_lufs == pytest.approx(level.integrated_lufs, abs=0.1)
    assert clip.loudness_lufs == pytest.approx(prof.loudness_lufs, abs=1.0)
    assert clip.true_peak_dbtp <= prof.true_peak_dbtp + 0.3
    assert (clip.engine, clip.voice, clip.fallback) == ("espeak", "vi", False)
    bitrate = clip.size_bytes * 8 / (clip.duration_ms / 1000)
    assert bitrate == pytest.approx(int(prof.bitrate[:-1]) * 1000, rel=0.15)
    assert clip.request["spoken"].startswith("Sáng ngày hai tháng chín năm hai nghìn")


def test_same_request_is_never_synthesised_twice(app: App, renderer: Renderer,
                                                 counting: Counting) -> None:
    first = renderer.render(request(app.config))
    calls = counting.calls["espeak"]
    again = renderer.render(request(app.config))
    assert again.cached and again.clip.id == first.clip.id
    assert counting.calls["espeak"] == calls
    # A new renderer (another process) finds it too.
    fresh = Renderer(app.config, app.sessions, app.store, app.ffmpeg, app.lexicon, counting)
    assert fresh.render(request(app.config)).cached
    # Anything that changes the sound is a new clip.
    for changed in (request(app.config, voice="south"), request(app.config, rate=1.2),
                    request(app.config, sentence_pause_ms=100),
                    request(app.config, profile="radio"), request(app.config, text=TEXT + "!")):
        assert not renderer.render(changed).cached
    # An accent name and the engine's voice name are the same voice.
    assert renderer.render(request(app.config, voice="north")).cached
    assert clip_count(app) == 6


def test_missing_file_is_rendered_again(app: App, renderer: Renderer) -> None:
    first = renderer.render(request(app.config))
    first.path.unlink()
    again = renderer.render(request(app.config))
    assert not again.cached and again.path.is_file()
    assert again.clip.id == first.clip.id
    assert sha256_file(again.path) == again.clip.sha256
    assert clip_count(app) == 1


def test_pauses_between_sentences_and_paragraphs(app: App, renderer: Renderer) -> None:
    text = "Câu thứ nhất. Câu thứ hai.\n\nĐoạn thứ hai."
    short = renderer.render(request(app.config, text=text, sentence_pause_ms=100,
                                    paragraph_pause_ms=200)).clip
    long = renderer.render(request(app.config, text=text, sentence_pause_ms=1100,
                                   paragraph_pause_ms=1700)).clip
    assert long.duration_ms - short.duration_ms == pytest.approx(1000 + 1500, abs=60)


def test_fallback_when_google_is_unreachable(app: App, renderer: Renderer, counting: Counting,
                                             no_network: None) -> None:
    result = renderer.render(request(app.config, engines=("gtts", "espeak")))
    clip = result.clip
    assert (clip.engine, clip.fallback, clip.preferred_engine) == ("espeak", True, "gtts")
    assert any("cannot reach Google" in f for f in result.failures)
    espeak_calls = counting.calls["espeak"]
    again = renderer.render(request(app.config, engines=("gtts", "espeak")))
    assert again.cached and again.clip.id == clip.id
    assert counting.calls["espeak"] == espeak_calls


def test_fallback_clips_are_rerendered_when_google_is_back(
        app: App, renderer: Renderer, google: FakeGoogle) -> None:
    google.script = [requests.ConnectionError("no route to host")]
    first = renderer.render(request(app.config, engines=("gtts", "espeak")))
    assert first.clip.fallback and first.clip.engine == "espeak"
    results = renderer.rerender_fallbacks()
    assert len(results) == 1
    old, new = results[0]
    assert old.id == first.clip.id and not isinstance(new, str)
    assert (new.engine, new.fallback) == ("gtts", False)
    assert all(len(t) <= 100 for t in google.texts)
    with app.sessions() as s:
        assert s.get(Clip, old.id).replaced_by_id == new.id  # type: ignore[union-attr]
    # Now the chain finds Google's clip first.
    now = renderer.render(request(app.config, engines=("gtts", "espeak")))
    assert now.cached and now.clip.id == new.id
    assert renderer.rerender_fallbacks() == []


def test_gtts_gets_phrase_chunks_never_cut_mid_word(app: App, renderer: Renderer,
                                                    google: FakeGoogle) -> None:
    result = renderer.render(request(app.config, engines=("gtts",)))
    spoken = result.clip.request["spoken"]
    assert len(google.texts) >= 3
    assert all(0 < len(t) <= 100 for t in google.texts)
    assert " ".join(google.texts).split() == spoken.split()
    assert result.clip.engine == "gtts" and not result.clip.fallback


def test_nothing_stored_when_no_engine_can_speak(app: App, renderer: Renderer,
                                                 no_network: None) -> None:
    with pytest.raises(EngineUnavailable, match="no speech engine could speak.*gtts"):
        renderer.render(request(app.config, engines=("gtts",)))
    assert clip_count(app) == 0
    media = app.config.media_dir
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_unavailable_engine_is_skipped(app: App, renderer: Renderer) -> None:
    result = renderer.render(request(app.config, engines=("piper", "espeak")))
    assert result.clip.engine == "espeak" and result.clip.fallback
    assert result.clip.preferred_engine == "piper"
    assert "set 'piper_model'" in result.failures[0]


def test_settings_validation(config: Config) -> None:
    prof = config.get_profile()
    with pytest.raises(Exception, match="rate must be between"):
        SpeechSettings.for_profile(prof, {"rate": 5})
    with pytest.raises(Exception, match="unknown speech setting"):
        SpeechSettings.for_profile(prof, {"pitch": 5})
    s = SpeechSettings.for_profile(prof, {"rate": None, "voice": "south"})
    assert dataclasses.asdict(s)["voice"] == "south" and s.rate == prof.rate
