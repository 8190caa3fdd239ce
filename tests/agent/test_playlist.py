"""The agent reads the server's own manifests (made here by broadcaster.publish.formats)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from broadcaster.agent.playlist import ManifestError, parse_manifest
from tests.agent.conftest import T0, make_item, manifest_bytes


def test_a_server_manifest_reads_back_item_for_item() -> None:
    items = [make_item("sang@20261127T030000Z#1.1", 0, 60, title="Thời sự buổi sáng"),
             make_item("sang@20261127T030000Z#2.1", 90, 120, offset_ms=60_000),
             make_item("vov@X#1.1", 120, 180, "high", relay_url="http://radio.example.vn/a")]
    manifest = parse_manifest(manifest_bytes(items, publication=7))
    assert manifest.publication == 7 and manifest.station == "TANTIEN-01"
    assert manifest.timezone == "Asia/Ho_Chi_Minh" and len(manifest.digest) == 64
    assert manifest.items == tuple(items)
    assert manifest.window_end == T0 + timedelta(days=2)
    assert set(manifest.media()) == {i.media.sha256 for i in items}


def _manifest(**item: object) -> bytes:
    base = json.loads(manifest_bytes([make_item("a@X#1.1", 0, 60)]))
    base["items"][0].update(item)
    return json.dumps(base).encode()


@pytest.mark.parametrize(("change", "message"), [
    ({"priority": "urgent"}, "items.0 (a@X#1.1).priority: 'urgent' is not one of"),
    ({"start": "2026-11-27T03:00:00"}, "has no time zone"),
    ({"end": "2026-11-27T02:00:00Z"}, "is not after start"),
    ({"offset_ms": -1}, "offset_ms: expected a whole number"),
    ({"media": {"url": "/media/x.mp3", "sha256": "../../etc/passwd", "bytes": 1,
                "duration_ms": 1}}, "is not a sha256"),
    ({"media": {"url": "/media/noext", "sha256": "a" * 64, "bytes": 1, "duration_ms": 1}},
     "does not end in a file extension"),
])
def test_bad_items_are_refused_naming_the_field(change: dict[str, object],
                                                message: str) -> None:
    with pytest.raises(ManifestError, match=re.escape(message)):
        parse_manifest(_manifest(**change))


def test_not_a_playlist_at_all() -> None:
    with pytest.raises(ManifestError, match="not JSON"):
        parse_manifest(b"<html>")
    with pytest.raises(ManifestError, match="no 'items' list"):
        parse_manifest(b'{"publication": 1}')
