"""Fault injection: ``publish``, ``serve`` (during an announcement's hand-over) and the station
agent killed with ``kill -9`` at random moments, then started again; nothing may be lost or
doubled, and ``broadcaster check`` must find nothing wrong.

Bounded and reproducible: a fixed number of kills per kind, at moments drawn from a seeded
random generator: every other kill anywhere in the run, as a fraction of how long the same
work took a moment before on this machine (a loaded machine stretches the moments with the
work), the others shortly after the work itself has begun (a publication folder being written,
an announcement's row in the database), where a kill can leave something half-made. Each test
prints what its kills hit. Real processes throughout; ``broadcaster check`` after each round.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from broadcaster.agent.cache import sha256_of
from broadcaster.db import Announcement, Publication
from broadcaster.localtime import LOCAL
from tests.helpers import SCHEDULE, wait_for
from tests.processes import PROVINCE, Processes, Service, late

pytestmark = pytest.mark.slow

SEED = 20261203
KILLS = 6
# More stations than the small province: a publication is then long enough to be killed
# while it writes its folder, not only while it starts.
EXTRA_STATIONS = 12
TEXT = "Khẩn cấp số {}: nước sông Trà dâng cao, bà con vùng trũng di chuyển lên nơi an toàn."


def province_with_stations(path: Path) -> None:
    extra = "".join(f"  - {{code: HOALOC-{n:02d}, name: Cụm loa Hòa Lộc {n}, group: BS-HOALOC}}\n"
                    for n in range(2, EXTRA_STATIONS + 2))
    path.write_text(SCHEDULE.replace("programmes:\n", extra + "programmes:\n", 1),
                    encoding="utf-8")


def count(url: str, what: Any) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        found = session.scalar(select(func.count()).select_from(what)) or 0
    engine.dispose()
    return found


def max_number(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        found = session.scalar(select(func.max(Publication.number))) or 0
    engine.dispose()
    return found


def announcements(url: str) -> list[tuple[int, str, int | None, bool]]:
    """Every announcement: id, text, publication, cancelled (or withdrawn)."""
    engine = create_engine(url)
    with Session(engine) as session:
        rows = [(a.id, a.text, a.publication, a.cancelled_at is not None)
                for a in session.scalars(select(Announcement).order_by(Announcement.id))]
    engine.dispose()
    return rows


def more_than(url: str, made: int) -> bool:
    return len(announcements(url)) > made


def broadcaster(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "broadcaster", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def moment(rng: random.Random, n: int, took: float, started: Callable[[], bool],
           window: float) -> None:
    """Wait for a random moment to kill: every other time anywhere in the run (``took``: how
    long a whole run took just before), otherwise within ``window`` seconds after
    ``started()`` says the work itself has begun (the steps where a kill can leave something
    half-made)."""
    if n % 2 == 0:
        time.sleep(rng.uniform(0.2, 1.0) * took)
        return
    delay = rng.uniform(0.0, window)
    deadline = time.monotonic() + took * 3
    while not started() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)


def test_kill_9_of_publish_and_of_serve_during_announcements(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, database_url: str) -> None:
    rng = random.Random(SEED)
    begun = time.monotonic()
    schedule = tmp_path / "tinh.yaml"
    province_with_stations(schedule)
    cli("schedule", "apply", str(schedule))
    cli("publish", "--days", "2")  # renders the programmes once
    svc = Service(cli.home, database_url)
    pubs = cli.home / "publications"
    seen: dict[str, int] = {}

    # 1. publish, killed at random moments; each next run is the restart that finishes the
    #    work. A run adds one publication when it succeeds, at most one when it is killed.
    started = time.monotonic()
    seen["setup s"] = round(started - begun)
    assert broadcaster(svc.env, "publish", "--days", "2").wait(timeout=300) == 0
    took = time.monotonic() - started
    for n in range(KILLS):
        before = count(database_url, Publication)
        run = broadcaster(svc.env, "publish", "--days", "2")
        moment(rng, n, took, lambda: any(p.name.startswith(".0") for p in pubs.iterdir()),
               window=0.5)
        run.send_signal(signal.SIGKILL)
        code = run.wait(timeout=60)
        added = count(database_url, Publication) - before
        if code == -signal.SIGKILL:
            assert added in (0, 1)
            left = any(p.name.startswith(".0") for p in pubs.iterdir())
            what = ("publish killed after its commit" if added else
                    "publish killed while writing" if left else "publish killed before writing")
        else:
            assert code == 0 and added == 1
            what = "publish finished before the kill"
        seen[what] = seen.get(what, 0) + 1
        cli("check")
    before = count(database_url, Publication)
    assert broadcaster(svc.env, "publish", "--days", "2").wait(timeout=300) == 0
    assert count(database_url, Publication) == before + 1
    # (Its number may skip one: a publish killed after renaming its folder in, before its
    # commit, leaves a complete folder the database does not know, and numbers go past it.)
    assert int(os.readlink(pubs / "current")) == max_number(database_url)
    cli("check")

    # 2. serve, killed at random moments of an announcement handed over to it, and started
    #    again at once (as systemd would) while the command finishes the work itself.
    seen["publish kills s"] = round(time.monotonic() - started)
    svc.start()
    started = time.monotonic()
    first = broadcaster(svc.env, "announce", TEXT.format(0), "--to", "BS-TANTIEN", "--now",
                        "--priority", "emergency")
    out, err = first.communicate(timeout=300)
    took = time.monotonic() - started
    assert first.returncode == 0 and "(by the service" in err, err
    printed = {0: int(out)}
    for n in range(1, KILLS + 1):
        made = len(announcements(database_url))
        run = broadcaster(svc.env, "announce", TEXT.format(n), "--to", "BS-TANTIEN", "--now",
                          "--priority", "emergency")
        moment(rng, n, took, partial(more_than, database_url, made), window=3.0)
        assert svc.proc is not None
        svc.proc.send_signal(signal.SIGKILL)
        svc.proc.wait(timeout=30)
        svc.proc = None
        svc.start()
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
        printed[n] = int(out)
        what = ("announce: the service's half-made one withdrawn, made again" if
                "withdrawn" in err else err.strip().splitlines()[-1].rsplit("(", 1)[-1]
                .rstrip(")").split(", pid")[0])
        seen[what] = seen.get(what, 0) + 1
    # Exactly one announcement per request reached the stations: the one its command printed.
    # Any other made for it was withdrawn unpublished.
    rows = announcements(database_url)
    for n, number in printed.items():
        mine = [r for r in rows if r[1] == TEXT.format(n)]
        live = [r for r in mine if r[2] is not None and not r[3]]
        assert [r[0] for r in live] == [number], mine
        assert all(r[2] is None and r[3] for r in mine if r not in live), mine
    playlist = json.loads((pubs / "current/stations/TANTIEN-01/playlist.json").read_bytes())
    on_air = {i["id"].split("@")[0] for i in playlist["items"]
              if i["id"].startswith("thong-bao-")}
    assert f"thong-bao-{printed[KILLS]}" in on_air
    assert on_air <= {f"thong-bao-{number}" for number in printed.values()}
    cli("check")
    assert svc.stop() == 0
    print(f"\n{time.monotonic() - begun:.0f} s:", json.dumps(seen, indent=1))


AGENT_PROGRAMME = PROVINCE.replace("silence: 22s", "silence: 90s")
AGENT_LEAD_S = 10


def agent(world: Processes, code: str, token: str) -> None:
    """The station agent, with a bandwidth limit: its downloads take seconds, so kills land
    in them too."""
    folder = world.root / code
    folder.mkdir(exist_ok=True)
    (folder / "token").write_text(token)
    (folder / "token").chmod(0o600)
    world._start(code, ["agent", "--server", world.url, "--station", code, "--token-file",
                        str(folder / "token"), "--cache", str(folder / "cache"), "--player",
                        "file", "--sink-dir", str(folder / "sink"), "--backoff-min-s", "0.2",
                        "--backoff-max-s", "1", "--wait-s", "30", "--heartbeat-s", "2",
                        "--max-bytes-per-s", "200000"], world.agent_env)


def agent_status(world: Processes, cache: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "broadcaster", "agent", "status", "--cache",
                           str(cache), "--json"], env=world.agent_env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    status: dict[str, Any] = json.loads(done.stdout)
    return status


def cache_is_sound(cache: Path) -> None:
    """Every file under its final name hashes to it; the index, if any, can be read."""
    media = cache / "media"
    for path in media.iterdir() if media.is_dir() else []:
        if path.name == "index.json":
            json.loads(path.read_bytes())
        elif not path.name.endswith(".part") and not path.name.startswith("."):
            assert sha256_of(path) == path.name.split(".", 1)[0], path


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[Processes]:
    procs = Processes(tmp_path, database_url)
    yield procs
    for name in list(procs.procs):
        procs.kill(name)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the agent has none
def test_kill_9_of_the_agent_while_it_downloads_and_plays(  # type: ignore[no-untyped-def]
        world: Processes, cli, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    province = tmp_path / "tinh.yaml"
    province.write_text(AGENT_PROGRAMME, encoding="utf-8")
    cli("schedule", "apply", str(province))
    token = cli("stations", "token", "TANTIEN-01", "--rotate").stdout.strip()
    world.serve()
    cli("programme", "build", "ban-tin")
    start = (datetime.now(UTC) + timedelta(seconds=AGENT_LEAD_S)).replace(microsecond=0)
    cli("schedule", "add", "thu", "--programme", "ban-tin", "--target", "BS-TANTIEN",
        "--start", start.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M:%S"))
    cli("publish", "--days", "1")
    cache = tmp_path / "TANTIEN-01" / "cache"
    seen: dict[str, int] = {}
    # Killed while it starts, downloads (at 200 kB/s) and plays; its cache stays sound.
    for _ in range(KILLS):
        agent(world, "TANTIEN-01", token)
        time.sleep(rng.uniform(1.0, 5.0))
        world.kill("TANTIEN-01")
        what = ("killed mid-download" if list(cache.glob("media/*.part")) else
                "killed after it began playing" if world.starts("TANTIEN-01")
                else "killed with its media ready, before the programme")
        seen[what] = seen.get(what, 0) + 1
        cache_is_sound(cache)
        agent_status(world, cache)
    # Started again, it plays on: the programme, from the second it has reached.
    before = len(world.starts("TANTIEN-01"))
    agent(world, "TANTIEN-01", token)
    resumed = wait_for(lambda: world.starts("TANTIEN-01")[before:], 60,
                       "the agent to play on after its last restart")[0]
    assert resumed["item"].startswith("thu@") and resumed["file_sha256"] == resumed["sha256"]
    assert resumed["offset_s"] == pytest.approx(max(0.0, late(resumed)), abs=0.1)
    status = agent_status(world, cache)
    assert status["media_missing"] == [] and status["media_ready"] >= 1
    cache_is_sound(cache)
    assert world.stop("TANTIEN-01") == 0
    cli("check")
    print("\nagent:", json.dumps(seen))
