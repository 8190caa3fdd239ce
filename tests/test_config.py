"""Configuration: precedence, validation, and every setting documented."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadcaster.cli import main
from broadcaster.errors import ConfigError
from broadcaster.settings import positive, setting
from broadcaster.settings_table import load_config, server_settings
from broadcaster.speech import ENGINES, Audio, Engine

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broadcaster.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    assert cfg.home == Path("var")
    assert cfg.engine_chain == ("gtts", "espeak")
    assert cfg.db_url.startswith("sqlite:///") and cfg.db_url.endswith("var/broadcaster.db")
    assert cfg.get_profile().name == "loudspeaker"
    assert cfg.sources == {}


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    path = write(tmp_path, 'dialect = "south"\nengines = "espeak"\nmax_document_bytes = 10\n')
    cfg = load_config(path, env={"BROADCASTER_ENGINES": "piper,espeak",
                                 "BROADCASTER_MAX_DOCUMENT_BYTES": "20"},
                      flags={"max_document_bytes": 30, "home": None})
    assert cfg.dialect == "south" and cfg.sources["dialect"] == str(path)
    assert cfg.engine_chain == ("piper", "espeak")
    assert cfg.sources["engines"] == "environment BROADCASTER_ENGINES"
    assert cfg.max_document_bytes == 30 and cfg.sources["max_document_bytes"] == \
        "option --max-document-bytes"


def test_profiles_override_and_add(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.radio]\nbitrate = "192k"\n'
                           '[profiles.tv]\nformat = "m4a"\ncodec = "aac"\nbitrate = "160k"\n')
    cfg = load_config(path, env={})
    assert cfg.get_profile("radio").bitrate == "192k"
    assert cfg.get_profile("radio").loudness_lufs == -23.0
    assert cfg.get_profile("tv").codec == "aac"
    with pytest.raises(ConfigError, match="unknown output profile 'cinema'.*loudspeaker"):
        cfg.get_profile("cinema")


@pytest.mark.parametrize(("body", "env", "message"), [
    ('bogus = 1\n', {}, "unknown setting 'bogus'"),
    ('max_document_bytes = "lots"\n', {}, "'max_document_bytes' must be int"),
    ('', {"BROADCASTER_GTTS_TIMEOUT": "soon"}, "environment BROADCASTER_GTTS_TIMEOUT"),
    ('dialect = "central"\n', {}, "'dialect' must be north or south"),
    ('engines = " , "\n', {}, "at least one speech engine"),
    ('[profiles.radio]\nloudness = -3\n', {}, r"\[profiles.radio\] unknown field 'loudness'"),
    ('[profiles.radio]\nrate = true\n', {}, "field 'rate' must be float"),
    ('[profiles.radio]\nloudness_lufs = -2\n', {}, "loudness_lufs must be between"),
    ('x = [\n', {}, "not valid TOML"),
    ('xmltv_domain = "BinhSon_Radio.vn"\n', {}, "'xmltv_domain' must be a lowercase DNS name"),
    ('', {"BROADCASTER_XMLTV_DOMAIN": "-bad-.vn"},
     "environment BROADCASTER_XMLTV_DOMAIN: setting 'xmltv_domain'"),
    ('xmltv_ids = "PTTH-BS"\n', {}, "'xmltv_ids': 'PTTH-BS' is not CODE=id"),
    ('xmltv_ids = "PTTH-BS=PTTH-BS"\n', {}, "'PTTH-BS' is not an XMLTV channel id"),
    ('xmltv_ids = "A=a.vn, A=b.vn"\n', {}, "station A is given twice"),
])
def test_bad_values_name_the_setting(tmp_path: Path, body: str, env: dict[str, str],
                                     message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, body), env=env)


def test_xmltv_ids_per_channel(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, 'xmltv_domain = "binhson.example"\n'
                                      'xmltv_ids = "PTTH-BS = vov.binhson.gov.vn, TH-BS=th.vn,"\n'),
                      env={})
    assert cfg.xmltv_domain == "binhson.example"
    assert cfg.xmltv_id_overrides == {"PTTH-BS": "vov.binhson.gov.vn", "TH-BS": "th.vn"}


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


def undocumented() -> list[str]:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    return [s.name for s in server_settings() if f"`{s.name}`" not in doc]


def test_every_setting_is_documented() -> None:
    missing = undocumented()
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


@dataclass(frozen=True)
class ToySettings:
    toy_pitch: int = setting(3, "Pitch of the toy engine.", positive)


class ToyEngine(Engine):
    """An engine as docs/configuration.md says to add one: its settings beside its code."""

    NAME = "toy"
    OFFLINE = True
    SETTINGS = ToySettings

    def synthesize(self, text: str, voice: str, rate: float) -> Audio:
        raise NotImplementedError


def test_an_engine_declares_its_settings_next_to_its_code(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    """Registering an engine is enough: its settings join the table, the file, the
    environment, the checks, ``config show`` and the docs check."""
    monkeypatch.setitem(ENGINES, "toy", ToyEngine)
    assert "toy_pitch" in [s.name for s in server_settings()]
    path = write(tmp_path, "toy_pitch = 5\n")
    assert load_config(path, env={}).section(ToySettings) == ToySettings(toy_pitch=5)
    cfg = load_config(path, env={"BROADCASTER_TOY_PITCH": "7"})
    assert cfg.section(ToySettings).toy_pitch == 7
    assert cfg.sources["toy_pitch"] == "environment BROADCASTER_TOY_PITCH"
    assert load_config(write(tmp_path, ""), env={}).section(ToySettings).toy_pitch == 3
    with pytest.raises(ConfigError, match="environment BROADCASTER_TOY_PITCH: setting "
                                          "'toy_pitch' must be greater than 0, got 0"):
        load_config(path, env={"BROADCASTER_TOY_PITCH": "0"})
    shown = CliRunner().invoke(main, ["config", "show", "--json"], env={
        "BROADCASTER_CONFIG": str(path), "BROADCASTER_TOY_PITCH": "7"})
    assert shown.exit_code == 0, shown.output
    rows = {r["name"]: r for r in json.loads(shown.output)["settings"]}
    assert rows["toy_pitch"] == {"name": "toy_pitch", "value": "7",
                                 "source": "environment BROADCASTER_TOY_PITCH",
                                 "help": "Pitch of the toy engine."}
    assert undocumented() == ["toy_pitch"]
