"""Benchmark: from ``broadcaster announce`` to 1,000 long-polling stations holding it.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_announce.py [--stations 2000
--clients 200]``). Everything is measured in the same run on the same machine:

- setup: a throw-away home (SQLite) with 10,000 stations in 10 areas of 1,000 (100 communes of
  100 under one province), two daily entries, ``broadcaster publish --days 2``, and ONE
  ``broadcaster serve`` process on 127.0.0.1 (its start-up jobs are let finish first);
- clients: 1,000 stations of the target area, each on its own connection, hold
  ``GET .../playlist.json?wait=60`` with their ETag (asyncio, one process); the benchmark waits
  until serve reports all of them held (``broadcaster_longpoll_waiting``);
- measured: ``broadcaster announce TEXT --to AREA --now --priority emergency`` is started as a
  subprocess (engines=espeak, same home); per client, the time from that start until it has the
  new playlist holding the announcement's item (``thong-bao-ID@...``). Reported: p50, p95, p99
  and max, the command's own wall time, and when the new publication appeared on disk. Target:
  p99 under 3 s (PASS/FAIL);
- baseline: the same 1,000 clients, already connected, fetch their (unchanged) playlist with a
  plain GET all at once: the time until the last one has it is the floor of delivering a
  playlist to all of them, i.e. what the announcement would cost if speaking, scheduling and
  publishing were free. Also shown: the start-up of the ``broadcaster`` command alone
  (``broadcaster --version``) and the full ``broadcaster publish`` of the setup.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

# benchmarks/ is not a package: the script's folder is on sys.path
from _http import Http, fetch_text, metric, station_path
from _province import Province, StationCred, build_province, wait_startup_jobs
from _tools import (
    BenchError,
    Process,
    broadcaster_cmd,
    free_port,
    load_average,
    percentile,
    raise_fd_limit,
    table,
    wait_http,
)

TEXT = ("Thông báo khẩn: mưa lớn kéo dài, nước sông đang lên nhanh. Bà con ở vùng trũng thấp di "
        "chuyển ngay người và tài sản đến nơi an toàn theo hướng dẫn của Ủy ban nhân dân xã.")
MARK = b'"thong-bao-'    # every item of an announcement has an id "thong-bao-ID@..."
WAIT_S = 60
TARGET_P99_S = 3.0
ANNOUNCE_TIMEOUT_S = 600


@dataclass
class Client:
    """One long-polling station: its connection, ETag and when it got the announcement."""

    station: StationCred
    http: Http
    etag: str = ""
    got_at: float | None = None        # perf_counter when the announcement's playlist arrived
    body: bytes = b""
    answers: list[int] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.station.token}"}


async def connect(port: int, stations: list[StationCred]) -> list[Client]:
    """One open connection per station (a few at a time, so the listen queue never overflows)."""
    gate = asyncio.Semaphore(100)

    async def one(station: StationCred) -> Client:
        async with gate:
            return Client(station, await Http("127.0.0.1", port).open())

    return list(await asyncio.gather(*(one(s) for s in stations)))


async def fan_out(clients: list[Client]) -> list[float]:
    """Every client sends a plain GET at the same moment; seconds until each has its body.
    Stores each client's ETag."""
    started = time.perf_counter()
    await asyncio.gather(*(c.http.send(station_path(c.station.code), c.auth) for c in clients))

    async def one(c: Client) -> float:
        reply = await c.http.receive()
        if reply.status != 200:
            raise BenchError(f"plain GET for {c.station.code} answered {reply.status}: "
                             f"{reply.body[:300]!r}")
        c.etag = reply.headers["etag"]
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one(c) for c in clients)))


async def hold(c: Client) -> None:
    """Send the long-poll for ``c`` with its current ETag."""
    await c.http.send(f"{station_path(c.station.code)}?wait={WAIT_S}",
                      c.auth | {"If-None-Match": c.etag})


async def until_announced(c: Client, deadline: float) -> None:
    """Read answers until the playlist holds an announcement (re-polling on 304, or on a new
    playlist without it); records the arrival time."""
    while time.perf_counter() < deadline:
        reply = await c.http.receive()
        now = time.perf_counter()
        c.answers.append(reply.status)
        if reply.status == 200:
            c.etag = reply.headers["etag"]
            if MARK in reply.body:
                c.got_at, c.body = now, reply.body
                return
        elif reply.status != 304:
            raise BenchError(f"the long-poll of {c.station.code} answered {reply.status}: "
                             f"{reply.body[:300]!r}")
        await hold(c)


async def waiting(base: str) -> float:
    """How many long-polls serve holds now (its /metrics)."""
    text = await asyncio.to_thread(fetch_text, f"{base}/metrics")
    return metric(text, "broadcaster_longpoll_waiting")


async def watch_current(publications: Path, before: str, started: float,
                        stop: asyncio.Event) -> float | None:
    """Seconds from ``started`` until ``publications/current`` no longer points to ``before``."""
    while not stop.is_set():
        if os.readlink(publications / "current") != before:
            return time.perf_counter() - started
        await asyncio.sleep(0.005)
    return None


@dataclass
class Outcome:
    """What one announcement run measured."""

    latencies: list[float]
    wall: float
    published_at: float | None
    announcement: str
    missing: list[str]
    answers: dict[int, int]


async def announce_run(province: Province, base: str, port: int, target: str,
                       stations: list[StationCred], fan_outs: int) -> tuple[Outcome, list[float]]:
    """Baseline fan-outs, then the long-polls and the announcement."""
    clients = await connect(port, stations)
    baseline = []
    for _ in range(fan_outs):
        baseline.append(max(await fan_out(clients)))
    for c in clients:          # fresh connections for the long-polls (keep-alive may lapse)
        await c.http.close()
    fresh = await connect(port, [c.station for c in clients])
    clients = [Client(c.station, f.http, c.etag) for c, f in zip(clients, fresh, strict=True)]

    await asyncio.gather(*(hold(c) for c in clients))
    deadline = time.monotonic() + 30
    while (held := await waiting(base)) < len(clients):
        if time.monotonic() > deadline:
            raise BenchError(f"serve holds only {held:g} of {len(clients)} long-polls after 30 s")
        await asyncio.sleep(0.1)

    stop = asyncio.Event()
    in_force = os.readlink(province.publications / "current")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *broadcaster_cmd(), "announce", TEXT, "--to", target, "--now", "--priority",
        "emergency", env=province.env, cwd=province.root, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    watcher = asyncio.create_task(watch_current(province.publications, in_force, started, stop))
    deadline_pc = started + WAIT_S * 2
    polls = [asyncio.create_task(until_announced(c, deadline_pc)) for c in clients]
    try:
        out, err = await asyncio.wait_for(process.communicate(), ANNOUNCE_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise BenchError(f"broadcaster announce did not finish within {ANNOUNCE_TIMEOUT_S} s; "
                         "it was killed") from None
    wall = time.perf_counter() - started
    if process.returncode != 0:
        stop.set()
        for task in polls:
            task.cancel()
        raise BenchError(f"broadcaster announce failed (exit {process.returncode}):\n"
                         f"{(out + err).decode(errors='replace')[-2000:]}")
    done, pending = await asyncio.wait(polls, timeout=max(1.0, deadline_pc - time.perf_counter()))
    for task in pending:
        task.cancel()
    for task in done:
        task.result()  # a client that failed (not 200/304) stops the benchmark here
    stop.set()
    published_at = await watcher
    for c in clients:
        await c.http.close()

    announcement = out.decode().split()[0] if out.strip() else "?"
    latencies, missing = [], []
    answers: dict[int, int] = {}
    for c in clients:
        for status in c.answers:
            answers[status] = answers.get(status, 0) + 1
        ok = c.got_at is not None and _holds(c.body, announcement)
        if ok and c.got_at is not None:
            latencies.append(c.got_at - started)
        else:
            missing.append(c.station.code)
    return Outcome(latencies, wall, published_at, announcement, missing, answers), baseline


def _holds(body: bytes, announcement: str) -> bool:
    """True if the playlist has an emergency item of announcement ``announcement``."""
    items = json.loads(body)["items"]
    return any(i["id"].startswith(f"thong-bao-{announcement}@") and i["priority"] == "emergency"
               for i in items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=10_000, help="stations (10000)")
    parser.add_argument("--clients", type=int, default=1_000,
                        help="long-polling stations, all in the target area (1000)")
    parser.add_argument("--fan-outs", type=int, default=3,
                        help="baseline fan-outs (plain GETs), median reported (3)")
    args = parser.parse_args()
    if args.clients < 1 or args.stations < args.clients:
        parser.error("--clients must be at least 1 and at most --stations")
    raise_fd_limit(args.clients * 2 + 512)

    with tempfile.TemporaryDirectory(prefix="bench-announce-") as name, ExitStack() as stack:
        tmp = Path(name)
        print(f"building a province of {args.stations:,} stations in {tmp} ...", file=sys.stderr)
        # Areas of --clients stations each: the announcement reaches exactly the clients' area.
        province = build_province(tmp / "province", args.stations,
                                  per_commune=min(100, args.clients),
                                  areas=max(1, args.stations // args.clients))
        target, members = next((a, m) for a, m in province.areas.items()
                               if len(m) >= args.clients)
        version_s, _ = province.cli("--version")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = stack.enter_context(Process(
            "broadcaster serve", [*broadcaster_cmd(), "serve", "--port", str(port)],
            tmp / "serve.log", env=province.env, cwd=province.root))
        load = load_average()
        wait_http(f"{base}/healthz", serve)
        startup = wait_startup_jobs(base, serve)
        print(f"{args.clients:,} clients: {args.fan_outs} plain-GET fan-outs, then long-polls "
              f"and 'broadcaster announce --to {target}' ...", file=sys.stderr)
        outcome, baseline = asyncio.run(announce_run(
            province, base, port, target, members[:args.clients], args.fan_outs))
        serve.check_alive()
        stack.close()
        notes = [f"serve: {startup}", f"at the start: {load}", f"at the end: {load_average()}",
                 serve.stopped_badly()]
        report(args, province, target, len(members), outcome, baseline, version_s, notes)


def report(args: argparse.Namespace, province: Province, target: str, reached: int,
           outcome: Outcome, baseline: list[float], version_s: float, notes: list[str]) -> None:
    lat = outcome.latencies
    floor = statistics.median(baseline)
    p99 = percentile(lat, 99) if lat else float("inf")
    print()
    print(f"Emergency announcement to {reached:,} stations (area {target} of a "
          f"{len(province.stations):,}-station province), {args.clients:,} of them long-polling "
          f"(?wait={WAIT_S}); seconds from the start of 'broadcaster announce' until each client "
          "holds the playlist with the announcement")
    rows: list[list[object]] = [
        ["clients holding the announcement", f"{len(lat):,} of {args.clients:,}", ""],
        ["p50", f"{percentile(lat, 50):.3f}", ""],
        ["p95", f"{percentile(lat, 95):.3f}", ""],
        ["p99", f"{p99:.3f}", f"target < {TARGET_P99_S:g} s"],
        ["max", f"{max(lat) if lat else float('nan'):.3f}", ""],
        ["first client", f"{min(lat) if lat else float('nan'):.3f}", ""],
        ["new publication on disk (current moved)",
         f"{outcome.published_at:.3f}" if outcome.published_at is not None else "never", ""],
        ["from publication on disk to the last client",
         f"{max(lat) - outcome.published_at:.3f}"
         if lat and outcome.published_at is not None else "", "serve notices and delivers"],
        ["'broadcaster announce' wall time", f"{outcome.wall:.3f}", "the command itself"],
        ["baseline: plain-GET fan-out to the same clients", f"{floor:.3f}",
         f"median of {len(baseline)}: {', '.join(f'{b:.3f}' for b in baseline)}"],
        ["'broadcaster --version' (command start-up)", f"{version_s:.3f}", ""],
        ["'broadcaster publish --days 2' of all stations (setup)",
         f"{province.timings['publish']:.3f}", "first publication"],
    ]
    print(table(["measure", "seconds", "note"], rows))
    print()
    print(f"ratio p99 / baseline fan-out: {p99 / floor:.1f}x   (the fan-out is the time to hand "
          "every client a playlist; the rest is speaking, scheduling and publishing)")
    print(f"{'PASS' if p99 < TARGET_P99_S and not outcome.missing else 'FAIL'}: p99 "
          f"{p99:.3f} s against the target of {TARGET_P99_S:g} s"
          + (f"; {len(outcome.missing)} clients never got it (e.g. {outcome.missing[0]})"
             if outcome.missing else ""))
    print(f"announcement {outcome.announcement}; long-poll answers seen: "
          + ", ".join(f"{s} x{n}" for s, n in sorted(outcome.answers.items())))
    print(f"machine: one serve process, the announce command and the clients share the "
          f"{os.cpu_count()} CPUs (no pinning)")
    for note in filter(None, notes):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
