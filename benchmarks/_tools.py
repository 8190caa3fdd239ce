"""Shared parts of the HTTP benchmarks (``bench_pull.py``, ``bench_announce.py``): tools,
processes and figures.

- :func:`find_tools`: nginx and wrk, from ``$BENCH_NGINX``/``$BENCH_WRK``, the PATH, or Debian
  packages fetched without root (``apt-get download`` + ``dpkg-deb -x`` into
  ``benchmarks/.cache``); when none of that works, a clear error says how to install them;
- :class:`Process`: a server or tool started with its log file, always stopped (TERM, KILL);
- CPU pinning, CPU time from ``/proc``, the open-files limit, free ports;
- :func:`percentile`, :func:`table`: figures and the summary table.

The province the benchmarks serve is built by ``_province``, the HTTP client is ``_http``.
Nothing here is imported by the product.
"""

from __future__ import annotations

import math
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
# Debian bookworm: nginx-light is only a transitional package there; the binary is in `nginx`
# (its other dependencies, libssl3, libpcre2-8-0, zlib1g, libcrypt1, are part of every Debian
# system; nginx-common only holds /etc files we do not use). wrk needs LuaJIT.
PACKAGES = {"nginx": ("nginx",), "wrk": ("wrk", "libluajit-5.1-2")}
INSTALL_HELP = """\
How to get them:
  - with root:     apt-get install nginx-light wrk        (Debian/Ubuntu)
  - without root:  apt-get download nginx wrk libluajit-5.1-2 && for f in *.deb; do
                   dpkg-deb -x "$f" root; done   (then set BENCH_NGINX=root/usr/sbin/nginx,
                   BENCH_WRK=root/usr/bin/wrk, LD_LIBRARY_PATH=root/usr/lib/x86_64-linux-gnu)
  - or build them: https://nginx.org/en/download.html, https://github.com/wg/wrk
  - or point BENCH_NGINX / BENCH_WRK at binaries you already have."""


class BenchError(SystemExit):
    """A benchmark cannot run here; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(f"benchmark: error: {message}")


# -- tools ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """Where nginx and wrk are, the library path they need, and where they came from."""

    nginx: Path
    wrk: Path
    env: Mapping[str, str]
    origin: str
    nginx_version: str = ""
    wrk_version: str = ""


def _tool_env(lib_dirs: Sequence[Path]) -> dict[str, str]:
    env = dict(os.environ)
    if lib_dirs:
        env["LD_LIBRARY_PATH"] = ":".join([*map(str, lib_dirs),
                                           *filter(None, [env.get("LD_LIBRARY_PATH")])])
    return env


def _version(cmd: Sequence[str], env: Mapping[str, str]) -> str:
    """The first line a tool prints about its version; raises BenchError if it cannot run."""
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=20)
    except OSError as exc:
        raise BenchError(f"cannot run {cmd[0]}: {exc}\n{INSTALL_HELP}") from None
    out = (done.stdout + done.stderr).strip()
    if "error while loading shared libraries" in out:
        raise BenchError(f"{cmd[0]} cannot start: {out}\n{INSTALL_HELP}")
    return out.splitlines()[0] if out else ""


def _fetch_debs(cache: Path) -> tuple[Path, Path, list[Path]]:
    """Download the Debian packages (no root) and extract them under ``cache/root``."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise BenchError("nginx and wrk are not installed, and this machine has no apt-get/"
                         f"dpkg-deb to fetch them without root.\n{INSTALL_HELP}")
    debs, root = cache / "debs", cache / "root"
    debs.mkdir(parents=True, exist_ok=True)
    wanted = [p for group in PACKAGES.values() for p in group]
    have = {p.name.split("_", 1)[0] for p in debs.glob("*.deb")}
    missing = [p for p in wanted if p not in have]
    if missing:
        print(f"fetching {', '.join(missing)} with apt-get download into {debs} ...",
              file=sys.stderr)
        done = subprocess.run(["apt-get", "download", *missing], cwd=debs,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"'apt-get download {' '.join(missing)}' failed "
                             f"(exit {done.returncode}): {done.stderr.strip()[-600:]}\n"
                             "(if apt cannot locate the packages, its package lists are empty: "
                             f"'apt-get update' as root once fills them)\n{INSTALL_HELP}")
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    libs = [p for p in (root / "usr/lib/x86_64-linux-gnu", root / "usr/lib") if p.is_dir()]
    return root / "usr/sbin/nginx", root / "usr/bin/wrk", libs


def find_tools(cache: Path = CACHE) -> Tools:
    """nginx and wrk: ``$BENCH_NGINX``/``$BENCH_WRK``, else the PATH, else fetched by apt."""
    nginx = os.environ.get("BENCH_NGINX") or shutil.which("nginx") \
        or (shutil.which("nginx", path="/usr/sbin:/sbin") or "")
    wrk = os.environ.get("BENCH_WRK") or shutil.which("wrk") or ""
    origin = "given by $BENCH_NGINX/$BENCH_WRK or found on the PATH"
    libs: list[Path] = []
    if not (nginx and wrk):
        cached_nginx, cached_wrk, libs = cache / "root/usr/sbin/nginx", \
            cache / "root/usr/bin/wrk", []
        if not (cached_nginx.is_file() and cached_wrk.is_file()):
            cached_nginx, cached_wrk, libs = _fetch_debs(cache)
        libs = [p for p in (cache / "root/usr/lib/x86_64-linux-gnu", cache / "root/usr/lib")
                if p.is_dir()]
        nginx, wrk = nginx or str(cached_nginx), wrk or str(cached_wrk)
        origin = f"Debian packages fetched with apt-get download, extracted in {cache}"
    for name, path in (("nginx", nginx), ("wrk", wrk)):
        if not Path(path).is_file():
            raise BenchError(f"{name} not found at {path}.\n{INSTALL_HELP}")
    env = _tool_env(libs)
    nginx_version = _version([nginx, "-v"], env)
    wrk_version = _version([wrk, "--version"], env)
    if "nginx" not in nginx_version or "wrk" not in wrk_version:
        raise BenchError(f"{nginx} / {wrk} did not run as nginx and wrk "
                         f"({nginx_version!r}, {wrk_version!r}).\n{INSTALL_HELP}")
    return Tools(Path(nginx), Path(wrk), env, origin, nginx_version.split(":")[-1].strip(),
                 " ".join(wrk_version.split()[:2]))


# -- processes and machine -----------------------------------------------------------------------


def broadcaster_cmd() -> list[str]:
    """The ``broadcaster`` command of this venv (``$BENCH_BROADCASTER`` overrides it)."""
    given = os.environ.get("BENCH_BROADCASTER")
    if given:
        return given.split()
    return [str(Path(sys.executable).parent / "broadcaster")]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft limit of open files towards ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft < wanted:
        raise BenchError(f"{wanted} open files are needed but the hard limit is {hard}; "
                         "raise it (ulimit -Hn) or use fewer --clients")
    return soft


def cpu_layout() -> tuple[set[int], set[int], str]:
    """CPUs for the server and for the load generator, and a sentence saying so."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus), f"server and client share {len(cpus)} CPU"
    return {cpus[0]}, set(cpus[1:]), (f"server pinned to CPU {cpus[0]}, load generator to "
                                      f"CPU {','.join(map(str, cpus[1:]))}")


def load_average() -> str:
    """The machine's load averages (other work running makes figures vary)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1] is the ppid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Process:
    """A child process with its log file; stopped (TERM, then KILL) on exit."""

    name: str
    cmd: list[str]
    log: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    cpus: set[int] | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        cpus = self.cpus
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.cmd, env=dict(self.env) if self.env else None, cwd=self.cwd,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise BenchError(f"{self.name} exited with code {self.proc.returncode}; "
                             f"its log:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stopped_badly(self) -> str:
        """A sentence if the process ended other than by our SIGTERM, else ''."""
        code = self.proc.returncode if self.proc else None
        if code in (None, 0, -signal.SIGTERM):
            return ""
        return f"{self.name} exited with code {code}; the end of its log:\n{self.tail(10)}"

    def stop(self, grace: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            print(f"{self.name} did not stop within {grace:.0f} s of SIGTERM; killing it",
                  file=sys.stderr)
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Process:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_http(url: str, process: Process, timeout: float = 120.0) -> None:
    """Wait until ``url`` answers (any status), or the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"{process.name} did not answer {url} within {timeout:.0f} s; its log:\n"
                     f"{process.tail()}")


# -- figures -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *map(line, cells[1:])])


def user_name() -> str:
    """The name of the user running the benchmark (for nginx's ``user`` as root)."""
    return pwd.getpwuid(os.geteuid()).pw_name
