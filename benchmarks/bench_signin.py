"""Benchmark: a flood of wrong sign-ins while stations poll their playlists.

Run: ``.venv/bin/python benchmarks/bench_signin.py [--stations 200] [--seconds 15]`` (also in
``make bench``). Everything is measured in the same run, against the same server:

- setup: a throw-away home (SQLite) with a province of ``--stations`` stations (bulk insert, two
  daily entries, ``broadcaster publish --days 2``), one web UI user made with ``broadcaster
  users add``, and ONE ``broadcaster serve`` on 127.0.0.1 (its start-up jobs let finish);
- station load: every station polls its playlist once a second on its own kept-alive
  connection (``If-None-Match`` with its ETag: 304), from this process; each request's time
  from sending to the whole answer is recorded;
- phases of ``--seconds`` each: "baseline" (stations only), "flood, one address" (40
  concurrent clients sending wrong passwords for the real user and for random names, as fast
  as the server answers, each attempt being the sign-in page then the POST, all from
  127.0.0.1: the per-address lockout engages), and "flood, many addresses" (the same from a
  new 127.x.y.z address per attempt, as a botnet would: no lockout helps, only the bounded
  password pool). The flood runs in a separate process at a lower priority (nice 5), so that
  our own load generator does not slow our own station clients;
- figures per phase: station latency p50/p99/max, serve's resident memory (RSS, from /proc)
  at the start and at its highest, sign-in answers by status. Targets (PASS/FAIL): station
  p99 under 0.5 s and RSS growth under 200 MB during each flood.

``BENCH_BROADCASTER`` runs another ``broadcaster`` (e.g. an older checkout) for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

# benchmarks/ is not a package: the script's folder is on sys.path
from _http import Http, station_path
from _province import Province, build_province, wait_startup_jobs
from _tools import (
    BenchError,
    Process,
    broadcaster_cmd,
    cpu_seconds,
    free_port,
    load_average,
    percentile,
    raise_fd_limit,
    table,
    wait_http,
)

USER, PASSWORD = "tinh", "mat-khau-thu-nghiem"
FLOODERS = 40
TARGET_P99_S = 0.5
TARGET_GROWTH_MB = 200.0
CSRF = re.compile(rb'name="csrf" value="([^"]+)"')


@dataclass
class Phase:
    """One phase's figures."""

    name: str
    latencies: list[float] = field(default_factory=list)
    station_errors: int = 0
    rss_start_mb: float = 0.0
    rss_max_mb: float = 0.0
    server_cpu: float = 0.0   # CPU seconds serve used per second of the phase
    signins: dict[str, int] = field(default_factory=dict)

    @property
    def growth_mb(self) -> float:
        return self.rss_max_mb - self.rss_start_mb


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


class RssWatch:
    """The highest RSS of a process, sampled every 50 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(0.05)

    def __enter__(self) -> RssWatch:
        self.peak = rss_mb(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- the stations ------------------------------------------------------------------------------

async def learn_etags(port: int, province: Province) -> dict[str, str]:
    """Each station's ETag, from one plain GET."""
    etags: dict[str, str] = {}
    async with Http("127.0.0.1", port) as http:
        for s in province.stations:
            reply = await http.get(station_path(s.code), {"Authorization": f"Bearer {s.token}"})
            if reply.status != 200:
                raise BenchError(f"station {s.code}: GET answered {reply.status}")
            etags[s.code] = reply.headers["etag"]
    return etags


async def poll(port: int, code: str, token: str, etag: str, until: float,
               phase: Phase) -> None:
    """One station: a conditional GET a second until ``until``, on one connection."""
    headers = {"Authorization": f"Bearer {token}", "If-None-Match": etag}
    await asyncio.sleep(random.random())
    async with Http("127.0.0.1", port) as http:
        while (now := time.monotonic()) < until:
            try:
                reply = await http.get(station_path(code), headers)
                if reply.status != 304:
                    phase.station_errors += 1
            except (OSError, asyncio.IncompleteReadError):
                phase.station_errors += 1
                await http.close()
            phase.latencies.append(time.monotonic() - now)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - now)))


async def stations(port: int, province: Province, etags: dict[str, str], seconds: float,
                   phase: Phase) -> None:
    until = time.monotonic() + seconds
    await asyncio.gather(*(poll(port, s.code, s.token, etags[s.code], until, phase)
                           for s in province.stations))


# -- the flood (a separate process: python bench_signin.py --flood PORT SECONDS SPREAD) ---------

async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    body = await reader.readexactly(length)
    return int(head.split(b" ", 2)[1]), head, body


async def attempt(port: int, address: str, name: str) -> str:
    """The sign-in page, then a wrong password; the POST's status (or the error)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(address, 0))
    except OSError as exc:
        return type(exc).__name__
    try:
        writer.write(b"GET /ui/dang-nhap HTTP/1.1\r\nHost: bench\r\n\r\n")
        status, head, body = await _read_answer(reader)
        cookie = re.search(rb"(?im)^set-cookie:\s*([^;\r\n]+)", head)
        token = CSRF.search(body)
        if status != 200 or not cookie or not token:
            return f"page {status}"
        form = urllib.parse.urlencode({"csrf": token.group(1).decode(), "name": name,
                                       "password": "sai-" + os.urandom(6).hex()}).encode()
        writer.write(b"POST /ui/dang-nhap HTTP/1.1\r\nHost: bench\r\nCookie: " + cookie.group(1)
                     + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(form) + form)
        status, _, _ = await _read_answer(reader)
        return str(status)
    except (OSError, asyncio.IncompleteReadError, AttributeError) as exc:
        return type(exc).__name__
    finally:
        writer.close()


async def flood(port: int, seconds: float, spread: bool) -> dict[str, int]:
    """FLOODERS clients, wrong passwords as fast as answered, until ``seconds`` pass."""
    counts: dict[str, int] = {}
    until = time.monotonic() + seconds
    serial = iter(range(10**9))

    async def worker(n: int) -> None:
        while time.monotonic() < until:
            i = next(serial)
            address = f"127.{1 + i // 65536 % 200}.{i // 256 % 256}.{1 + i % 250}" if spread \
                else "127.0.0.1"
            name = USER if i % 2 else f"ai-{i}"
            result = await attempt(port, address, name)
            counts[result] = counts.get(result, 0) + 1

    await asyncio.gather(*(worker(n) for n in range(FLOODERS)))
    return counts


def flood_main(port: int, seconds: float, spread: bool) -> None:
    os.nice(5)
    print(json.dumps(asyncio.run(flood(port, seconds, spread))))


def start_flood(port: int, seconds: float, spread: bool) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "--flood", str(port), str(seconds),
                             "spread" if spread else "one"], stdout=subprocess.PIPE, text=True)


# -- the run ----------------------------------------------------------------------------------

def run_phase(name: str, port: int, pid: int, province: Province, etags: dict[str, str],
              seconds: float, spread: bool | None) -> Phase:
    phase = Phase(name)
    print(f"{name}: {seconds:g} s ...", file=sys.stderr)
    phase.rss_start_mb = rss_mb(pid)
    cpu, started = cpu_seconds(pid), time.monotonic()
    with RssWatch(pid) as watch:
        flooder = start_flood(port, seconds, spread) if spread is not None else None
        asyncio.run(stations(port, province, etags, seconds, phase))
        if flooder is not None:
            out, _ = flooder.communicate(timeout=seconds + 120)
            phase.signins = json.loads(out)
    phase.rss_max_mb = watch.peak
    phase.server_cpu = (cpu_seconds(pid) - cpu) / (time.monotonic() - started)
    return phase


def report(phases: list[Phase], province: Province, notes: list[str]) -> bool:
    rows, ok = [], True
    for p in phases:
        lat = sorted(p.latencies)
        p99 = percentile(lat, 99)
        flood = p.name != "baseline"
        passed = not flood or (p99 < TARGET_P99_S and p.growth_mb < TARGET_GROWTH_MB)
        ok = ok and passed
        signins = ", ".join(f"{k}: {v:,}" for k, v in sorted(p.signins.items())) or "-"
        rows.append([p.name, f"{len(lat):,}", f"{percentile(lat, 50) * 1000:.1f}",
                     f"{p99 * 1000:.1f}", f"{lat[-1] * 1000:.0f}" if lat else "-",
                     p.station_errors, f"{p.rss_start_mb:.0f}", f"{p.rss_max_mb:.0f}",
                     f"{p.growth_mb:+.0f}", f"{p.server_cpu:.2f}", signins,
                     ("PASS" if passed else "FAIL") if flood else ""])
    print()
    print(f"Station playlist polls (304) during a flood of wrong sign-ins: "
          f"{len(province.stations)} stations polling once a second; {FLOODERS} concurrent "
          f"sign-in clients; one broadcaster serve")
    print(table(["phase", "polls", "p50 ms", "p99 ms", "max ms", "poll errors", "RSS start MB",
                 "RSS max MB", "growth MB", "serve CPU", "sign-in answers", "target"], rows))
    print(f"targets during a flood: station p99 under {TARGET_P99_S * 1000:.0f} ms, RSS growth "
          f"under {TARGET_GROWTH_MB:.0f} MB")
    for line in notes:
        print(f"note: {line}")
    return ok


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--flood":
        flood_main(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "spread")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=200, help="stations polling (200)")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per phase (15)")
    args = parser.parse_args()
    raise_fd_limit(args.stations * 2 + FLOODERS * 4 + 256)
    notes = [f"at the start: {load_average()}"]
    with tempfile.TemporaryDirectory(prefix="bench-signin-") as name, ExitStack() as stack:
        root = Path(name)
        print(f"setup: a province of {args.stations} stations ...", file=sys.stderr)
        province = build_province(root, args.stations, per_commune=50, areas=2)
        password = root / "password.txt"
        password.write_text(PASSWORD + "\n")
        province.cli("users", "add", USER, "--role", "admin", "--password-file", str(password))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = Process("broadcaster serve", [*broadcaster_cmd(), "serve", "--port", str(port)],
                        root / "serve.log", env=province.env, cwd=root)
        stack.callback(lambda: notes.append(serve.stopped_badly()))
        stack.enter_context(serve)
        wait_http(f"{base}/healthz", serve)
        notes.append(f"serve: {wait_startup_jobs(base, serve)}")
        etags = asyncio.run(learn_etags(port, province))
        run_phase("warm-up", port, serve.pid, province, etags, 3, None)
        phases = [run_phase("baseline", port, serve.pid, province, etags, args.seconds, None),
                  run_phase("flood, one address", port, serve.pid, province, etags,
                            args.seconds, False),
                  run_phase("flood, many addresses", port, serve.pid, province, etags,
                            args.seconds, True)]
        serve.check_alive()
        notes.append(f"serve: {sum(1 for _ in (root / 'serve.log').open() if 'Traceback' in _)}"
                     f" tracebacks in its log")
    notes.append(f"at the end: {load_average()}")
    if not report(phases, province, [n for n in notes if n]):
        sys.exit(1)


if __name__ == "__main__":
    main()
