"""The command line as an operator uses it: real commands, real files, exit codes, JSON."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from broadcaster import __version__
from broadcaster.cli import main
from tests.conftest import EXAMPLE
from tests.helpers import SERVER_PACKAGES, heavy_imports

BIN = Path(sys.executable).parent / "broadcaster"


@pytest.fixture
def run(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    env = {"BROADCASTER_HOME": str(tmp_path / "var"), "BROADCASTER_DATABASE_URL": database_url,
           "BROADCASTER_ENGINES": "espeak", "BROADCASTER_CONFIG": ""}

    def invoke(*args: str, input: str | None = None, code: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, input=input,
                                    catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_help_lists_every_command_with_one_line() -> None:
    out = subprocess.run([str(BIN), "--help"], capture_output=True, text=True, check=True).stdout
    commands = out.split("Commands:")[1].strip().splitlines()
    names = {line.split()[0] for line in commands}
    assert {"db", "docs", "normalize", "tts", "clips", "engines", "config", "demo"} <= names
    assert all(len(line.split()) > 1 for line in commands), "every command has a help line"


def test_every_command_is_in_the_lazy_map() -> None:
    """``broadcaster`` loads a command's module when the command runs: the map must name every
    command its modules register, and the right module."""
    from broadcaster.cli import COMMANDS

    for module in set(COMMANDS.values()):
        importlib.import_module(f"broadcaster.cli.{module}")
    assert set(main.commands) == set(COMMANDS)
    for name, command in main.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == f"broadcaster.cli.{COMMANDS[name]}", name


@pytest.mark.parametrize("command", ["announce", "agent"])
def test_quick_commands_start_without_the_server_stack(command: str) -> None:
    """``announce`` hands its work to the running service and ``agent`` runs on a Pi: neither
    may pay for importing the database, the web stack or the speech stack to start."""
    loaded = heavy_imports("from broadcaster.cli import main\n"
                           f"main([{command!r}, '--help'], standalone_mode=False)",
                           packages=(*SERVER_PACKAGES, "httpx"))
    assert loaded == []


def test_help_lines_are_the_commands_own() -> None:
    """``--help`` lists commands from ``SHORT_HELP`` without importing them: the lines must be
    the commands' own short help."""
    from broadcaster.cli import COMMANDS, SHORT_HELP

    for module in set(COMMANDS.values()):
        importlib.import_module(f"broadcaster.cli.{module}")
    assert set(SHORT_HELP) == set(COMMANDS)
    for name, command in main.commands.items():
        assert SHORT_HELP[name] == command.get_short_help_str(limit=200), name


# A station's slim install: the server's libraries cannot be imported (None in sys.modules).
SLIM = ("import sys\n"
        f"for name in {(*SERVER_PACKAGES, 'yaml', 'pydub', 'lxml', 'starlette'):}:\n"
        "    sys.modules[name] = None\n"
        "from broadcaster.cli import main\n")


def test_slim_install_helps_and_names_the_server_install() -> None:
    helped = subprocess.run([sys.executable, "-c", SLIM + "main(['--help'])"],
                            capture_output=True, text=True)
    assert helped.returncode == 0, helped.stderr
    assert "db            Create, migrate and inspect the database." in helped.stdout
    agent = subprocess.run([sys.executable, "-c", SLIM + "main(['agent', '--help'])"],
                           capture_output=True, text=True)
    assert agent.returncode == 0 and "--player" in agent.stdout, agent.stderr
    for args in (["db", "status"], ["db", "--help"], ["serve"]):
        refused = subprocess.run([sys.executable, "-c", SLIM + f"main({args!r})"],
                                 capture_output=True, text=True)
        assert refused.returncode == 2, refused.stderr
        assert "pip install 'broadcaster[server]'" in refused.stderr
        assert "cần bản máy chủ" in refused.stderr and "needs the server install" in refused.stderr


def test_version() -> None:
    out = subprocess.run([str(BIN), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"broadcaster, version {__version__}"


def test_db_init(run) -> None:  # type: ignore[no-untyped-def]
    from broadcaster.db import head_revision

    head = head_revision()
    assert f"migrated from empty to schema {head}" in run("db", "init").output
    assert f"up to date (schema {head})" in run("db", "init").output


def test_docs_add_list_show(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = run("docs", "add", str(EXAMPLE)).output
    doc_id, status, revision = out.split("\t")[:3]
    assert (doc_id, status, revision) == ("1", "new", "revision 1")
    assert run("docs", "add", str(EXAMPLE)).output.split("\t")[1] == "unchanged"
    listed = json.loads(run("docs", "list", "--json").output)
    assert listed[0]["number"] == "57-NQ/TW" and listed[0]["revisions"] == 1
    shown = json.loads(run("docs", "show", "1", "--json").output)
    assert shown["key"] == "nghi-quyet-tom-tat" and shown["history"][0]["revision"] == 1
    spoken = run("docs", "show", "nghi-quyet-tom-tat", "--spoken").output
    assert "năm mươi bảy" in spoken


def test_docs_add_batch_goes_on_after_a_bad_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "tot.txt"
    good.write_text("Thông báo lịch cắt điện ngày 12/6/2024.", encoding="utf-8")
    bad = tmp_path / "rong.txt"
    bad.write_bytes(b"")
    result = run("docs", "add", str(bad), str(good), code=1)
    assert f"{bad}: the file is empty" in result.output
    assert "new" in result.output
    assert len(json.loads(run("docs", "list", "--json").output)) == 1


def test_normalize_text_and_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("normalize", "Năm 2024 có 21 xã.").output.strip() == \
        "Năm hai nghìn không trăm hai mươi tư có hai mươi mốt xã."
    assert "lẻ năm" in run("normalize", "Có 105 hộ.", "--dialect", "south").output
    path = tmp_path / "t.txt"
    path.write_text("UBND xã thông báo.", encoding="utf-8")
    assert run("normalize", str(path)).output.strip() == "Ủy ban nhân dân xã thông báo."
    chunks = run("normalize", str(path), "--chunks", "10").output.splitlines()
    assert all(len(line.split("\t")[0]) <= 10 or " " not in line.split("\t")[0]
               for line in chunks)


def test_operator_lexicon_extends_the_packaged_one(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lexicon = tmp_path / "tinh.tsv"
    lexicon.write_text("# thêm cho tỉnh\nHTX Tân Tiến\thợp tác xã Tân Tiến\nCOVID-19\tcô vít mười chín\n",
                       encoding="utf-8")
    text = "HTX Tân Tiến phòng chống COVID-19, UBND xã chỉ đạo."
    before = run("normalize", text).output.strip()
    assert "cô vít" not in before
    result = CliRunner().invoke(main, ["normalize", text], env={
        "BROADCASTER_HOME": str(tmp_path / "var"), "BROADCASTER_LEXICON": str(lexicon),
        "BROADCASTER_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("hợp tác xã Tân Tiến phòng chống cô vít mười chín, "
                                     "Ủy ban nhân dân xã chỉ đạo.")


def test_tts_inline_text_to_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out" / "thong-bao.mp3"
    result = run("tts", "Xin chào bà con, đây là Đài truyền thanh xã.", "-o", str(out),
                 "--json")
    info = json.loads(result.output)
    assert out.is_file() and out.stat().st_size == info["bytes"]
    assert info["engine"] == "espeak" and info["profile"] == "loudspeaker"
    assert info["duration_ms"] > 1000 and not info["cached"]
    again = json.loads(run("tts", "Xin chào bà con, đây là Đài truyền thanh xã.",
                           "--json").output)
    assert again["cached"] and again["clip"] == info["clip"]


def test_tts_stored_document_human_output(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "tb.md"
    src.write_text("---\ntitle: Thông báo\nvoice: south\n---\nXã tổ chức họp dân lúc 7h30.",
                   encoding="utf-8")
    run("docs", "add", str(src))
    out = run("tts", "doc:tb", "--profile", "radio").output
    assert "duration" in out and "LUFS" in out
    assert "engine    espeak, voice vi-vn-x-south" in out


@pytest.mark.parametrize(("args", "message", "code"), [
    (["tts", "x", "--engine", "festival"], "unknown speech engine 'festival'; valid engines", 2),
    (["tts", "x", "--profile", "cinema"], "unknown output profile 'cinema'", 2),
    (["tts", "x", "--engine", "piper"], "set 'piper_model'", 1),
    (["tts", "x", "-o", "x.wav"], "makes .mp3 files", 1),
    (["tts", "missing-file.txt"], "missing-file.txt: no such file", 1),
    (["tts", "doc:999"], "no document with id or key '999'", 1),
    (["tts", "x", "--voice", "en"], "no voice 'en'", 1),
])
def test_tts_errors_are_clear(run, args: list[str], message: str, code: int) -> None:  # type: ignore[no-untyped-def]
    result = run(*args, code=code)
    assert message in result.output
    assert "Traceback" not in result.output


def test_tts_gtts_without_network_or_fallback_fails_and_stores_nothing(run) -> None:  # type: ignore[no-untyped-def]
    import responses

    from tests.speech.conftest import GOOGLE_URL

    with responses.RequestsMock() as mock:
        import requests

        mock.add(responses.POST, GOOGLE_URL, body=requests.ConnectionError("no route"))
        result = run("tts", "Xin chào.", "--engine", "gtts", code=1)
    assert "cannot reach Google" in result.output
    assert json.loads(run("clips", "list", "--json").output) == []


def test_engines_and_config_show(run) -> None:  # type: ignore[no-untyped-def]
    engines = {e["name"]: e for e in json.loads(run("engines", "--json").output)}
    assert engines["espeak"]["status"] == "ready" and engines["espeak"]["offline"]
    assert "piper_model" in engines["piper"]["status"]
    settings = {s["name"]: s for s in json.loads(run("config", "show", "--json").output)
                ["settings"]}
    assert settings["engines"] == {**settings["engines"], "value": "espeak",
                                   "source": "environment BROADCASTER_ENGINES"}


def test_bad_config_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "b.toml"
    bad.write_text('dialect = "west"\n', encoding="utf-8")
    result = subprocess.run([str(BIN), "--config", str(bad), "engines"], capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert "'dialect' must be north or south" in result.stderr
