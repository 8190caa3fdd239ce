"""The engines on their own: real espeak-ng, gTTS through its HTTP edge, piper's clear errors."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from broadcaster.config import Config
from broadcaster.errors import ConfigError, EngineError, EngineUnavailable
from broadcaster.speech import ENGINES, build_engine, engine_class
from broadcaster.speech.gtts import GttsEngine
from tests.speech.conftest import FakeGoogle

SENTENCE = "Ủy ban nhân dân tỉnh tổ chức hội nghị quán triệt nghị quyết."


def test_registry_lists_valid_names_for_unknown() -> None:
    assert set(ENGINES) == {"espeak", "gtts", "piper"}
    with pytest.raises(ConfigError, match="unknown speech engine 'festival'; valid engines: "
                                          "espeak, gtts, piper"):
        engine_class("festival")


@pytest.mark.parametrize("voice", ["vi", "vi-vn-x-central", "vi-vn-x-south"])
def test_espeak_speaks_vietnamese_voices(offline_config: Config, voice: str) -> None:
    engine = build_engine("espeak", offline_config)
    audio = engine.synthesize(SENTENCE, voice, 1.0)
    assert audio.sample_rate == 22050
    assert 2.0 < audio.duration_s < 8.0
    assert audio.samples.dtype == np.float32
    assert 0.1 < float(np.max(np.abs(audio.samples))) <= 1.0
    # Trimmed: no long silence at either end.
    assert np.abs(audio.samples[:50]).max() > 0.003 or np.abs(audio.samples[-50:]).max() > 0


def test_espeak_rate_changes_duration(offline_config: Config) -> None:
    engine = build_engine("espeak", offline_config)
    slow = engine.synthesize(SENTENCE, "vi", 0.7).duration_s
    fast = engine.synthesize(SENTENCE, "vi", 1.4).duration_s
    assert slow > fast * 1.5


def test_accent_names_map_to_engine_voices(offline_config: Config) -> None:
    engine = build_engine("espeak", offline_config)
    assert engine.resolve_voice("south") == "vi-vn-x-south"
    assert engine.resolve_voice("") == "vi"
    with pytest.raises(EngineError, match="no voice 'en'.*vi-vn-x-central"):
        engine.resolve_voice("en")


def test_gtts_request_carries_our_chunk(offline_config: Config, google: FakeGoogle) -> None:
    engine = GttsEngine(offline_config, sleep=lambda s: None)
    audio = engine.synthesize(SENTENCE, "vi", 1.0)
    assert google.texts == [SENTENCE]
    assert unicodedata.is_normalized("NFC", google.texts[0])
    assert audio.duration_s > 2.0


def test_gtts_refuses_long_chunks(offline_config: Config) -> None:
    engine = GttsEngine(offline_config, sleep=lambda s: None)
    with pytest.raises(EngineError, match="over the 100-character limit"):
        engine.synthesize("a " * 60, "vi", 1.0)


def test_gtts_retries_429_and_5xx_with_backoff(offline_config: Config, google: FakeGoogle) -> None:
    sleeps: list[float] = []
    google.script = [429, 503, 200]
    engine = GttsEngine(offline_config, sleep=sleeps.append)
    engine.synthesize("Xin chào bà con.", "vi", 1.0)
    assert google.statuses == [429, 503, 200]
    assert 7.0 in sleeps  # Retry-After honoured
    assert len([s for s in sleeps if s >= 0.5]) == 2


def test_gtts_gives_up_after_retries(make_offline_config, google: FakeGoogle) -> None:  # type: ignore[no-untyped-def]
    config = make_offline_config(gtts_retries=2)
    google.script = [500, 500, 500, 500]
    engine = GttsEngine(config, sleep=lambda s: None)
    with pytest.raises(EngineUnavailable, match="HTTP 500 after 3 attempt"):
        engine.synthesize("Xin chào.", "vi", 1.0)
    assert len(google.texts) == 3


def test_gtts_unreachable_is_unavailable(offline_config: Config, no_network: None) -> None:
    engine = GttsEngine(offline_config, sleep=lambda s: None)
    with pytest.raises(EngineUnavailable, match="cannot reach Google"):
        engine.synthesize("Xin chào.", "vi", 1.0)


def test_gtts_throttles_between_requests(make_offline_config, google: FakeGoogle) -> None:  # type: ignore[no-untyped-def]
    config = make_offline_config(gtts_min_interval=0.5)
    now = [100.0]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    engine = GttsEngine(config, sleep=sleep, clock=lambda: now[0])
    engine.synthesize("Một.", "vi", 1.0)
    engine.synthesize("Hai.", "vi", 1.0)
    assert sleeps == [pytest.approx(0.5)]


def test_gtts_bad_audio_is_an_error(offline_config: Config) -> None:
    import responses

    from tests.speech.conftest import GOOGLE_URL

    with responses.RequestsMock() as mock:
        mock.add(responses.POST, GOOGLE_URL, body=")]}'\n[[\"wrb.fr\",\"other\"]]\n")
        engine = GttsEngine(offline_config, sleep=lambda s: None)
        with pytest.raises(EngineError):
            engine.synthesize("Xin chào.", "vi", 1.0)


def test_piper_without_model_names_the_setting(offline_config: Config) -> None:
    with pytest.raises(EngineUnavailable, match="set 'piper_model'"):
        build_engine("piper", offline_config)


def test_piper_missing_model_file_names_the_file(make_offline_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "voices" / "vi_VN-vais1000-medium.onnx"
    with pytest.raises(EngineUnavailable, match=f"voice model file {missing} does not exist"):
        build_engine("piper", make_offline_config(piper_model=str(missing)))
    missing.parent.mkdir()
    missing.write_bytes(b"x")
    with pytest.raises(EngineUnavailable, match="vi_VN-vais1000-medium.onnx.json does not exist"):
        build_engine("piper", make_offline_config(piper_model=str(missing)))


def test_piper_speaks_with_a_supplied_model(make_offline_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.speech.piper_voice import HOP, SAMPLE_RATE, write_voice

    model = write_voice(tmp_path / "voices" / "vi_VN-test-x_low.onnx")
    engine = build_engine("piper", make_offline_config(piper_model=str(model)))
    assert engine.resolve_voice("") == model.name
    assert engine.resolve_voice("south") == model.name  # one voice per model file
    with pytest.raises(EngineError, match="one voice per model file"):
        engine.resolve_voice("other.onnx")
    normal = engine.synthesize(SENTENCE, model.name, 1.0)
    slow = engine.synthesize(SENTENCE, model.name, 0.5)
    assert normal.sample_rate == SAMPLE_RATE
    # piper phonemised the Vietnamese text with espeak-ng: tens of phonemes, hop samples each.
    assert normal.samples.size > 40 * HOP * 0.9
    assert slow.samples.size == pytest.approx(2 * normal.samples.size, rel=0.02)
    assert engine.identity(model.name).startswith(f"piper:{model.name}:")
