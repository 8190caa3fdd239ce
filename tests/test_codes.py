"""One code syntax, checked by every maker: the schedule files, the command line, announce.

(The web UI's answers, 400 with a Vietnamese message, are in tests/ui/test_rights.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from broadcaster.app import App
from broadcaster.codes import CodeError, check_code
from broadcaster.db import Entry, Programme
from broadcaster.schedule.yamlfile import load_schedule, validate
from tests.helpers import SCHEDULE

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "schedules" / "binh-son.yaml"
# From the probes: a path out of a folder, a line break, markup, and an '@' (which splits
# playlist item ids "entry@time" and so breaks coverage attribution).
BAD = ["../../x", "a\nb", "a\n", "<script>", "a@b", "", " a", "a b", "a/b", "-a", ".a",
       "Tân-Tiến", "x" * 101]
KINDS = ["entry", "programme", "station", "group", "former", "user"]


@pytest.mark.parametrize("what", KINDS)
@pytest.mark.parametrize("value", BAD)
def test_bad_codes_are_refused(what: str, value: str) -> None:
    with pytest.raises(CodeError, match=f"{what} code"):
        check_code(value, what)


@pytest.mark.parametrize("value", ["../../x", "a\n", "<x>", "a@b", ".a", "a/b", "x" * 201])
def test_bad_document_keys_are_refused(value: str) -> None:
    with pytest.raises(CodeError, match="document key"):
        check_code(value, "document")


def test_every_code_in_use_stays_valid() -> None:
    """The example province and the tests' province keep working."""
    for spec in (load_schedule([EXAMPLE]),):
        for g in spec.groups:
            check_code(g.code, "group")
            for a in g.aliases:
                check_code(a.code, "former")
        for s in spec.stations:
            check_code(s.code, "station")
        for p in spec.programmes:
            check_code(p.code, "programme")
        for e in spec.entries:
            check_code(e.id, "entry")
    assert check_code("x" * 100, "entry") and check_code("x" * 64, "group")
    assert check_code("nghi-quyet-tom-tat", "document") == "nghi-quyet-tom-tat"
    assert check_code("Nghị_quyết.57", "document")        # keys come from file names
    assert check_code("thong-bao-12", "entry")               # what announce makes


@pytest.mark.parametrize("bad", ["../../x", "a@b", "<script>"])
def test_schedule_files_name_file_line_and_field(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SCHEDULE.replace("{id: chieu,", f"{{id: '{bad}',"), encoding="utf-8")
    problems = [str(p) for p in validate([path])]
    line = SCHEDULE.splitlines().index(next(x for x in SCHEDULE.splitlines()
                                            if "id: chieu" in x)) + 1
    assert any(p.startswith(f"{path}:{line}:") and "entries[1].id" in p and "not a valid id"
               in p for p in problems), problems


@pytest.mark.parametrize("bad", ["../../x", "a@b", "<script>", "a\nb"])
def test_command_line_makers_refuse_bad_codes(cli, app: App, tmp_path: Path, bad: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tinh.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))
    out = cli("schedule", "add", bad, "--programme", "ban-tin", "--target", "BS-TANTIEN",
              "--start", "2030-03-05T07:00", code=1).stderr
    assert f"entry code {bad!r} must be 1-100 letters" in out
    out = cli("programme", "add", bad, "--title", "X", "--item", "jingle:mo-dau", code=1).stderr
    assert f"programme code {bad!r} must be" in out
    assert "must be" in cli("programme", "add", "p", "--title", "X", "--item",
                            f"document:{bad}", code=1).stderr
    assert f"station code {bad!r}" in cli("stations", "add", bad, "--name", "x", code=1).stderr
    assert f"group code {bad!r}" in cli("groups", "add", bad, "--name", "x", code=1).stderr
    assert f"former code {bad!r}" in cli("groups", "add", "BS-MOI", "--name", "x",
                                         "--alias", bad, code=1).stderr
    password = tmp_path / "password.txt"
    password.write_text("mat-khau-dai-du\n", encoding="utf-8")
    assert f"user code {bad!r}" in cli("users", "add", bad, "--role", "viewer",
                                       "--password-file", str(password), code=1).stderr
    doc = tmp_path / "thong-bao.txt"
    doc.write_text("Thông báo của xã.\n", encoding="utf-8")
    assert f"document key {bad!r}" in cli("docs", "add", str(doc), "--key", bad, code=1).stderr
    with app.sessions() as session:   # nothing was made
        assert session.scalar(select(Entry).where(Entry.code == bad)) is None
        assert session.scalar(select(Programme).where(Programme.code == bad)) is None
