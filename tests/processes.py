"""Real ``broadcaster`` processes for end-to-end tests: ``serve`` with its operator's commands
(:class:`Service`), ``serve`` with station agents (:class:`Processes`), and a small province."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import free_port, wait_for

PROVINCE = """
groups:
  - {code: BS, name: Tỉnh Bình Sơn, kind: province}
  - {code: BS-XA, name: Các xã, kind: area, parent: BS}
  - {code: BS-TANTIEN, name: Xã Tân Tiến, kind: commune, parent: BS-XA}
  - {code: BS-HOALOC, name: Xã Hòa Lộc, kind: commune, parent: BS-XA}
stations:
  - {code: TANTIEN-01, name: Đài truyền thanh xã Tân Tiến, group: BS-TANTIEN}
  - {code: HOALOC-01, name: Đài truyền thanh xã Hòa Lộc, group: BS-HOALOC}
programmes:
  - code: ban-tin
    title: Bản tin thử nghiệm
    items:
      - jingle: mo-dau
      - text: "Sau đây là bản tin thử nghiệm."
      - silence: 80s
"""


class Service:
    """One ``broadcaster serve`` process and the commands of its operator."""

    def __init__(self, home: Path, database_url: str, **settings: str) -> None:
        self.home = home
        self.port = free_port()
        self.env = os.environ | {
            "BROADCASTER_HOME": str(home), "BROADCASTER_DATABASE_URL": database_url,
            "BROADCASTER_ENGINES": "espeak", "BROADCASTER_CONFIG": "",
            "BROADCASTER_INBOX_INTERVAL_S": "0.5", "BROADCASTER_LOG_FORMAT": "json",
            "BROADCASTER_SHUTDOWN_GRACE_S": "3",
        } | {f"BROADCASTER_{k.upper()}": v for k, v in settings.items()}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home.parent / f"serve-{self.port}.log"
        self.url = f"http://127.0.0.1:{self.port}"

    def command(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "broadcaster", *args], env=self.env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == code, done.stdout + done.stderr
        return done

    def start(self) -> httpx.Client:
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "broadcaster", "serve", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=log)
        client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.logs()
            try:
                if client.get("/healthz").status_code == 200:
                    return client
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not answer /healthz\n" + self.logs()
            time.sleep(0.1)

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() \
            else ""

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs().splitlines()
                if line.startswith("{")]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.proc = None
        return code


class Processes:
    """``serve`` and the agents as real processes; logs in the test's folder."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server_env = os.environ | {
            "BROADCASTER_HOME": str(root / "var"), "BROADCASTER_DATABASE_URL": database_url,
            "BROADCASTER_ENGINES": "espeak", "BROADCASTER_CONFIG": "",
            "BROADCASTER_SHUTDOWN_GRACE_S": "1"}
        # The agents get no database: a URL that cannot work proves they never need one.
        self.agent_env = {k: v for k, v in os.environ.items()
                          if not k.startswith("BROADCASTER_")} | {
            "BROADCASTER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "broadcaster", *args],
                                            env=env, stdout=log, stderr=log)

    def serve(self) -> None:
        self._start("serve", ["serve", "--port", str(self.port)], self.server_env)
        wait_for(self._healthy, 60, "serve to answer /healthz\n" + self.log("serve"))

    def _healthy(self) -> bool:
        assert self.procs["serve"].poll() is None, self.log("serve")
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def agent(self, code: str, token: str) -> None:
        folder = self.root / code
        folder.mkdir(exist_ok=True)
        (folder / "token").write_text(token)
        (folder / "token").chmod(0o600)
        self._start(code, ["agent", "--server", self.url, "--station", code, "--token-file",
                           str(folder / "token"), "--cache", str(folder / "cache"),
                           "--player", "file", "--sink-dir", str(folder / "sink"),
                           "--backoff-min-s", "0.2", "--backoff-max-s", "1", "--wait-s", "30",
                           "--heartbeat-s", "5", "--log-level", "debug"], self.agent_env)

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str) -> int:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=30)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def plays(self, code: str) -> list[dict[str, Any]]:
        path = self.root / code / "sink" / "plays.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] \
            if path.exists() else []

    def starts(self, code: str, prefix: str = "") -> list[dict[str, Any]]:
        return [p for p in self.plays(code)
                if p["event"] == "start" and p["item"].startswith(prefix)]


def late(play: dict[str, Any]) -> float:
    """How late a start line is against its schedule, in seconds (negative: early)."""
    actual = datetime.fromisoformat(play["actual_start"].replace("Z", "+00:00"))
    scheduled = datetime.fromisoformat(play["scheduled_start"].replace("Z", "+00:00"))
    return (actual - scheduled).total_seconds()
