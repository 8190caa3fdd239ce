"""The install check (``make check-install``, a CI step; not part of ``make test``).

Builds the wheel from a ``git archive HEAD`` copy (what is committed, nothing else), then:

- **full**: installs ``broadcaster[server]`` into an empty venv outside the checkout, runs
  ``broadcaster demo`` there (espeak, offline) and checks the publication, that the code and the
  jingles come from that venv's site-packages, and that ``broadcaster announce`` builds the
  alarm tone from there;
- **slim**: installs the plain wheel into another venv: ``--help`` and ``agent --help`` work,
  and none of the server's libraries can be imported;
- **the station**: the slim agent (``--player file``) pulls from the full venv's ``serve`` of the
  demo until it records a play (the announcement), next to the same agent run from the full venv.

Prints ``du -sk`` of both site-packages and both agents' peak RSS (``VmHWM``), the figures
docs/agent.md quotes. Any failure stops the check with exit 1 and says what failed: nothing is
ever skipped. pip installs from the package index. ``--keep`` keeps the work folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STATION = "XUANLOC-01"
SERVER_ONLY = ("sqlalchemy", "numpy", "fastapi", "yaml", "alembic")
AGENT_SECONDS = 60.0  # the agents run at least this long before their peak RSS is read


class CheckFailed(Exception):
    """One step of the check failed; the message says which and why."""


def step(text: str) -> None:
    print(f"== {text}", flush=True)


def run(cmd: Sequence[str | Path], cwd: Path | None = None,
        env: dict[str, str] | None = None, timeout: float = 1800) -> str:
    """Run a command, return its stdout; a non-zero exit fails the check with its output."""
    shown = " ".join(str(c) for c in cmd)
    print(f"$ {shown}", flush=True)
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise CheckFailed(f"{shown} exited {done.returncode}\n{done.stdout[-3000:]}"
                          f"{done.stderr[-3000:]}")
    return done.stdout


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


def wait_for(probe: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.5)
    raise CheckFailed(f"waited {seconds:.0f} s for {what}")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without BROADCASTER_* settings or a virtualenv of the caller."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BROADCASTER_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return env | extra


def build_wheel(work: Path) -> Path:
    step("build the wheel from git archive HEAD")
    src = work / "src"
    src.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", work / "dist",
         src], cwd=work)
    wheels = list((work / "dist").glob("broadcaster-*.whl"))
    expect(len(wheels) == 1, f"expected one wheel in {work / 'dist'}, found {wheels}")
    return wheels[0]


def make_venv(folder: Path, requirement: str) -> Path:
    step(f"install {requirement} into an empty venv {folder}")
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", folder])
    run([folder / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check",
         requirement], cwd=folder.parent)
    return folder


def site_packages(venv: Path) -> Path:
    out = run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()"
               "['purelib'])"], env=clean_env())
    return Path(out.strip())


def check_full(full: Path, work: Path) -> None:
    site = site_packages(full)
    env = clean_env(BROADCASTER_ENGINES="espeak")
    code = run([full / "bin" / "python", "-c", "import broadcaster; print(broadcaster.__file__)"],
               cwd=work, env=env).strip()
    expect(code.startswith(str(site)), f"broadcaster imported from {code}, not from {site}")
    step("broadcaster demo in the full venv, outside the checkout")
    run([full / "bin" / "broadcaster", "--home", work / "var", "demo"], cwd=work, env=env)
    playlists = list((work / "var" / "publications").glob(f"*/stations/{STATION}/playlist.json"))
    expect(bool(playlists), f"the demo published no playlist for {STATION} under "
           f"{work / 'var' / 'publications'}")
    tone = run([full / "bin" / "python", "-c",
                "from broadcaster.settings_table import load_config\n"
                "from broadcaster.programme import find_asset\n"
                "print(find_asset(load_config(env={}).assets_dir, 'bao-dong'))"],
               cwd=work, env=env).strip()
    expect(tone.startswith(str(site)), f"bao-dong resolves to {tone}, not inside {site}")
    print(f"bao-dong: {tone}")


def check_slim(slim: Path, work: Path) -> None:
    step("the slim venv: help, agent help, no server libraries")
    env = clean_env()
    run([slim / "bin" / "broadcaster", "--help"], cwd=work, env=env)
    run([slim / "bin" / "broadcaster", "agent", "--help"], cwd=work, env=env)
    found = run([slim / "bin" / "python", "-c",
                 "import importlib.util as u\n"
                 f"print(' '.join(p for p in {SERVER_ONLY!r} if u.find_spec(p)))"],
                cwd=work, env=env).strip()
    expect(not found, f"the slim install can import server libraries: {found}")
    db = subprocess.run([slim / "bin" / "broadcaster", "db", "status"], cwd=work, env=env,
                        capture_output=True, text=True, timeout=60)
    expect(db.returncode == 2 and "broadcaster[server]" in db.stderr,
           f"a server command in the slim install should exit 2 naming broadcaster[server]; "
           f"exit {db.returncode}: {db.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise CheckFailed(f"no VmHWM in /proc/{pid}/status")


def plays(folder: Path) -> list[dict[str, object]]:
    path = folder / "sink" / "plays.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def station_run(full: Path, slim: Path, work: Path) -> dict[str, int]:
    """serve from the full venv, an agent from each venv, an announcement; their peak RSS."""
    step("the station: slim and full agents against the full venv's serve")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_env = clean_env(BROADCASTER_ENGINES="espeak", BROADCASTER_HOME=str(work / "var"),
                           BROADCASTER_PORT=str(port), BROADCASTER_SHUTDOWN_GRACE_S="1")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    token = work / "var" / "demo" / f"{STATION}.token"
    try:
        with (work / "serve.log").open("ab") as log:
            procs["serve"] = subprocess.Popen([full / "bin" / "broadcaster", "serve"], cwd=work,
                                              env=server_env, stdout=log, stderr=log)
        wait_for(lambda: healthy(url), 120, f"serve to answer {url}/healthz (see serve.log)")
        for name, venv in (("slim", slim), ("full", full)):
            folder = work / f"agent-{name}"
            folder.mkdir()
            with (work / f"agent-{name}.log").open("ab") as log:
                procs[name] = subprocess.Popen(
                    [venv / "bin" / "broadcaster", "agent", "--server", url, "--station",
                     STATION, "--token-file", token, "--cache", folder / "cache", "--player",
                     "file", "--sink-dir", folder / "sink", "--backoff-min-s", "0.2",
                     "--backoff-max-s", "2"], cwd=work, env=clean_env(), stdout=log,
                    stderr=log)
        started = time.monotonic()
        step("an emergency announcement now (its lead-in is the alarm tone)")
        run([full / "bin" / "broadcaster", "announce", "Thông báo thử hệ thống phát thanh.",
             "--to", STATION, "--priority", "emergency", "--now"], cwd=work, env=server_env)
        for name in ("slim", "full"):
            wait_for(lambda n=name: bool(plays(work / f"agent-{n}")), 180,  # type: ignore[misc]
                     f"the {name} agent to record a play (see agent-{name}.log)")
            expect(procs[name].poll() is None, f"the {name} agent stopped (see agent-{name}.log)")
        time.sleep(max(0.0, AGENT_SECONDS - (time.monotonic() - started)))
        peaks = {name: peak_rss_kb(procs[name].pid) for name in ("slim", "full")}
        print(f"slim agent played: {plays(work / 'agent-slim')[0]}")
        return peaks
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def du_kb(path: Path) -> int:
    return int(run(["du", "-sk", path]).split()[0])


def check(work: Path) -> None:
    wheel = build_wheel(work)
    full = make_venv(work / "full", f"{wheel}[server]")
    slim = make_venv(work / "slim", str(wheel))
    check_full(full, work)
    check_slim(slim, work)
    peaks = station_run(full, slim, work)
    sizes = {name: du_kb(site_packages(work / name)) for name in ("slim", "full")}
    step("figures (docs/agent.md)")
    for name in ("slim", "full"):
        print(f"{name:5} site-packages {sizes[name] / 1024:8.1f} MB ({sizes[name]} kB)   "
              f"agent peak RSS (VmHWM) {peaks[name] / 1024:6.1f} MB ({peaks[name]} kB)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="broadcaster-install-"))
    try:
        check(work)
    except (CheckFailed, subprocess.SubprocessError, OSError) as exc:
        print(f"install check FAILED: {exc}\n(work folder kept: {work})", file=sys.stderr)
        return 1
    print("install check passed")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
