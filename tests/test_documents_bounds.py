"""Hostile documents: zip bombs, entity expansion, truncated files, symlinks and FIFOs are
refused through the real ``broadcaster docs add`` with one line naming the file, no traceback
and bounded memory."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from broadcaster.documents import read_document
from broadcaster.errors import InputError
from tests.helpers import run_measured
from tests.hostile_docs import (
    blank_docx,
    bomb_docx,
    good_docx,
    laughs_docx,
    truncated_docx,
    write_zip,
)

GIB = 1 << 30
RSS_LIMIT_MB = 300


def docs_add(tmp_path: Path, *files: Path, timeout: float = 60) -> tuple[
        subprocess.CompletedProcess[str], float]:
    """``broadcaster docs add FILES`` in a process of its own; its result and its peak RSS in
    MB (that process's own: see tests.helpers.run_measured)."""
    env = {**os.environ, "BROADCASTER_HOME": str(tmp_path / "var"),
           "BROADCASTER_DATABASE_URL": f"sqlite:///{tmp_path / 'docs.db'}",
           "BROADCASTER_CONFIG": "", "BROADCASTER_ENGINES": "espeak"}
    return run_measured([sys.executable, "-m", "broadcaster", "docs", "add", *map(str, files)],
                        env, timeout)


def refused(done: subprocess.CompletedProcess[str], path: Path, why: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"broadcaster: error: {path}: "), lines
    assert why in lines[0], lines[0]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bom.docx"
    bomb_docx(path, GIB)
    return path


def test_a_docx_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path, bomb: Path) -> None:
    assert bomb.stat().st_size < 2_000_000  # under max_document_bytes: the size check passes
    done, peak = docs_add(tmp_path, bomb)
    refused(done, bomb, "expands to 1,074,")
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_a_docx_lying_about_its_sizes_is_read_no_further_than_it_says(tmp_path: Path) -> None:
    path = tmp_path / "liar.docx"
    bomb_docx(path, GIB, declared=20_000)
    done, peak = docs_add(tmp_path, path)
    refused(done, path, "not a valid .docx")
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_entity_expansion_in_a_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.docx"
    laughs_docx(path)
    done, peak = docs_add(tmp_path, path)
    refused(done, path, "not a valid .docx")
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_a_truncated_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.docx"
    truncated_docx(path)
    done, _ = docs_add(tmp_path, path)
    refused(done, path, "not a valid .docx")


def test_the_limits_leave_an_ordinary_docx_alone(tmp_path: Path) -> None:
    path = tmp_path / "ok.docx"
    good_docx(path, "Nghị quyết số 57. " * 2000)
    parsed = read_document(path, 2_000_000)
    assert parsed.text.startswith("Nghị quyết số 57.")


@pytest.mark.parametrize("members", [5000])
def test_a_docx_of_too_many_parts_is_refused(tmp_path: Path, members: int) -> None:
    path = tmp_path / "many.docx"
    parts = list(blank_docx().items()) + [(f"word/media/x{i}.xml", b"<x/>")
                                           for i in range(members)]
    write_zip(path, [(name, zlib.compress(body)[2:-4], zlib.crc32(body), len(body), len(body))
                     for name, body in parts])
    with pytest.raises(InputError, match="many.docx: .* parts"):
        read_document(path, 2_000_000)


def test_docs_add_refuses_a_symlink_and_stores_nothing_of_its_target(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n", encoding="utf-8")
    link = tmp_path / "tin-bai.txt"
    link.symlink_to(secret)
    done, _ = docs_add(tmp_path, link)
    refused(done, link, "a symbolic link; only regular files are read")
    db = (tmp_path / "docs.db").read_bytes() if (tmp_path / "docs.db").exists() else b""
    assert b"secret-hash" not in db


@pytest.mark.parametrize(("make", "kind"), [(os.mkfifo, "a FIFO"), (os.mkdir, "a folder")])
def test_docs_add_refuses_what_is_not_a_regular_file_without_waiting(  # type: ignore[no-untyped-def]
        tmp_path: Path, make, kind: str) -> None:
    path = tmp_path / "tin-bai.txt"
    make(path)
    done, _ = docs_add(tmp_path, path, timeout=30)  # a FIFO opened for reading would wait
    refused(done, path, f"{kind}; only regular files are read")

