"""Fuzz the document decoders and the YAML reader, each for a bounded time, and print figures.

    python tests/fuzz/run.py [--seconds 60] [--target NAME ...]

Per target: a working corpus under var/fuzz/corpus/NAME (kept between runs), seeded from
tests/fuzz/seeds/NAME, the repository's own examples (schedules/*.yaml, docs/examples/*.md,
generated .docx files) and the inputs recorded in tests/fuzz/crashes/; atheris (libFuzzer) runs
``-max_total_time=SECONDS`` with a dictionary of YAML and RRULE words. It prints, per target,
executions, executions a second, coverage (libFuzzer's ``cov:`` edges and ``ft:`` features),
corpus size, peak memory and crashes found; it exits 1 when any target found a crash (written to
tests/fuzz/crashes/, see fuzz_one.py) or could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CRASHES = HERE / "crashes"  # the default; --crashes elsewhere (the test suite's own run)
TARGETS = ("schedule_yaml", "document_text", "docx")
# PyYAML is pure Python: a schedule of 4 KB already holds a few dozen entries.
MAX_LEN = {"schedule_yaml": 4096, "document_text": 8192, "docx": 65536}
SUFFIXES = (".txt", ".md", ".markdown", ".text")  # as tests/fuzz/targets.py reads byte 0


@dataclass
class Figures:
    target: str
    seconds: float
    runs: int = 0
    exec_s: int = 0
    cov: int = 0
    ft: int = 0
    corpus: int = 0
    rss_mb: int = 0
    crashes: int = 0
    failed: str = ""


def _docx_seeds(folder: Path) -> None:
    import docx

    made = docx.Document()
    made.core_properties.title = "Thông báo tiêm chủng"
    made.add_heading("Thông báo", level=1)
    made.add_paragraph("Ngày 12/6/2024, UBND xã tổ chức tiêm chủng cho trẻ em.")
    table = made.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "Thôn 1", "8 giờ"
    run = made.add_paragraph().add_run("Uû ban nh©n d©n")  # TCVN3 glyphs in a .VnTime run
    run.font.name = ".VnTime"
    made.save(str(folder / "seed-made.docx"))
    docx.Document().save(str(folder / "seed-empty.docx"))


def seed(target: str, corpus: Path, crashes: Path = CRASHES) -> None:
    """Fill the working corpus with the seeds, the repository's examples and known crashes."""
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted((HERE / "seeds" / target).glob("*")):
        shutil.copy(path, corpus / path.name)
    for path in sorted(crashes.glob(f"{target}-*.bin")):
        shutil.copy(path, corpus / path.name)
    if target == "schedule_yaml":
        for path in sorted((REPO / "schedules").glob("*.yaml")):
            shutil.copy(path, corpus / f"repo-{path.name}")
    elif target == "document_text":
        for path in sorted((REPO / "docs" / "examples").glob("*.md")):
            (corpus / f"repo-{path.name}").write_bytes(bytes([SUFFIXES.index(".md")])
                                                       + path.read_bytes())
    else:
        _docx_seeds(corpus)


def _figures(target: str, seconds: float, log: str, crashes: int) -> Figures:
    out = Figures(target, seconds, crashes=crashes)
    stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", log))
    out.runs = int(stats.get("number_of_executed_units", 0))
    out.exec_s = int(stats.get("average_exec_per_sec", 0))
    out.rss_mb = int(stats.get("peak_rss_mb", 0))
    progress = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", log)
    if progress:
        out.cov, out.ft, out.corpus = map(int, progress[-1])
    return out


def run_target(target: str, seconds: int, work: Path, crashes: Path = CRASHES) -> Figures:
    """One bounded atheris run of ``target``; its figures."""
    corpus, artifacts = work / "corpus" / target, work / "artifacts" / target
    seed(target, corpus, crashes)
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    crashes.mkdir(parents=True, exist_ok=True)
    before = set(crashes.glob(f"{target}-*.bin"))
    command = [sys.executable, str(HERE / "fuzz_one.py"), target, str(crashes),
               f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=1536",
               f"-max_len={MAX_LEN[target]}", "-print_final_stats=1", f"-dict={HERE / 'inputs.dict'}",
               f"-artifact_prefix={artifacts}/", str(corpus)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300,
                          cwd=REPO)
    elapsed = time.monotonic() - started
    (work / f"{target}.log").write_text(done.stderr, encoding="utf-8")
    for artifact in sorted(artifacts.iterdir()):  # timeouts, out of memory, hard crashes
        shutil.copy(artifact, crashes / f"{target}-{artifact.name}.bin")
    found = set(crashes.glob(f"{target}-*.bin")) - before
    figures = _figures(target, elapsed, done.stderr, len(found))
    if done.returncode != 0 and not found:
        figures.failed = f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--target", action="append", choices=TARGETS,
                        help="only this target (repeatable); default: all")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "fuzz",
                        help="corpus, artifacts and logs (default var/fuzz)")
    parser.add_argument("--crashes", type=Path, default=CRASHES,
                        help="where crashes are recorded (default tests/fuzz/crashes)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    rows = [run_target(t, args.seconds, args.work, args.crashes) for t in args.target or TARGETS]
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))
        return 1 if any(r.crashes or r.failed for r in rows) else 0
    print(f"{'target':<14} {'seconds':>7} {'runs':>9} {'exec/s':>7} {'cov':>6} {'ft':>6} "
          f"{'corpus':>6} {'rss MB':>6} {'crashes':>7}")
    for r in rows:
        print(f"{r.target:<14} {r.seconds:>7.0f} {r.runs:>9,} {r.exec_s:>7,} {r.cov:>6,} "
              f"{r.ft:>6,} {r.corpus:>6,} {r.rss_mb:>6} {r.crashes:>7}")
        if r.failed:
            print(f"  {r.target} did not run: {r.failed}")
    for path in sorted(args.crashes.glob("*-*.txt")):  # not open.txt
        print(f"crash on record: {path.name}: "
              f"{path.read_text(encoding='utf-8').splitlines()[0]}")
    return 1 if any(r.crashes or r.failed for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
