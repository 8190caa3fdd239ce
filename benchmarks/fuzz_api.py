"""API fuzz run: schemathesis against a real ``broadcaster serve`` of the demo province.

Run: ``make fuzz-api`` (or ``.venv/bin/python benchmarks/fuzz_api.py [--seconds 300]``).

- setup: a throw-away home with ``broadcaster demo`` (the example province, published, with
  station XUANLOC-01's token in HOME/demo/XUANLOC-01.token), or ``--home`` to reuse one;
- server: ONE ``broadcaster serve`` on 127.0.0.1 with the scheduler running, the per-station
  rate limit raised (``BROADCASTER_STATION_RATE``/``_BURST`` 1000) so that the fuzzer reaches
  the handlers instead of 429;
- fuzzer: ``schemathesis run`` on ``/api/v1/openapi.json`` with the station's bearer token and
  every check (server errors, status codes, content types, headers, response schemas, valid
  data accepted, invalid data refused, auth), in two passes of half the time budget each:
  "station" with ``code`` fixed to the demo station and ``name`` to one of its media files (so
  that bodies, ranges and long-polls reach real data), then "any code" with every parameter
  generated;
- verdict: fails when schemathesis found any failure, when ``serve`` died, or when its log
  holds a traceback; prints schemathesis's figures and serve's answers by status.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# benchmarks/ is not a package: the script's folder is on sys.path
from _http import fetch_text
from _tools import BenchError, Process, broadcaster_cmd, free_port, load_average, table, wait_http

STATION = "XUANLOC-01"
SCHEMA = "/api/v1/openapi.json"


def demo_home(root: Path) -> Path:
    """``broadcaster demo`` in ``root``/home; the home."""
    home = root / "home"
    started = time.monotonic()
    done = subprocess.run([*broadcaster_cmd(), "demo"], env=_env(home), cwd=root, text=True,
                          capture_output=True, timeout=1800)
    if done.returncode:
        raise BenchError(f"broadcaster demo failed:\n{(done.stdout + done.stderr)[-2000:]}")
    print(f"broadcaster demo: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return home


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "BROADCASTER_HOME": str(home), "BROADCASTER_DATABASE_URL": "",
            "BROADCASTER_ENGINES": "espeak", "BROADCASTER_CONFIG": "",
            "BROADCASTER_STATION_RATE": "1000", "BROADCASTER_STATION_BURST": "1000"}


def media_name(base: str, token: str) -> str:
    """One media file of the station's playlist (``sha256.ext``)."""
    import urllib.request

    request = urllib.request.Request(f"{base}/api/v1/stations/{STATION}/playlist.json",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        items = json.loads(answer.read())["items"]
    for item in items:
        url = (item.get("media") or {}).get("url", "")
        if "/media/" in url:
            return str(url.rsplit("/", 1)[1])
    raise BenchError(f"station {STATION}'s playlist names no media file")


def statuses(base: str) -> dict[str, float]:
    """serve's answers so far, by status (all routes)."""
    text = fetch_text(f"{base}/metrics")
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("broadcaster_http_requests_total{"):
            labels, _, value = line.rpartition(" ")
            status = labels.split('status="', 1)[1].split('"', 1)[0]
            counts[status] = counts.get(status, 0) + float(value)
    return counts


def schemathesis(name: str, base: str, token: str, seconds: float, seed: int, work: Path,
                 parameters: dict[str, str]) -> dict[str, Any]:
    """One ``schemathesis run``; its JSON report."""
    folder = work / name.replace(" ", "-")
    folder.mkdir()
    config = folder / "schemathesis.toml"
    config.write_text("[parameters]\n" + "".join(f'"{k}" = "{v}"\n'
                                                 for k, v in parameters.items()))
    st = Path(sys.executable).with_name("schemathesis")
    cmd = [str(st), "--config-file", str(config), "run", f"{base}{SCHEMA}",
           "-H", f"Authorization: Bearer {token}", "--checks", "all",
           "--max-time", str(max(1, int(seconds))), "--seed", str(seed),
           "--request-timeout", "70", "--report", "json", "--report-dir", str(folder)]
    print(f"{name}: schemathesis for {seconds:.0f} s ...", file=sys.stderr)
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True,
                          timeout=seconds + 600)
    (folder / "output.txt").write_text(done.stdout + done.stderr)
    reports = sorted(folder.glob("json-*.json"))
    if not reports:
        raise BenchError(f"schemathesis wrote no report:\n{(done.stdout + done.stderr)[-3000:]}")
    report: dict[str, Any] = json.loads(reports[-1].read_text())
    report["output"] = done.stdout
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300,
                        help="fuzzing time budget, both passes together (300)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000,
                        help="schemathesis seed (default: from the clock; printed)")
    parser.add_argument("--home", type=Path,
                        help="an existing home made by 'broadcaster demo' (copied, not changed)")
    args = parser.parse_args()
    if shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None:
        raise BenchError("schemathesis is not installed in this environment: "
                         "pip install -e '.[server,test]'")
    with tempfile.TemporaryDirectory(prefix="fuzz-api-") as name:
        root = Path(name)
        if args.home:
            home = root / "home"
            shutil.copytree(args.home, home, symlinks=True)
        else:
            home = demo_home(root)
        token = (home / "demo" / f"{STATION}.token").read_text().strip()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = root / "serve.log"
        with Process("broadcaster serve", [*broadcaster_cmd(), "serve", "--port", str(port)],
                     log, env=_env(home), cwd=root) as serve:
            wait_http(f"{base}/healthz", serve)
            before = statuses(base)
            media = media_name(base, token)
            started = time.monotonic()
            runs = [("station", schemathesis("station", base, token, args.seconds / 2,
                                             args.seed, root, {"path.code": STATION,
                                                               "path.name": media})),
                    ("any code", schemathesis("any code", base, token, args.seconds / 2,
                                              args.seed + 1, root, {}))]
            took = time.monotonic() - started
            serve.check_alive()
            after = statuses(base)
        text = log.read_text(errors="replace")
        tracebacks = text.count("Traceback (most recent call last)")
        report(runs, before, after, took, tracebacks, args.seed, text)
        failed = sum(r["test_cases"]["with_failures"] + len(r["errors"]) for _, r in runs)
        if failed or tracebacks or after.get("500"):
            sys.exit(1)


def report(runs: list[tuple[str, dict[str, Any]]], before: dict[str, float],
           after: dict[str, float], took: float, tracebacks: int, seed: int,
           log: str) -> None:
    rows = []
    for name, r in runs:
        cases = r["test_cases"]
        rows.append([name, f"{r['running_time']:.0f} s", r["operations"]["tested"],
                     f"{cases['generated']:,}", cases["with_failures"], len(r["errors"]),
                     ", ".join(f"{f['code']} {f['title']} x{f['count']}"
                               for f in r["failures"]) or "none"])
    print()
    print(f"schemathesis {runs[0][1]['schemathesis_version']} against broadcaster serve "
          f"(demo province, station {STATION}), every check, seeds {seed} and {seed + 1}")
    print(table(["pass", "time", "operations", "test cases", "with failures", "errors",
                 "failures"], rows))
    answers = {s: int(after.get(s, 0) - before.get(s, 0)) for s in sorted(set(after))}
    print("serve's answers during the run, by status: " + ", ".join(
        f"{s}: {n:,}" for s, n in answers.items() if n) + f" ({took:.0f} s)")
    print(f"serve: alive at the end; {tracebacks} tracebacks in its log")
    for name, r in runs:
        if r["test_cases"]["with_failures"] or r["errors"]:
            print(f"\n--- {name}: schemathesis output ---\n{r['output'][-6000:]}")
    if tracebacks:
        print("\n--- serve's log (end) ---\n" + log[-4000:])
    print(f"note: {load_average()}")


if __name__ == "__main__":
    main()
