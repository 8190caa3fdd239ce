"""The inbox takes each file on its own: a bad file, a symbolic link, a FIFO or a dangling link
is refused and logged once, and the good files around it are stored and spoken."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from broadcaster.app import App
from broadcaster.db import Document, DocumentRevision
from broadcaster.inbox import Inbox
from tests.hostile_docs import laughs_docx

GOOD = "Xin chào bà con. Hôm nay có họp thôn lúc 19 giờ."


def settled_clock(folder: Path):  # type: ignore[no-untyped-def]
    """A minute after the newest entry of ``folder`` (file times, not the process clock)."""
    def clock() -> float:
        return max((p.lstat().st_mtime for p in folder.iterdir()), default=0.0) + 60
    return clock


def stored(app: App) -> tuple[list[str], str]:
    """The keys of the stored documents, and every stored text joined."""
    with app.sessions() as session:
        keys = sorted(session.scalars(select(Document.key)))
        texts = "\n".join(session.scalars(select(DocumentRevision.text)))
    return keys, texts


def test_bad_files_and_links_are_refused_one_by_one_and_the_good_one_is_taken(
        app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("Mật khẩu quản trị: secret-hash-4711.\n", encoding="utf-8")
    folder = tmp_path / "inbox"
    folder.mkdir()
    laughs_docx(folder / "a-hong.docx")          # libxml2 refuses it: was a traceback
    (folder / "b-bi-mat.txt").symlink_to(secret)  # was followed, and the secret stored
    os.mkfifo(folder / "c-ong.txt")               # was skipped in silence; must not hang
    (folder / "d-mat.md").symlink_to(tmp_path / "nowhere.md")  # was a crash of the scan
    (folder / "e-tot.txt").write_text(GOOD, encoding="utf-8")
    for age, name in enumerate(["e-tot.txt", "d-mat.md", "c-ong.txt", "b-bi-mat.txt",
                                "a-hong.docx"]):  # the bad ones first: oldest first
        stamp = 1_900_000_000 - 60 * age
        os.utime(folder / name, (stamp, stamp), follow_symlinks=False)
    inbox = Inbox(app, folder, clock=settled_clock(folder))
    with caplog.at_level(logging.ERROR, logger="broadcaster.inbox"):
        results = {r.path.name: r for r in inbox.scan()}
        assert inbox.scan() == []  # the refused ones are not read (or logged) again
    assert {n: r.outcome for n, r in results.items()} == {
        "a-hong.docx": "failed", "b-bi-mat.txt": "failed", "c-ong.txt": "failed",
        "d-mat.md": "failed", "e-tot.txt": "new"}
    assert "not a valid .docx" in results["a-hong.docx"].message
    assert "a symbolic link" in results["b-bi-mat.txt"].message
    assert "a FIFO" in results["c-ong.txt"].message
    assert "a symbolic link" in results["d-mat.md"].message
    assert results["e-tot.txt"].clips
    for name in ["a-hong.docx", "b-bi-mat.txt", "c-ong.txt", "d-mat.md"]:
        assert sum(name in r.getMessage() for r in caplog.records) == 1, name
    keys, texts = stored(app)
    assert keys == ["e-tot"]
    assert "secret-hash" not in texts


def test_a_file_that_breaks_something_unforeseen_stops_only_itself(
        app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a-la.txt").write_text("Văn bản làm hỏng bộ đọc.", encoding="utf-8")
    (folder / "b-tot.txt").write_text(GOOD, encoding="utf-8")
    os.utime(folder / "a-la.txt", (1_800_000_000, 1_800_000_000))
    os.utime(folder / "b-tot.txt", (1_800_000_060, 1_800_000_060))
    render = app.renderer.render

    def fragile(request):  # type: ignore[no-untyped-def]
        if "hỏng" in request.text:
            raise RuntimeError("a bug met by this text")
        return render(request)

    monkeypatch.setattr(app.renderer, "render", fragile)
    results = Inbox(app, folder, clock=settled_clock(folder)).scan()
    assert [(r.path.name, r.outcome) for r in results] == [("a-la.txt", "failed"),
                                                          ("b-tot.txt", "new")]
    assert "RuntimeError: a bug met by this text" in results[0].message
