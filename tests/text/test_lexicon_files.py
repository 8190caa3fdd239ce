"""One lexicon for every path: the packaged file, the operator's files, then the web UI's
readings, read again when a file changes, so what the preview says is what airs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from broadcaster.errors import InputError
from broadcaster.text import Lexicon, LexiconFiles
from broadcaster.users import Operator
from broadcaster.web.ui import _speech


def write(path: Path, *lines: str) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def test_operator_files_then_the_ui_readings_win_and_a_missing_readings_file_is_none(
        tmp_path: Path) -> None:
    operator, readings = tmp_path / "tinh.tsv", tmp_path / "lexicon-ui.tsv"
    write(operator, "UBND\tủy ban tỉnh ta", "BS\tBình Sơn")
    files = LexiconFiles([operator], readings)
    packaged = Lexicon.default().entries["UBND"]
    assert packaged != "ủy ban tỉnh ta"
    assert files.current().apply("UBND BS") == "ủy ban tỉnh ta Bình Sơn"
    write(readings, "BS\tBình Sơn thân yêu")
    assert files.current().apply("UBND BS") == "ủy ban tỉnh ta Bình Sơn thân yêu"


def test_a_changed_file_is_read_again_and_an_unchanged_one_is_not(tmp_path: Path) -> None:
    readings = tmp_path / "lexicon-ui.tsv"
    write(readings, "HL\tHòa Lộc")
    files = LexiconFiles((), readings)
    first = files.current()
    assert files.current() is first  # nothing changed: the compiled lexicon is kept
    write(readings, "HL\tHòa Lộc", "TT\tTân Tiến")
    stamp = readings.stat().st_mtime_ns
    os.utime(readings, ns=(stamp + 10**9, stamp + 10**9))  # a coarse clock: still newer
    assert files.current().apply("HL TT") == "Hòa Lộc Tân Tiến"


def test_a_missing_operator_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="khong-co.tsv: the file does not exist"):
        LexiconFiles([tmp_path / "khong-co.tsv"]).current()


def test_a_reading_added_in_the_ui_is_what_the_normalize_command_and_renders_speak(  # type: ignore[no-untyped-def]
        cli, app) -> None:
    # Before: the UI kept its readings apart, so its preview could say what never aired.
    before = cli("normalize", "Xã BS-HL").stdout.strip()
    admin = Operator(id=1, name="tinh", role="admin", group=None)
    _speech.add_reading(app, "BS-HL", "Bình Sơn Hòa Lộc", admin)
    assert app.config.readings_path.is_file()
    assert cli("normalize", "Xã BS-HL").stdout.strip() == "Xã Bình Sơn Hòa Lộc." != before
    assert app.renderer.spoken_text("Xã BS-HL", "north") == "Xã Bình Sơn Hòa Lộc."
