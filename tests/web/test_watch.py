"""The publication watcher reads a new index once, however many requests want it."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from broadcaster.web import _watch
from tests.helpers import run_async


def publication(root: Path, number: int, digest: str) -> None:
    folder = root / f"{number:06d}"
    folder.mkdir(parents=True)
    (folder / "index.json").write_text(json.dumps(
        {"number": number, "stations": {"A-01": {"digest": digest, "items": [], "files": {}},
                                        "B-01": {"digest": "b", "items": [], "files": {},
                                                 "in": 1}}}))
    os.symlink(f"{number:06d}", root / ".current.tmp")
    os.replace(root / ".current.tmp", root / "current")


def test_concurrent_requests_share_one_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    reads: list[str | None] = []
    real = _watch.read_snapshot

    def counted(root: Path, target: str | None) -> _watch.Snapshot:
        reads.append(target)
        return real(root, target)

    monkeypatch.setattr(_watch, "read_snapshot", counted)
    publication(tmp_path, 1, "a1")

    async def scenario() -> None:
        watcher = _watch.PublicationWatcher(tmp_path)
        first = await asyncio.gather(*(watcher.refresh() for _ in range(50)))
        assert {s.number for s in first} == {1} and reads == ["000001"]
        assert first[0].digest("A-01") == "a1" and first[0].carried == {"B-01": 1}
        publication(tmp_path, 2, "a2")
        # A request that gives up (a station hanging up) does not stop the read for the rest.
        gone = asyncio.ensure_future(watcher.refresh())
        await asyncio.sleep(0)
        gone.cancel()
        second = await asyncio.gather(*(watcher.refresh() for _ in range(50)))
        assert {s.number for s in second} == {2} and reads == ["000001", "000002"]
        assert (await watcher.refresh()).digest("A-01") == "a2" and len(reads) == 2

    run_async(scenario())
