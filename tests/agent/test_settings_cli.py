"""The agent's settings (flags, TOML file), its command line, and its documentation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadcaster.agent.settings import SETTINGS, AgentSettings, load_settings
from broadcaster.cli import main
from broadcaster.errors import ConfigError
from tests.agent.conftest import make_item, stage
from tests.helpers import SERVER_MODULES, heavy_imports

DOCS = Path(__file__).resolve().parents[2] / "docs" / "agent.md"
# The agent must not touch the server's database: point it somewhere that cannot work.
ENV = {"BROADCASTER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
       "BROADCASTER_CONFIG": "/nonexistent/broadcaster.toml"}


def test_file_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('[agent]\nserver = "https://dai.example.vn/"\nstation = "TANTIEN-01"\n'
                      'token-file = "token"\ncache = "/var/lib/agent"\nwait_s = 30\n'
                      'fallback = ["nhac", "/srv/nhac-2.mp3"]\nmax_bytes_per_s = 20000\n')
    settings = load_settings(config, {"wait_s": 50, "player": None, "fallback": ()})
    assert settings == AgentSettings(
        server="https://dai.example.vn", station="TANTIEN-01", token_file=tmp_path / "token",
        cache=Path("/var/lib/agent"), wait_s=50,
        fallback=(tmp_path / "nhac", Path("/srv/nhac-2.mp3")), max_bytes_per_s=20000)


@pytest.mark.parametrize(("text", "flags", "message"), [
    ("", {}, "the agent needs --server, --station, --token-file, --cache"),
    ('sever = "x"', {}, "unknown agent setting 'sever' in .*valid settings: server, station"),
    ('wait_s = "long"', {}, "agent setting 'wait_s' must be a number, got 'long'"),
    ("wait_s = 90", {}, "'wait_s' must be between 1 and 60"),
    ("max_bytes_per_s = -5", {}, "must not be negative"),
    ('player = "vlc"', {}, "unknown player 'vlc'; valid players: auto, mpv, ffplay, aplay, file"),
    ('player = "file"', {}, "the file player needs --sink-dir DIR"),
    ("", {"server": "dai.example.vn"}, "must be an http:// or https:// URL"),
    ("[agent", {}, "cannot be read"),
])
def test_bad_settings_name_the_setting(tmp_path: Path, text: str, flags: dict[str, object],
                                       message: str) -> None:
    config = tmp_path / "agent.toml"
    base = {"server": "http://x", "station": "S", "token_file": "t", "cache": "c"} \
        if text or flags else {}
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, base | flags)


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert re.search(rf"^\| `{setting.name}` \|", text, re.M), \
            f"docs/agent.md does not document the setting {setting.name!r}"


def test_status_on_the_command_line(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ahead = 10**9  # seconds: these items are still to come
    items = [make_item("sang@X#1.1", ahead, ahead + 60, title="Thời sự buổi sáng"),
             make_item("chieu@X#1.1", ahead + 3600, ahead + 3700)]
    stage(settings, items, items[:1])
    runner = CliRunner(mix_stderr=False)
    done = runner.invoke(main, ["agent", "status", "--cache", str(settings.cache_dir),
                                "--json"], env=ENV)
    assert done.exit_code == 0, done.output + done.stderr
    data = json.loads(done.stdout)
    assert data["publication"] == 1 and data["unsent_reports"] == 0
    assert data["last_contact"] is None and data["media_ready"] == 1
    assert data["media_missing"] == [items[1].media.name]
    assert [(i["id"], i["media"]) for i in data["next_items"]] == [
        ("sang@X#1.1", "ready"), ("chieu@X#1.1", "missing")]
    text = runner.invoke(main, ["agent", "status", "--cache", str(settings.cache_dir)], env=ENV)
    assert text.exit_code == 0
    assert "publication   1" in text.stdout and "last contact  never" in text.stdout
    assert "media         1 ready, 1 missing" in text.stdout
    assert "normal    ready    Thời sự buổi sáng  [sang@X#1.1]" in text.stdout
    empty = runner.invoke(main, ["agent", "status", "--cache", str(tmp_path / "none")], env=ENV)
    assert "no playlist has been received yet" in empty.stdout


def test_start_up_errors_are_one_sentence(tmp_path: Path) -> None:
    runner = CliRunner(mix_stderr=False)
    missing = runner.invoke(main, ["agent", "--server", "http://127.0.0.1:9"], env=ENV)
    assert missing.exit_code == 2
    assert missing.stderr.strip() == ("broadcaster: error: the agent needs --station, "
                                      "--token-file, --cache (as options or in --config)")
    token = tmp_path / "token"
    token.write_text("t")
    no_player = runner.invoke(main, [
        "agent", "--server", "http://127.0.0.1:9", "--station", "S", "--token-file",
        str(token), "--cache", str(tmp_path / "c"), "--player", "mpv", "--player-path",
        "/nonexistent/mpv"], env=ENV)
    assert no_player.exit_code == 2
    assert "install the Debian package 'mpv'" in no_player.stderr
    assert "Traceback" not in no_player.stderr


BLOCK_HTTPX = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "httpx":
            raise ImportError("no httpx here", name="httpx")
sys.meta_path.insert(0, Block())
from broadcaster.cli import main
main(sys.argv[1:])
"""


def test_without_httpx_only_the_agent_itself_refuses_to_start(tmp_path: Path) -> None:
    """httpx is the agent's alone: the server's commands and ``agent status`` work without."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", BLOCK_HTTPX, *args], env=os.environ | ENV,
                              capture_output=True, text=True, timeout=60)

    assert run("--help").returncode == 0
    status = run("agent", "status", "--cache", str(tmp_path))
    assert status.returncode == 0 and "no playlist has been received yet" in status.stdout
    token = tmp_path / "token"
    token.write_text("t")
    agent = run("agent", "--server", "http://127.0.0.1:9", "--station", "S", "--token-file",
                str(token), "--cache", str(tmp_path / "c"))
    assert agent.returncode == 2
    assert agent.stderr.strip() == ("broadcaster: error: the agent cannot start: the Python "
                                    "package 'httpx' is not installed (pip install httpx)")


def test_the_agent_imports_nothing_of_the_server() -> None:
    """A Pi has no database: the agent's package must not pull in the server's modules."""
    assert heavy_imports("import broadcaster.agent.runner, broadcaster.agent.players",
                         modules=(*SERVER_MODULES, "broadcaster.config")) == []
