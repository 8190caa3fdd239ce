"""YAML from people is read within bounds: deep nesting, alias bombs and huge files are refused
with the file's name and line, where the user meets them (schedule files, document front
matter), and never as a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broadcaster.errors import InputError
from broadcaster.yamlbounds import MAX_DEPTH, YamlRefused, compose, load

BIN = Path(sys.executable).parent / "broadcaster"
DEEP = "[" * 5000 + "]" * 5000
DEEP_BLOCK = "".join("  " * i + "- \n" for i in range(1000))  # 1 MB: indents grow


def bomb(levels: int = 9) -> str:
    """Billion laughs: each line names the line above nine times (9 ** levels values)."""
    lines = ['l0: &l0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_nesting_is_refused_at_the_depth_limit() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert compose(ok, "f.yaml", max_nodes=1000) is not None
    with pytest.raises(YamlRefused, match=rf"^f.yaml:1:{MAX_DEPTH + 1}: the YAML is nested "
                                          rf"more than {MAX_DEPTH} levels deep"):
        compose("[" + ok + "]", "f.yaml", max_nodes=1000)
    with pytest.raises(YamlRefused, match=rf"^f.yaml:{MAX_DEPTH + 1}:"):
        load(DEEP_BLOCK, "f.yaml", max_nodes=10**6)


def test_aliases_count_what_they_stand_for() -> None:
    started = time.monotonic()
    with pytest.raises(YamlRefused, match=r"^f.yaml:5:\d+: the YAML stands for more than "
                                          r"10,000 values once its aliases"):
        load(bomb(), "f.yaml", max_nodes=10_000)
    assert time.monotonic() - started < 2
    assert load(bomb(2), "f.yaml", max_nodes=10_000)["l2"][8][8][8] == "ha"
    with pytest.raises(YamlRefused, match="the alias \\*a refers to a collection it is inside"):
        load("a: &a [1, *a]", "f.yaml", max_nodes=100)


def test_values_the_constructor_refuses_name_the_place() -> None:
    with pytest.raises(YamlRefused, match=r"^f.yaml:2:7: the value '2024-13-45' cannot be read: "
                                          r"month must be in 1..12"):
        load("title: x\ndate: 2024-13-45\n", "f.yaml", max_nodes=100)
    with pytest.raises(YamlRefused, match=r"^f.yaml:1:4: .* cannot be read: Exceeds the limit"):
        load("n: " + "1" * 5000, "f.yaml", max_nodes=100)
    # Explicit tags on values not of their kind (found by tests/fuzz): PyYAML's constructors
    # raise AttributeError and KeyError there.
    with pytest.raises(YamlRefused, match=r"^f.yaml:1:7: the value '7:00' cannot be read"):
        load("date: !!timestamp 7:00", "f.yaml", max_nodes=100)
    with pytest.raises(YamlRefused, match=r"^f.yaml:1:5: the value 'maybe' cannot be read"):
        load("ok: !!bool maybe", "f.yaml", max_nodes=100)


def _validate(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BROADCASTER_HOME": str(tmp_path / "var"), "BROADCASTER_CONFIG": ""}
    return subprocess.run([str(BIN), "schedule", "validate", str(path)], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize("name, text, where, message", [
    ("deep.yaml", "entries:\n  - " + DEEP + "\n", ":2:67:", "nested more than 64 levels deep"),
    ("deep-block.yaml", "entries:\n" + DEEP_BLOCK, ":65:", "nested more than 64 levels deep"),
    ("bomb.yaml", bomb(), ":6:5:", "stands for more than 500,000 values once its aliases"),
    ("self.yaml", "entries: &e [*e]\n", ":1:14:", "the alias *e refers to a collection"),
])
def test_schedule_validate_refuses_unbounded_yaml(tmp_path: Path, name: str, text: str,
                                                  where: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = _validate(path, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{path}{where}" in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_schedule_validate_refuses_a_huge_file_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("entries:\n")
        out.writelines(f"  - {{id: e{i}, programme: p, target: T, start: '06:00', "
                       "rrule: FREQ=DAILY}\n" for i in range(80_000))
    assert path.stat().st_size > 4 * 1024 * 1024
    started = time.monotonic()
    done = _validate(path, tmp_path)
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert f"{path}: the schedule file is over the limit of 4,194,304 bytes" in done.stderr


@pytest.mark.parametrize("front, message", [
    ("tags: " + DEEP, "line 2: front matter is refused: the YAML is nested more than 64"),
    ("title: x\n" + bomb(), "line 7: front matter is refused: the YAML stands for more than "
                            "10,000 values"),
    ("title: x\ndate: 2024-13-45", "line 3: front matter is refused: the value '2024-13-45' "
                                   "cannot be read"),
    ("title: " + "x" * 70_000, "line 2: front matter is longer than 65,536 characters"),
])
def test_docs_add_refuses_unbounded_front_matter(cli, tmp_path: Path, front: str,  # type: ignore[no-untyped-def]
                                                 message: str) -> None:
    path = tmp_path / "van-ban.md"
    path.write_text(f"---\n{front}\n---\nXin chào bà con.\n", encoding="utf-8")
    result = cli("docs", "add", str(path), code=1)
    assert f"{path} {message}" in result.stderr, result.stderr
    assert "no documents" in cli("docs", "list").stdout.lower() or \
        "van-ban" not in cli("docs", "list").stdout


def test_read_document_errors_are_input_errors(tmp_path: Path) -> None:
    """The reader itself (the inbox calls it too), not only the command."""
    from broadcaster.documents import read_document

    path = tmp_path / "sau.md"
    path.write_text(f"---\ntags: {DEEP}\n---\nXin chào.\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"^{path} line 2: front matter is refused"):
        read_document(path, 10**6)
