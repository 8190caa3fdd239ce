"""How a command on the service's machine finds the running ``broadcaster serve`` and hands it
work, so that work starts warm: ``broadcaster announce`` would otherwise spend 2 s importing
the speech stack (scipy) before it speaks, which an emergency cannot spare.

``serve`` advertises itself in ``HOME/run/serve-HOST-PID.json`` (mode 0600): its local URL and
a token made at start-up, which the service accepts for handed-over work only
(``/api/v1/announcements``). Reading the file takes the same access as reading the database in
HOME, so the token grants nothing new. The file goes when the service stops; one left by a
killed service is ignored (its process is gone) and removed by the next ``serve``.

This module imports only the standard library (and ``fsutil``, which does too): it runs in the
command before anything else.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadcaster.errors import BroadcasterError
from broadcaster.fsutil import atomic_write_bytes, process_alive

RUN_DIR = "run"
ANNOUNCEMENTS = "/api/v1/announcements"


class ServiceUnreachable(Exception):
    """The advertised service did not answer; the caller may do the work itself."""


class ServiceRefused(BroadcasterError):
    """The service refused the work and said why (its message and exit code are kept)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class LocalService:
    """A running ``serve`` process of this host, as it advertised itself."""

    pid: int
    url: str
    token: str
    path: Path

    def call(self, path: str, payload: dict[str, Any], timeout: float = 120.0
             ) -> dict[str, Any]:
        """POST ``payload`` as JSON to ``path``; the JSON answer.

        Raises :class:`ServiceUnreachable` when the service cannot be reached (nothing was
        done), :class:`ServiceRefused` when it answered with an error.
        """
        request = urllib.request.Request(
            self.url + path, data=json.dumps(payload, ensure_ascii=False).encode(),
            method="POST", headers={"Authorization": f"Bearer {self.token}",
                                    "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                answer: dict[str, Any] = json.loads(reply.read())
                return answer
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read())
            except ValueError:
                body = {}
            raise ServiceRefused(body.get("error") or f"the service answered {exc.code}",
                                 int(body.get("exit_code", 1))) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServiceUnreachable(f"{self.url}: {reason}") from None


def _run_dir(home: Path) -> Path:
    return home / RUN_DIR


def _prefix() -> str:
    return f"serve-{socket.gethostname()}-"


def local_url(host: str, port: int) -> str:
    """The URL a command on this host uses to reach a service listening on ``host:port``."""
    if host in ("", "0.0.0.0", "localhost"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def advertise(home: Path, host: str, port: int) -> LocalService:
    """Write this process's service file (atomically, readable by its owner only) and remove
    the files of this host's services that are gone; the service as advertised."""
    folder = _run_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{_prefix()}*.json"):
        pid = old.stem.rsplit("-", 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            old.unlink(missing_ok=True)
    service = LocalService(os.getpid(), local_url(host, port), secrets.token_urlsafe(32),
                           folder / f"{_prefix()}{os.getpid()}.json")
    atomic_write_bytes(service.path, json.dumps(
        {"pid": service.pid, "url": service.url, "token": service.token}).encode(), private=True)
    return service


def withdraw(service: LocalService) -> None:
    """Remove the service file (the service is stopping)."""
    service.path.unlink(missing_ok=True)


def find(home: Path) -> LocalService | None:
    """A live service of this host serving ``home``, if there is one (the newest)."""
    found = []
    for path in _run_dir(home).glob(f"{_prefix()}*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            service = LocalService(int(data["pid"]), str(data["url"]), str(data["token"]), path)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours to read
        if process_alive(service.pid):
            found.append((path.stat().st_mtime, service))
    return max(found, key=lambda pair: pair[0])[1] if found else None
